"""A teacher who teaches a group (not a division) calls the roll of that group only, and of
its students only (the default world's teacher teaches a division)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.resolvers.absences.roll_calls import RollCallEntry
from core.errors import NotFound, ValidationFailed
from db.absences import AbsenceEvent
from db.reference import load_absence_references
from tests.api.absences.test_events import MONDAY
from tests.api.absences.test_roll_calls import _call, _slots
from tests.world import build_world


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker, group_teacher=True)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world


async def test_a_group_teacher_calls_the_roll_of_his_group_only(world, sessionmaker):
    slots = await _slots(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "group_teacher_a")
    for division in (world.division_a1, world.division_a2):
        with pytest.raises(NotFound):
            await _call(
                sessionmaker,
                teacher,
                RollCallEntry(world.school_a, MONDAY, slots["M1"], division_id=division),
            )
    with pytest.raises(ValidationFailed) as stranger:
        await _call(
            sessionmaker,
            teacher,
            RollCallEntry(
                world.school_a,
                MONDAY,
                slots["M1"],
                group_id=world.group_a,
                absent_student_ids=[world.students["eloise"]],
            ),
        )
    assert stranger.value.errors[0].code == "NOT_IN_CLASS"
    await _call(
        sessionmaker,
        teacher,
        RollCallEntry(
            world.school_a,
            MONDAY,
            slots["M1"],
            group_id=world.group_a,
            absent_student_ids=[world.students["lina"]],
        ),
    )
    async with sessionmaker() as session:
        [event] = (await session.scalars(select(AbsenceEvent))).all()
    assert event.student_id == world.students["lina"]

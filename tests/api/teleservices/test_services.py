"""Télé-services of a school and the publication of grades (seed 003, 4.2)."""

from __future__ import annotations

from datetime import date

import pytest

from api.resolvers.teleservices.services import (
    add_deadline,
    grades_publication,
    remove_deadline,
    school_services,
    set_grades_publication,
    set_service,
)
from core.errors import ValidationFailed
from db.teleservices import GradesPublication, Teleservice
from tests.world import build_world

DEADLINE = date(2026, 12, 18)


@pytest.fixture
async def world(sessionmaker):
    return await build_world(sessionmaker)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


async def test_opening_and_closing_keeps_the_settings(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    services = await _run(sessionmaker, school_services, principal, world.school_a)
    assert services == {Teleservice.ABSENCES: False, Teleservice.GRADES: False}
    with pytest.raises(ValidationFailed) as closed:
        await _run(
            sessionmaker,
            set_grades_publication,
            principal,
            world.school_a,
            GradesPublication.DEADLINES,
        )
    assert closed.value.errors[0].code == "SERVICE_CLOSED"
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    await _run(
        sessionmaker, set_grades_publication, principal, world.school_a, GradesPublication.DEADLINES
    )
    view = await _run(sessionmaker, grades_publication, principal, world.school_a)
    pairs = [(p.mef_id, p.division_id) for p in view.pairs]
    assert [p.division_code for p in view.pairs] == ["6A", "6B"]
    added = await _run(sessionmaker, add_deadline, principal, world.school_a, DEADLINE, pairs[:1])
    assert added == 1
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, False)
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    view = await _run(sessionmaker, grades_publication, principal, world.school_a)
    assert view.publication is GradesPublication.DEADLINES
    assert view.pairs[0].days == [DEADLINE] and view.pairs[1].days == []


async def test_going_back_to_continuous_deletes_deadlines_after_confirmation(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    await _run(
        sessionmaker, set_grades_publication, principal, world.school_a, GradesPublication.DEADLINES
    )
    view = await _run(sessionmaker, grades_publication, principal, world.school_a)
    pairs = [(p.mef_id, p.division_id) for p in view.pairs]
    await _run(sessionmaker, add_deadline, principal, world.school_a, DEADLINE, pairs)
    with pytest.raises(ValidationFailed) as asked:
        await _run(
            sessionmaker,
            set_grades_publication,
            principal,
            world.school_a,
            GradesPublication.CONTINUOUS,
        )
    [error] = asked.value.errors
    assert error.code == "CONFIRMATION_REQUIRED" and "2 dates" in error.message
    await _run(
        sessionmaker,
        set_grades_publication,
        principal,
        world.school_a,
        GradesPublication.CONTINUOUS,
        confirm_deleting_deadlines=True,
    )
    view = await _run(sessionmaker, grades_publication, principal, world.school_a)
    assert view.publication is GradesPublication.CONTINUOUS
    assert all(p.days == [] for p in view.pairs)


async def test_deadline_rules(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    view = await _run(sessionmaker, grades_publication, principal, world.school_a)
    pairs = [(p.mef_id, p.division_id) for p in view.pairs]
    with pytest.raises(ValidationFailed) as continuous:
        await _run(sessionmaker, add_deadline, principal, world.school_a, DEADLINE, pairs)
    assert continuous.value.errors[0].code == "NOT_AT_DEADLINES"
    await _run(
        sessionmaker, set_grades_publication, principal, world.school_a, GradesPublication.DEADLINES
    )
    with pytest.raises(ValidationFailed) as unknown:
        await _run(
            sessionmaker,
            add_deadline,
            principal,
            world.school_a,
            DEADLINE,
            [(world.mef_6, world.division_b1)],
        )
    assert unknown.value.errors[0].field == "pairs"
    await _run(sessionmaker, add_deadline, principal, world.school_a, DEADLINE, pairs)
    assert await _run(sessionmaker, add_deadline, principal, world.school_a, DEADLINE, pairs) == 0
    assert (
        await _run(sessionmaker, remove_deadline, principal, world.school_a, DEADLINE, pairs[:1])
        == 1
    )

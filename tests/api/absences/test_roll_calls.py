"""The teacher's roll call: his classes only, once per slot, absences merged across slots,
concurrent roll calls of one slot leave exactly one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from api.resolvers.absences.roll_calls import RollCallEntry, roll_call_sheet, take_roll_call
from api.resolvers.absences.settings import school_setup
from core.errors import NotFound, ValidationFailed
from db.absences import AbsenceEvent, EventSource, RollCall
from db.audit import AuditEntry
from tests.api.absences.test_events import MONDAY


async def _slots(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        setup = await school_setup(session, cpe, world.school_a)
    return {slot.code: slot.id for slot in setup.grid.slots}


async def _call(sessionmaker, principal, entry):
    async with sessionmaker() as session, session.begin():
        return await take_roll_call(session, principal, entry)


async def test_a_morning_of_roll_calls_makes_one_absence(world, sessionmaker):
    slots = await _slots(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "teacher_a")
    lina = world.students["lina"]
    for code in ("M1", "M2"):
        await _call(
            sessionmaker,
            teacher,
            RollCallEntry(
                world.school_a,
                MONDAY,
                slots[code],
                division_id=world.division_a1,
                absent_student_ids=[lina],
            ),
        )
    with pytest.raises(ValidationFailed) as again:
        await _call(
            sessionmaker,
            teacher,
            RollCallEntry(world.school_a, MONDAY, slots["M1"], division_id=world.division_a1),
        )
    assert again.value.errors[0].code == "ALREADY_TAKEN"
    async with sessionmaker() as session:
        [event] = (await session.scalars(select(AbsenceEvent))).all()
        assert (event.start_slot_id, event.end_slot_id) == (slots["M1"], slots["M2"])
        assert event.source is EventSource.ROLL_CALL
        assert await session.scalar(select(func.count()).select_from(RollCall)) == 2


async def test_a_teacher_calls_only_his_classes_and_their_students(world, sessionmaker):
    slots = await _slots(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(NotFound):
        await _call(
            sessionmaker,
            teacher,
            RollCallEntry(world.school_a, MONDAY, slots["M1"], division_id=world.division_a2),
        )
    with pytest.raises(ValidationFailed) as stranger:
        await _call(
            sessionmaker,
            teacher,
            RollCallEntry(
                world.school_a,
                MONDAY,
                slots["M1"],
                division_id=world.division_a1,
                absent_student_ids=[world.students["jade"]],
            ),
        )
    assert stranger.value.errors[0].code == "NOT_IN_CLASS"
    principal_b = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _call(
            sessionmaker,
            principal_b,
            RollCallEntry(world.school_a, MONDAY, slots["M1"], division_id=world.division_a1),
        )


async def test_concurrent_roll_calls_of_one_slot_leave_one(world, sessionmaker):
    slots = await _slots(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "teacher_a")
    entry = RollCallEntry(
        world.school_a,
        MONDAY,
        slots["S1"],
        division_id=world.division_a1,
        absent_student_ids=[world.students["lina"]],
    )

    async def attempt() -> bool:
        try:
            await _call(sessionmaker, teacher, entry)
        except ValidationFailed:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt() for _ in range(8)))
    assert outcomes.count(True) == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(RollCall)) == 1
        assert await session.scalar(select(func.count()).select_from(AbsenceEvent)) == 1


async def test_a_roll_call_is_audited_even_without_absentees(world, sessionmaker):
    slots = await _slots(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "teacher_a")
    roll_call = await _call(
        sessionmaker,
        teacher,
        RollCallEntry(world.school_a, MONDAY, slots["M3"], division_id=world.division_a1),
    )
    async with sessionmaker() as session:
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity == "roll_calls"))
        ).all()
    assert (entry.action, entry.entity_id, entry.school_id) == (
        "create",
        roll_call.id,
        world.school_a,
    )
    assert (entry.actor_kind, entry.actor_id) == ("staff", teacher.id)
    assert entry.after["slot_id"] == slots["M3"] and entry.after["day"] == MONDAY.isoformat()


async def test_the_roll_call_sheet_lists_a_reached_class_and_tells_a_taken_slot(
    world, sessionmaker
):
    slots = await _slots(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "teacher_a")
    entry = RollCallEntry(world.school_a, MONDAY, slots["M1"], division_id=world.division_a1)
    async with sessionmaker() as session:
        before = await roll_call_sheet(session, teacher, entry)
    assert world.students["lina"] in {student_id for student_id, _name in before.students}
    assert world.students["jade"] not in {student_id for student_id, _name in before.students}
    assert not before.taken
    await _call(sessionmaker, teacher, entry)
    async with sessionmaker() as session:
        assert (await roll_call_sheet(session, teacher, entry)).taken
        # Not his class, nor his school: the sheet is refused like the roll call itself.
        for principal, division in (
            (teacher, world.division_a2),
            (await world.principal(sessionmaker, "principal_b"), world.division_a1),
        ):
            with pytest.raises(NotFound):
                await roll_call_sheet(
                    session,
                    principal,
                    RollCallEntry(world.school_a, MONDAY, slots["M1"], division_id=division),
                )

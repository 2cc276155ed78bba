"""Recording absences and lateness: validation, merging, enrolment bounds, teachers' reach."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from api.resolvers.absences.events import (
    AbsenceEntry,
    LatenessEntry,
    record_absence,
    record_lateness,
    regularise_event,
)
from api.resolvers.absences.settings import school_setup
from core.errors import NotFound, ValidationFailed
from db.absences import AbsenceEvent, EventKind
from db.audit import AuditEntry

MONDAY = date(2026, 11, 16)
TUESDAY = date(2026, 11, 17)
WEDNESDAY = date(2026, 11, 18)


async def _setup(sessionmaker, principal, school_id):
    async with sessionmaker() as session, session.begin():
        return await school_setup(session, principal, school_id)


def _slot(setup, code):
    return next(slot.id for slot in setup.grid.slots if slot.code == code)


def _motive(setup, code):
    return next(m.id for m in setup.motives.values() if m.code == code)


async def _record(sessionmaker, principal, entry):
    async with sessionmaker() as session, session.begin():
        return await record_absence(session, principal, entry)


async def test_defaults_are_created_once_with_a_college_week(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    again = await _setup(sessionmaker, cpe, world.school_a)
    assert [s.code for s in setup.grid.slots] == ["M1", "M2", "M3", "M4", "S1", "S2", "S3", "S4"]
    assert set(setup.slots) == set(again.slots)
    assert setup.zone == "C"  # Créteil
    assert not setup.calendar.teaches(WEDNESDAY, setup.slots[_slot(setup, "S1")].half_day)


async def test_an_absence_is_recorded_and_adjacent_ones_merge(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    lina = world.students["lina"]
    first = await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(lina, world.school_a, MONDAY, _slot(setup, "M1"), MONDAY, _slot(setup, "M2")),
    )
    # M3 follows M2: the same absence goes on, and takes the motive given now.
    merged = await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(
            lina,
            world.school_a,
            MONDAY,
            _slot(setup, "M3"),
            TUESDAY,
            _slot(setup, "M1"),
            motive_id=_motive(setup, "MAL"),
        ),
    )
    assert merged.id == first.id
    assert (merged.start_date, merged.end_date) == (MONDAY, TUESDAY)
    assert merged.motive_id == _motive(setup, "MAL")
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AbsenceEvent)) == 1
        trail = (
            await session.scalars(
                select(AuditEntry.school_id).where(AuditEntry.entity == "absence_events")
            )
        ).all()
        assert trail and set(trail) == {world.school_a}


async def test_an_overlap_with_another_motive_is_refused_naming_it(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    lina = world.students["lina"]
    await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(
            lina,
            world.school_a,
            MONDAY,
            _slot(setup, "M1"),
            MONDAY,
            _slot(setup, "S4"),
            motive_id=_motive(setup, "MAL"),
        ),
    )
    with pytest.raises(ValidationFailed) as refused:
        await _record(
            sessionmaker,
            cpe,
            AbsenceEntry(
                lina,
                world.school_a,
                MONDAY,
                _slot(setup, "S1"),
                TUESDAY,
                _slot(setup, "M2"),
                motive_id=_motive(setup, "FAM"),
            ),
        )
    [error] = refused.value.errors
    assert error.code == "OVERLAP" and "16/11/2026" in error.message and "Maladie" in error.message


@pytest.mark.parametrize(
    ("start", "end", "field", "code"),
    [
        (TUESDAY, MONDAY, "endDate", "ENDS_BEFORE_START"),
        (date(2026, 11, 21), date(2026, 11, 22), "startDate", "NO_CLASS"),  # weekend
        (date(2026, 10, 20), date(2026, 10, 22), "startDate", "NO_CLASS"),  # Toussaint
        (date(2026, 8, 31), date(2026, 9, 1), "startDate", "NOT_ENROLLED"),
    ],
)
async def test_bad_absences_are_refused_and_nothing_is_written(
    world, sessionmaker, start, end, field, code
):
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    with pytest.raises(ValidationFailed) as refused:
        await _record(
            sessionmaker,
            cpe,
            AbsenceEntry(
                world.students["lina"],
                world.school_a,
                start,
                _slot(setup, "M1"),
                end,
                _slot(setup, "M1"),
            ),
        )
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AbsenceEvent)) == 0


async def test_lateness_cannot_fall_in_an_absence_nor_twice(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    lina = world.students["lina"]
    await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(lina, world.school_a, MONDAY, _slot(setup, "M1"), MONDAY, _slot(setup, "M2")),
    )
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            await record_lateness(
                session, cpe, LatenessEntry(lina, world.school_a, MONDAY, _slot(setup, "M2"), 10)
            )
        assert refused.value.errors[0].code == "ALREADY_ABSENT"
    async with sessionmaker() as session, session.begin():
        late = await record_lateness(
            session, cpe, LatenessEntry(lina, world.school_a, MONDAY, _slot(setup, "S1"), 10)
        )
        assert late.kind is EventKind.LATENESS and late.minutes_late == 10
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            await record_lateness(
                session, cpe, LatenessEntry(lina, world.school_a, MONDAY, _slot(setup, "S1"), 5)
            )
        assert refused.value.errors[0].code == "ALREADY_LATE"


async def test_a_teacher_records_only_in_the_classes_taught_and_not_elsewhere(world, sessionmaker):
    teacher = await world.principal(sessionmaker, "teacher_a")
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    taught, untaught = world.students["lina"], world.students["noah"]
    entry = AbsenceEntry(
        taught, world.school_a, MONDAY, _slot(setup, "M1"), MONDAY, _slot(setup, "M1")
    )
    assert (await _record(sessionmaker, teacher, entry)).noted_by_label.startswith("Teacher A")
    with pytest.raises(NotFound):
        await _record(
            sessionmaker,
            teacher,
            AbsenceEntry(
                untaught, world.school_a, MONDAY, _slot(setup, "M1"), MONDAY, _slot(setup, "M1")
            ),
        )
    principal_b = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _record(sessionmaker, principal_b, entry)


async def test_regularising_keeps_the_previous_state_in_the_audit_log(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    event = await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(
            world.students["lina"],
            world.school_a,
            MONDAY,
            _slot(setup, "M1"),
            MONDAY,
            _slot(setup, "M4"),
            motive_id=_motive(setup, "INC"),
        ),
    )
    certificate = next(j.id for j in setup.justifications.values() if j.code == "CERT")
    async with sessionmaker() as session, session.begin():
        done = await regularise_event(
            session,
            cpe,
            event.id,
            motive_id=_motive(setup, "MAL"),
            justification_id=certificate,
            comment="Certificat reçu",
            expected_version=event.version,
        )
        assert done.justified_at is not None
    async with sessionmaker() as session:
        [update] = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "absence_events", AuditEntry.action == "update"
                )
            )
        ).all()
        assert update.before["motive_id"] == _motive(setup, "INC")
        assert update.after["justification_id"] == certificate
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as stale:
            await regularise_event(
                session,
                cpe,
                event.id,
                motive_id=None,
                justification_id=None,
                comment=None,
                expected_version=event.version,
            )
        assert stale.value.errors[0].code == "STALE"


async def test_the_record_counts_half_days_and_the_unjustified_ones(world, sessionmaker):
    from api.resolvers.absences.records import student_absence_record

    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await _setup(sessionmaker, cpe, world.school_a)
    lina = world.students["lina"]
    await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(
            lina,
            world.school_a,
            MONDAY,
            _slot(setup, "M1"),
            MONDAY,
            _slot(setup, "S4"),
            motive_id=_motive(setup, "MAL"),
        ),
    )
    await _record(
        sessionmaker,
        cpe,
        AbsenceEntry(
            lina, world.school_a, WEDNESDAY, _slot(setup, "M1"), WEDNESDAY, _slot(setup, "S4")
        ),
    )
    async with sessionmaker() as session, session.begin():
        await record_lateness(
            session, cpe, LatenessEntry(lina, world.school_a, TUESDAY, _slot(setup, "M1"), 5)
        )
    async with sessionmaker() as session:
        record = await student_absence_record(session, cpe, lina)
        # Monday: 2 half-days (justified); Wednesday: the morning only (no class after).
        assert (record.half_days, record.unjustified_half_days, record.lateness_count) == (3, 1, 1)
        assert [e.start_date for e in record.events] == [WEDNESDAY, TUESDAY, MONDAY]
        week = await student_absence_record(session, cpe, lina, TUESDAY, TUESDAY)
        assert week.half_days == 0 and week.lateness_count == 1
        teacher = await world.principal(sessionmaker, "teacher_a")
        assert (await student_absence_record(session, teacher, lina)).half_days == 3
        principal_b = await world.principal(sessionmaker, "principal_b")
        with pytest.raises(NotFound):
            await student_absence_record(session, principal_b, lina)

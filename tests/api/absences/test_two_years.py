"""A student enrolled two years running in the same school: each event is listed once, under
the division of its own day, and contacting the family works (it used to pair every event
with both years' enrolments)."""

from __future__ import annotations

from datetime import date

import pytest

from api.resolvers.absences.family_contacts import ContactRequest, contact_families
from api.resolvers.absences.follow_up import EventSearch, search_events, students_to_contact
from api.resolvers.absences.letters import school_templates
from api.resolvers.absences.statistics import (
    AbsenceDimension,
    AbsenceStatisticsQuery,
    absence_statistics,
)
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, Regime
from db.schools import SchoolYear, SchoolYearState
from db.structures import Division

LAST_YEAR_DAY = date(2026, 3, 9)  # a Monday of 2025-2026
THIS_YEAR_DAY = date(2026, 11, 16)  # a Monday of 2026-2027


async def _years_current(sessionmaker, current_id: int, other_id: int) -> None:
    """Makes ``current_id`` the académie's current year; the other one closed if earlier, in
    preparation if later."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        current = await session.get(SchoolYear, current_id)
        other = await session.get(SchoolYear, other_id)
        current.state = SchoolYearState.CURRENT
        other.state = (
            SchoolYearState.CLOSED
            if other.start_year < current.start_year
            else SchoolYearState.IN_PREPARATION
        )


@pytest.fixture
async def repeater(world, desk, sessionmaker) -> int:
    """Lina, in 6C last year and in 6A this year, with one absence in each year. Last year's
    enrolment was left without an exit date, as the rollover leaves it."""
    lina = world.students["lina"]
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        last_year = Division(
            school_id=world.school_a,
            school_year_id=world.closed_year_id,
            code="6C",
            label="6e C",
        )
        session.add(last_year)
        await session.flush()
        session.add(
            Enrollment(
                student_id=lina,
                school_id=world.school_a,
                school_year_id=world.closed_year_id,
                mef_id=world.mef_6,
                division_id=last_year.id,
                regime=Regime.DEMI_PENSIONNAIRE,
                entry_date=date(2025, 9, 1),
            )
        )
    # Last year's absence was recorded while last year was the current one: closed years
    # are read-only.
    await _years_current(sessionmaker, world.closed_year_id, world.year_id)
    await desk.absence(lina, LAST_YEAR_DAY, "M1", LAST_YEAR_DAY, "M4")
    await _years_current(sessionmaker, world.year_id, world.closed_year_id)
    await desk.absence(lina, THIS_YEAR_DAY, "M1", THIS_YEAR_DAY, "S4")
    return lina


async def test_each_event_once_under_its_own_years_division(world, desk, sessionmaker, repeater):
    async with sessionmaker() as session, session.begin():
        page = await search_events(
            session, desk.principal, EventSearch(world.school_a, student_id=repeater)
        )
    assert [(line.event.start_date, line.division_code) for line in page.lines] == [
        (THIS_YEAR_DAY, "6A"),
        (LAST_YEAR_DAY, "6C"),
    ]


async def test_families_to_contact_show_this_years_division(world, desk, sessionmaker, repeater):
    async with sessionmaker() as session, session.begin():
        due = await students_to_contact(session, desk.principal, world.school_a)
    [lina] = [d for d in due if d.student_id == repeater]
    assert lina.division_code == "6A"
    assert [e.start_date for e in lina.events] == [LAST_YEAR_DAY, THIS_YEAR_DAY]
    # 1 half-day last year (a morning), 2 this year (a whole day).
    assert lina.unjustified_half_days == 3


async def test_contacting_the_family_reports_each_event_once(world, desk, sessionmaker, repeater):
    async with sessionmaker() as session, session.begin():
        templates = {
            t.code: t for t in await school_templates(session, desk.principal, world.school_a)
        }
    async with sessionmaker() as session, session.begin():
        outcome = await contact_families(
            session,
            desk.principal,
            ContactRequest(world.school_a, templates["LETABS"].id, [repeater]),
        )
    assert len(outcome.contacts) == 2 and not outcome.unreached
    async with sessionmaker() as session, session.begin():
        due = await students_to_contact(session, desk.principal, world.school_a)
    assert repeater not in [d.student_id for d in due]


async def test_statistics_count_each_half_day_under_the_division_of_its_day(
    world, desk, sessionmaker, repeater
):
    async def by_division(first: date, last: date) -> dict[str, tuple[int, int]]:
        async with sessionmaker() as session, session.begin():
            rows = await absence_statistics(
                session,
                desk.principal,
                AbsenceStatisticsQuery(
                    world.school_a,
                    first,
                    last,
                    by=AbsenceDimension.DIVISION,
                    student_id=repeater,
                ),
            )
        return {row.label: (row.headcount, row.half_days) for row in rows}

    assert await by_division(date(2026, 11, 1), date(2026, 11, 30)) == {"6A": (1, 2)}
    assert await by_division(date(2026, 3, 1), date(2026, 3, 31)) == {"6C": (1, 1)}
    assert await by_division(date(2026, 3, 1), date(2026, 11, 30)) == {
        "6A": (1, 2),
        "6C": (1, 1),
    }

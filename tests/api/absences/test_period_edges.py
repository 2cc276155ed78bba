"""Periods and months count their first and last days, and the indicator's threshold is 4.

September 2026 in school A starts on a school day (Tuesday 1, the rentrée) and ends on one
(Wednesday 30, morning only), with no holiday: 39 taught half-days (Tuesday 1 to Friday 4: 7;
three full weeks of 9; Monday 28 to Wednesday 30: 5). Counted by hand:

- Lina: Tuesday 1 morning, Monday 14 all day, Wednesday 30 morning, no motive: exactly 4
  unjustified half-days, two of them on the month's first and last days.
- Noah: Tuesday 15 all day and Thursday 17 afternoon, no motive: exactly 3.
- Éloïse: Monday 21 all day without motive (2), Wednesday 23 morning ill (1, justified), and
  Wednesday 30 M1 to Thursday 1 October S4 without motive (1 in September, 2 in October):
  4 half-days, 3 unjustified.
"""

from __future__ import annotations

from datetime import date

import pytest

from api.resolvers.absences.follow_up import EventSearch, search_events, students_to_contact
from api.resolvers.absences.indicator import monthly_indicator
from api.resolvers.absences.statistics import (
    AbsenceDimension,
    AbsenceStatisticsQuery,
    absence_statistics,
)

SEPTEMBER = (date(2026, 9, 1), date(2026, 9, 30))
TAUGHT_IN_SEPTEMBER = 39


def _sep(day: int) -> date:
    return date(2026, 9, day)


@pytest.fixture
async def september(world, desk) -> None:
    lina, noah, eloise = (world.students[k] for k in ("lina", "noah", "eloise"))
    await desk.absence(lina, _sep(1), "M1", _sep(1), "M4")
    await desk.absence(lina, _sep(14), "M1", _sep(14), "S4")
    await desk.absence(lina, _sep(30), "M1", _sep(30), "M4")
    await desk.absence(noah, _sep(15), "M1", _sep(15), "S4")
    await desk.absence(noah, _sep(17), "S1", _sep(17), "S4")
    await desk.absence(eloise, _sep(21), "M1", _sep(21), "S4")
    await desk.absence(eloise, _sep(23), "M1", _sep(23), "M4", motive="MAL")
    await desk.absence(eloise, _sep(30), "M1", date(2026, 10, 1), "S4")


async def _indicator(sessionmaker, principal, month: int):
    async with sessionmaker() as session, session.begin():
        return await monthly_indicator(session, principal, 2026, month, None)


async def test_the_indicator_counts_exactly_four_over_the_whole_month(
    world, desk, sessionmaker, september
):
    principal = await world.principal(sessionmaker, "principal_a")
    [school] = (await _indicator(sessionmaker, principal, 9)).schools
    # Lina only: her 4 need the 1st and the 30th; Noah's and Éloïse's 3 stay below.
    assert (school.students, school.students_over_threshold) == (3, 1)
    [october] = (await _indicator(sessionmaker, principal, 10)).schools
    assert october.students_over_threshold == 0


async def test_a_month_of_statistics_runs_from_its_first_to_its_last_day(
    world, desk, sessionmaker, september
):
    async def rows(first, last, by):
        async with sessionmaker() as session, session.begin():
            return await absence_statistics(
                session, desk.principal, AbsenceStatisticsQuery(world.school_a, first, last, by)
            )

    [month] = await rows(*SEPTEMBER, AbsenceDimension.MONTH)
    assert (month.key, month.headcount) == ("2026-09", 3)
    assert (month.half_days, month.unjustified_half_days) == (11, 10)
    assert month.absence_rate == round(100 * 11 / (3 * TAUGHT_IN_SEPTEMBER), 2)
    students = {
        row.label: (row.half_days, row.unjustified_half_days)
        for row in await rows(*SEPTEMBER, AbsenceDimension.STUDENT)
    }
    assert students == {"Martin Lina": (4, 4), "Martin Noah": (3, 3), "Élan Éloïse": (4, 3)}
    # A period of one day: the 30th alone, a Wednesday (one taught half-day).
    [last_day] = await rows(_sep(30), _sep(30), AbsenceDimension.TOTAL)
    assert (last_day.half_days, last_day.absence_rate) == (2, round(100 * 2 / 3, 2))
    # October starts inside Éloïse's absence: only its October half-days count there.
    october = {
        row.label: row.half_days
        for row in await rows(date(2026, 10, 1), date(2026, 10, 31), AbsenceDimension.STUDENT)
        if row.half_days
    }
    assert october == {"Élan Éloïse": 2}


async def test_the_follow_up_keeps_the_events_on_the_period_s_edges(
    world, desk, sessionmaker, september
):
    lina = world.students["lina"]

    async def days(first, last):
        async with sessionmaker() as session, session.begin():
            page = await search_events(
                session, desk.principal, EventSearch(world.school_a, first, last, student_id=lina)
            )
        return sorted(line.event.start_date.day for line in page.lines)

    assert await days(*SEPTEMBER) == [1, 14, 30]
    assert await days(_sep(30), _sep(30)) == [30]
    assert await days(_sep(1), _sep(1)) == [1]
    assert await days(_sep(2), _sep(29)) == [14]
    async with sessionmaker() as session, session.begin():
        due = await students_to_contact(session, desk.principal, world.school_a, *SEPTEMBER)
    assert {d.student_name: d.unjustified_half_days for d in due} == {
        "Martin Lina": 4,
        "Martin Noah": 3,
        "Élan Éloïse": 3,
    }

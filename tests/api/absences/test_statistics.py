"""Absence statistics and the national monthly indicator, against a hand count."""

from __future__ import annotations

from datetime import date

import pytest

from api.resolvers.absences.indicator import monthly_indicator
from api.resolvers.absences.statistics import (
    AbsenceDimension,
    AbsenceStatisticsQuery,
    absence_statistics,
)
from core.errors import NotFound, ValidationFailed
from db.absences import EventKind
from tests.api.absences.scenario import NOVEMBER, TAUGHT_IN_NOVEMBER, november


async def _statistics(sessionmaker, principal, query):
    async with sessionmaker() as session, session.begin():
        return await absence_statistics(session, principal, query)


async def _indicator(sessionmaker, principal, year, month, school_id=None):
    async with sessionmaker() as session, session.begin():
        return await monthly_indicator(session, principal, year, month, school_id)


async def test_by_division_counts_half_days_lateness_and_rate(world, desk, sessionmaker):
    await november(world, desk)
    rows = await _statistics(
        sessionmaker,
        desk.principal,
        AbsenceStatisticsQuery(world.school_a, *NOVEMBER, by=AbsenceDimension.DIVISION),
    )
    by_code = {row.label: row for row in rows}
    assert set(by_code) == {"6A", "6B"}
    a, b = by_code["6A"], by_code["6B"]
    assert (a.headcount, a.students_absent, a.half_days, a.unjustified_half_days) == (2, 2, 8, 8)
    assert (a.lateness, a.students_late) == (1, 1)
    assert a.absence_rate == round(100 * 8 / (2 * TAUGHT_IN_NOVEMBER), 2)
    assert (b.headcount, b.half_days, b.unjustified_half_days, b.lateness) == (1, 3, 2, 0)
    assert b.absence_rate == round(100 * 3 / TAUGHT_IN_NOVEMBER, 2)


async def test_by_month_student_motive_and_group(world, desk, sessionmaker):
    await november(world, desk)
    cpe, school = desk.principal, world.school_a
    months = await _statistics(
        sessionmaker,
        cpe,
        AbsenceStatisticsQuery(
            school, date(2026, 10, 1), date(2026, 11, 30), by=AbsenceDimension.MONTH
        ),
    )
    assert [(r.key, r.label, r.half_days) for r in months] == [
        ("2026-10", "octobre 2026", 1),
        ("2026-11", "novembre 2026", 11),
    ]
    students = await _statistics(
        sessionmaker, cpe, AbsenceStatisticsQuery(school, *NOVEMBER, by=AbsenceDimension.STUDENT)
    )
    assert [(r.label, r.half_days, r.unjustified_half_days) for r in students] == [
        ("Martin Lina", 4, 4),
        ("Élan Éloïse", 4, 4),
        ("Martin Noah", 3, 2),
    ]
    motives = await _statistics(
        sessionmaker, cpe, AbsenceStatisticsQuery(school, *NOVEMBER, by=AbsenceDimension.MOTIVE)
    )
    assert {(r.label, r.half_days) for r in motives} == {
        ("Sans motif", 6),
        ("Motif non valable", 4),
        ("Maladie", 1),
    }
    group = await _statistics(
        sessionmaker,
        cpe,
        AbsenceStatisticsQuery(
            school, *NOVEMBER, by=AbsenceDimension.GROUP, kind=EventKind.ABSENCE
        ),
    )
    assert [(r.label, r.headcount, r.half_days, r.lateness) for r in group] == [("ESP2", 1, 4, 0)]


async def test_a_teacher_counts_only_the_classes_taught(world, desk, sessionmaker):
    await november(world, desk)
    teacher = await world.principal(sessionmaker, "teacher_a")  # teaches 6A only
    [total] = await _statistics(
        sessionmaker, teacher, AbsenceStatisticsQuery(world.school_a, *NOVEMBER)
    )
    assert (total.headcount, total.half_days) == (2, 8)


async def test_bad_periods_are_refused(world, desk, sessionmaker):
    with pytest.raises(ValidationFailed) as refused:
        await _statistics(
            sessionmaker,
            desk.principal,
            AbsenceStatisticsQuery(world.school_a, date(2026, 11, 30), date(2026, 11, 1)),
        )
    assert refused.value.errors[0].field == "until"
    with pytest.raises(ValidationFailed):
        await _statistics(
            sessionmaker,
            desk.principal,
            AbsenceStatisticsQuery(world.school_a, date(2025, 9, 1), date(2026, 11, 1)),
        )


async def test_monthly_indicator_matches_the_hand_count(world, desk, sessionmaker):
    await november(world, desk)
    principal = await world.principal(sessionmaker, "principal_a")
    school = await _indicator(sessionmaker, principal, 2026, 11)
    [row] = school.schools
    # Lina and Éloïse reach 4 unjustified half-days; Noah has 2.
    assert (row.students, row.students_over_threshold, row.share) == (3, 2, 66.67)
    october = await _indicator(sessionmaker, principal, 2026, 10)
    assert october.total.students_over_threshold == 0
    rectorat = await world.principal(sessionmaker, "rectorat")
    academy = await _indicator(sessionmaker, rectorat, 2026, 11)
    assert [r.students_over_threshold for r in academy.schools] == [2, 0]
    assert (academy.total.students, academy.total.students_over_threshold) == (4, 2)
    assert academy.total.share == 50.0


async def test_indicator_of_another_school_is_not_found(world, desk, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(NotFound):
        await _indicator(sessionmaker, principal, 2026, 11, world.school_b)
    with pytest.raises(ValidationFailed):
        await _indicator(sessionmaker, principal, 2026, 13)

"""The national monthly absenteeism indicator: the share of students enrolled during the month
who missed 4 half-days or more without a legitimate motive in that month, per school, and
aggregated over the schools in reach (the académie for the rectorat).

Only counts leave this module: the indicator is read with the statistics permission, and
no student is named.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import school_clause
from api.resolvers.absences.settings import load_setup
from api.resolvers.absences.tallies import EXTENT_COLUMNS, tally_by_student
from core.errors import NotFound, ValidationFailed
from db.absences import AbsenceEvent, AbsenceSettings, EventKind
from db.enrollments import Enrollment
from db.schools import School

# Unjustified half-days in a month from which a student counts (Code de l'éducation, L131-8).
THRESHOLD = 4


@dataclass
class IndicatorRow:
    school_id: int | None
    uai: str
    name: str
    students: int
    students_over_threshold: int

    @property
    def share(self) -> float:
        """Percentage of the students enrolled during the month."""
        return (
            round(100 * self.students_over_threshold / self.students, 2) if self.students else 0.0
        )


@dataclass
class MonthlyIndicator:
    month: date
    schools: list[IndicatorRow]
    total: IndicatorRow


def month_bounds(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValidationFailed.single("month", "INVALID", "Mois invalide.")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


async def _headcounts(
    session: AsyncSession, school_ids: list[int], first: date, last: date
) -> dict[int, int]:
    """Students enrolled at some point of the month, per school."""
    rows = await session.execute(
        select(Enrollment.school_id, func.count(func.distinct(Enrollment.student_id)))
        .where(
            Enrollment.school_id.in_(school_ids),
            Enrollment.entry_date <= last,
            or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= first),
        )
        .group_by(Enrollment.school_id)
    )
    return {school_id: count for school_id, count in rows}


async def _over_threshold(session: AsyncSession, school_id: int, first: date, last: date) -> int:
    setup = await load_setup(session, school_id)
    events = await session.execute(
        select(*EXTENT_COLUMNS).where(
            AbsenceEvent.school_id == school_id,
            AbsenceEvent.kind == EventKind.ABSENCE,
            AbsenceEvent.start_date <= last,
            AbsenceEvent.end_date >= first,
        )
    )
    tallies = tally_by_student(events, setup, first, last)
    return sum(1 for tally in tallies.values() if len(tally.unjustified) >= THRESHOLD)


@requires(Permission.STATISTICS_READ)
async def monthly_indicator(
    session: AsyncSession,
    principal: Principal,
    year: int,
    month: int,
    school_id: int | None = None,
) -> MonthlyIndicator:
    """The indicator of a month for one school, or for every school in reach and in total."""
    first, last = month_bounds(year, month)
    query = select(School).where(school_clause(principal, Permission.STATISTICS_READ, School.id))
    if school_id is not None:
        query = query.where(School.id == school_id)
    schools = list(await session.scalars(query.order_by(School.uai)))
    if school_id is not None and not schools:
        raise NotFound("School", school_id)
    ids = [school.id for school in schools]
    headcounts = await _headcounts(session, ids, first, last) if ids else {}
    configured = set(
        await session.scalars(
            select(AbsenceSettings.school_id).where(AbsenceSettings.school_id.in_(ids))
        )
    )
    rows = []
    for school in schools:
        over = (
            await _over_threshold(session, school.id, first, last) if school.id in configured else 0
        )
        rows.append(
            IndicatorRow(school.id, school.uai, school.name, headcounts.get(school.id, 0), over)
        )
    total = IndicatorRow(
        None,
        "",
        "Ensemble",
        sum(r.students for r in rows),
        sum(r.students_over_threshold for r in rows),
    )
    return MonthlyIndicator(month=first, schools=rows, total=total)

"""OneRoster academicSessions: the académie's open school years and, under each, the grading
periods (trimesters) of the schools in reach.

SCONET has no terms besides grading periods: a class's ``terms`` is its school year.

An academicSession has no org in 1.2 (its schema allows no such property). A grading period is
a school's, and two schools' "Trimestre 1" differ in their dates: its school's sourcedId is in
``metadata.schoolSourcedId``, where a client of several schools tells them apart (and may
filter on it: ``metadata.schoolSourcedId='…'``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.oneroster.reach import RosterReach, Year, audited_times, iso
from api.resolvers.oneroster.sourced_ids import guid_ref
from db.grades import GradingPeriod
from db.schools import SchoolYear


def ends_in(year: Year) -> str:
    """OneRoster's schoolYear: the calendar year the school year ends in."""
    return str(year.start_year + 1)


@dataclass(frozen=True)
class PeriodRow:
    school_id: int
    year: Year
    label: str
    first_day: date
    last_day: date


def grading_period_record(
    reach: RosterReach, period: PeriodRow, changed: datetime | None
) -> dict[str, Any]:
    """A grading period as OneRoster shows it: on the roster, or as last known when it left."""
    keys = reach.keys
    uai = reach.schools[period.school_id].uai
    return {
        "sourcedId": keys.grading_period(uai, period.year.start_year, period.label),
        "status": "active",
        "dateLastModified": iso(changed),
        "title": period.label,
        "type": "gradingPeriod",
        "startDate": period.first_day.isoformat(),
        "endDate": period.last_day.isoformat(),
        "parent": guid_ref("academicSession", keys.school_year(period.year.start_year)),
        "children": [],
        "schoolYear": ends_in(period.year),
        "metadata": {"schoolSourcedId": keys.school(uai)},
    }


async def session_records(
    session: AsyncSession, reach: RosterReach, years: list[Year]
) -> list[dict[str, Any]]:
    keys = reach.keys
    by_id = {year.id: year for year in years}
    periods = (
        await session.scalars(
            select(GradingPeriod).where(
                GradingPeriod.school_id.in_(reach.school_ids()),
                GradingPeriod.school_year_id.in_(sorted(by_id)),
            )
        )
    ).all()
    year_changed = await audited_times(
        session, "school_years", select(SchoolYear.id).where(SchoolYear.id.in_(sorted(by_id)))
    )
    period_changed = await audited_times(
        session,
        "grading_periods",
        select(GradingPeriod.id).where(
            GradingPeriod.school_id.in_(reach.school_ids()),
            GradingPeriod.school_year_id.in_(sorted(by_id)),
        ),
    )
    children: dict[int, list[str]] = defaultdict(list)
    records: list[dict[str, Any]] = []
    for period in periods:
        year = by_id[period.school_year_id]
        record = grading_period_record(
            reach,
            PeriodRow(period.school_id, year, period.label, period.first_day, period.last_day),
            period_changed.get(period.id),
        )
        children[year.id].append(record["sourcedId"])
        records.append(record)
    for year in years:
        records.append(
            {
                "sourcedId": keys.school_year(year.start_year),
                "status": "active",
                "dateLastModified": iso(year_changed.get(year.id)),
                "title": f"{year.start_year}-{year.start_year + 1}",
                "type": "schoolYear",
                "startDate": year.starts_on.isoformat(),
                "endDate": year.ends_on.isoformat(),
                "children": [guid_ref("academicSession", sid) for sid in sorted(children[year.id])],
                "schoolYear": ends_in(year),
            }
        )
    return records

"""Absence statistics and the national monthly indicator in GraphQL."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers.absences import indicator, statistics
from api.schema.absences.entry import EventKind
from api.schema.context import Info, read

AbsenceDimension = strawberry.enum(statistics.AbsenceDimension, name="AbsenceDimension")


@strawberry.type(description="Absences and lateness of one row of a dimension over the period.")
class AbsenceStatisticsRow:
    key: str
    label: str
    headcount: int
    students_absent: int
    half_days: int
    unjustified_half_days: int
    lateness: int
    students_late: int
    absence_rate: float = strawberry.field(
        description="Half-days of absence per 100 half-days the headcount could attend."
    )


@strawberry.type(description="The indicator of one school, or the total of those in reach.")
class MonthlyIndicatorRow:
    school_id: int | None
    uai: str
    name: str
    students: int = strawberry.field(description="Students enrolled at some point of the month.")
    students_over_threshold: int = strawberry.field(
        description="Students with 4 unjustified half-days of absence or more in the month."
    )
    share: float = strawberry.field(description="Percentage of the students.")


@strawberry.type
class MonthlyIndicator:
    month: datetime.date
    schools: list[MonthlyIndicatorRow]
    total: MonthlyIndicatorRow


def _indicator_row(row: indicator.IndicatorRow) -> MonthlyIndicatorRow:
    return MonthlyIndicatorRow(
        school_id=row.school_id,
        uai=row.uai,
        name=row.name,
        students=row.students,
        students_over_threshold=row.students_over_threshold,
        share=row.share,
    )


@strawberry.type
class Query:
    @strawberry.field(description="A school's absence statistics over a period (a year at most).")
    async def absence_statistics(
        self,
        info: Info,
        school_id: int,
        since: datetime.date,
        until: datetime.date,
        by: AbsenceDimension = statistics.AbsenceDimension.TOTAL,  # type: ignore[valid-type]
        kind: EventKind | None = None,  # type: ignore[valid-type]
        division_id: int | None = None,
        group_id: int | None = None,
        student_id: int | None = None,
    ) -> list[AbsenceStatisticsRow]:
        return await read(
            info,
            statistics.absence_statistics,
            statistics.AbsenceStatisticsQuery(
                school_id=school_id,
                first=since,
                last=until,
                by=by,
                kind=kind,
                division_id=division_id,
                group_id=group_id,
                student_id=student_id,
            ),
        )

    @strawberry.field(
        description="Share of students with 4 unjustified half-days or more in a month, per "
        "school in reach (or one school) and in total."
    )
    async def monthly_absence_indicator(
        self, info: Info, year: int, month: int, school_id: int | None = None
    ) -> MonthlyIndicator:
        found = await read(info, indicator.monthly_indicator, year, month, school_id)
        return MonthlyIndicator(
            month=found.month,
            schools=[_indicator_row(row) for row in found.schools],
            total=_indicator_row(found.total),
        )

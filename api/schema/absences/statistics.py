"""Absence statistics and the national monthly indicator in GraphQL."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers.absences import indicator, statistics
from api.schema.absences.entry import EventKind
from api.schema.context import Info, read
from api.schema.domain import from_domain

AbsenceDimension = strawberry.enum(statistics.AbsenceDimension, name="AbsenceDimension")


@strawberry.type(description="Absences and lateness of one row of a dimension over the period.")
@from_domain
class AbsenceStatisticsRow(statistics.AbsenceStatisticsRow):
    absence_rate: float = strawberry.field(
        description="Half-days of absence per 100 half-days the headcount could attend."
    )


@strawberry.type(description="The indicator of one school, or the total of those in reach.")
@from_domain
class MonthlyIndicatorRow(indicator.IndicatorRow):
    students: int = strawberry.field(description="Students enrolled at some point of the month.")
    students_over_threshold: int = strawberry.field(
        description="Students with 4 unjustified half-days of absence or more in the month."
    )
    share: float = strawberry.field(description="Percentage of the students.")


@strawberry.type
@from_domain
class MonthlyIndicator(indicator.MonthlyIndicator):
    schools: list[indicator.IndicatorRow] = strawberry.field(graphql_type=list[MonthlyIndicatorRow])
    total: indicator.IndicatorRow = strawberry.field(graphql_type=MonthlyIndicatorRow)


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
        return await read(info, indicator.monthly_indicator, year, month, school_id)

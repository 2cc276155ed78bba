"""Headcount statistics."""

from __future__ import annotations

import strawberry

from api.resolvers import statistics as resolvers
from api.schema.context import Info, read

HeadcountDimension = strawberry.enum(resolvers.HeadcountDimension)


@strawberry.type
class HeadcountRow:
    key: str
    label: str
    total: int
    boys: int
    girls: int


@strawberry.type
class Query:
    @strawberry.field(
        description="Students present by MEF, division, sex, age or régime; all schools in reach when schoolId is omitted."
    )
    async def headcounts(
        self,
        info: Info,
        by: HeadcountDimension,  # type: ignore[valid-type]
        school_id: int | None = None,
        school_year_id: int | None = None,
    ) -> list[HeadcountRow]:
        rows = await read(info, resolvers.headcounts, school_id, school_year_id, by)
        return [
            HeadcountRow(key=r.key, label=r.label, total=r.total, boys=r.boys, girls=r.girls)
            for r in rows
        ]

"""Headcount statistics."""

from __future__ import annotations

import strawberry

from api.resolvers import statistics as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain

HeadcountDimension = strawberry.enum(resolvers.HeadcountDimension)


@strawberry.type
@from_domain
class HeadcountRow(resolvers.HeadcountRow):
    pass


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
        return await read(info, resolvers.headcounts, school_id, school_year_id, by)

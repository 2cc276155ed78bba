"""Schools and school years."""

from __future__ import annotations

import strawberry

from api.resolvers import schools as resolvers
from api.schema.context import Info, read, read_or_none
from db import schools as models

SchoolKind = strawberry.enum(
    models.SchoolKind, description="collège, lycée général et technologique, lycée professionnel"
)
SchoolYearState = strawberry.enum(models.SchoolYearState)


@strawberry.type(description="An EPLE, identified by its UAI.")
class School:
    id: int
    uai: str
    kind: SchoolKind  # type: ignore[valid-type]
    name: str
    address_line: str
    postal_code: str
    city: str
    phone: str | None
    email: str | None


@strawberry.type(description='A school year of the académie, e.g. "2026-2027".')
class SchoolYear:
    id: int
    start_year: int
    state: SchoolYearState  # type: ignore[valid-type]

    @strawberry.field
    def label(self, root: strawberry.Parent[models.SchoolYear]) -> str:
        return root.label


@strawberry.type
class Query:
    @strawberry.field(description="The schools the caller may see.")
    async def schools(self, info: Info) -> list[School]:
        return await read(info, resolvers.visible_schools)

    @strawberry.field(description="A school by its UAI; null when unknown or out of reach.")
    async def school(self, info: Info, uai: str) -> School | None:
        return await read_or_none(info, resolvers.school_by_uai, uai)

    @strawberry.field
    async def school_years(self, info: Info) -> list[SchoolYear]:
        return await read(info, resolvers.school_years)

"""MEFs and subjects."""

from __future__ import annotations

import strawberry

from api.resolvers import nomenclatures as resolvers
from api.schema.context import Info, read
from db import nomenclatures as models


@strawberry.type(description="Module élémentaire de formation.")
class Mef:
    id: int
    code: str
    short_label: str
    long_label: str
    edition_label: str | None
    duration_years: int

    @strawberry.field(description="The MEF a student on time follows the next year.")
    async def next(self, root: strawberry.Parent[models.Mef], info: Info) -> Mef | None:
        if root.next_mef_id is None:
            return None
        return await info.context.loaders.mef.load(root.next_mef_id)  # type: ignore[return-value]


@strawberry.type
class Subject:
    id: int
    code: str
    management_code: str
    short_label: str
    long_label: str


@strawberry.type
class Query:
    @strawberry.field(description="The national MEF list, or the school's profiled subset.")
    async def mefs(self, info: Info, school_id: int | None = None) -> list[Mef]:
        return await read(info, resolvers.list_mefs, school_id)

    @strawberry.field(description="The national subject list, or the school's profiled subset.")
    async def subjects(self, info: Info, school_id: int | None = None) -> list[Subject]:
        return await read(info, resolvers.list_subjects, school_id)

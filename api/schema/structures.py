"""Divisions and groups, with headcounts; their creation and update."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.resolvers import structures as resolvers
from api.schema.context import Info, read, read_or_none
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate, set_fields
from db import structures as models

if TYPE_CHECKING:
    from api.schema.nomenclatures import Mef, Subject
    from api.schema.schools import School

SchoolType = Annotated["School", strawberry.lazy("api.schema.schools")]
MefType = Annotated["Mef", strawberry.lazy("api.schema.nomenclatures")]
SubjectType = Annotated["Subject", strawberry.lazy("api.schema.nomenclatures")]


@strawberry.type(description="A class (division) of a school for a year.")
class Division:
    id: int
    code: str
    label: str
    planned_headcount: int | None

    @strawberry.field(description="Students currently in the division (departures excluded).")
    async def headcount(self, root: strawberry.Parent[models.Division], info: Info) -> int:
        return await info.context.loaders.division_headcount.load(root.id)

    @strawberry.field
    async def mefs(self, root: strawberry.Parent[models.Division], info: Info) -> list[MefType]:
        return await info.context.loaders.mefs_of_division.load(root.id)  # type: ignore[return-value]

    @strawberry.field
    async def school(self, root: strawberry.Parent[models.Division], info: Info) -> SchoolType:
        return await info.context.loaders.school.load(root.school_id)  # type: ignore[return-value]


@strawberry.type(description="A teaching group drawing students from one or more divisions.")
class Group:
    id: int
    code: str
    label: str

    @strawberry.field
    async def headcount(self, root: strawberry.Parent[models.Group], info: Info) -> int:
        return await info.context.loaders.group_headcount.load(root.id)

    @strawberry.field
    async def divisions(self, root: strawberry.Parent[models.Group], info: Info) -> list[Division]:
        return await info.context.loaders.divisions_of_group.load(root.id)  # type: ignore[return-value]

    @strawberry.field
    async def subject(
        self, root: strawberry.Parent[models.Group], info: Info
    ) -> SubjectType | None:
        if root.subject_id is None:
            return None
        return await info.context.loaders.subject.load(root.subject_id)  # type: ignore[return-value]

    @strawberry.field
    async def school(self, root: strawberry.Parent[models.Group], info: Info) -> SchoolType:
        return await info.context.loaders.school.load(root.school_id)  # type: ignore[return-value]


@strawberry.input
class DivisionInput:
    school_id: int
    school_year_id: int | None = strawberry.field(
        default=None, description="Defaults to the current year."
    )
    code: str
    label: str | None = None
    mef_ids: list[int]
    planned_headcount: int | None = None


@strawberry.input
class DivisionPatch:
    code: str | None = strawberry.UNSET
    label: str | None = strawberry.UNSET
    mef_ids: list[int] | None = strawberry.UNSET
    planned_headcount: int | None = strawberry.UNSET


@strawberry.input
class GroupInput:
    school_id: int
    school_year_id: int | None = None
    code: str
    label: str | None = None
    division_ids: list[int] = strawberry.field(default_factory=list)
    subject_id: int | None = None


@strawberry.input
class GroupPatch:
    code: str | None = strawberry.UNSET
    label: str | None = strawberry.UNSET
    division_ids: list[int] | None = strawberry.UNSET
    subject_id: int | None = strawberry.UNSET


@strawberry.type
class DivisionPayload:
    division: Division | None
    errors: list[FieldError]


@strawberry.type
class GroupPayload:
    group: Group | None
    errors: list[FieldError]


@strawberry.type(description="A deletion: the id of the row deleted, or why it was refused.")
class DeletionPayload:
    deleted_id: int | None
    errors: list[FieldError]


@strawberry.type(
    description="What copying a year's structures created, and the codes the target year "
    "already had (kept as they were there)."
)
@from_domain
class StructuresCopy(resolvers.StructuresCopy):
    pass


@strawberry.type
class StructuresCopyPayload:
    copy: StructuresCopy | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="Divisions of a school for a year (the current one by default).")
    async def divisions(
        self, info: Info, school_id: int, school_year_id: int | None = None
    ) -> list[Division]:
        summaries = await read(info, resolvers.list_divisions, school_id, school_year_id)
        return [s.division for s in summaries]

    @strawberry.field
    async def groups(
        self, info: Info, school_id: int, school_year_id: int | None = None
    ) -> list[Group]:
        summaries = await read(info, resolvers.list_groups, school_id, school_year_id)
        return [s.group for s in summaries]

    @strawberry.field
    async def division(self, info: Info, id: int) -> Division | None:
        return await read_or_none(info, resolvers.get_division, id)

    @strawberry.field
    async def group(self, info: Info, id: int) -> Group | None:
        return await read_or_none(info, resolvers.get_group, id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_division(self, info: Info, input: DivisionInput) -> DivisionPayload:
        division, errors = await mutate(
            info, "schoolId", resolvers.create_division, set_fields(input)
        )
        return DivisionPayload(division=division, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_division(self, info: Info, id: int, input: DivisionPatch) -> DivisionPayload:
        division, errors = await mutate(
            info, "id", resolvers.update_division, id, set_fields(input)
        )
        return DivisionPayload(division=division, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def create_group(self, info: Info, input: GroupInput) -> GroupPayload:
        group, errors = await mutate(info, "schoolId", resolvers.create_group, set_fields(input))
        return GroupPayload(group=group, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_group(self, info: Info, id: int, input: GroupPatch) -> GroupPayload:
        group, errors = await mutate(info, "id", resolvers.update_group, id, set_fields(input))
        return GroupPayload(group=group, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Next year's structures copied from another year's: divisions (MEFs, "
        "planned headcounts), groups (subject, divisions) and, with `withServices`, the "
        "teachers' services; codes the target year already has are kept as they are."
    )
    async def copy_structures(
        self,
        info: Info,
        school_id: int,
        from_school_year_id: int,
        to_school_year_id: int,
        with_services: bool = False,
    ) -> StructuresCopyPayload:
        copied, errors = await mutate(
            info,
            "schoolId",
            resolvers.copy_structures,
            school_id,
            from_school_year_id,
            to_school_year_id,
            with_services,
        )
        return StructuresCopyPayload(copy=copied, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Deletes a division in which no student is enrolled.")
    async def delete_division(self, info: Info, id: int) -> DeletionPayload:
        deleted, errors = await mutate(info, "id", resolvers.delete_division, id)
        return DeletionPayload(deleted_id=deleted, errors=errors)

    @strawberry.mutation(description="Deletes a group in which no student is enrolled.")
    async def delete_group(self, info: Info, id: int) -> DeletionPayload:
        deleted, errors = await mutate(info, "id", resolvers.delete_group, id)
        return DeletionPayload(deleted_id=deleted, errors=errors)

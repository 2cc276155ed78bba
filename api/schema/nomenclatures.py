"""MEFs, subjects, the coded lists in force for a year, and each school's profile."""

from __future__ import annotations

from datetime import date

import strawberry

from api.resolvers import nomenclatures as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from api.schema.schools import SchoolYear
from db import nomenclatures as models
from db import schools as school_models

NomenclatureList = strawberry.enum(
    models.NomenclatureList, description="A coded list of the national nomenclature."
)


@strawberry.type(description="Module élémentaire de formation.")
class Mef:
    id: int
    code: str
    short_label: str
    long_label: str
    edition_label: str | None
    duration_years: int
    attachment_code: str | None = strawberry.field(description="MEF_RATTACHEMENT.")
    statistics_code: str | None = strawberry.field(description="CODE_MEFSTAT.")
    opens_on: date | None
    closes_on: date | None

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
    edition_label: str | None


@strawberry.type(description="A code of a coded list, as the nomenclature of a year gives it.")
class NomenclatureEntry:
    code: str
    year: int = strawberry.field(description="The year of the nomenclature it comes from.")
    short_label: str
    long_label: str
    edition_label: str | None
    category: str | None = strawberry.field(
        description="What the product reads from the code: the régime's kind, the exit "
        "motive's reason, the kinship's relationship, national for a national scholarship."
    )


@strawberry.type(description="A MEF the school uses and the MEF its students go on to.")
@from_domain
class ProfiledMef(resolvers.ProfiledMef):
    mef: models.Mef = strawberry.field(graphql_type=Mef)
    next_mef: models.Mef | None = strawberry.field(
        graphql_type=Mef | None,
        description="The school's choice, else the national one.",
    )
    school_next: bool = strawberry.field(description="The school chose the next MEF itself.")


@strawberry.type(description="The MEFs and subjects a school has profiled.")
@from_domain
class NomenclatureProfile(resolvers.NomenclatureProfile):
    school_year: school_models.SchoolYear = strawberry.field(
        graphql_type=SchoolYear, description="The year the profile is for."
    )
    mefs: list[resolvers.ProfiledMef] = strawberry.field(graphql_type=list[ProfiledMef])
    subjects: list[models.Subject] = strawberry.field(graphql_type=list[Subject])


@strawberry.type
class MefPayload:
    mef: Mef | None
    errors: list[FieldError]


@strawberry.type
class ProfiledMefPayload:
    profiled_mef: ProfiledMef | None
    errors: list[FieldError]


@strawberry.type
class SubjectPayload:
    subject: Subject | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(
        description="The national MEF list, or the school's profiled subset for a year "
        "(its current one by default)."
    )
    async def mefs(
        self, info: Info, school_id: int | None = None, school_year_id: int | None = None
    ) -> list[Mef]:
        return await read(info, resolvers.list_mefs, school_id, school_year_id)

    @strawberry.field(
        description="The national subject list, or the school's profiled subset for a year "
        "(its current one by default)."
    )
    async def subjects(
        self, info: Info, school_id: int | None = None, school_year_id: int | None = None
    ) -> list[Subject]:
        return await read(info, resolvers.list_subjects, school_id, school_year_id)

    @strawberry.field(
        description="The codes of a list in force in the school year starting in `year`: "
        "the latest nomenclature at or before it that has the list."
    )
    async def nomenclature_entries(
        self,
        info: Info,
        list_name: NomenclatureList,  # type: ignore[valid-type]
        year: int,
    ) -> list[NomenclatureEntry]:
        return await read(info, resolvers.list_entries, str(list_name), year)

    @strawberry.field(
        description="The school's MEFs (with the next MEF) and subjects for a year (its "
        "current one by default)."
    )
    async def school_nomenclatures(
        self, info: Info, school_id: int, school_year_id: int | None = None
    ) -> NomenclatureProfile:
        return await read(info, resolvers.school_nomenclature_profile, school_id, school_year_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The school starts using a MEF of the national list.")
    async def add_school_mef(
        self, info: Info, school_id: int, mef_id: int, school_year_id: int | None = None
    ) -> MefPayload:
        mef, errors = await mutate(
            info, "schoolId", resolvers.add_school_mef, school_id, mef_id, school_year_id
        )
        return MefPayload(mef=mef, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="The school stops using a MEF none of its students has.")
    async def remove_school_mef(
        self, info: Info, school_id: int, mef_id: int, school_year_id: int | None = None
    ) -> MefPayload:
        mef, errors = await mutate(
            info, "schoolId", resolvers.remove_school_mef, school_id, mef_id, school_year_id
        )
        return MefPayload(mef=mef, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="The MEF the school's students of a MEF go on to; null: the national one."
    )
    async def set_school_next_mef(
        self,
        info: Info,
        school_id: int,
        mef_id: int,
        next_mef_id: int | None = None,
        school_year_id: int | None = None,
    ) -> ProfiledMefPayload:
        found, errors = await mutate(
            info,
            "schoolId",
            resolvers.set_school_next_mef,
            school_id,
            mef_id,
            next_mef_id,
            school_year_id,
        )
        return ProfiledMefPayload(profiled_mef=found, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="The school starts teaching a subject of the national list.")
    async def add_school_subject(
        self, info: Info, school_id: int, subject_id: int, school_year_id: int | None = None
    ) -> SubjectPayload:
        subject, errors = await mutate(
            info, "schoolId", resolvers.add_school_subject, school_id, subject_id, school_year_id
        )
        return SubjectPayload(subject=subject, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="The school stops teaching a subject no group has.")
    async def remove_school_subject(
        self, info: Info, school_id: int, subject_id: int, school_year_id: int | None = None
    ) -> SubjectPayload:
        subject, errors = await mutate(
            info, "schoolId", resolvers.remove_school_subject, school_id, subject_id, school_year_id
        )
        return SubjectPayload(subject=subject, errors=errors)  # type: ignore[arg-type]

"""Enrolments (the schooling history) and the commands that change them."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.resolvers import enrollments as resolvers
from api.schema.context import Info
from api.schema.payloads import FieldError, mutate
from db import enrollments as models

if TYPE_CHECKING:
    from api.schema.nomenclatures import Mef
    from api.schema.schools import School, SchoolYear
    from api.schema.structures import Division, Group

SchoolType = Annotated["School", strawberry.lazy("api.schema.schools")]
SchoolYearType = Annotated["SchoolYear", strawberry.lazy("api.schema.schools")]
MefType = Annotated["Mef", strawberry.lazy("api.schema.nomenclatures")]
DivisionType = Annotated["Division", strawberry.lazy("api.schema.structures")]
GroupType = Annotated["Group", strawberry.lazy("api.schema.structures")]

Regime = strawberry.enum(models.Regime)
ExitReason = strawberry.enum(models.ExitReason)


@strawberry.type(description="A student in a school for a year.")
class Enrollment:
    id: int
    regime: Regime  # type: ignore[valid-type]
    entry_date: datetime.date
    exit_date: datetime.date | None
    exit_reason: ExitReason | None  # type: ignore[valid-type]
    previous_school_uai: str | None
    previous_school_name: str | None

    @strawberry.field
    async def school(self, root: strawberry.Parent[models.Enrollment], info: Info) -> SchoolType:
        return await info.context.loaders.school.load(root.school_id)  # type: ignore[return-value]

    @strawberry.field
    async def school_year(
        self, root: strawberry.Parent[models.Enrollment], info: Info
    ) -> SchoolYearType:
        return await info.context.loaders.school_year.load(root.school_year_id)  # type: ignore[return-value]

    @strawberry.field
    async def mef(self, root: strawberry.Parent[models.Enrollment], info: Info) -> MefType:
        return await info.context.loaders.mef.load(root.mef_id)  # type: ignore[return-value]

    @strawberry.field
    async def division(
        self, root: strawberry.Parent[models.Enrollment], info: Info
    ) -> DivisionType | None:
        if root.division_id is None:
            return None
        return await info.context.loaders.division.load(root.division_id)  # type: ignore[return-value]

    @strawberry.field
    async def groups(
        self, root: strawberry.Parent[models.Enrollment], info: Info
    ) -> list[GroupType]:
        return await info.context.loaders.groups_of_enrollment.load(root.id)


@strawberry.input
class EnrollmentInput:
    school_id: int
    school_year_id: int
    mef_id: int
    regime: Regime  # type: ignore[valid-type]
    entry_date: datetime.date
    division_id: int | None = None
    group_ids: list[int] = strawberry.field(default_factory=list)
    option_ids: list[int] = strawberry.field(
        default_factory=list,
        description="Subjects elected, in rank order: of the MEF's programme or taught in the "
        "school.",
    )
    previous_school_uai: str | None = None
    previous_school_name: str | None = None


@strawberry.type
class EnrollmentPayload:
    enrollment: Enrollment | None
    errors: list[FieldError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Enrols an existing student (a return, a transfer, next year)."
    )
    async def enrol(self, info: Info, student_id: int, input: EnrollmentInput) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "studentId", resolvers.enrol, student_id, vars(input)
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Moves a student to another division; replaces the groups when given."
    )
    async def move_student(
        self,
        info: Info,
        enrollment_id: int,
        division_id: int | None,
        group_ids: list[int] | None = None,
    ) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "enrollmentId", resolvers.move_student, enrollment_id, division_id, group_ids
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def record_departure(
        self,
        info: Info,
        enrollment_id: int,
        exit_date: datetime.date,
        exit_reason: ExitReason,  # type: ignore[valid-type]
    ) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "enrollmentId", resolvers.record_departure, enrollment_id, exit_date, exit_reason
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Changes the MEF of an enrolment with its division (one that accepts it)."
    )
    async def change_mef(
        self, info: Info, enrollment_id: int, mef_id: int, division_id: int | None
    ) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "enrollmentId", resolvers.change_mef, enrollment_id, mef_id, division_id
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Changes the régime of an enrolment (and its SIECLE code).")
    async def change_regime(
        self,
        info: Info,
        enrollment_id: int,
        regime: Regime,  # type: ignore[valid-type]
    ) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "enrollmentId", resolvers.change_regime, enrollment_id, regime
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Undoes a departure recorded by mistake.")
    async def cancel_departure(self, info: Info, enrollment_id: int) -> EnrollmentPayload:
        enrollment, errors = await mutate(
            info, "enrollmentId", resolvers.cancel_departure, enrollment_id
        )
        return EnrollmentPayload(enrollment=enrollment, errors=errors)  # type: ignore[arg-type]

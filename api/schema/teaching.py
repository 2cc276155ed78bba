"""Teachers and their services (teaching assignments): who teaches what to which class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.resolvers import teaching as resolvers
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate, set_fields
from api.schema.structures import Division, Group
from db import accounts as account_models
from db import nomenclatures as nomenclature_models
from db import structures as models

if TYPE_CHECKING:
    from api.schema.nomenclatures import Subject

SubjectType = Annotated["Subject", strawberry.lazy("api.schema.nomenclatures")]


@strawberry.type(
    description="A teacher of a school: a staff account; one without a password yet awaits "
    "the invitation that lets its holder choose one."
)
class Teacher:
    id: int
    login: str
    display_name: str
    email: str | None
    sts_id: str | None = strawberry.field(description="The INDIVIDU ID of STS-WEB, if imported.")
    is_active: bool


@strawberry.type(description="A service: a subject taught by a teacher to a division or group.")
@from_domain
class TeachingAssignment(resolvers.TeachingView):
    assignment: strawberry.Private[models.TeachingAssignment]
    teacher: account_models.StaffUser = strawberry.field(graphql_type=Teacher)
    division: models.Division | None = strawberry.field(graphql_type=Division | None)
    group: models.Group | None = strawberry.field(graphql_type=Group | None)
    subject: nomenclature_models.Subject | None = strawberry.field(graphql_type=SubjectType | None)

    @strawberry.field
    def id(self) -> int:
        return self.assignment.id


@strawberry.input
class TeachingInput:
    school_id: int
    teacher_id: int
    division_id: int | None = strawberry.field(
        default=None, description="The division, or else the group."
    )
    group_id: int | None = None
    subject_id: int | None = None


@strawberry.input(description="A teacher's account, created without a password: invite him.")
class TeacherInput:
    school_id: int
    family_name: str
    first_name: str
    email: str


@strawberry.type
class TeachingPayload:
    assignment: TeachingAssignment | None
    errors: list[FieldError]


@strawberry.type
class TeacherPayload:
    teacher: Teacher | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(description="The teachers of a school (its principal and secretariat).")
    async def teachers(self, info: Info, school_id: int) -> list[Teacher]:
        return await read(info, resolvers.list_teachers, school_id)

    @strawberry.field(description="The services of a school's divisions and groups for a year.")
    async def teaching_assignments(
        self, info: Info, school_id: int, school_year_id: int
    ) -> list[TeachingAssignment]:
        return await read(info, resolvers.list_teaching_assignments, school_id, school_year_id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def assign_teaching(self, info: Info, input: TeachingInput) -> TeachingPayload:
        view, errors = await mutate(info, "schoolId", resolvers.assign_teaching, set_fields(input))
        return TeachingPayload(assignment=view, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def unassign_teaching(self, info: Info, id: int) -> TeachingPayload:
        view, errors = await mutate(info, "id", resolvers.unassign_teaching, id)
        return TeachingPayload(assignment=view, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def create_teacher(self, info: Info, input: TeacherInput) -> TeacherPayload:
        user, errors = await mutate(info, "schoolId", resolvers.create_teacher, set_fields(input))
        return TeacherPayload(teacher=user, errors=errors)  # type: ignore[arg-type]

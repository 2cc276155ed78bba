"""Students: search with cursor pagination, the record with guardians and history, commands."""

from __future__ import annotations

import asyncio
import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.resolvers import guardians, ine_conflicts
from api.resolvers import students as resolvers
from api.resolvers.addresses import AddressCard
from api.resolvers.student_cards import StudentCard, student_cards
from api.resolvers.students import StudentFilter, StudentOrder
from api.schema.addresses import Address, AddressInput
from api.schema.context import Info, read, read_or_none
from api.schema.domain import from_domain
from api.schema.enrollments import EnrollmentInput
from api.schema.guardians import GuardianInput, GuardianLinkInput
from api.schema.payloads import FieldError, mutate, set_fields
from api.schema.selection import selects, selects_path
from db import students as models

if TYPE_CHECKING:
    from api.schema.enrollments import Enrollment
    from api.schema.guardians import GuardianLink

GuardianLinkType = Annotated["GuardianLink", strawberry.lazy("api.schema.guardians")]
EnrollmentType = Annotated["Enrollment", strawberry.lazy("api.schema.enrollments")]

Sex = strawberry.enum(models.Sex)
StudentOrderBy = strawberry.enum(StudentOrder, name="StudentOrderBy")


@strawberry.type(description="A student (élève) as held by the Base élèves.")
@from_domain
class Student(StudentCard):
    version: int = strawberry.field(description="Send it back as expectedVersion when updating.")
    search_name: strawberry.Private[str]
    birth_country_code: str | None = strawberry.field(
        default=None,
        description="INSEE country code (100: France). Like the INE and the birth commune, null "
        "without identity rights (Base élèves consultation, or the students:identity scope).",
    )
    address: AddressCard | None = strawberry.field(
        default=None,
        graphql_type=Address | None,
        description="Home address, shared (same id) with the guardians the student lives "
        "with; null without the right to read guardians' contacts.",
    )

    @strawberry.field(description="Legal guardians first (1, 2), then others.")
    def guardians(self, root: strawberry.Parent[StudentCard], info: Info) -> list[GuardianLinkType]:
        # Read with the list when the list selects them: then no coroutine per student.
        found = cast(
            "asyncio.Future[list[GuardianLinkType]]",
            info.context.loaders.guardians_of_student.load(root.id),
        )
        return found.result() if found.done() else found  # type: ignore[return-value]

    @strawberry.field(description="Every enrolment, most recent first, across schools.")
    async def schooling_history(
        self, root: strawberry.Parent[StudentCard], info: Info
    ) -> list[EnrollmentType]:
        return await info.context.loaders.enrollments_of_student.load(root.id)


@strawberry.type
class StudentEdge:
    node: Student
    order: strawberry.Private[StudentOrder]

    @strawberry.field
    def cursor(self) -> str:
        # Encoded only when asked for: most clients page with pageInfo.endCursor.
        return resolvers.student_cursor(self.node, self.order)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class StudentConnection:
    edges: list[StudentEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[Student]:
        return [edge.node for edge in self.edges]


@strawberry.input
@from_domain
class StudentSearch(StudentFilter):
    name_prefix: str | None = strawberry.field(
        default=None, description="Prefix of the family or usage name, accents ignored."
    )


@strawberry.input
class StudentInput:
    family_name: str
    first_name: str
    sex: Sex  # type: ignore[valid-type]
    birth_date: datetime.date
    usage_name: str | None = None
    first_name_2: str | None = None
    first_name_3: str | None = None
    birth_commune_code: str | None = None
    birth_city: str | None = None
    birth_country_code: str | None = None
    ine: str | None = None
    confirm_duplicate: bool = strawberry.field(
        default=False,
        description="Create even if a student of the same name, birth date and birth place is "
        "known to the académie (error PROBABLE_DUPLICATE otherwise).",
    )


@strawberry.input(
    description="A guardian given with a new student: an existing one (guardianId, e.g. a "
    "sibling's parent) or a new one (newGuardian), and his link to the student. Errors name "
    "the guardian by his place in the list: guardians.0.address.postalCode."
)
class NewStudentGuardianInput(GuardianLinkInput):
    guardian_id: int | None = None
    new_guardian: GuardianInput | None = None
    same_address_as_student: bool = strawberry.field(
        default=False,
        description="The new guardian lives at the student's address (the one given here).",
    )

    def domain(self) -> dict[str, object]:
        values = {name: getattr(self, name) for name in guardians.LINK_FIELDS}
        new = dict(vars(self.new_guardian)) if self.new_guardian is not None else None
        if new is not None:
            new["same_address"] = self.same_address_as_student
        return values | {"guardian_id": self.guardian_id, "new_guardian": new}


@strawberry.input
class StudentPatch:
    family_name: str | None = strawberry.UNSET
    usage_name: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    first_name_2: str | None = strawberry.UNSET
    first_name_3: str | None = strawberry.UNSET
    sex: Sex | None = strawberry.UNSET  # type: ignore[valid-type]
    birth_date: datetime.date | None = strawberry.UNSET
    birth_commune_code: str | None = strawberry.UNSET
    birth_city: str | None = strawberry.UNSET
    birth_country_code: str | None = strawberry.UNSET
    ine: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Changes the address of the whole household that shares it, unless "
        "movesOut; null clears the student's address only.",
    )
    moves_out: bool = strawberry.field(
        default=False,
        description="With address: the student alone moves (boarding with another family, a "
        "foster home); the guardians keep the address they shared with him.",
    )


@strawberry.type
class StudentPayload:
    student: Student | None
    errors: list[FieldError]


@strawberry.type(
    description="An INE held by two students of schools that cannot see each other's "
    "students: for the rectorat to settle."
)
@from_domain
class IneConflict(ine_conflicts.IneConflictView):
    students: list[StudentCard] = strawberry.field(
        graphql_type=list[Student],
        description="The student whose INE was written last, then the one already holding it.",
    )


@strawberry.type
class IneConflictSettled:
    id: int
    settled_at: datetime.datetime | None


@strawberry.type
class Query:
    @strawberry.field(
        description="Open INE conflicts of the académie (settled ones with settled: true); "
        "for the rectorat only."
    )
    async def ine_conflicts(self, info: Info, settled: bool = False) -> list[IneConflict]:
        return await read(info, ine_conflicts.list_ine_conflicts, settled=settled)

    @strawberry.field(
        description="Students in reach, filtered and sorted, by pages of at most 500."
    )
    async def students(
        self,
        info: Info,
        filter: StudentSearch | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: StudentOrderBy = StudentOrder.NAME,  # type: ignore[valid-type]
    ) -> StudentConnection:
        filters = filter if filter is not None else StudentFilter()
        page = await read(
            info,
            resolvers.search_students,
            filters,
            first=first,
            after=after,
            order=order_by,
            with_total=selects(info, "totalCount"),
        )
        if selects_path(info, "edges", "node", "guardians") or selects_path(
            info, "nodes", "guardians"
        ):
            await prefetch_guardians(info, [s.id for s in page.students])
        edges = [StudentEdge(node=s, order=order_by) for s in page.students]
        return StudentConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            # Not selected when None: the value is never sent.
            total_count=page.total or 0,
        )

    @strawberry.field(description="A student by id; null when unknown or out of reach.")
    async def student(self, info: Info, id: int) -> Student | None:
        return await read_or_none(info, resolvers.get_student_card, id)


async def prefetch_guardians(info: Info, student_ids: list[int]) -> None:
    found = await read(info, guardians.guardian_cards_for_students, student_ids)
    info.context.loaders.guardians_of_student.prime_many(dict(zip(student_ids, found, strict=True)))


async def _card(info: Info, student: models.Student | None) -> Student | None:
    """A student just written, as the caller may see him."""
    if student is None:
        return None
    [card] = await read(info, student_cards, [student])
    return card


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Creates a student together with an enrolment in one of the caller's schools."
    )
    async def create_student(
        self,
        info: Info,
        input: StudentInput,
        enrollment: EnrollmentInput,
        address: AddressInput | None = None,
        guardians: list[NewStudentGuardianInput] | None = None,
    ) -> StudentPayload:
        identity = dict(vars(input))
        confirm = identity.pop("confirm_duplicate")
        student, errors = await mutate(
            info,
            "input",
            resolvers.create_student,
            identity,
            vars(enrollment),
            confirm,
            address,
            [g.domain() for g in guardians or []],
        )
        return StudentPayload(student=await _card(info, student), errors=errors)

    @strawberry.mutation(
        description="Marks an INE conflict settled (the rectorat has sorted the INEs out); "
        "for the rectorat only. Null when unknown."
    )
    async def settle_ine_conflict(self, info: Info, id: int) -> IneConflictSettled | None:
        conflict, _errors = await mutate(info, "id", ine_conflicts.settle_ine_conflict, id)
        if conflict is None:
            return None
        return IneConflictSettled(id=conflict.id, settled_at=conflict.settled_at)

    @strawberry.mutation(
        description="Updates identity fields; expectedVersion refuses a stale edit."
    )
    async def update_student(
        self, info: Info, id: int, input: StudentPatch, expected_version: int | None = None
    ) -> StudentPayload:
        student, errors = await mutate(
            info, "id", resolvers.update_student, id, set_fields(input), expected_version
        )
        return StudentPayload(student=await _card(info, student), errors=errors)

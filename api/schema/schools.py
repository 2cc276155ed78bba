"""Schools and school years; the académie administrator's set-up of them and of each
school's first principal (invited by e-mail to choose his password)."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers import invitations
from api.resolvers import schools as resolvers
from api.schema.absences.configuration import HolidayZone
from api.schema.context import Info, read, read_or_none
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate, set_fields
from db import schools as models
from db.accounts import StaffUser

SchoolKind = strawberry.enum(
    models.SchoolKind,
    description="collège, lycée général et technologique, lycée professionnel, EREA",
)
SchoolSector = strawberry.enum(models.SchoolSector, description="public or private under contract")
SchoolYearState = strawberry.enum(models.SchoolYearState)


@strawberry.type(description="An EPLE, identified by its UAI.")
class School:
    id: int
    uai: str
    kind: SchoolKind  # type: ignore[valid-type]
    sector: SchoolSector  # type: ignore[valid-type]
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
    starts_on: datetime.date
    ends_on: datetime.date
    state: SchoolYearState  # type: ignore[valid-type]

    @strawberry.field
    def label(self, root: strawberry.Parent[models.SchoolYear]) -> str:
        return root.label


@strawberry.input(description="A new school; its holiday zone goes to its absence settings.")
class SchoolInput:
    uai: str = strawberry.field(description="7 digits and the check letter, e.g. 0750001A.")
    name: str
    kind: SchoolKind  # type: ignore[valid-type]
    sector: SchoolSector = models.SchoolSector.PUBLIC  # type: ignore[valid-type]
    address_line: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    holiday_zone: HolidayZone | None = None  # type: ignore[valid-type]


@strawberry.input
class SchoolPatch:
    uai: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    kind: SchoolKind | None = strawberry.UNSET  # type: ignore[valid-type]
    sector: SchoolSector | None = strawberry.UNSET  # type: ignore[valid-type]
    address_line: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    holiday_zone: HolidayZone | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input(description="Dates default to 1 September and 31 August.")
class SchoolYearInput:
    start_year: int
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None
    state: SchoolYearState = models.SchoolYearState.IN_PREPARATION  # type: ignore[valid-type]


@strawberry.input
class SchoolYearPatch:
    starts_on: datetime.date | None = strawberry.UNSET
    ends_on: datetime.date | None = strawberry.UNSET
    state: SchoolYearState | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input(description="A school's principal, invited by e-mail to choose his password.")
class PrincipalInput:
    school_id: int
    login: str
    display_name: str
    email: str


@strawberry.type(description="An invitation sent: the link itself goes only to the e-mail.")
@from_domain
class StaffInvitation(invitations.Invitation):
    user: strawberry.Private[StaffUser]
    link: strawberry.Private[str]

    @strawberry.field
    def login(self) -> str:
        return self.user.login

    @strawberry.field
    def display_name(self) -> str:
        return self.user.display_name


@strawberry.type
class SchoolPayload:
    school: School | None
    errors: list[FieldError]


@strawberry.type
class SchoolYearPayload:
    school_year: SchoolYear | None
    errors: list[FieldError]


@strawberry.type
class InvitationPayload:
    invitation: StaffInvitation | None
    errors: list[FieldError]


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

    @strawberry.field(description="Every school of the académie (its administrator).")
    async def academy_schools(self, info: Info) -> list[School]:
        return await read(info, resolvers.academy_schools)


def _address(info: Info) -> str:
    return info.context.settings.api_issuer()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_school(self, info: Info, input: SchoolInput) -> SchoolPayload:
        school, errors = await mutate(info, "uai", resolvers.create_school, set_fields(input))
        return SchoolPayload(school=school, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_school(self, info: Info, id: int, input: SchoolPatch) -> SchoolPayload:
        school, errors = await mutate(info, "id", resolvers.update_school, id, set_fields(input))
        return SchoolPayload(school=school, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def create_school_year(self, info: Info, input: SchoolYearInput) -> SchoolYearPayload:
        year, errors = await mutate(
            info, "startYear", resolvers.create_school_year, set_fields(input)
        )
        return SchoolYearPayload(school_year=year, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_school_year(
        self, info: Info, id: int, input: SchoolYearPatch
    ) -> SchoolYearPayload:
        year, errors = await mutate(info, "id", resolvers.update_school_year, id, set_fields(input))
        return SchoolYearPayload(school_year=year, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Open the year after the académie's current one, in preparation: each "
        "school still in the current year gets its nomenclature profile copied into it. Run "
        "again, it adds only what is missing."
    )
    async def open_next_school_year(self, info: Info) -> SchoolYearPayload:
        opening, errors = await mutate(info, "schoolYearId", resolvers.open_next_year)
        return SchoolYearPayload(
            school_year=opening.school_year if opening else None,  # type: ignore[arg-type]
            errors=errors,
        )

    @strawberry.mutation(description="Create a school's principal and e-mail the invitation.")
    async def create_principal(self, info: Info, input: PrincipalInput) -> InvitationPayload:
        invitation, errors = await mutate(
            info,
            "schoolId",
            invitations.create_principal,
            input.school_id,
            input.login,
            input.display_name,
            input.email,
            portal_address=_address(info),
        )
        return InvitationPayload(invitation=invitation, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Invite again a staff member who has no password yet (a new link by "
        "e-mail; the previous ones stop working)."
    )
    async def invite_staff(self, info: Info, user_id: int) -> InvitationPayload:
        invitation, errors = await mutate(
            info,
            "userId",
            invitations.resend_invitation,
            user_id,
            portal_address=_address(info),
        )
        return InvitationPayload(invitation=invitation, errors=errors)  # type: ignore[arg-type]

"""Guardians and their links to students."""

from __future__ import annotations

import enum

import strawberry

from api.auth.permissions import Permission
from api.resolvers import guardians as resolvers
from api.resolvers.guardians import GuardianView
from api.schema.context import Info
from api.schema.field_permissions import restricted
from api.schema.payloads import FieldError, mutate, set_fields
from db import guardians as models

Civility = strawberry.enum(models.Civility)
Relationship = strawberry.enum(
    models.Relationship, description="Kinship, with its SIECLE code as value."
)


@strawberry.enum
class Responsibility(enum.Enum):
    LEGAL_1 = "legal_1"
    LEGAL_2 = "legal_2"
    OTHER = "other"


@strawberry.type(
    description="A guardian. Address, phones and e-mail are null for callers without guardians' contacts in the student's school (teachers, clients without the scope)."
)
class Guardian:
    @strawberry.field
    def id(self, root: strawberry.Parent[GuardianView]) -> int:
        return root.guardian.id

    @strawberry.field
    def version(self, root: strawberry.Parent[GuardianView]) -> int:
        return root.guardian.version

    @strawberry.field
    def civility(self, root: strawberry.Parent[GuardianView]) -> Civility:  # type: ignore[valid-type]
        return root.guardian.civility

    @strawberry.field
    def family_name(self, root: strawberry.Parent[GuardianView]) -> str:
        return root.guardian.family_name

    @strawberry.field
    def usage_name(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.usage_name

    @strawberry.field
    def first_name(self, root: strawberry.Parent[GuardianView]) -> str:
        return root.guardian.first_name

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def address_line1(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.address_line1

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def address_line2(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.address_line2

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def postal_code(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.postal_code

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def city(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.city

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def phone_home(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.phone_home

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def phone_mobile(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.phone_mobile

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def phone_work(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.phone_work

    @strawberry.field(extensions=restricted(Permission.GUARDIAN_CONTACTS_READ))
    def email(self, root: strawberry.Parent[GuardianView]) -> str | None:
        return root.guardian.email


@strawberry.type(description="A guardian's responsibility for one student.")
class GuardianLink:
    @strawberry.field
    def id(self, root: strawberry.Parent[GuardianView]) -> int:
        return root.link.id

    @strawberry.field
    def responsibility(self, root: strawberry.Parent[GuardianView]) -> Responsibility:
        return Responsibility(resolvers.responsibility_of(root.link))

    @strawberry.field
    def relationship(self, root: strawberry.Parent[GuardianView]) -> Relationship:  # type: ignore[valid-type]
        return root.link.relationship

    @strawberry.field
    def lives_with(self, root: strawberry.Parent[GuardianView]) -> bool:
        return root.link.lives_with

    @strawberry.field
    def receives_mail(self, root: strawberry.Parent[GuardianView]) -> bool:
        return root.link.receives_mail

    @strawberry.field(description="Pays the school fees (responsable financier).")
    def pays_fees(self, root: strawberry.Parent[GuardianView]) -> bool:
        return root.link.pays_fees

    @strawberry.field
    def guardian(self, root: strawberry.Parent[GuardianView]) -> Guardian:
        return root  # type: ignore[return-value]


@strawberry.input
class GuardianInput:
    civility: Civility  # type: ignore[valid-type]
    family_name: str
    first_name: str
    usage_name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str | None = None
    phone_home: str | None = None
    phone_mobile: str | None = None
    phone_work: str | None = None
    email: str | None = None


@strawberry.input
class GuardianPatch:
    civility: Civility | None = strawberry.UNSET  # type: ignore[valid-type]
    family_name: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    usage_name: str | None = strawberry.UNSET
    address_line1: str | None = strawberry.UNSET
    address_line2: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    country_code: str | None = strawberry.UNSET
    phone_home: str | None = strawberry.UNSET
    phone_mobile: str | None = strawberry.UNSET
    phone_work: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.input
class GuardianLinkInput:
    responsibility: Responsibility
    relationship: Relationship  # type: ignore[valid-type]
    lives_with: bool = True
    receives_mail: bool = True
    pays_fees: bool = False


@strawberry.input
class GuardianLinkPatch:
    responsibility: Responsibility | None = strawberry.UNSET
    relationship: Relationship | None = strawberry.UNSET  # type: ignore[valid-type]
    lives_with: bool | None = strawberry.UNSET
    receives_mail: bool | None = strawberry.UNSET
    pays_fees: bool | None = strawberry.UNSET


@strawberry.type
class GuardianLinkPayload:
    link: GuardianLink | None
    errors: list[FieldError]


@strawberry.type
class GuardianPayload:
    guardian: Guardian | None
    errors: list[FieldError]


@strawberry.type
class UnlinkPayload:
    student_id: int | None
    errors: list[FieldError]


async def _view(info: Info, link: models.GuardianLink | None) -> GuardianView | None:
    if link is None:
        return None
    views = await resolvers.guardian_views_for_students(
        info.context.session, info.context.principal, [link.student_id]
    )
    return next(v for v in views[0] if v.link.id == link.id)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Links an existing guardian (e.g. a sibling's parent) or a new one to a student."
    )
    async def link_guardian(
        self,
        info: Info,
        student_id: int,
        link: GuardianLinkInput,
        guardian_id: int | None = None,
        new_guardian: GuardianInput | None = None,
    ) -> GuardianLinkPayload:
        created, errors = await mutate(
            info,
            "studentId",
            resolvers.link_guardian,
            student_id,
            vars(link),
            guardian_id,
            vars(new_guardian) if new_guardian is not None else None,
        )
        return GuardianLinkPayload(link=await _view(info, created), errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_guardian_link(
        self, info: Info, id: int, input: GuardianLinkPatch
    ) -> GuardianLinkPayload:
        link, errors = await mutate(
            info, "id", resolvers.update_guardian_link, id, set_fields(input)
        )
        return GuardianLinkPayload(link=await _view(info, link), errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def unlink_guardian(self, info: Info, id: int) -> UnlinkPayload:
        student_id, errors = await mutate(info, "id", resolvers.unlink_guardian, id)
        return UnlinkPayload(student_id=student_id, errors=errors)

    @strawberry.mutation
    async def update_guardian(
        self, info: Info, id: int, input: GuardianPatch, expected_version: int | None = None
    ) -> GuardianPayload:
        guardian, errors = await mutate(
            info, "id", resolvers.update_guardian, id, set_fields(input), expected_version
        )
        view = GuardianView(link=None, guardian=guardian) if guardian else None  # type: ignore[arg-type]
        return GuardianPayload(guardian=view, errors=errors)  # type: ignore[arg-type]

"""Guardians and their links to students."""

from __future__ import annotations

import strawberry

from api.resolvers import guardians as resolvers
from api.resolvers.addresses import AddressCard
from api.resolvers.guardians import Responsibility
from api.schema.addresses import Address, AddressInput
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate, set_fields
from db import guardians as models

Civility = strawberry.enum(models.Civility)
Relationship = strawberry.enum(
    models.Relationship, description="Kinship, with its SIECLE code as value."
)


strawberry.enum(Responsibility)


@strawberry.type(
    description="A guardian. Address, phones and e-mail are null for callers without guardians' contacts in the student's school (teachers, clients without the scope)."
)
@from_domain
class Guardian(resolvers.GuardianCard):
    address: AddressCard | None = strawberry.field(
        default=None,
        graphql_type=Address | None,
        description="Home address, shared (same id) with the household it lives with.",
    )


@strawberry.type(description="A guardian's responsibility for one student.")
@from_domain
class GuardianLink(resolvers.GuardianLinkCard):
    student_id: strawberry.Private[int]
    pays_fees: bool = strawberry.field(description="Pays the school fees (responsable financier).")
    guardian: resolvers.GuardianCard = strawberry.field(graphql_type=Guardian)


@strawberry.input
class GuardianInput:
    civility: Civility  # type: ignore[valid-type]
    family_name: str
    first_name: str
    usage_name: str | None = None
    address: AddressInput | None = strawberry.field(
        default=None,
        description="Shared with the student's household when written alike to theirs.",
    )
    phone_home: str | None = None
    phone_mobile: str | None = None
    phone_work: str | None = None
    email: str | None = None
    profession_code: str | None = strawberry.field(
        default=None, description="PCS code of the professions' nomenclature (CODE_PROFESSION)."
    )
    accepts_sms: bool = strawberry.field(
        default=False, description="Agrees to receive SMS (needs a mobile phone)."
    )


@strawberry.input
class GuardianPatch:
    civility: Civility | None = strawberry.UNSET  # type: ignore[valid-type]
    family_name: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    usage_name: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Changes the address of the whole household that shares it (the family "
        "moved), unless movesOut; null clears this guardian's address only.",
    )
    moves_out: bool = strawberry.field(
        default=False,
        description="With address: this guardian alone moves (a new address of his own); "
        "the others who shared the old one keep it.",
    )
    phone_home: str | None = strawberry.UNSET
    phone_mobile: str | None = strawberry.UNSET
    phone_work: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    profession_code: str | None = strawberry.UNSET
    accepts_sms: bool | None = strawberry.UNSET


@strawberry.input
class GuardianLinkInput:
    responsibility: Responsibility
    relationship: Relationship  # type: ignore[valid-type]
    lives_with: bool = True
    receives_mail: bool = True
    pays_fees: bool = False
    receives_aid: bool = strawberry.field(
        default=False, description="Receives the student's aid (bourse)."
    )
    contact_first: bool = strawberry.field(
        default=False, description="The guardian to contact first."
    )


@strawberry.input
class GuardianLinkPatch:
    responsibility: Responsibility | None = strawberry.UNSET
    relationship: Relationship | None = strawberry.UNSET  # type: ignore[valid-type]
    lives_with: bool | None = strawberry.UNSET
    receives_mail: bool | None = strawberry.UNSET
    pays_fees: bool | None = strawberry.UNSET
    receives_aid: bool | None = strawberry.UNSET
    contact_first: bool | None = strawberry.UNSET


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


async def _view(info: Info, link: models.GuardianLink | None) -> GuardianLink | None:
    if link is None:
        return None
    return await read(info, resolvers.guardian_link_card, link)


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
        return GuardianLinkPayload(link=await _view(info, created), errors=errors)

    @strawberry.mutation
    async def update_guardian_link(
        self, info: Info, id: int, input: GuardianLinkPatch
    ) -> GuardianLinkPayload:
        link, errors = await mutate(
            info, "id", resolvers.update_guardian_link, id, set_fields(input)
        )
        return GuardianLinkPayload(link=await _view(info, link), errors=errors)

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
        card = await read(info, resolvers.guardian_card, guardian) if guardian else None
        return GuardianPayload(guardian=card, errors=errors)

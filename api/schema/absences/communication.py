"""Family communication in GraphQL: letter templates and merge fields, writing to families
(letters, e-mails, SMS), phone calls, and a student's contacts with their delivery."""

from __future__ import annotations

import datetime

import strawberry

from api.resolvers.absences import family_contacts, letters
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import absences as models
from db import outbox

ContactChannel = strawberry.enum(models.ContactChannel, name="ContactChannel")
DeliveryStatus = strawberry.enum(outbox.OutboxStatus, name="DeliveryStatus")


@strawberry.type(description="A merge field usable in templates, as {{ name }}.")
class MergeField:
    name: str
    description: str


@strawberry.type
class LetterTemplate:
    id: int
    code: str
    label: str
    channel: ContactChannel  # type: ignore[valid-type]
    subject: str
    body: str
    is_active: bool


@strawberry.input
@from_domain
class LetterTemplateInput(letters.TemplateInput):
    subject: str = ""


@strawberry.type
class LetterTemplatePayload:
    template: LetterTemplate | None
    errors: list[FieldError]


@strawberry.type(description="A contact with a family, kept on the student's follow-up.")
class FamilyContact:
    id: int
    student_id: int
    guardian_id: int | None
    channel: ContactChannel  # type: ignore[valid-type]
    recipient: str
    comment: str | None
    created_by_label: str
    created_at: datetime.datetime


@strawberry.type
@from_domain
class FamilyContactLine(family_contacts.ContactLine):
    contact: models.FamilyContact = strawberry.field(graphql_type=FamilyContact)
    delivery: outbox.OutboxStatus | None = strawberry.field(
        description="E-mails and SMS: pending, sent or failed; letters and calls: null."
    )

    @strawberry.field(description="The printed letter (PDF), if any.")
    def letter_url(self) -> str | None:
        if self.contact.channel is models.ContactChannel.LETTER:
            return letters_url([self.contact.id])
        return None


@strawberry.type
@from_domain
class Unreached(family_contacts.Unreached):
    pass


@strawberry.input
@from_domain
class ContactFamiliesInput(family_contacts.ContactRequest):
    pass


@strawberry.type
class ContactFamiliesPayload:
    contacts: list[FamilyContact]
    unreached: list[Unreached]
    letters_url: str | None = strawberry.field(
        description="Every letter of this batch in one PDF, to print."
    )
    errors: list[FieldError]


@strawberry.type
class FamilyContactPayload:
    contact: FamilyContact | None
    errors: list[FieldError]


def letters_url(contact_ids: list[int]) -> str:
    return "/exports/family-contacts.pdf?ids=" + ",".join(str(i) for i in contact_ids)


@strawberry.type
class Query:
    @strawberry.field(description="The school's letter, e-mail and SMS templates.")
    async def letter_templates(self, info: Info, school_id: int) -> list[LetterTemplate]:
        return await read(info, letters.school_templates, school_id)

    @strawberry.field(description="The merge fields templates may use.")
    def merge_fields(self) -> list[MergeField]:
        return [MergeField(name=k, description=v) for k, v in letters.MERGE_FIELDS.items()]

    @strawberry.field(description="A student's contacts with the family, most recent first.")
    async def family_contacts(self, info: Info, student_id: int) -> list[FamilyContactLine]:
        return await read(info, family_contacts.student_contacts, student_id)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a template, or change the one with `id`.")
    async def save_letter_template(
        self, info: Info, school_id: int, input: LetterTemplateInput, id: int | None = None
    ) -> LetterTemplatePayload:
        if id is None:
            saved, errors = await mutate(
                info, "schoolId", letters.create_template, school_id, input
            )
        else:
            saved, errors = await mutate(info, "id", letters.update_template, id, input)
        return LetterTemplatePayload(template=saved, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Write to the families of these students about their unjustified events "
        "not yet communicated: letters to print, e-mails and SMS sent by the worker."
    )
    async def contact_families(
        self, info: Info, input: ContactFamiliesInput
    ) -> ContactFamiliesPayload:
        outcome, errors = await mutate(
            info,
            "schoolId",
            family_contacts.contact_families,
            input,
        )
        if outcome is None:
            return ContactFamiliesPayload(
                contacts=[], unreached=[], letters_url=None, errors=errors
            )
        printed = [c.id for c in outcome.contacts if c.channel is models.ContactChannel.LETTER]
        return ContactFamiliesPayload(
            contacts=outcome.contacts,  # type: ignore[arg-type]
            unreached=outcome.unreached,  # type: ignore[arg-type]
            letters_url=letters_url(printed) if printed else None,
            errors=[],
        )

    @strawberry.mutation(description="Note a phone call to the family about some events.")
    async def record_phone_call(
        self,
        info: Info,
        school_id: int,
        student_id: int,
        comment: str,
        guardian_id: int | None = None,
        event_ids: list[int] | None = None,
    ) -> FamilyContactPayload:
        contact, errors = await mutate(
            info,
            "studentId",
            family_contacts.record_phone_call,
            school_id,
            student_id,
            comment,
            guardian_id,
            list(event_ids or []),
        )
        return FamilyContactPayload(contact=contact, errors=errors)  # type: ignore[arg-type]

"""Télé-services in GraphQL, staff side: services, grades publication, activation codes
(mass generation and notification, individual management with the history)."""

from __future__ import annotations

import base64
import datetime

import strawberry

from api.resolvers.teleservices import codes, notifications, services
from api.schema.context import Info, read
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from db import teleservices as models

Teleservice = strawberry.enum(models.Teleservice, name="Teleservice")
GradesPublication = strawberry.enum(models.GradesPublication, name="GradesPublication")
CodeKind = strawberry.enum(models.CodeKind, name="ActivationCodeKind")
AccessFilter = strawberry.enum(codes.AccessFilter, name="AccessFilter")


@strawberry.type
class SchoolTeleservice:
    service: Teleservice  # type: ignore[valid-type]
    is_open: bool


@strawberry.type(description="A (MEF, division) pair and its grades publication dates.")
@from_domain
class PublicationPair(services.PairDeadlines):
    pass


@strawberry.type
@from_domain
class GradesPublicationSettings(services.GradesPublicationView):
    pairs: list[services.PairDeadlines] = strawberry.field(graphql_type=list[PublicationPair])


@strawberry.input(description="All the school's current students, a MEF's, or a division's.")
@from_domain
class PopulationInput(codes.Population):
    # The individual screens' one student: not a population the API lists.
    student_id: strawberry.Private[int | None] = None


@strawberry.type(description="An activation code as the history lists it (the code shown).")
class ActivationCode:
    id: int
    kind: CodeKind  # type: ignore[valid-type]
    code: str
    is_valid: bool
    created_at: datetime.datetime
    invalidated_at: datetime.datetime | None
    notified_at: datetime.datetime | None
    used_at: datetime.datetime | None


@strawberry.type(description="A student (CAE) or a (student, legal guardian) pair (CAR).")
@from_domain
class Access(codes.AccessLine):
    # The valid code's row: the API tells only whether there is one and when it was notified.
    code: strawberry.Private[models.ActivationCode | None]
    division_id: strawberry.Private[int | None] = None
    locked: bool = strawberry.field(
        description="Its valid code was notified: mass screens leave it."
    )

    @strawberry.field
    def has_code(self) -> bool:
        return self.code is not None

    @strawberry.field
    def notified_at(self) -> datetime.datetime | None:
        return self.code.notified_at if self.code else None


def _code(view: codes.CodeView) -> ActivationCode:
    row = view.row
    return ActivationCode(
        id=row.id,
        kind=row.kind,
        code=view.code,
        is_valid=row.is_valid,
        created_at=row.created_at,
        invalidated_at=row.invalidated_at,
        notified_at=row.notified_at,
        used_at=row.used_at,
    )


@strawberry.type
class ServicesPayload:
    services: list[SchoolTeleservice]
    errors: list[FieldError]


@strawberry.type
class GenerationPayload:
    created: int | None
    already_given: int | None
    locked: int | None
    errors: list[FieldError]


@strawberry.type
class NotificationPayload:
    emails: int | None
    letters: int | None
    codes: int | None
    letters_pdf_base64: str | None = strawberry.field(
        description="The letters to print (PDF, base64), when some were produced."
    )
    errors: list[FieldError]


@strawberry.type
class CodePayload:
    code_id: int | None
    errors: list[FieldError]


@strawberry.type
class CountPayload:
    count: int | None
    errors: list[FieldError]


def _services(found: dict[models.Teleservice, bool] | None) -> list[SchoolTeleservice]:
    return [SchoolTeleservice(service=s, is_open=o) for s, o in (found or {}).items()]


def _notification(
    outcome: notifications.NotificationOutcome | None, errors: list[FieldError]
) -> NotificationPayload:
    if outcome is None:
        return NotificationPayload(
            emails=None, letters=None, codes=None, letters_pdf_base64=None, errors=errors
        )
    return NotificationPayload(
        emails=outcome.emails,
        letters=outcome.letters,
        codes=outcome.codes,
        letters_pdf_base64=base64.b64encode(outcome.letters_pdf).decode()
        if outcome.letters_pdf
        else None,
        errors=[],
    )


@strawberry.type
class Query:
    @strawberry.field(description="The school's télé-services and whether each is open.")
    async def teleservices(self, info: Info, school_id: int) -> list[SchoolTeleservice]:
        return _services(await read(info, services.school_services, school_id))

    @strawberry.field(description="How the school publishes grades, with its deadlines.")
    async def grades_publication(self, info: Info, school_id: int) -> GradesPublicationSettings:
        return await read(info, services.grades_publication, school_id)

    @strawberry.field(
        description="Students (CAE) or pairs with legal guardians (CAR) and their access."
    )
    async def teleservice_accesses(
        self,
        info: Info,
        kind: CodeKind,  # type: ignore[valid-type]
        population: PopulationInput,
        access: AccessFilter = codes.AccessFilter.ALL,  # type: ignore[valid-type]
    ) -> list[Access]:
        return await read(info, codes.list_accesses, kind, population, access)

    @strawberry.field(description="Every code of a pair (guardianId) or of a student, valid first.")
    async def activation_codes(
        self, info: Info, school_id: int, student_id: int, guardian_id: int | None = None
    ) -> list[ActivationCode]:
        views = await read(
            info,
            codes.code_history,
            school_id,
            student_id,
            guardian_id,
            info.context.settings.secret_key,
        )
        return [_code(view) for view in views]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Open or close a télé-service (closing keeps its settings).")
    async def set_teleservice(
        self,
        info: Info,
        school_id: int,
        service: Teleservice,  # type: ignore[valid-type]
        is_open: bool,
    ) -> ServicesPayload:
        found, errors = await mutate(
            info, "schoolId", services.set_service, school_id, service, is_open
        )
        return ServicesPayload(services=_services(found), errors=errors)

    @strawberry.mutation(
        description="Continuous or deadline publication; back to continuous deletes the "
        "deadlines and needs confirmDeletingDeadlines."
    )
    async def set_grades_publication(
        self,
        info: Info,
        school_id: int,
        publication: GradesPublication,  # type: ignore[valid-type]
        confirm_deleting_deadlines: bool = False,
    ) -> CountPayload:
        _settings, errors = await mutate(
            info,
            "schoolId",
            services.set_grades_publication,
            school_id,
            publication,
            confirm_deleting_deadlines,
        )
        return CountPayload(count=None, errors=errors)

    @strawberry.mutation(description="A publication date for (MEF id, division id) pairs.")
    async def add_publication_deadline(
        self,
        info: Info,
        school_id: int,
        day: datetime.date,
        mef_ids: list[int],
        division_ids: list[int],
    ) -> CountPayload:
        added, errors = await mutate(
            info,
            "schoolId",
            services.add_deadline,
            school_id,
            day,
            list(zip(mef_ids, division_ids, strict=False)),
        )
        return CountPayload(count=added, errors=errors)

    @strawberry.mutation(description="Remove a publication date from (MEF id, division id) pairs.")
    async def remove_publication_deadline(
        self,
        info: Info,
        school_id: int,
        day: datetime.date,
        mef_ids: list[int],
        division_ids: list[int],
    ) -> CountPayload:
        removed, errors = await mutate(
            info,
            "schoolId",
            services.remove_deadline,
            school_id,
            day,
            list(zip(mef_ids, division_ids, strict=False)),
        )
        return CountPayload(count=removed, errors=errors)

    @strawberry.mutation(description="Codes for every line of the population without one.")
    async def generate_activation_codes(
        self,
        info: Info,
        kind: CodeKind,  # type: ignore[valid-type]
        population: PopulationInput,
    ) -> GenerationPayload:
        report, errors = await mutate(
            info,
            "schoolId",
            codes.generate_codes,
            kind,
            population,
            info.context.settings.secret_key,
        )
        if report is None:
            return GenerationPayload(created=None, already_given=None, locked=None, errors=errors)
        return GenerationPayload(
            created=report.created,
            already_given=report.already_given,
            locked=report.locked,
            errors=[],
        )

    @strawberry.mutation(description="A new valid code (the previous one is invalidated).")
    async def regenerate_activation_code(
        self, info: Info, school_id: int, student_id: int, guardian_id: int | None = None
    ) -> CodePayload:
        code, errors = await mutate(
            info,
            "studentId",
            codes.regenerate_code,
            school_id,
            student_id,
            guardian_id,
            info.context.settings.secret_key,
        )
        return CodePayload(code_id=code.id if code else None, errors=errors)

    @strawberry.mutation(description="Take the access away: the valid code is invalidated.")
    async def revoke_teleservice_access(
        self, info: Info, school_id: int, student_id: int, guardian_id: int | None = None
    ) -> CountPayload:
        count, errors = await mutate(
            info, "studentId", codes.revoke_access, school_id, student_id, guardian_id
        )
        return CountPayload(count=count, errors=errors)

    @strawberry.mutation(description="Send the population's valid codes not yet notified.")
    async def notify_activation_codes(
        self,
        info: Info,
        kind: CodeKind,  # type: ignore[valid-type]
        population: PopulationInput,
        by_email: bool = True,
        by_letter: bool = True,
        legal_ranks: list[int] | None = None,
    ) -> NotificationPayload:
        settings = info.context.settings
        outcome, errors = await mutate(
            info,
            "schoolId",
            notifications.notify_codes,
            notifications.NotificationRequest(
                kind, population, by_email, by_letter, tuple(legal_ranks or (1, 2))
            ),
            settings.secret_key,
            settings.families_address,
        )
        return _notification(outcome, errors)

    @strawberry.mutation(description="Send one valid code again, by e-mail or as a letter.")
    async def notify_activation_code(
        self, info: Info, code_id: int, by_email: bool = True
    ) -> NotificationPayload:
        settings = info.context.settings
        outcome, errors = await mutate(
            info,
            "codeId",
            notifications.notify_one,
            code_id,
            by_email,
            settings.secret_key,
            settings.families_address,
        )
        return _notification(outcome, errors)

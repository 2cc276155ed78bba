"""Exchanges in GraphQL: a school's imports and exports with their reports, and an import's
preview and application (the file sent base64-encoded: zipped, as SIECLE serves it, a
school's file fits the request's limit; the portal and ``sconet import`` take larger ones)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import strawberry

from api.resolvers.exchanges import exports
from api.resolvers.exchanges import runs as resolvers
from api.schema.context import Info, read, read_or_none
from api.schema.domain import from_domain
from api.schema.payloads import FieldError, mutate
from core.errors import ValidationFailed
from db import exchanges as models
from exchanges.records import RecordProblem

ExchangeFormat = strawberry.enum(
    models.ExchangeFormat,
    description="STUDENTS (SIECLE's BEE_ELEVES), GUARDIANS (BEE_RESPONSABLES), NOMENCLATURES "
    "(BEE_NOMENCLATURES), STRUCTURES (STS-WEB's STS_EDT), PRIVATE_IMPORT (the import privé, "
    "IMPORT_ELEVES), SCHOOLS_CSV (the académie's list of schools)",
)
ExchangeDirection = strawberry.enum(models.ExchangeDirection)
ExportKind = strawberry.enum(
    exports.ExportKind,
    description="The school's exports: students without or with addresses, guardians "
    "(BEE_ELEVES, BEE_RESPONSABLES), nomenclatures, structures (STS_EDT), import privé",
)
ExchangeState = strawberry.enum(
    models.ExchangeState,
    description="previewed: read and waiting to be applied; applied; refused as a whole "
    "(nothing written); abandoned (a newer preview replaced it); written (an export)",
)


@strawberry.type(description="A record of the file that was not imported, and why (French).")
@from_domain
class ExchangeProblem(RecordProblem):
    pass


@strawberry.type(description="How many records of one kind the exchange created, updated...")
class ExchangeCount:
    kind: str
    created: int
    updated: int
    unchanged: int
    removed: int
    refused: int
    written: int


@strawberry.type(description="A file read (import) or written (export), and its report.")
class ExchangeRun:
    id: int
    school_id: int | None
    format: ExchangeFormat  # type: ignore[valid-type]
    direction: ExchangeDirection  # type: ignore[valid-type]
    state: ExchangeState  # type: ignore[valid-type]
    actor_label: str
    file_name: str
    file_sha256: str
    file_size: int
    started_at: datetime
    finished_at: datetime | None
    error_count: int

    @strawberry.field(description="Counts per kind of record.")
    def counts(self, root: strawberry.Parent[models.ExchangeRun]) -> list[ExchangeCount]:
        return [
            ExchangeCount(
                kind=kind,
                created=numbers.get("created", 0),
                updated=numbers.get("updated", 0),
                unchanged=numbers.get("unchanged", 0),
                removed=numbers.get("removed", 0),
                refused=numbers.get("refused", 0),
                written=numbers.get("written", 0),
            )
            for kind, numbers in root.counts.items()
        ]

    @strawberry.field(description="Why the whole file was refused, when it was.")
    def refusal(self, root: strawberry.Parent[models.ExchangeRun]) -> str | None:
        refusal: dict[str, Any] | None = root.report.get("refusal")
        if refusal is None:
            return None
        line = f" (ligne {refusal['line']})" if refusal.get("line") else ""
        return f"{refusal['message']}{line}"

    @strawberry.field(description="The records that were not imported.")
    def problems(self, root: strawberry.Parent[models.ExchangeRun]) -> list[ExchangeProblem]:
        return [ExchangeProblem(**problem) for problem in root.report.get("problems", [])]

    @strawberry.field(
        description="The file, base64-encoded: kept for an export and for an import waiting "
        "to be applied; null once an import is applied or refused."
    )
    async def file_base64(
        self, root: strawberry.Parent[models.ExchangeRun], info: Info
    ) -> str | None:
        stored = await read_or_none(info, resolvers.stored_file, root.id)
        if stored is None:
            return None
        _file_name, content = stored
        return base64.b64encode(content).decode("ascii")


@strawberry.type
class ExchangeRunPayload:
    run: ExchangeRun | None
    errors: list[FieldError]


@strawberry.type
class Query:
    @strawberry.field(
        description="A school's imports and exports, newest first (the académie's own files "
        "when schoolId is null)."
    )
    async def exchange_runs(
        self, info: Info, school_id: int | None = None, first: int = 50
    ) -> list[ExchangeRun]:
        return await read(info, resolvers.exchange_history, school_id, first)

    @strawberry.field
    async def exchange_run(self, info: Info, id: int) -> ExchangeRun | None:
        return await read_or_none(info, resolvers.get_run, id)


def _decoded(content_base64: str) -> bytes:
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.single(
            "content_base64", "INVALID", "Le contenu n'est pas du base64 valide."
        ) from None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Read a file and show what it would change (state previewed), or why it is "
        "refused (state refused); nothing else is written."
    )
    async def preview_import(
        self,
        info: Info,
        format: ExchangeFormat,  # type: ignore[valid-type]
        file_name: str,
        content_base64: str,
        school_id: int | None = None,
    ) -> ExchangeRunPayload:
        try:
            content = _decoded(content_base64)
        except ValidationFailed as failed:
            error = failed.errors[0]
            return ExchangeRunPayload(
                run=None,
                errors=[FieldError(field="contentBase64", code=error.code, message=error.message)],
            )
        run, errors = await mutate(
            info, "schoolId", resolvers.preview_import, format, school_id, file_name, content
        )
        return ExchangeRunPayload(run=run, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Write one of the school's exports for a school year and record it; the "
        "run's fileBase64 is the zip, as SIECLE serves its own files."
    )
    async def export_file(
        self,
        info: Info,
        kind: ExportKind,  # type: ignore[valid-type]
        school_id: int,
        school_year_id: int,
    ) -> ExchangeRunPayload:
        run, errors = await mutate(
            info, "schoolId", exports.export_file, kind, school_id, school_year_id
        )
        return ExchangeRunPayload(run=run, errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Apply a previewed import, all or nothing.")
    async def apply_import(self, info: Info, run_id: int) -> ExchangeRunPayload:
        run, errors = await mutate(info, "runId", resolvers.apply_import, run_id)
        return ExchangeRunPayload(run=run, errors=errors)  # type: ignore[arg-type]

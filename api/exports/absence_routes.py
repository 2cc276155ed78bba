"""HTTP routes of the absence files:

- ``/exports/family-contacts.pdf?ids=1,2``: printed letters, as printed, in one PDF;
- ``/exports/absence-statistics.csv?school=&since=&until=&by=``: a school's statistics;
- ``/exports/absence-indicator.csv?year=&month=[&school=]``: the monthly indicator.

Callers are identified as for the API; errors are JSON naming the parameter, as for the
other exports. Every file is recorded in the audit trail.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from pypdf import PdfReader, PdfWriter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.auth.principal import PermissionDenied, Principal
from api.auth.read_audit import record_access
from api.auth.requests import identify
from api.exports.absence_statistics import indicator_csv, statistics_csv
from api.exports.routes import CSV_TYPE, NO_STORE, PDF_TYPE, export_errors
from api.resolvers.absences.family_contacts import contact_document
from api.resolvers.absences.indicator import monthly_indicator
from api.resolvers.absences.statistics import (
    AbsenceDimension,
    AbsenceStatisticsQuery,
    absence_statistics,
)
from api.services import services_of
from core.errors import FieldError, NotFound, ValidationFailed

MAX_LETTERS = 500

File = tuple[bytes, str, str]


def _integer(request: Request, name: str, required: bool = True) -> int | None:
    raw = (request.query_params.get(name) or "").strip()
    if not raw and not required:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise ValidationFailed.single(
            name, "INVALID", f"Le paramètre « {name} » doit être un nombre entier."
        )
    return int(raw)


def _day(request: Request, name: str) -> date:
    try:
        return date.fromisoformat((request.query_params.get(name) or "").strip())
    except ValueError:
        raise ValidationFailed.single(
            name, "INVALID", f"Le paramètre « {name} » doit être une date AAAA-MM-JJ."
        ) from None


async def _serve(
    request: Request, make: Callable[[AsyncSession, Principal], Awaitable[File]]
) -> Response:
    caller = await identify(request)
    if caller is None:
        return export_errors(
            401,
            [FieldError("", "UNAUTHENTICATED", "Connectez-vous pour obtenir ce fichier.")],
            **{"WWW-Authenticate": "Bearer"},
        )
    try:
        async with services_of(request).sessionmaker() as session:
            content, filename, media_type = await make(session, caller.principal)
            await session.commit()
    except ValidationFailed as exc:
        return export_errors(400, exc.errors)
    except PermissionDenied:
        return export_errors(
            403, [FieldError("", "FORBIDDEN", "Vous n'avez pas accès à ce fichier.")]
        )
    except NotFound:
        return export_errors(
            404,
            [
                FieldError(
                    "",
                    "NOT_FOUND",
                    "Introuvable : cet identifiant n'existe pas ou ne vous est pas accessible.",
                )
            ],
        )
    return Response(
        content,
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _contact_ids(request: Request) -> list[int]:
    raw = [part.strip() for part in (request.query_params.get("ids") or "").split(",")]
    if not raw or raw == [""] or not all(part.isascii() and part.isdigit() for part in raw):
        raise ValidationFailed.single(
            "ids",
            "INVALID",
            "Le paramètre « ids » est une liste d'identifiants séparés par des virgules.",
        )
    if len(raw) > MAX_LETTERS:
        raise ValidationFailed.single(
            "ids", "TOO_MANY", f"Au plus {MAX_LETTERS} courriers par fichier."
        )
    return list(dict.fromkeys(int(part) for part in raw))


async def family_letters(request: Request) -> Response:
    async def make(session: AsyncSession, principal: Principal) -> File:
        writer = PdfWriter()
        schools: set[int] = set()
        for contact_id in _contact_ids(request):
            contact, document = await contact_document(session, principal, contact_id)
            schools.add(contact.school_id)
            writer.append(PdfReader(io.BytesIO(document)))
            record_access(
                session,
                principal,
                "export",
                "family_contacts",
                contact.id,
                contact.school_id,
                {"format": "pdf", "student_id": contact.student_id},
            )
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue(), "courriers-absences.pdf", PDF_TYPE

    return await _serve(request, make)


async def statistics_file(request: Request) -> Response:
    async def make(session: AsyncSession, principal: Principal) -> File:
        school_id = _integer(request, "school")
        assert school_id is not None
        by_raw = request.query_params.get("by") or AbsenceDimension.TOTAL.value
        try:
            by = AbsenceDimension(by_raw)
        except ValueError:
            raise ValidationFailed.single(
                "by",
                "INVALID",
                "Regroupement inconnu (total, month, division, group, student, motive).",
            ) from None
        query = AbsenceStatisticsQuery(
            school_id, _day(request, "since"), _day(request, "until"), by=by
        )
        rows = await absence_statistics(session, principal, query)
        details: dict[str, Any] = {
            "format": "csv",
            "by": by.value,
            "since": query.first.isoformat(),
            "until": query.last.isoformat(),
            "rows": len(rows),
        }
        record_access(session, principal, "export", "absence_statistics", None, school_id, details)
        return statistics_csv(by, rows), f"statistiques-absences-{by.value}.csv", CSV_TYPE

    return await _serve(request, make)


async def indicator_file(request: Request) -> Response:
    async def make(session: AsyncSession, principal: Principal) -> File:
        year, month = _integer(request, "year"), _integer(request, "month")
        assert year is not None and month is not None
        school_id = _integer(request, "school", required=False)
        found = await monthly_indicator(session, principal, year, month, school_id)
        record_access(
            session,
            principal,
            "export",
            "absence_indicator",
            None,
            school_id,
            {"format": "csv", "month": found.month.isoformat(), "schools": len(found.schools)},
        )
        return indicator_csv(found), f"indicateur-absenteisme-{year}-{month:02d}.csv", CSV_TYPE

    return await _serve(request, make)


def absence_export_routes() -> list[BaseRoute]:
    return [
        Route("/exports/family-contacts.pdf", family_letters, methods=["GET"]),
        Route("/exports/absence-statistics.csv", statistics_file, methods=["GET"]),
        Route("/exports/absence-indicator.csv", indicator_file, methods=["GET"]),
    ]

"""HTTP routes of the exports: ``/exports/students.csv``, ``.xlsx`` and ``/exports/class-list.pdf``.

Query parameters: one of ``division``, ``group``, ``mef`` (with ``school``)
or ``school`` alone (ids), optionally ``year`` (id; the current year by
default), ``columns`` (comma-separated keys of ``api.exports.columns``) and
``include_departed=1``. The caller is identified as for the API (bearer
token or the portal's session cookie).

Errors are JSON ``{"errors": [{"field", "code", "message"}]}``: 400 for bad
input, 401 anonymous, 403 missing permission (naming the column when a
column is the cause), 404 an unknown id or one of another school (the two
are indistinguishable). Files are personal data: never cached.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.auth.principal import PermissionDenied, Principal
from api.auth.read_audit import record_access
from api.auth.requests import identify
from api.exports.class_list import write_class_list
from api.exports.columns import CLASS_LIST_COLUMNS, parse_column_keys
from api.exports.rows import ColumnDenied, ExportTable, Population, export_rows
from api.exports.tabular import write_csv, write_xlsx
from api.services import services_of
from core.errors import FieldError, NotFound, ValidationFailed

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
ID_PARAMETERS = ("school", "division", "group", "mef", "year")
TRUE_VALUES = ("1", "true", "oui", "yes", "on")
NOT_FOUND_FIELDS = {
    "School": "school",
    "Division": "division",
    "Group": "group",
    "Mef": "mef",
    "SchoolYear": "year",
}


def export_errors(status: int, errors: list[FieldError], **headers: str) -> JSONResponse:
    body = {
        "errors": [{"field": e.field or None, "code": e.code, "message": e.message} for e in errors]
    }
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **headers})


def parse_population(request: Request) -> Population:
    """The population from the query string; a malformed id fails on its parameter."""
    ids: dict[str, int | None] = {}
    errors = []
    for name in ID_PARAMETERS:
        raw = (request.query_params.get(name) or "").strip()
        if not raw:
            ids[name] = None
            continue
        if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
            errors.append(
                FieldError(
                    name, "INVALID", f"Le paramètre « {name} » doit être un identifiant numérique."
                )
            )
            continue
        ids[name] = int(raw)
    if errors:
        raise ValidationFailed(errors)
    departed = (request.query_params.get("include_departed") or "").strip().lower()
    return Population(
        school_id=ids["school"],
        division_id=ids["division"],
        group_id=ids["group"],
        mef_id=ids["mef"],
        school_year_id=ids["year"],
        include_departed=departed in TRUE_VALUES,
    )


async def _respond(
    request: Request,
    *,
    columns: Callable[[list[str]], list[str]],
    render: Callable[[ExportTable], bytes],
    media_type: str,
    prefix: str,
    extension: str,
) -> Response:
    caller = await identify(request)
    if caller is None:
        return export_errors(
            401,
            [
                FieldError(
                    "", "UNAUTHENTICATED", "Connectez-vous pour exporter des listes d'élèves."
                )
            ],
            **{"WWW-Authenticate": "Bearer"},
        )
    try:
        population = parse_population(request)
        keys = columns(parse_column_keys(request.query_params.get("columns")))
        async with services_of(request).sessionmaker() as session:
            table = await export_rows(session, caller.principal, population, keys)
            _record_export(session, caller.principal, table, population, extension)
            await session.commit()
    except ValidationFailed as exc:
        return export_errors(400, exc.errors)
    except ColumnDenied as exc:
        return export_errors(403, [FieldError("columns", "FORBIDDEN", exc.message)])
    except PermissionDenied:
        return export_errors(
            403,
            [
                FieldError(
                    "",
                    "FORBIDDEN",
                    "Vous n'avez pas le droit d'exporter des listes d'élèves.",
                )
            ],
        )
    except NotFound as exc:
        return export_errors(
            404,
            [
                FieldError(
                    NOT_FOUND_FIELDS.get(exc.entity, ""),
                    "NOT_FOUND",
                    "Liste introuvable : cet identifiant n'existe pas ou ne vous est pas accessible.",
                )
            ],
        )
    content = await run_in_threadpool(render, table)
    filename = table.filename(prefix, extension)
    return Response(
        content,
        media_type=media_type,
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


# The population kinds of an export, as the entities the audit trail names.
AUDITED_ENTITIES = {"division": "divisions", "group": "groups", "mef": "mefs", "school": "schools"}


def _record_export(
    session: AsyncSession,
    principal: Principal,
    table: ExportTable,
    population: Population,
    extension: str,
) -> None:
    """One audit entry per export: the population, format and columns, never the rows."""
    record_access(
        session,
        principal,
        "export",
        AUDITED_ENTITIES[table.kind],
        table.population_id,
        table.school_id,
        {
            "population": table.kind,
            "label": table.label,
            "school_year": table.year_label,
            "include_departed": population.include_departed,
            "format": extension,
            "columns": [column.key for column in table.columns],
            "rows": len(table.rows),
        },
    )


def _as_chosen(keys: list[str]) -> list[str]:
    return keys


def _class_list_columns(keys: list[str]) -> list[str]:
    """The fixed columns of a class list, then the chosen ones it does not already show."""
    return [*CLASS_LIST_COLUMNS, *(key for key in keys if key not in CLASS_LIST_COLUMNS)]


async def students_csv(request: Request) -> Response:
    return await _respond(
        request,
        columns=_as_chosen,
        render=write_csv,
        media_type=CSV_TYPE,
        prefix="eleves",
        extension="csv",
    )


async def students_xlsx(request: Request) -> Response:
    return await _respond(
        request,
        columns=_as_chosen,
        render=write_xlsx,
        media_type=XLSX_TYPE,
        prefix="eleves",
        extension="xlsx",
    )


async def class_list_pdf(request: Request) -> Response:
    return await _respond(
        request,
        columns=_class_list_columns,
        render=write_class_list,
        media_type=PDF_TYPE,
        prefix="liste",
        extension="pdf",
    )


def export_routes() -> list[BaseRoute]:
    return [
        Route("/exports/students.csv", students_csv, methods=["GET"]),
        Route("/exports/students.xlsx", students_xlsx, methods=["GET"]),
        Route("/exports/class-list.pdf", class_list_pdf, methods=["GET"]),
    ]

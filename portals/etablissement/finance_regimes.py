"""/finances/regimes and /finances/remises: the bursar's changes that the charges follow.
The school's half-boarders and boarders (any student found by a search), one enrolment's
régime history with the form of a change from a day (hébergement croisé naming the school
that feeds or lodges him), and the closure of a service, which gives a remise d'ordre to
every student charged for it."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.responses import Response

from api.resolvers.finances.reductions import (
    ChargeKind,
    ServiceClosureInput,
    close_service,
    service_closures,
)
from api.resolvers.finances.regimes import (
    RegimeSheet,
    record_regime_change,
    regime_enrollments,
    regime_sheet,
)
from api.resolvers.finances.statements import CHARGE_KIND_LABELS
from api.resolvers.finances.terms import finance_terms
from core.errors import FieldError, ValidationFailed
from core.money import format_euros
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

PAGE_SIZE = 50
# The labels before each message of the forms ("Date d'effet : ...").
REGIME_LABELS = {
    "effective_on": "Date d'effet",
    "regime_code": "Régime",
    "host_school_id": "Établissement d'accueil",
}
CLOSURE_LABELS = {
    "first_day": "Premier jour de fermeture",
    "last_day": "Dernier jour de fermeture",
    "charge_kind": "Service fermé",
    "comment": "Motif de la fermeture",
}


def _day(raw: str, field: str, errors: list[FieldError]) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(field, "INVALID_DATE", "Saisissez une date (JJ/MM/AAAA)."))
        return None


def _messages(errors: list[FieldError], labels: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Each error under its field ("Label : message"), the others apart."""
    named: dict[str, str] = {}
    for error in errors:
        if error.field in labels:
            named.setdefault(error.field, f"{labels[error.field]} : {error.message}")
    return named, [e.message for e in errors if e.field not in labels]


# ------------------------------------------------------------------ régimes


@page_handler(destinations.FINANCE_REGIMES)
async def regimes(page: Page) -> Response:
    if page.school is None or page.year is None:
        raise page.refusal(regime_enrollments)
    search = page.request.query_params.get("recherche", "").strip()[:80]
    number = parse_id(page.request.query_params.get("page")) or 1
    found = await page.work.read(
        regime_enrollments,
        page.school.id,
        page.year.id,
        search or None,
        (number - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    return page.render(
        "finances/regimes.html",
        found=found,
        search=search,
        number=number,
        pages=max(1, -(-found.total_count // PAGE_SIZE)),
    )


async def _render_sheet(
    page: Page,
    enrollment_id: int,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    sheet: RegimeSheet = await page.work.read(regime_sheet, enrollment_id)
    field_errors, other_errors = _messages(errors or [], REGIME_LABELS)
    return page.render(
        "finances/regime.html",
        status,
        sheet=sheet,
        values=values or {},
        field_errors=field_errors,
        other_errors=other_errors,
        message=page.request.query_params.get("message"),
        choices=[(c.code, f"{c.code} — {c.label}") for c in sheet.choices],
        hosts=[(h.id, f"{h.name} ({h.uai})") for h in sheet.host_schools],
        may_change=page.may(record_regime_change, sheet.school_id) and not page.year_over,
    )


@page_handler(destinations.FINANCE_REGIME)
async def regime(page: Page) -> Response:
    return await _render_sheet(page, page.request.path_params["enrollment_id"])


@page_handler(destinations.FINANCE_REGIME)
async def change(page: Page) -> Response:
    enrollment_id: int = page.request.path_params["enrollment_id"]
    sheet: RegimeSheet = await page.work.read(regime_sheet, enrollment_id)
    if not page.may(record_regime_change, sheet.school_id):
        raise page.refusal(record_regime_change)
    form = await page.request.form(max_files=0, max_fields=10)
    values = {
        name: str(form.get(name) or "").strip()[:20]
        for name in ("effective_on", "regime_code", "host_school_id")
    }
    errors: list[FieldError] = []
    day = _day(values["effective_on"], "effective_on", errors)
    if not values["regime_code"]:
        errors.append(FieldError("regime_code", "REQUIRED", "Choisissez un régime."))
    host_id = parse_id(values["host_school_id"]) if values["host_school_id"] else None
    if values["host_school_id"] and host_id is None:
        errors.append(FieldError("host_school_id", "NOT_FOUND", "Faites un choix dans la liste."))
    if not errors:
        assert day is not None
        try:
            async with page.work.writing(sheet.school_id) as transaction:
                await transaction.run(
                    record_regime_change, enrollment_id, day, values["regime_code"], host_id
                )
        except ValidationFailed as failed:
            errors = failed.errors
    if errors:
        return await _render_sheet(page, enrollment_id, values, errors, 400)
    return redirect(
        page.url(
            f"/finances/regimes/{enrollment_id}",
            message=f"Le changement de régime au {day:%d/%m/%Y} est enregistré.",
        )
    )


# ------------------------------------------------------------------ closures


async def _render_closures(
    page: Page,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    if page.school is None or page.year is None:
        raise page.refusal(service_closures)
    closures = await page.work.read(service_closures, page.school.id, page.year.id)
    terms = await page.work.read(finance_terms, page.school.id, page.year.id)
    field_errors, other_errors = _messages(errors or [], CLOSURE_LABELS)
    return page.render(
        "finances/remises.html",
        status,
        closures=closures,
        terms=terms,
        values=values or {},
        field_errors=field_errors,
        other_errors=other_errors,
        message=page.request.query_params.get("message"),
        kinds=[(kind.value, label) for kind, label in CHARGE_KIND_LABELS.items()],
        kind_labels={kind.value: label for kind, label in CHARGE_KIND_LABELS.items()},
        euros=format_euros,
        may_close=page.may(close_service, page.school.id) and not page.year_over,
    )


@page_handler(destinations.SERVICE_CLOSURES)
async def closures(page: Page) -> Response:
    return await _render_closures(page)


@page_handler(destinations.SERVICE_CLOSURES)
async def close(page: Page) -> Response:
    if page.school is None or page.year is None:
        raise page.refusal(close_service)
    if not page.may(close_service, page.school.id):
        raise page.refusal(close_service)
    form = await page.request.form(max_files=0, max_fields=10)
    values = {
        "first_day": str(form.get("first_day") or "").strip()[:20],
        "last_day": str(form.get("last_day") or "").strip()[:20],
        "charge_kind": str(form.get("charge_kind") or "").strip()[:20],
        "comment": str(form.get("comment") or "").strip()[:200],
    }
    errors: list[FieldError] = []
    first = _day(values["first_day"], "first_day", errors)
    last = _day(values["last_day"], "last_day", errors)
    kind: ChargeKind | None = None
    if values["charge_kind"]:
        try:
            kind = ChargeKind(values["charge_kind"])
        except ValueError:
            errors.append(FieldError("charge_kind", "REQUIRED", "Faites un choix dans la liste."))
    result: Any = None
    if not errors:
        assert first is not None and last is not None
        try:
            async with page.work.writing(page.school.id) as transaction:
                result = await transaction.run(
                    close_service,
                    ServiceClosureInput(page.school.id, first, last, kind, values["comment"]),
                )
        except ValidationFailed as failed:
            errors = failed.errors
    if errors:
        return await _render_closures(page, values, errors, 400)
    if result.reductions == 0:
        message = "Aucun élève n'était facturé pour ce service sur cette période : aucune remise."
    else:
        message = (
            f"{result.reductions} remise{'s' if result.reductions > 1 else ''} d'ordre "
            f"accordée{'s' if result.reductions > 1 else ''} à {result.students} "
            f"élève{'s' if result.students > 1 else ''}, {format_euros(result.total)} au total."
        )
    return redirect(page.url("/finances/remises", annee=page.year.id, message=message))

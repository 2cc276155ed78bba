"""/finances: the bursar's and the principal's screens of the student's finances. The home
lists its parts (each part of the domain adds its link to ``PARTS``); the parameters (terms
and the board's rules), the tariffs' grid (régime × term) and the term's generation
(preview, application, closing of the term)."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.responses import Response

from api.resolvers.finances.charges import apply_charges, charge_preview
from api.resolvers.finances.ledger import CHARGE_KIND_LABELS
from api.resolvers.finances.tariffs import (
    BASIS_LABELS,
    PRORATION_LABELS,
    SettingsInput,
    TariffInput,
    finance_settings,
    set_finance_settings,
    set_tariffs,
    tariff_regimes,
    tariffs,
)
from api.resolvers.finances.terms import (
    FinanceTerm,
    TermDates,
    close_term,
    finance_terms,
    set_terms,
)
from core.errors import ValidationFailed
from core.money import format_euros
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

# The parts of /finances: (destination, what it is for). The other parts add theirs.
PARTS = (
    (destinations.FINANCE_SETTINGS, "Trimestres de l'année et règles votées par le conseil."),
    (destinations.TARIFFS, "Forfaits et prix du repas de chaque régime, par trimestre."),
    (destinations.CHARGE_GENERATION, "Droits constatés du trimestre : aperçu, puis application."),
    (destinations.FAMILY_ACCOUNTS, "Comptes des familles : relevé, paiements, remises."),
    (destinations.FINANCE_REGIMES, "Changements de régime en cours d'année, hébergement croisé."),
    (destinations.SERVICE_CLOSURES, "Fermeture du service : une remise d'ordre à chaque élève."),
    (destinations.FINANCE_NOTICES, "Avis aux familles du trimestre, à imprimer ou télécharger."),
    (destinations.FINANCE_REMINDERS, "Relances des familles qui doivent encore."),
    (destinations.FINANCE_TRANSFER, "Transfert du trimestre clos au logiciel comptable."),
)
WEEKDAYS = [
    ("1", "Lundi"),
    ("2", "Mardi"),
    ("3", "Mercredi"),
    ("4", "Jeudi"),
    ("5", "Vendredi"),
    ("6", "Samedi"),
    ("7", "Dimanche"),
]


def _common(page: Page) -> dict[str, Any]:
    return {
        "euros": format_euros,
        "message": page.request.query_params.get("message"),
        "field_errors": {},
        "refusal": None,
    }


def _school(page: Page, fn: Any) -> Any:
    if page.school is None or page.year is None or not page.may(fn, page.school.id):
        raise page.refusal(fn)
    return page.school


@page_handler(destinations.FINANCES)
async def home(page: Page) -> Response:
    parts = [(d, detail) for d, detail in PARTS if page.allows(d)]
    return page.render("finances/home.html", parts=parts, **_common(page))


# --------------------------------------------------------------------------- parameters


async def _render_settings(page: Page, status: int = 200, **context: Any) -> Response:
    school = _school(page, finance_settings)
    assert page.year is not None
    terms = await page.work.read(finance_terms, school.id, page.year.id)
    settings = await page.work.read(finance_settings, school.id, page.year.id)
    values = {
        "proration_rule": settings.proration_rule.value,
        "service_weekdays": list(settings.service_weekdays),
        "order_reduction_min_days": settings.order_reduction_min_days,
        "board_decision": settings.board_decision or "",
    }
    term_rows = [
        {"label": t.label, "first_day": t.first_day.isoformat(), "last_day": t.last_day.isoformat()}
        for t in terms
    ]
    defaults = _common(page) | {
        "terms": terms,
        "term_rows": term_rows
        + [{"label": "", "first_day": "", "last_day": ""}] * (3 - len(terms)),
        "values": values,
        "rules": [(rule.value, label.capitalize()) for rule, label in PRORATION_LABELS.items()],
        "weekdays": WEEKDAYS,
        "may_manage": page.may(set_finance_settings, school.id) and not page.year_over,
    }
    return page.render("finances/settings.html", status, **(defaults | context))


@page_handler(destinations.FINANCE_SETTINGS)
async def settings_page(page: Page) -> Response:
    return await _render_settings(page)


@page_handler(destinations.FINANCE_SETTINGS)
async def save_settings(page: Page) -> Response:
    school = _school(page, set_finance_settings)
    assert page.year is not None
    form = await page.request.form(max_files=0, max_fields=20)
    raw_days = str(form.get("order_reduction_min_days") or "").strip()
    data = SettingsInput(
        proration_rule=str(form.get("proration_rule") or ""),
        service_weekdays="".join(str(d) for d in form.getlist("service_weekdays")),
        order_reduction_min_days=int(raw_days) if raw_days.isdigit() else 0,
        board_decision=str(form.get("board_decision") or ""),
    )
    try:
        async with page.work.writing(school.id) as transaction:
            await transaction.run(set_finance_settings, school.id, page.year.id, data)
    except ValidationFailed as failed:
        return await _render_settings(
            page,
            400,
            field_errors={e.field: e.message for e in failed.errors},
            values={
                "proration_rule": data.proration_rule,
                "service_weekdays": list(data.service_weekdays),
                "order_reduction_min_days": raw_days,
                "board_decision": data.board_decision,
            },
        )
    return redirect(
        page.url("/finances/parametres", annee=page.year.id, message="Règles enregistrées.")
    )


def _day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


@page_handler(destinations.FINANCE_SETTINGS)
async def save_terms(page: Page) -> Response:
    school = _school(page, set_terms)
    assert page.year is not None
    form = await page.request.form(max_files=0, max_fields=30)
    rows = [
        {
            "label": str(form.get(f"terms-{rank}-label") or ""),
            "first_day": str(form.get(f"terms-{rank}-first_day") or ""),
            "last_day": str(form.get(f"terms-{rank}-last_day") or ""),
        }
        for rank in (1, 2, 3)
    ]
    errors: dict[str, str] = {}
    wanted: list[TermDates] | None = None
    if form.get("defaut") != "1":
        wanted = []
        for rank, row in enumerate(rows, start=1):
            if not any(row.values()):
                continue
            first, last = _day(row["first_day"]), _day(row["last_day"])
            for name, day in (("first_day", first), ("last_day", last)):
                if day is None:
                    errors[f"terms-{rank}-{name}"] = "Saisissez une date valide (JJ/MM/AAAA)."
            if first and last:
                wanted.append(TermDates(row["label"], first, last))
    if not errors:
        try:
            async with page.work.writing(school.id) as transaction:
                await transaction.run(set_terms, school.id, page.year.id, wanted)
        except ValidationFailed as failed:
            errors = {e.field.replace(".", "-"): e.message for e in failed.errors}
    if errors:
        return await _render_settings(page, 400, field_errors=errors, term_rows=rows)
    return redirect(
        page.url("/finances/parametres", annee=page.year.id, message="Trimestres enregistrés.")
    )


# --------------------------------------------------------------------------- tariffs


async def _render_tariffs(page: Page, status: int = 200, **context: Any) -> Response:
    school = _school(page, tariffs)
    assert page.year is not None
    terms = await page.work.read(finance_terms, school.id, page.year.id)
    regimes = await page.work.read(tariff_regimes, school.id, page.year.id)
    saved = await page.work.read(tariffs, school.id, page.year.id)
    cells: dict[str, str] = {}
    for tariff in saved:
        cells[f"t-{tariff.regime_code}-basis"] = tariff.basis.value
        cells[f"t-{tariff.regime_code}-{tariff.term_id}"] = (
            format_euros(tariff.amount).replace("\u00a0€", "").replace("\u202f", " ")
        )
    defaults = _common(page) | {
        "terms": terms,
        "regimes": regimes,
        "cells": cells,
        "bases": [(basis.value, label.capitalize()) for basis, label in BASIS_LABELS.items()],
        "kind_labels": CHARGE_KIND_LABELS,
        "may_manage": page.may(set_tariffs, school.id) and not page.year_over,
    }
    return page.render("finances/tariffs.html", status, **(defaults | context))


@page_handler(destinations.TARIFFS)
async def tariffs_page(page: Page) -> Response:
    return await _render_tariffs(page)


@page_handler(destinations.TARIFFS)
async def save_tariffs(page: Page) -> Response:
    school = _school(page, set_tariffs)
    assert page.year is not None
    terms = await page.work.read(finance_terms, school.id, page.year.id)
    regimes = await page.work.read(tariff_regimes, school.id, page.year.id)
    form = await page.request.form(max_files=0, max_fields=200)
    cells: list[TariffInput] = []
    names: list[str] = []
    typed: dict[str, str] = {}
    for regime in regimes:
        basis = str(form.get(f"t-{regime.code}-basis") or "flat_term")
        typed[f"t-{regime.code}-basis"] = basis
        for term in terms:
            name = f"t-{regime.code}-{term.id}"
            amount = str(form.get(name) or "").strip()
            typed[name] = amount
            cells.append(TariffInput(term.id, regime.code, basis, amount))
            names.append(name)
    try:
        async with page.work.writing(school.id) as transaction:
            await transaction.run(set_tariffs, school.id, page.year.id, cells)
    except ValidationFailed as failed:
        errors: dict[str, str] = {}
        for error in failed.errors:
            index = int(error.field.split(".")[1]) if error.field.count(".") == 2 else None
            name = names[index] if index is not None else "tariffs"
            if error.field.endswith(".basis"):
                name = name.rsplit("-", 1)[0] + "-basis"
            errors.setdefault(name, error.message)
        return await _render_tariffs(page, 400, field_errors=errors, cells=typed)
    return redirect(page.url("/finances/tarifs", annee=page.year.id, message="Tarifs enregistrés."))


# --------------------------------------------------------------------------- generation


def _chosen_term(page: Page, terms: list[FinanceTerm], raw: Any) -> FinanceTerm | None:
    wanted = parse_id(raw)
    chosen = next((t for t in terms if t.id == wanted), None)
    if chosen is None:
        # The first term still open, else the last one.
        chosen = next((t for t in terms if t.closed_at is None), terms[-1] if terms else None)
    return chosen


async def _render_generation(
    page: Page, term_id: Any, status: int = 200, **context: Any
) -> Response:
    school = _school(page, charge_preview)
    assert page.year is not None
    terms = await page.work.read(finance_terms, school.id, page.year.id)
    term = _chosen_term(page, terms, term_id)
    preview = await page.work.read(charge_preview, term.id) if term else None
    defaults = _common(page) | {
        "terms": terms,
        "term_options": [(t.id, t.label + (" (clos)" if t.closed_at else "")) for t in terms],
        "term": term,
        "preview": preview,
        "kind_labels": CHARGE_KIND_LABELS,
        "may_apply": page.may(apply_charges, school.id),
        "may_close": page.may(close_term, school.id),
    }
    return page.render("finances/generation.html", status, **(defaults | context))


@page_handler(destinations.CHARGE_GENERATION)
async def generation(page: Page) -> Response:
    return await _render_generation(page, page.request.query_params.get("trimestre"))


@page_handler(destinations.CHARGE_GENERATION)
async def apply(page: Page) -> Response:
    school = _school(page, apply_charges)
    assert page.year is not None
    form = await page.request.form(max_files=0, max_fields=10)
    term_id = parse_id(form.get("trimestre"))
    if term_id is None:
        return await _render_generation(page, None, 400, refusal="Choisissez un trimestre.")
    try:
        async with page.work.writing(school.id) as transaction:
            applied = await transaction.run(apply_charges, term_id)
    except ValidationFailed as failed:
        return await _render_generation(
            page, term_id, 400, refusal=" ".join(e.message for e in failed.errors)
        )
    if applied.generation_id is None:
        message = "Rien à écrire : les droits constatés sont à jour."
    else:
        message = (
            f"Génération appliquée : {applied.charges} droits constatés "
            f"({format_euros(applied.total)}), {applied.reductions} remises de principe."
        )
    return redirect(
        page.url("/finances/generation", annee=page.year.id, trimestre=term_id, message=message)
    )


@page_handler(destinations.CHARGE_GENERATION)
async def close(page: Page) -> Response:
    school = _school(page, close_term)
    assert page.year is not None
    form = await page.request.form(max_files=0, max_fields=10)
    term_id = parse_id(form.get("trimestre"))
    if term_id is None:
        return await _render_generation(page, None, 400, refusal="Choisissez un trimestre.")
    try:
        async with page.work.writing(school.id) as transaction:
            term = await transaction.run(close_term, term_id)
    except ValidationFailed as failed:
        return await _render_generation(
            page, term_id, 400, refusal=" ".join(e.message for e in failed.errors)
        )
    return redirect(
        page.url(
            "/finances/generation",
            annee=page.year.id,
            trimestre=term_id,
            message=f"Le {term.label} est clos.",
        )
    )

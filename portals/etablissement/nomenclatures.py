"""/nomenclatures: the principal profiles the school's MEFs and subjects ("Nomenclatures de
l'établissement") and the MEF its students of each MEF go on to next year."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.nomenclatures import (
    add_school_mef,
    add_school_subject,
    list_mefs,
    list_subjects,
    remove_school_mef,
    remove_school_subject,
    school_nomenclature_profile,
    set_school_next_mef,
)
from core.errors import FieldError, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

PATH = "/nomenclatures"
# Each form of the page: its domain function, the form's fields and the domain field each
# one is checked as (so that an error lands under the field that caused it).
FORMS: dict[str, tuple[Callable[..., Any], dict[str, str]]] = {
    "ajout-mef": (add_school_mef, {"mef_id": "mef_ajout"}),
    "mef-suivant": (set_school_next_mef, {"mef_id": "mef_suivi", "next_mef_id": "mef_suivant"}),
    "retrait-mef": (remove_school_mef, {}),
    "ajout-matiere": (add_school_subject, {"subject_id": "matiere_ajout"}),
    "retrait-matiere": (remove_school_subject, {}),
}


def _school_id(page: Page) -> int:
    # The destination's guard already asked for a working school.
    if page.school is None:
        raise page.refusal(school_nomenclature_profile)
    return page.school.id


def _year_id(page: Page) -> int | None:
    """The year chosen in the selector (the school's current one by default)."""
    return page.year.id if page.year is not None else None


async def _render(
    page: Page,
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    form: str | None = None,
) -> Response:
    school_id = _school_id(page)
    profile = await page.work.read(school_nomenclature_profile, school_id, _year_id(page))
    national_mefs = await page.work.read(list_mefs)
    national_subjects = await page.work.read(list_subjects)
    used_mefs = {p.mef.id for p in profile.mefs}
    used_subjects = {s.id for s in profile.subjects}
    fields = FORMS[form][1] if form else {}
    field_errors = {fields[e.field]: e.message for e in errors or [] if e.field in fields}
    others = [e.message for e in errors or [] if e.field not in fields]
    return page.render(
        "nomenclatures.html",
        400 if errors else 200,
        profile=profile,
        values=values or {},
        field_errors=field_errors,
        other_errors=others,
        addable_mefs=[
            (m.id, f"{m.short_label} — {m.long_label} ({m.code})")
            for m in national_mefs
            if m.id not in used_mefs
        ],
        profiled_mefs=[(p.mef.id, f"{p.mef.short_label} ({p.mef.code})") for p in profile.mefs],
        next_mefs=[(m.id, f"{m.short_label} — {m.long_label} ({m.code})") for m in national_mefs],
        addable_subjects=[
            (s.id, f"{s.long_label} ({s.code})")
            for s in national_subjects
            if s.id not in used_subjects
        ],
        message=page.request.query_params.get("message"),
    )


def _arguments(form_name: str, form: FormData) -> tuple[list[Any], dict[str, str]]:
    """The domain function's arguments after the school, and the values to show again."""
    values = {key: str(form.get(key) or "")[:20] for key in FORMS[form_name][1].values()}
    if form_name == "ajout-mef":
        return [parse_id(values["mef_ajout"])], values
    if form_name == "mef-suivant":
        return [parse_id(values["mef_suivi"]), parse_id(values["mef_suivant"])], values
    if form_name == "ajout-matiere":
        return [parse_id(values["matiere_ajout"])], values
    return [parse_id(form.get("id"))], values


def _saved(form_name: str, found: Any) -> str:
    if form_name == "ajout-mef":
        return f"MEF {found.short_label} ajouté."
    if form_name == "retrait-mef":
        return f"MEF {found.short_label} retiré."
    if form_name == "mef-suivant":
        following = found.next_mef.short_label if found.next_mef else "aucun"
        return f"MEF suivant de {found.mef.short_label} : {following}."
    if form_name == "ajout-matiere":
        return f"Matière {found.long_label} ajoutée."
    return f"Matière {found.long_label} retirée."


@page_handler(destinations.NOMENCLATURES)
async def nomenclatures(page: Page) -> Response:
    if page.request.method == "GET":
        return await _render(page)
    school_id = _school_id(page)
    form = await page.request.form()
    form_name = str(form.get("formulaire") or "")
    if form_name not in FORMS:
        return await _render(
            page, errors=[FieldError("form", "UNKNOWN", "Formulaire inconnu : rechargez la page.")]
        )
    fn = FORMS[form_name][0]
    arguments, values = _arguments(form_name, form)
    if form_name in ("retrait-mef", "retrait-matiere") and arguments[0] is None:
        return await _render(
            page, errors=[FieldError("id", "REQUIRED", "Élément inconnu : rechargez la page.")]
        )
    try:
        async with page.work.writing(school_id) as transaction:
            found = await transaction.run(fn, school_id, *arguments, school_year_id=_year_id(page))
            message = _saved(form_name, found)
    except ValidationFailed as failed:
        return await _render(page, values, failed.errors, form_name)
    chosen = page.request.query_params.get("annee")
    return redirect(page.url(PATH, annee=chosen and _year_id(page), message=message))

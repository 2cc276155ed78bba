"""/etablissements and /annees: the académie administrator sets up the académie: its schools
(with their holiday zone), each school's first principal (invited by e-mail), and the school
years."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.invitations import create_principal
from api.resolvers.schools import (
    SCHOOL_FIELDS,
    academy_schools,
    create_school,
    create_school_year,
    holiday_zone_of,
    managed_school,
    open_next_year,
    principals_by_school,
    school_years,
    update_school,
    update_school_year,
)
from api.resolvers.vocabulary import HolidayZone, SchoolKind, SchoolSector, SchoolYearState
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations, labels
from portals.etablissement.web import Page, page_handler, parse_id, redirect

# "principal_email": the school's own form, on the same page, has an "email" field.
PRINCIPAL_FIELDS = ("login", "display_name", "principal_email")
YEAR_FIELDS = ("start_year", "starts_on", "ends_on", "state")
# Bounds a form's values before they reach the domain (which bounds them again, per field).
MAX_VALUE = 300


def _entered(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "")[:MAX_VALUE] for name in names}


def _errors(failed: ValidationFailed) -> dict[str, str]:
    return {e.field: e.message for e in failed.errors}


def _options() -> dict[str, Any]:
    return {
        "kind_options": [(k.value, labels.SCHOOL_KIND[k]) for k in SchoolKind],
        "sector_options": [(s.value, labels.SCHOOL_SECTOR[s]) for s in SchoolSector],
        "zone_options": [
            (z.value, f"Zone {z.value}" if len(z.value) == 1 else z.value) for z in HolidayZone
        ],
        "kind_labels": labels.SCHOOL_KIND,
        "sector_labels": labels.SCHOOL_SECTOR,
    }


@page_handler(destinations.SCHOOLS)
async def schools(page: Page) -> Response:
    return page.render(
        "schools/list.html",
        schools=await page.work.read(academy_schools),
        principals=await page.work.read(principals_by_school),
        message=page.request.query_params.get("message"),
        **_options(),
    )


async def _school_form(
    page: Page, school_id: int | None, status: int = 200, **context: Any
) -> Response:
    school = await page.work.read(managed_school, school_id) if school_id else None
    values: dict[str, Any] = {
        "form": {name: "" for name in SCHOOL_FIELDS} | {"sector": SchoolSector.PUBLIC.value},
        "field_errors": {},
        "principal_form": {name: "" for name in PRINCIPAL_FIELDS},
        "principal_errors": {},
        "message": page.request.query_params.get("message"),
    }
    if school is not None:
        zone = await page.work.read(holiday_zone_of, school.id)
        values["form"] = {
            name: getattr(school, name) or "" for name in SCHOOL_FIELDS if name != "holiday_zone"
        } | {"kind": school.kind.value, "sector": school.sector.value, "holiday_zone": zone or ""}
    principals = (await page.work.read(principals_by_school)).get(school.id, []) if school else []
    return page.render(
        "schools/form.html",
        status,
        school=school,
        principals=principals,
        **_options(),
        **(values | context),
    )


@page_handler(destinations.SCHOOLS)
async def new_school(page: Page) -> Response:
    if page.request.method == "GET":
        return await _school_form(page, None)
    entered = _entered(await page.request.form(), SCHOOL_FIELDS)
    try:
        async with page.work.writing(None) as transaction:
            school = await transaction.run(create_school, entered)
    except ValidationFailed as failed:
        return await _school_form(page, None, 400, form=entered, field_errors=_errors(failed))
    return redirect(
        page.url(
            f"/etablissements/{school.id}",
            message=f"Établissement {school.uai} créé : créez maintenant son chef d'établissement.",
        )
    )


def _school_id(page: Page) -> int:
    school_id = parse_id(page.request.path_params.get("school_id"))
    if school_id is None:
        raise NotFound("School", school_id)
    return school_id


@page_handler(destinations.SCHOOLS)
async def edit_school(page: Page) -> Response:
    school_id = _school_id(page)
    if page.request.method == "GET":
        return await _school_form(page, school_id)
    entered = _entered(await page.request.form(), SCHOOL_FIELDS)
    try:
        async with page.work.writing(school_id) as transaction:
            school = await transaction.run(update_school, school_id, entered)
    except ValidationFailed as failed:
        return await _school_form(page, school_id, 400, form=entered, field_errors=_errors(failed))
    return redirect(page.url(f"/etablissements/{school.id}", message="Établissement enregistré."))


@page_handler(destinations.SCHOOLS)
async def new_principal(page: Page) -> Response:
    school_id = _school_id(page)
    entered = _entered(await page.request.form(), PRINCIPAL_FIELDS)
    try:
        async with page.work.writing(school_id) as transaction:
            invitation = await transaction.run(
                create_principal,
                school_id,
                entered["login"],
                entered["display_name"],
                entered["principal_email"],
                portal_address=page.services.settings.api_issuer(),
            )
    except ValidationFailed as failed:
        errors = {"principal_email" if k == "email" else k: v for k, v in _errors(failed).items()}
        return await _school_form(
            page, school_id, 400, principal_form=entered, principal_errors=errors
        )
    user = invitation.user
    return redirect(
        page.url(
            f"/etablissements/{school_id}",
            message=f"Compte {user.login} créé : une invitation à choisir son mot de passe "
            f"est envoyée à {user.email}.",
        )
    )


# --------------------------------------------------------------------------- school years


async def _years_page(page: Page, status: int = 200, **context: Any) -> Response:
    values: dict[str, Any] = {
        "form": {name: "" for name in YEAR_FIELDS},
        "field_errors": {},
        "error": None,
        "message": page.request.query_params.get("message"),
    }
    return page.render(
        "schools/years.html",
        status,
        school_years=await page.work.read(school_years),
        state_options=[(s.value, labels.SCHOOL_YEAR_STATE[s]) for s in SchoolYearState],
        state_labels=labels.SCHOOL_YEAR_STATE,
        **(values | context),
    )


@page_handler(destinations.SCHOOL_YEARS)
async def years(page: Page) -> Response:
    if page.request.method == "GET":
        return await _years_page(page)
    entered = _entered(await page.request.form(), YEAR_FIELDS)
    try:
        async with page.work.writing(None) as transaction:
            year = await transaction.run(create_school_year, entered)
    except ValidationFailed as failed:
        return await _years_page(page, 400, form=entered, field_errors=_errors(failed))
    return redirect(page.url("/annees", message=f"Année {year.label} créée."))


@page_handler(destinations.SCHOOL_YEARS)
async def prepare_next_year(page: Page) -> Response:
    try:
        async with page.work.writing(None) as transaction:
            opening = await transaction.run(open_next_year)
    except (ValidationFailed, NotFound) as failed:
        error = (
            failed.errors[0].message
            if isinstance(failed, ValidationFailed)
            else "Aucune année n'est en cours : passez d'abord une année en cours."
        )
        return await _years_page(page, 400, message=None, error=error)
    label = opening.school_year.label
    done = "est ouverte en préparation" if opening.created else "était déjà en préparation"
    profiles = (
        f" ; profil de nomenclatures repris pour {opening.profiled_schools} établissement(s)"
        if opening.profiled_schools
        else ""
    )
    return redirect(page.url("/annees", message=f"L'année {label} {done}{profiles}."))


YEAR_ACTIONS = {"ouvrir": SchoolYearState.CURRENT, "cloturer": SchoolYearState.CLOSED}


@page_handler(destinations.SCHOOL_YEARS)
async def year_state(page: Page) -> Response:
    year_id = parse_id(page.request.path_params.get("year_id"))
    action = page.request.path_params.get("action")
    if year_id is None or action not in YEAR_ACTIONS:
        raise NotFound("SchoolYear", year_id)
    try:
        async with page.work.writing(None) as transaction:
            year = await transaction.run(
                update_school_year, year_id, {"state": YEAR_ACTIONS[action]}
            )
    except ValidationFailed as failed:
        return await _years_page(page, 400, message=None, error=failed.errors[0].message)
    done = "est maintenant l'année en cours" if action == "ouvrir" else "est close"
    return redirect(page.url("/annees", message=f"L'année {year.label} {done}."))

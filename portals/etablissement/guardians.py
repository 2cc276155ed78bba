"""The registrar's work on a student's guardians: /eleves/{id}/responsables/{link} (the
guardian: identity, contacts, profession, SMS consent, address; and his link to the student),
/eleves/{id}/responsables/ajouter (link a guardian the school knows, a sibling's parent, or a
new one), /eleves/{id}/responsables/{link}/retirer (remove the link; the guardian is kept).

Each screen runs the API's domain functions (``api.resolvers.guardians``) in one
transaction. An address is shared by the people who live together (``api.resolvers.addresses``):
when the guardian's is shared, the form names who shares it and asks whether the whole
family moves or this guardian alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.addresses import FRANCE
from api.resolvers.enrollments import schooling_history
from api.resolvers.guardians import (
    GuardianMatch,
    GuardianView,
    Housemates,
    address_sharers,
    find_guardians,
    guardians_of,
    link_guardian,
    parse_guardian_and_address,
    responsibility_of,
    unlink_guardian,
    update_guardian,
    update_guardian_link,
)
from api.resolvers.nomenclatures import list_entries, relationship_of
from api.resolvers.student_cards import StudentCard
from api.resolvers.students import get_student_card
from core import clock
from core.errors import FieldError, NotFound, StaleVersion, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.labels import RELATIONSHIP, entry_label
from portals.etablissement.students import writable_school
from portals.etablissement.web import Page, page_handler, parse_id, redirect

MAX_TEXT = 200
CIVILITIES = (("M.", "M."), ("Mme", "Mme"))
GUARDIAN_FORM = (
    ("family_name", "Nom", "", True),
    ("usage_name", "Nom d'usage", "Si différent du nom", False),
    ("first_name", "Prénom", "", True),
    ("phone_mobile", "Téléphone portable", "10 chiffres, ex. 06 12 34 56 78", False),
    ("phone_home", "Téléphone du domicile", "", False),
    ("phone_work", "Téléphone professionnel", "", False),
    ("email", "Adresse électronique", "ex. prenom.nom@exemple.fr", False),
)
# Every field of an address as SIECLE gives it, so that an edit never drops one.
ADDRESS_FORM = (
    ("line1", "Adresse (numéro et voie)", "", True),
    ("line2", "Complément d'adresse", "Bâtiment, résidence…", False),
    ("line3", "Ligne 3 de l'adresse", "Lieu-dit, boîte postale…", False),
    ("line4", "Ligne 4 de l'adresse", "", False),
    ("postal_code", "Code postal", "5 chiffres en France", True),
    ("city", "Commune (ou ville à l'étranger)", "", True),
    ("commune_code", "Commune (code INSEE)", "5 caractères, ex. 93048 ; en France", False),
    ("country_code", "Pays (code INSEE)", "3 chiffres, 100 pour la France", False),
)
RESPONSIBILITIES = (
    ("legal_1", "Responsable légal 1"),
    ("legal_2", "Responsable légal 2"),
    ("other", "Autre responsable (personne en charge de l'élève, à contacter)"),
)
FLAGS = (
    ("lives_with", "Vit avec l'élève"),
    ("receives_mail", "Reçoit le courrier"),
    ("pays_fees", "Paie les frais scolaires (responsable financier)"),
    ("receives_aid", "Perçoit les aides (bourse)"),
    ("contact_first", "À contacter en priorité"),
)
MOVES = ("famille", "seul")
GUARDIAN_MODES = (
    ("existant", "Responsable déjà connu de l'établissement (parent d'un frère ou d'une sœur)"),
    ("nouveau", "Nouveau responsable"),
)


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "")[:MAX_TEXT]


def _school_id(page: Page, history: list[Any], fn: Callable[..., Any]) -> int:
    """The school where the caller changes this student's guardians, else the refusal."""
    school_id = writable_school(page, history, fn)
    if school_id is None:
        raise page.refusal(fn)
    return school_id


async def _student(page: Page, student_id: int, fn: Callable[..., Any]) -> tuple[StudentCard, int]:
    student = await page.work.read(get_student_card, student_id)
    history = await page.work.read(schooling_history, student_id)
    return student, _school_id(page, history, fn)


async def _view(page: Page, student_id: int, link_id: int) -> GuardianView:
    views = await page.work.read(guardians_of, student_id)
    view = next((v for v in views if v.link.id == link_id), None)
    if view is None:
        raise NotFound("GuardianLink", link_id)
    return view


def _year(page: Page) -> int:
    return page.year.start_year if page.year is not None else clock.today().year


async def _lists(page: Page, values: dict[str, Any]) -> dict[str, Any]:
    """The coded lists of the forms: kinship and professions of the year's nomenclature (the
    product's kinships before any is loaded)."""
    kinships = await page.work.read(list_entries, "kinship", _year(page))
    professions = await page.work.read(list_entries, "profession", _year(page))
    kinship_options = [(e.code, entry_label(e)) for e in kinships] or [
        (link.value, label) for link, label in RELATIONSHIP.items()
    ]
    profession_options = [(e.code, entry_label(e)) for e in professions]
    current = values.get("profession_code")
    if current and current not in {code for code, _ in profession_options}:
        # A code of another year's list stays chosen rather than being silently dropped.
        profession_options.append((current, f"Code {current}"))
    return {
        "kinship_options": kinship_options,
        "profession_options": profession_options,
        "civility_options": CIVILITIES,
        "responsibilities": RESPONSIBILITIES,
        "flags": FLAGS,
        "guardian_form": GUARDIAN_FORM,
        "address_form": ADDRESS_FORM,
    }


def _address_values(address: Any) -> dict[str, str]:
    if address is None:
        return {f"address.{name}": "" for name, *_ in ADDRESS_FORM} | {
            "address.country_code": FRANCE
        }
    values = {f"address.{name}": getattr(address, name) or "" for name, *_ in ADDRESS_FORM}
    if address.country_code != FRANCE:
        values["address.city"] = address.foreign_city or address.city or ""
    return values


def _typed_address(values: dict[str, Any]) -> dict[str, str]:
    return {name: values[f"address.{name}"] for name, *_ in ADDRESS_FORM}


def _link_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        "responsibility": _text(form, "responsibility"),
        "relationship": _text(form, "relationship"),
    }
    for flag, _label in FLAGS:
        values[flag] = form.get(flag) == "1"
    return values


def _link_changes(values: dict[str, Any], kinship_codes: bool) -> dict[str, Any]:
    """The link as the domain takes it; a kinship of the nomenclature is recorded as the
    product's ``Relationship``."""
    relationship = values["relationship"]
    if kinship_codes and relationship:
        relationship = relationship_of(relationship).value
    return {
        "responsibility": values["responsibility"],
        "relationship": relationship,
        **{flag: values[flag] for flag, _ in FLAGS},
    }


def _guardian_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: _text(form, name) for name, *_ in GUARDIAN_FORM}
    values |= {
        "civility": _text(form, "civility"),
        "profession_code": _text(form, "profession_code"),
        "accepts_sms": form.get("accepts_sms") == "1",
    }
    for name, *_ in ADDRESS_FORM:
        values[f"address.{name}"] = _text(form, f"address.{name}")
    return values


def _guardian_changes(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name, *_ in GUARDIAN_FORM} | {
        "civility": values["civility"],
        "profession_code": values["profession_code"],
        "accepts_sms": values["accepts_sms"],
    }


def _shown(errors: list[FieldError]) -> tuple[dict[str, str], list[str]]:
    """The errors on the form's fields (the domain names them ``address.postal_code``...) and
    the others (a stale version, a refusal of no one field)."""
    fields = {e.field: e.message for e in errors if e.field != "version"}
    return fields, [e.message for e in errors if e.field == "version"]


def _sharing(housemates: Housemates) -> str:
    """Who else the address is for, as the form says it."""
    names = list(housemates.names)
    if housemates.others:
        names.append(
            "1 autre personne, d'un autre établissement"
            if housemates.others == 1
            else f"{housemates.others} autres personnes, d'autres établissements"
        )
    return ", ".join(names)


async def _edit_form(
    page: Page,
    student: StudentCard,
    view: GuardianView,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    housemates = await page.work.read(address_sharers, view.guardian.id)
    field_errors, other_errors = _shown(errors)
    return page.render(
        "students/guardian.html",
        status_code,
        student=student,
        view=view,
        values=values,
        errors=errors,
        field_errors=field_errors,
        other_errors=other_errors,
        stale=any(e.code == "STALE" for e in errors),
        shared=bool(housemates.names or housemates.others),
        sharing=_sharing(housemates),
        move_options=[
            (
                "famille",
                f"Toute la famille déménage (l'adresse change pour : {_sharing(housemates)})",
            ),
            ("seul", "Seul ce responsable déménage (les autres gardent l'adresse actuelle)"),
        ],
        **await _lists(page, values),
    )


@page_handler(destinations.GUARDIAN)
async def edit(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    link_id: int = page.request.path_params["link_id"]
    student, school_id = await _student(page, student_id, update_guardian)
    view = await _view(page, student_id, link_id)
    guardian, link = view.guardian, view.link
    if page.request.method == "GET":
        values: dict[str, Any] = {
            name: getattr(guardian, name) or "" for name, *_ in GUARDIAN_FORM
        } | {
            "civility": guardian.civility.value,
            "profession_code": guardian.profession_code or "",
            "accepts_sms": guardian.accepts_sms,
            "version": str(guardian.version),
            "responsibility": responsibility_of(link),
            "relationship": link.relationship.value,
            "moves_out": "",
            **{flag: getattr(link, flag) for flag, _ in FLAGS},
            **_address_values(view.address),
        }
        return await _edit_form(page, student, view, values, [])
    form = await page.request.form()
    values = _guardian_values(form) | _link_values(form)
    values["version"] = _text(form, "version")
    values["moves_out"] = move = _text(form, "moves_out")
    housemates = await page.work.read(address_sharers, guardian.id)
    changes = _guardian_changes(values)
    typed = _typed_address(values)
    errors: list[FieldError] = []
    if typed != _typed_address(_address_values(view.address)):
        # Only a changed address is written: the household's row is left alone otherwise.
        changes["address"] = typed
        if housemates.names or housemates.others:
            if move not in MOVES:
                errors.append(
                    FieldError(
                        "moves_out",
                        "REQUIRED",
                        "L'adresse est partagée : indiquez si toute la famille déménage ou "
                        "seulement ce responsable.",
                    )
                )
            changes["moves_out"] = move == "seul"
    kinships = await page.work.read(list_entries, "kinship", _year(page))
    version = parse_id(values["version"])
    if errors:
        # The other fields' errors too, without writing anything.
        try:
            parse_guardian_and_address(changes, "address" in changes)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
        return await _edit_form(page, student, view, values, errors, 400)
    try:
        async with page.work.writing(school_id) as transaction:
            found: list[FieldError] = []
            for run in (
                lambda: transaction.run(
                    update_guardian,
                    guardian.id,
                    changes,
                    # A form without its version is stale, never "skip the check".
                    expected_version=version if version is not None else 0,
                ),
                lambda: transaction.run(
                    update_guardian_link, link.id, _link_changes(values, bool(kinships))
                ),
            ):
                try:
                    await run()
                except StaleVersion:
                    raise
                except ValidationFailed as exc:
                    found.extend(exc.errors)
            if found:
                # Both parts' errors at once; nothing of either is kept.
                raise ValidationFailed(found)
    except StaleVersion as exc:
        return await _edit_form(page, student, view, values, exc.errors, 409)
    except ValidationFailed as exc:
        return await _edit_form(page, student, view, values, exc.errors, 400)
    return redirect(f"/eleves/{student_id}?enregistre=responsable#titre-responsables")


def _identifies(guardian: GuardianMatch) -> str:
    name = f"{guardian.civility.value} {guardian.family_name.upper()} {guardian.first_name}"
    return f"{name} — {guardian.city}" if guardian.city else name


async def _add_form(
    page: Page,
    student: StudentCard,
    school_id: int,
    values: dict[str, Any],
    errors: list[FieldError],
    found: list[GuardianMatch] | None = None,
    status_code: int = 200,
) -> Response:
    if found is None and values.get("mode") == "existant" and values.get("search"):
        # The guardians found before, shown again with the one chosen.
        try:
            found = await page.work.read(find_guardians, school_id, values["search"])
        except ValidationFailed:
            found = []
    field_errors, other_errors = _shown(errors)
    return page.render(
        "students/guardian_new.html",
        status_code,
        student=student,
        values=values,
        errors=errors,
        field_errors=field_errors,
        other_errors=other_errors,
        found=None if found is None else [(g.id, _identifies(g)) for g in found],
        guardian_modes=GUARDIAN_MODES,
        **await _lists(page, values),
    )


@page_handler(destinations.NEW_GUARDIAN)
async def add(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    student, school_id = await _student(page, student_id, link_guardian)
    if page.request.method == "GET":
        taken = {v.link.legal_rank for v in await page.work.read(guardians_of, student_id)}
        values: dict[str, Any] = {
            "mode": "existant",
            "search": "",
            "guardian_id": "",
            "civility": "",
            "profession_code": "",
            "responsibility": next(
                (f"legal_{rank}" for rank in (1, 2) if rank not in taken), "other"
            ),
            "relationship": "",
            "lives_with": True,
            "receives_mail": True,
            "same_address": student.address is not None,
            **_address_values(None),
        }
        return await _add_form(page, student, school_id, values, [])
    form = await page.request.form()
    values = _guardian_values(form) | _link_values(form)
    values |= {
        "mode": _text(form, "mode"),
        "search": _text(form, "search"),
        "guardian_id": _text(form, "guardian_id"),
        "same_address": form.get("same_address") == "1",
    }
    # Enter in any field presses the form's first button ("Rechercher"): a search only when a
    # name to look for was typed.
    if form.get("chercher") == "1" and values["search"].strip():
        # "Rechercher": the guardians of that name, to choose from; nothing is written.
        values["mode"] = "existant"
        try:
            found = await page.work.read(find_guardians, school_id, values["search"])
        except ValidationFailed as exc:
            errors = [FieldError("search", e.code, e.message) for e in exc.errors]
            return await _add_form(page, student, school_id, values, errors, [], 400)
        return await _add_form(page, student, school_id, values, [], found)
    kinships = await page.work.read(list_entries, "kinship", _year(page))
    link = _link_changes(values, bool(kinships))
    guardian_id, new = None, None
    if values["mode"] == "existant":
        guardian_id = parse_id(values["guardian_id"])
        if guardian_id is None:
            error = FieldError(
                "search" if not values["search"] else "guardian_id",
                "REQUIRED",
                "Recherchez le responsable par son nom, puis choisissez-le dans la liste.",
            )
            return await _add_form(page, student, school_id, values, [error], status_code=400)
    elif values["mode"] == "nouveau":
        new = _guardian_changes(values)
        if values["same_address"] and student.address is not None:
            # Typed alike, the student's household's address is shared, not copied.
            new["address"] = _typed_address(_address_values(student.address))
        else:
            new["address"] = _typed_address(values)
    else:
        error = FieldError(
            "mode", "REQUIRED", "Indiquez si le responsable est déjà connu ou nouveau."
        )
        return await _add_form(page, student, school_id, values, [error], status_code=400)
    try:
        async with page.work.writing(school_id) as transaction:
            await transaction.run(link_guardian, student_id, link, guardian_id, new)
    except ValidationFailed as exc:
        return await _add_form(page, student, school_id, values, exc.errors, status_code=400)
    return redirect(f"/eleves/{student_id}?enregistre=responsable-ajoute#titre-responsables")


@page_handler(destinations.GUARDIAN)
async def remove(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    link_id: int = page.request.path_params["link_id"]
    student, school_id = await _student(page, student_id, unlink_guardian)
    view = await _view(page, student_id, link_id)
    if page.request.method == "GET":
        return page.render("students/guardian_remove.html", student=student, view=view)
    async with page.work.writing(school_id) as transaction:
        await transaction.run(unlink_guardian, link_id)
    return redirect(f"/eleves/{student_id}?enregistre=responsable-retire#titre-responsables")

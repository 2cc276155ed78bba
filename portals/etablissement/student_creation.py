"""/eleves/nouveau: the inscription of a new student in the school being worked on, with his
address, his guardians, his MEF, division, groups and options, in one transaction
(``api.resolvers.students.create_student``, as the API's createStudent).

Each guardian is either one the school already knows (a sibling's parent: searched by name,
"Rechercher" re-shows the form with the guardians found) or a new one. A student who looks
like one already known to the académie (same name, birth date and place) is created only
after the registrar confirms it is another child ("Créer quand même").
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.guardians import GuardianMatch, find_guardians
from api.resolvers.nomenclatures import list_entries, list_mefs, option_subjects, relationship_of
from api.resolvers.structures import list_divisions, list_groups
from api.resolvers.students import IDENTITY_FIELDS, create_student
from core import clock
from core.errors import FieldError, ValidationFailed
from portals.common.rendering import date_fr
from portals.etablissement import destinations
from portals.etablissement.labels import REGIME, RELATIONSHIP, entry_label
from portals.etablissement.students import IDENTITY_FORM
from portals.etablissement.web import Page, page_handler, parse_id, redirect

ENROLMENT_FIELDS = ("mef_id", "division_id", "regime", "entry_date")
DUPLICATE_CODE = "PROBABLE_DUPLICATE"
# The form's guardians: the two legal ones at most, as families are most often enrolled.
GUARDIAN_SLOTS = 2
ADDRESS_FORM = (
    ("line1", "Adresse (numéro et voie)", "", True),
    ("line2", "Complément d'adresse", "Bâtiment, lieu-dit…", False),
    ("postal_code", "Code postal", "5 chiffres en France", True),
    ("city", "Commune (ou ville à l'étranger)", "", True),
    ("country_code", "Pays (code INSEE)", "3 chiffres, 100 pour la France", False),
)
GUARDIAN_FORM = (
    ("family_name", "Nom", "", True),
    ("usage_name", "Nom d'usage", "Si différent du nom", False),
    ("first_name", "Prénom", "", True),
    ("phone_mobile", "Téléphone portable", "10 chiffres, ex. 06 12 34 56 78", False),
    ("phone_home", "Téléphone du domicile", "", False),
    ("phone_work", "Téléphone professionnel", "", False),
    ("email", "Adresse électronique", "ex. prenom.nom@exemple.fr", False),
)
GUARDIAN_MODES = (
    ("aucun", "Pas de responsable à saisir"),
    ("existant", "Responsable déjà connu de l'établissement (frère ou sœur inscrit)"),
    ("nouveau", "Nouveau responsable"),
)
RESPONSIBILITIES = (
    ("legal_1", "Responsable légal 1"),
    ("legal_2", "Responsable légal 2"),
    ("other", "Autre responsable (personne à contacter, en charge de l'élève)"),
)
FLAGS = ("lives_with", "receives_mail", "pays_fees")
MAX_TEXT = 200


def _school_id(page: Page) -> int:
    if page.school is None or page.year is None or not page.may(create_student, page.school.id):
        raise page.refusal(create_student)
    return page.school.id


def _text(form: FormData, name: str) -> str:
    return str(form.get(name) or "")[:MAX_TEXT]


def _prefix(index: int) -> str:
    return f"guardians.{index}."


async def _form_page(
    page: Page,
    values: dict[str, Any],
    errors: list[FieldError],
    found: dict[int, list[GuardianMatch]] | None = None,
    status_code: int = 200,
) -> Response:
    assert page.school is not None and page.year is not None
    school_id, year = page.school.id, page.year
    divisions = await page.work.read(list_divisions, school_id, year.id)
    groups = await page.work.read(list_groups, school_id, year.id)
    mefs = await page.work.read(list_mefs, school_id)
    subjects = await page.work.read(option_subjects, school_id)
    # The coded lists in force this year (their SIECLE codes); the kinds alone before any
    # nomenclature is loaded.
    regimes = await page.work.read(list_entries, "regime", year.start_year)
    kinships = await page.work.read(list_entries, "kinship", year.start_year)
    professions = await page.work.read(list_entries, "profession", year.start_year)
    found = dict(found or {})
    for index in range(GUARDIAN_SLOTS):
        prefix = _prefix(index)
        if index not in found and values.get(prefix + "mode") == "existant":
            # The guardians found before, shown again with the one chosen.
            try:
                found[index] = await page.work.read(
                    find_guardians, school_id, values.get(prefix + "search", "")
                )
            except ValidationFailed:
                found[index] = []
    duplicate = next((e for e in errors if e.code == DUPLICATE_CODE), None)
    shown = [e for e in errors if e is not duplicate]
    return page.render(
        "students/new.html",
        status_code,
        fields=IDENTITY_FORM,
        address_form=ADDRESS_FORM,
        guardian_form=GUARDIAN_FORM,
        guardian_slots=range(GUARDIAN_SLOTS),
        guardian_modes=GUARDIAN_MODES,
        responsibilities=RESPONSIBILITIES,
        values=values,
        errors=shown,
        duplicate=duplicate,
        field_errors={e.field: e.message for e in shown if e.field != "guardians"},
        other_errors=[e for e in shown if e.field == "guardians"],
        found={
            index: [(g.id, _identifies(g)) for g in matches] for index, matches in found.items()
        },
        mef_options=[(m.id, m.short_label) for m in mefs],
        division_options=[(d.division.id, d.division.code) for d in divisions],
        group_options=[(g.group.id, f"{g.group.code} — {g.group.label}") for g in groups],
        option_options=[(s.id, s.short_label) for s in subjects],
        regime_options=[(e.code, entry_label(e)) for e in regimes]
        or [(regime.value, label) for regime, label in REGIME.items()],
        kinship_options=[(e.code, entry_label(e)) for e in kinships]
        or [(link.value, label) for link, label in RELATIONSHIP.items()],
        kinship_from_nomenclature=bool(kinships),
        profession_options=[(e.code, entry_label(e)) for e in professions],
        civility_options=[("M.", "M."), ("Mme", "Mme")],
    )


def _identifies(guardian: GuardianMatch) -> str:
    name = f"{guardian.civility.value} {guardian.family_name.upper()} {guardian.first_name}"
    return f"{name} — {guardian.city}" if guardian.city else name


def _values(form: FormData) -> dict[str, Any]:
    """The typed values, bounded, under the form's names (for the form shown again)."""
    values: dict[str, Any] = {
        field: _text(form, field) for field in (*IDENTITY_FIELDS, *ENROLMENT_FIELDS)
    }
    for name, *_ in ADDRESS_FORM:
        values[f"address.{name}"] = _text(form, f"address.{name}")
    values["group_ids"] = [v for v in form.getlist("group_ids")[:100] if parse_id(v)]
    values["option_ids"] = [v for v in form.getlist("option_ids")[:100] if parse_id(v)]
    for index in range(GUARDIAN_SLOTS):
        prefix = _prefix(index)
        names = [
            "mode",
            "search",
            "guardian_id",
            "civility",
            "profession_code",
            "responsibility",
            "relationship",
            *(name for name, *_ in GUARDIAN_FORM),
            *(f"address.{name}" for name, *_ in ADDRESS_FORM),
        ]
        for name in names:
            values[prefix + name] = _text(form, prefix + name)
        for flag in (*FLAGS, "same_address"):
            values[prefix + flag] = form.get(prefix + flag) == "1"
    return values


def _address(values: dict[str, Any], prefix: str) -> dict[str, str]:
    return {name: values[f"{prefix}address.{name}"] for name, *_ in ADDRESS_FORM}


def _guardians(values: dict[str, Any], kinship_codes: bool) -> list[dict[str, Any]]:
    """The guardians as ``create_student`` takes them; the kinship chosen from the
    nomenclature is recorded as the product's ``Relationship``."""
    given = []
    for index in range(GUARDIAN_SLOTS):
        prefix = _prefix(index)
        mode = values[prefix + "mode"]
        if mode not in ("existant", "nouveau"):
            continue
        relationship = values[prefix + "relationship"]
        if kinship_codes and relationship:
            relationship = relationship_of(relationship).value
        guardian: dict[str, Any] = {
            "responsibility": values[prefix + "responsibility"],
            "relationship": relationship,
            **{flag: values[prefix + flag] for flag in FLAGS},
            "guardian_id": None,
            "new_guardian": None,
        }
        if mode == "existant":
            guardian["guardian_id"] = parse_id(values[prefix + "guardian_id"])
        else:
            new = {name: values[prefix + name] for name, *_ in GUARDIAN_FORM}
            new |= {
                "civility": values[prefix + "civility"],
                "profession_code": values[prefix + "profession_code"],
                "same_address": values[prefix + "same_address"],
            }
            if not values[prefix + "same_address"]:
                new["address"] = _address(values, prefix)
            guardian["new_guardian"] = new
        given.append(guardian)
    return given


def _renumbered(errors: list[FieldError], slots: list[int]) -> list[FieldError]:
    """The domain numbers the guardians given from 0; the form's slots may skip one."""
    out = []
    for e in errors:
        parts = e.field.split(".", 2)
        if parts[0] == "guardians" and len(parts) == 3 and parts[1].isdigit():
            slot = slots[int(parts[1])] if int(parts[1]) < len(slots) else int(parts[1])
            message = e.message.replace(
                f"Responsable {int(parts[1]) + 1} —", f"Responsable {slot + 1} —", 1
            )
            out.append(FieldError(f"guardians.{slot}.{parts[2]}", e.code, message))
        else:
            out.append(e)
    return out


@page_handler(destinations.NEW_STUDENT)
async def new_student(page: Page) -> Response:
    school_id = _school_id(page)
    assert page.year is not None
    if page.request.method == "GET":
        values: dict[str, Any] = {
            "entry_date": date_fr(clock.today()),
            "address.country_code": "100",
        }
        for index in range(GUARDIAN_SLOTS):
            prefix = _prefix(index)
            values |= {
                prefix + "mode": "aucun",
                prefix + "responsibility": ("legal_1", "legal_2")[index],
                prefix + "lives_with": True,
                prefix + "receives_mail": True,
                prefix + "same_address": True,
                prefix + "address.country_code": "100",
            }
        return await _form_page(page, values, [])
    form = await page.request.form()
    values = _values(form)
    searched = str(form.get("chercher") or "")
    # Enter in any field presses the form's first button (the first "Rechercher"): a search
    # only when a name to look for was typed.
    if (
        searched.isdigit()
        and int(searched) < GUARDIAN_SLOTS
        and values[_prefix(int(searched)) + "search"].strip()
    ):
        # "Rechercher": the guardians of that name, to choose from; nothing is written.
        index = int(searched)
        values[_prefix(index) + "mode"] = "existant"
        try:
            matches = await page.work.read(
                find_guardians, school_id, values[_prefix(index) + "search"]
            )
        except ValidationFailed as exc:
            errors = [
                FieldError(
                    f"{_prefix(index)}search", e.code, f"Responsable {index + 1} — {e.message}"
                )
                for e in exc.errors
            ]
            return await _form_page(page, values, errors, status_code=400)
        return await _form_page(page, values, [], found={index: matches})
    kinships = await page.work.read(list_entries, "kinship", page.year.start_year)
    slots = [
        index
        for index in range(GUARDIAN_SLOTS)
        if values[_prefix(index) + "mode"] in ("existant", "nouveau")
    ]
    enrolment = {
        "school_id": school_id,
        "school_year_id": page.year.id,
        "mef_id": parse_id(values["mef_id"]),
        "division_id": parse_id(values["division_id"]),
        "group_ids": values["group_ids"],
        "option_ids": values["option_ids"],
        "regime": values["regime"],
        "entry_date": values["entry_date"],
    }
    try:
        async with page.work.writing(school_id) as transaction:
            student = await transaction.run(
                create_student,
                {field: values[field] for field in IDENTITY_FIELDS},
                enrolment,
                confirm_duplicate=form.get("confirm_duplicate") == "1",
                address=_address(values, ""),
                guardians=_guardians(values, bool(kinships)),
            )
            student_id = student.id
    except ValidationFailed as exc:
        errors = _renumbered(exc.errors, slots)
        return await _form_page(page, values, errors, status_code=400)
    return redirect(f"/eleves/{student_id}?enregistre=1")

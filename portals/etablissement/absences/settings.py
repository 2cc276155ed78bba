"""/absences/parametres: the school's absence settings, one form per part (general, week,
grid, motives, justifications, closed days, letter templates); each saves on its own and
comes back with its errors named in French."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from api.resolvers.absences import configuration
from api.resolvers.absences.letters import (
    MERGE_FIELDS,
    TemplateInput,
    create_template,
    school_templates,
    update_template,
)
from api.resolvers.absences.settings import school_setup
from api.resolvers.vocabulary import ContactChannel, HalfDay, HolidayZone
from core.errors import FieldError, NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.absences.form_values import parse_day, text
from portals.etablissement.web import Page, page_handler, parse_id, redirect

WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
CHANNELS = [
    (ContactChannel.LETTER, "Courrier"),
    (ContactChannel.EMAIL, "Courriel"),
    (ContactChannel.SMS, "SMS"),
]
SAVED = {
    "general": "Paramètres généraux enregistrés.",
    "semaine": "Semaine enregistrée.",
    "grille": "Grille horaire enregistrée.",
    "motif": "Motif enregistré.",
    "justificatif": "Justificatif enregistré.",
    "fermeture": "Fermeture enregistrée.",
    "fermeture-supprimee": "Fermeture supprimée.",
    "modele": "Modèle enregistré.",
    "logo": "Logo enregistré.",
}


# The domain's field names -> the ids of the part's fields ({key}: the motive's or the
# justification's, "nouveau" for a new one). The week's error marks every checkbox.
FIELD_IDS = {
    "general": {"holidayZone": "champ-zone", "letterSignature": "champ-signature"},
    "logo": {"logo": "champ-logo"},
    "semaine": {"weekdays": "matin-0"},
    "motif": {
        "id": "motif-code-{key}",
        "code": "motif-code-{key}",
        "label": "motif-libelle-{key}",
        "genericCode": "motif-generique-{key}",
        "colour": "motif-couleur-{key}",
        "forAbsence": "motif-absences-{key}",
    },
    "justificatif": {
        "id": "justificatif-code-{key}",
        "code": "justificatif-code-{key}",
        "label": "justificatif-libelle-{key}",
    },
    "fermeture": {"day": "champ-fermeture-jour", "label": "champ-fermeture-libelle"},
    "modele": {
        "code": "champ-modele-code",
        "label": "champ-modele-libelle",
        "channel": "champ-modele-canal",
        "subject": "champ-modele-objet",
        "body": "champ-modele-texte",
    },
}
SLOT_FIELDS = {
    "id": "code",
    "code": "code",
    "startsAt": "debut",
    "endsAt": "fin",
    "halfDay": "demi",
}
GRID_ID = re.compile(r"(?:code|debut|fin|demi)-\d+")
DOMAIN_SLOT = re.compile(r"slots\[(\d+)\]\.(\w+)")


@dataclass
class Failure:
    """The part of the page whose form failed, its errors by the id of their field (the
    messages of no one field apart) and what was typed."""

    part: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)

    @property
    def ids(self) -> dict[str, str]:
        """For the summary's links: the errors' keys are their fields' ids."""
        return {name: name for name in self.errors}


def _field_id(part: str, form: FormData, name: str) -> str | None:
    """The id of the field of ``part``'s form that the domain's field ``name`` is, if any."""
    if part == "grille":
        if GRID_ID.fullmatch(name):
            return name
        _slots, rows, _errors = _slot_inputs(form)
        slot = DOMAIN_SLOT.fullmatch(name)
        if slot and int(slot.group(1)) < len(rows) and slot.group(2) in SLOT_FIELDS:
            return f"{SLOT_FIELDS[slot.group(2)]}-{rows[int(slot.group(1))]}"
        if name == "slots":  # none left, or one emptied that is in use: its row
            emptied = [
                n
                for n in range(_row_count(form))
                if form.get(f"id-{n}") and n not in rows and not form.get(f"code-{n}")
            ]
            return f"code-{emptied[0] if emptied else 0}"
        return None
    found = FIELD_IDS.get(part, {}).get(name)
    return found.format(key=str(form.get("id") or "nouveau")) if found else None


def _failure(part: str, form: FormData, errors: list[FieldError]) -> Failure:
    failure = Failure(part, values={key: form.get(key) for key in form if key != "csrf_token"})
    for error in errors:
        field_id = _field_id(part, form, error.field)
        if field_id is None:
            failure.others.append(error.message)
        elif field_id in failure.errors:
            failure.errors[field_id] += f" {error.message}"
        else:
            failure.errors[field_id] = error.message
    return failure


def _time(raw: Any) -> time | None:
    try:
        return time.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


async def _page(page: Page, failure: Failure | None = None, status: int = 200) -> Response:
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    setup = await page.work.read(school_setup, school.id)
    forms = await page.work.read(configuration.configuration_forms, school.id)
    generic = forms.generic_motives
    templates = await page.work.read(school_templates, school.id)
    edited = parse_id(page.request.query_params.get("modele"))
    saved = page.request.query_params.get("enregistre") or ""
    return page.render(
        "absences/settings.html",
        status,
        setup=setup,
        settings=forms.settings,
        zones=[zone.value for zone in HolidayZone],
        weekdays=WEEKDAYS,
        week=forms.week,
        slots=[setup.slots[s.id] for s in setup.grid.slots],
        motives=sorted(setup.motives.values(), key=lambda m: m.code),
        generic=generic,
        generic_by_id={g.id: g for g in generic},
        justifications=sorted(setup.justifications.values(), key=lambda j: j.code),
        closed=forms.closed_days,
        templates=templates,
        edited=next((t for t in templates if t.id == edited), None),
        channels=CHANNELS,
        merge_fields=MERGE_FIELDS,
        failure=failure or Failure(),
        message=SAVED.get(saved, ""),
    )


@page_handler(destinations.ABSENCE_SETTINGS)
async def settings_page(page: Page) -> Response:
    return await _page(page)


def _row_count(form: FormData) -> int:
    raw = str(form.get("lignes") or "0")
    return min(int(raw), 200) if raw.isdigit() else 0


def _slot_inputs(
    form: FormData,
) -> tuple[list[configuration.SlotInput], list[int], dict[str, str]]:
    """The grid's slots, the row of each, and the errors of the rows badly filled (by the id
    of the field in error)."""
    slots: list[configuration.SlotInput] = []
    rows: list[int] = []
    errors: dict[str, str] = {}
    for n in range(_row_count(form)):
        code = text(form.get(f"code-{n}"), 10)
        if not code and not form.get(f"debut-{n}"):
            continue
        starts, ends = _time(form.get(f"debut-{n}")), _time(form.get(f"fin-{n}"))
        half = str(form.get(f"demi-{n}") or "")
        if starts is None or ends is None or half not in ("morning", "afternoon"):
            for name, wrong in (("debut", starts is None), ("fin", ends is None)):
                if wrong:
                    errors[f"{name}-{n}"] = f"Ligne {n + 1} : horaire au format HH:MM."
            if half not in ("morning", "afternoon"):
                errors[f"demi-{n}"] = f"Ligne {n + 1} : choisissez la demi-journée."
            continue
        slots.append(
            configuration.SlotInput(
                code, starts, ends, HalfDay(half), parse_id(form.get(f"id-{n}"))
            )
        )
        rows.append(n)
    return slots, rows, errors


async def _save(page: Page, part: str, form: FormData) -> None:
    school = page.school
    assert school is not None
    async with page.work.writing(school.id) as transaction:
        if part == "general":
            zone = str(form.get("zone") or "")
            if zone not in {z.value for z in HolidayZone}:
                raise ValidationFailed.single("holidayZone", "INVALID", "Choisissez une zone.")
            await transaction.run(
                configuration.update_absence_settings,
                school.id,
                HolidayZone(zone),
                text(form.get("signature"), 200),
            )
        elif part == "logo":
            upload = form.get("logo")
            content = await upload.read() if isinstance(upload, UploadFile) else b""
            await transaction.run(
                configuration.set_logo, school.id, None if form.get("retirer") else content or None
            )
        elif part == "semaine":
            week = {day: (f"matin-{day}" in form, f"apres-midi-{day}" in form) for day in range(7)}
            await transaction.run(configuration.set_school_week, school.id, week)
        elif part == "grille":
            slots, _rows, errors = _slot_inputs(form)
            if errors:
                raise ValidationFailed(
                    [FieldError(name, "INVALID", message) for name, message in errors.items()]
                )
            await transaction.run(configuration.set_time_slots, school.id, slots)
        elif part == "motif":
            await transaction.run(
                configuration.save_motive,
                school.id,
                configuration.MotiveInput(
                    code=text(form.get("code"), 10),
                    label=text(form.get("libelle"), 80),
                    generic_code=text(form.get("generique"), 8),
                    colour=text(form.get("couleur"), 7),
                    for_absence="absences" in form,
                    for_lateness="retards" in form,
                    is_active="actif" in form,
                ),
                parse_id(form.get("id")),
            )
        elif part == "justificatif":
            await transaction.run(
                configuration.save_justification,
                school.id,
                configuration.JustificationInput(
                    text(form.get("code"), 10), text(form.get("libelle"), 80), "actif" in form
                ),
                parse_id(form.get("id")),
            )
        elif part == "fermeture":
            day = parse_day(form.get("jour"))
            if day is None:
                raise ValidationFailed.single("day", "INVALID", "Date invalide.")
            half = str(form.get("demi") or "")
            await transaction.run(
                configuration.add_closed_day,
                school.id,
                day,
                HalfDay(half) if half in ("morning", "afternoon") else None,
                text(form.get("libelle"), 80),
            )
        elif part == "fermeture-supprimee":
            closed_id = parse_id(form.get("id"))
            if closed_id is None:
                raise NotFound("ClosedDay", 0)
            await transaction.run(configuration.remove_closed_day, closed_id)
        elif part == "modele":
            channel = str(form.get("canal") or "")
            entry = TemplateInput(
                code=text(form.get("code"), 10),
                label=text(form.get("libelle"), 80),
                channel=ContactChannel(channel)
                if channel in ("letter", "email", "sms")
                else ContactChannel.PHONE,
                subject=text(form.get("objet"), 200),
                body=str(form.get("texte") or ""),
                is_active="actif" in form,
            )
            template_id = parse_id(form.get("id"))
            if template_id is None:
                await transaction.run(create_template, school.id, entry)
            else:
                await transaction.run(update_template, template_id, entry)
        else:
            raise NotFound("Part", part)


@page_handler(destinations.ABSENCE_SETTINGS)
async def save_settings(page: Page) -> Response:
    """POST /absences/parametres/{part}."""
    part: str = page.request.path_params["part"]
    if page.school is None:
        raise NotFound("School", 0)
    form = await page.request.form()
    try:
        await _save(page, part, form)
    except ValidationFailed as exc:
        return await _page(page, _failure(part, form, exc.errors), status=400)
    anchor = "modeles" if part == "modele" else part
    return redirect(f"/absences/parametres?enregistre={part}#{anchor}")

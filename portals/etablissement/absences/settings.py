"""/absences/parametres: the school's absence settings, one form per part (general, week,
grid, motives, justifications, closed days, letter templates); each saves on its own and
comes back with its errors named in French."""

from __future__ import annotations

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
from core.errors import NotFound, ValidationFailed
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


@dataclass
class Failure:
    """The part of the page whose form failed, its errors and what was typed."""

    part: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def error(self, part: str, name: str) -> str:
        return self.errors.get(name, "") if part == self.part else ""


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


def _slot_inputs(form: FormData) -> tuple[list[configuration.SlotInput], dict[str, str]]:
    slots: list[configuration.SlotInput] = []
    errors: dict[str, str] = {}
    for n in range(int(str(form.get("lignes") or "0") or 0)):
        code = text(form.get(f"code-{n}"), 10)
        if not code and not form.get(f"debut-{n}"):
            continue
        starts, ends = _time(form.get(f"debut-{n}")), _time(form.get(f"fin-{n}"))
        half = str(form.get(f"demi-{n}") or "")
        if starts is None or ends is None or half not in ("morning", "afternoon"):
            errors[f"slots[{len(slots)}].startsAt"] = (
                f"Ligne {n + 1} : horaires HH:MM et demi-journée."
            )
            continue
        slots.append(
            configuration.SlotInput(
                code, starts, ends, HalfDay(half), parse_id(form.get(f"id-{n}"))
            )
        )
    return slots, errors


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
            slots, errors = _slot_inputs(form)
            if errors:
                raise ValidationFailed.single(
                    next(iter(errors)), "INVALID", next(iter(errors.values()))
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
        values = {key: form.get(key) for key in form if key != "csrf_token"}
        failure = Failure(part, {e.field: e.message for e in exc.errors}, values)
        return await _page(page, failure, status=400)
    anchor = "modeles" if part == "modele" else part
    return redirect(f"/absences/parametres?enregistre={part}#{anchor}")

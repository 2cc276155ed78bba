"""/absences: the entry grid of a division for a week, and recording from it.

The grid shows the division's students against the week's half-periods. With
``absences-grid.js``, one click on a cell prepares a lateness at that slot, a second click
on the same student's line makes it an absence from the first cell to the second; the form
below the grid is then completed (motive, justification, comment) and saved. From the keyboard
the grid is one tab stop (the ARIA grid pattern): the arrow keys move, Enter or Space chooses,
and a skip link leads to the form and back. Without script, a cell is a link that opens the
same form filled with that cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.responses import Response

from api.resolvers.absences.colours import text_colour
from api.resolvers.absences.events import (
    AbsenceEntry,
    AbsenceEvent,
    LatenessEntry,
    record_absence,
    record_lateness,
)
from api.resolvers.absences.follow_up import DivisionSheet, division_sheet
from api.resolvers.absences.settings import NO_MOTIVE_COLOUR, SchoolAbsenceSetup, school_setup
from api.resolvers.vocabulary import EventKind
from core import clock
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.absences.classes import class_choices
from portals.etablissement.absences.form_values import form_errors, monday_of, parse_day, text
from portals.etablissement.web import Page, page_handler, parse_id, redirect

WEEKDAY_NAMES = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
# What an event without a motive carries in its cell, instead of a motive's code.
NO_MOTIVE_CODE = "?"


@dataclass(frozen=True)
class Marker:
    """How a motive shows on the grid: its code written on its colour, so that the colour is
    never the only cue; ``ink`` is the letters' colour, at 4.5:1 on the colour."""

    code: str
    label: str
    colour: str
    ink: str

    @property
    def ink_class(self) -> str:
        return "sconet-ink-" + self.ink.removeprefix("#")


def marker(code: str, label: str, colour: str) -> Marker:
    return Marker(code, label, colour, text_colour(colour))


NO_MOTIVE = marker(NO_MOTIVE_CODE, "Sans motif", NO_MOTIVE_COLOUR)


def legend(setup: SchoolAbsenceSetup) -> list[Marker]:
    """The active motives' markers by code, then the one of events without a motive."""
    motives = sorted((m for m in setup.motives.values() if m.is_active), key=lambda m: m.code)
    return [marker(m.code, m.label, m.colour) for m in motives] + [NO_MOTIVE]


@dataclass(frozen=True)
class Cell:
    day: date
    slot_id: int
    order: int
    taught: bool
    event: AbsenceEvent | None
    # The event's motive (its code on its colour); None for a cell without an event.
    marker: Marker | None
    title: str


@dataclass(frozen=True)
class GridRow:
    student_id: int
    name: str
    cells: list[Cell]


@dataclass
class EntryForm:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def _event_title(setup: SchoolAbsenceSetup, event: AbsenceEvent) -> str:
    motive = setup.motives.get(event.motive_id) if event.motive_id else None
    what = f"Retard de {event.minutes_late} min" if event.kind is EventKind.LATENESS else "Absence"
    return f"{what} — {motive.label if motive else 'sans motif'}"


def grid_rows(sheet: DivisionSheet, days: list[date]) -> list[GridRow]:
    setup = sheet.setup
    rows = []
    for row in sheet.rows:
        cells = []
        for day_index, day in enumerate(days):
            for position, slot in enumerate(setup.grid.slots):
                event = sheet.mark(row, day, slot.id)
                motive = setup.motives.get(event.motive_id) if event and event.motive_id else None
                taught = setup.calendar.teaches(day, slot.half_day)
                title = (
                    f"{row.student_name} — {WEEKDAY_NAMES[day.weekday()]} {day:%d/%m} {slot.code}"
                )
                if event is not None:
                    title += " : " + _event_title(setup, event)
                elif not taught:
                    title += " : pas de cours"
                cells.append(
                    Cell(
                        day=day,
                        slot_id=slot.id,
                        order=day_index * len(setup.grid.slots) + position,
                        taught=taught,
                        event=event,
                        marker=(
                            None
                            if event is None
                            else marker(motive.code, motive.label, motive.colour)
                            if motive
                            else NO_MOTIVE
                        ),
                        title=title,
                    )
                )
        rows.append(GridRow(row.student_id, row.student_name, cells))
    return rows


def _week_days(setup: SchoolAbsenceSetup, monday: date) -> list[date]:
    """Monday to Friday, and Saturday or Sunday when the school teaches then."""
    days = [monday + timedelta(days=n) for n in range(5)]
    for n in (5, 6):
        if setup.calendar.weekdays.get(n):
            days.append(monday + timedelta(days=n))
    return days


async def _grid(page: Page, form: EntryForm, message: str = "", status: int = 200) -> Response:
    school = page.school
    if school is None:
        return page.error(
            404, "Aucun établissement", "Aucun établissement n'est dans votre périmètre."
        )
    setup = await page.work.read(school_setup, school.id)
    choices = [c for c in await class_choices(page, division_sheet) if c.division_id]
    params = page.request.query_params
    wanted = parse_id(form.get("division") or params.get("division"))
    division_id = wanted if any(c.division_id == wanted for c in choices) else None
    if division_id is None and choices:
        division_id = choices[0].division_id
    anchor = parse_day(form.get("semaine") or params.get("semaine")) or clock.today()
    day_view = (form.get("vue") or params.get("vue")) == "jour"
    monday = monday_of(anchor)
    days = [anchor] if day_view else _week_days(setup, monday)
    step = timedelta(days=1 if day_view else 7)
    first_shown = anchor if day_view else monday
    sheet = None
    rows: list[GridRow] = []
    if division_id is not None:
        try:
            sheet = await page.work.read(
                division_sheet,
                division_id,
                first_shown,
                days=(days[-1] - first_shown).days + 1,
            )
        except NotFound:
            sheet = None
        if sheet is not None:
            rows = grid_rows(sheet, days)
    return page.render(
        "absences/grid.html",
        status,
        setup=setup,
        legend=legend(setup),
        slots=[setup.slots[s.id] for s in setup.grid.slots],
        choices=choices,
        division_id=division_id,
        monday=first_shown,
        day_view=day_view,
        view="jour" if day_view else "",
        previous_week=first_shown - step,
        next_week=first_shown + step,
        days=days,
        weekday_names=WEEKDAY_NAMES,
        rows=rows,
        form=form,
        message=message,
        can_write=page.may(record_absence, school.id),
    )


def _prefill(page: Page) -> EntryForm:
    """A form filled from a cell's link (the grid without script)."""
    params = page.request.query_params
    form = EntryForm()
    student, day, slot = params.get("eleve"), params.get("jour"), params.get("creneau")
    if student and day and slot:
        form.values = {
            "eleve": student,
            "nature": "absence",
            "debut_jour": day,
            "debut_creneau": slot,
            "fin_jour": day,
            "fin_creneau": slot,
        }
    return form


@page_handler(destinations.ABSENCES)
async def grid(page: Page) -> Response:
    saved = page.request.query_params.get("enregistre")
    message = {"absence": "Absence enregistrée.", "retard": "Retard enregistré."}.get(
        saved or "", ""
    )
    return await _grid(page, _prefill(page), message)


def _entry_errors(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if parse_id(values.get("eleve")) is None:
        errors["eleve"] = "Choisissez l'élève."
    if parse_day(values.get("debut_jour")) is None:
        errors["debut_jour"] = "Date invalide (JJ/MM/AAAA)."
    if parse_id(values.get("debut_creneau")) is None:
        errors["debut_creneau"] = "Choisissez le créneau."
    if values.get("nature") == "absence":
        if parse_day(values.get("fin_jour")) is None:
            errors["fin_jour"] = "Date invalide (JJ/MM/AAAA)."
        if parse_id(values.get("fin_creneau")) is None:
            errors["fin_creneau"] = "Choisissez le créneau."
    elif values.get("nature") == "retard":
        minutes = str(values.get("minutes") or "").strip()
        if not minutes.isdigit():
            errors["minutes"] = "Indiquez le retard en minutes."
    else:
        errors["nature"] = "Choisissez absence ou retard."
    return errors


@page_handler(destinations.ABSENCES)
async def record_entry(page: Page) -> Response:
    """POST /absences: an absence or a lateness from the grid's form."""
    school = page.school
    if school is None:
        raise NotFound("School", 0)
    raw = await page.request.form()
    values = {key: text(raw.get(key)) for key in raw if key != "csrf_token"}
    form = EntryForm(values, _entry_errors(values))
    if form.errors:
        return await _grid(page, form, status=400)
    common: dict[str, Any] = {
        "motive_id": parse_id(values.get("motif")),
        "justification_id": parse_id(values.get("justificatif")),
        "comment": values.get("commentaire") or None,
    }
    student_id = parse_id(values["eleve"])
    start = parse_day(values["debut_jour"])
    start_slot = parse_id(values["debut_creneau"])
    assert student_id is not None and start is not None and start_slot is not None
    try:
        async with page.work.writing(school.id) as transaction:
            if values["nature"] == "retard":
                await transaction.run(
                    record_lateness,
                    LatenessEntry(
                        student_id, school.id, start, start_slot, int(values["minutes"]), **common
                    ),
                )
            else:
                end, end_slot = parse_day(values["fin_jour"]), parse_id(values["fin_creneau"])
                assert end is not None and end_slot is not None
                await transaction.run(
                    record_absence,
                    AbsenceEntry(student_id, school.id, start, start_slot, end, end_slot, **common),
                )
    except ValidationFailed as exc:
        form.errors = form_errors(exc.errors)
        return await _grid(page, form, status=400)
    except NotFound:
        form.errors = {"eleve": "Cet élève n'est pas dans votre périmètre."}
        return await _grid(page, form, status=400)
    return redirect(
        page.url(
            "/absences",
            division=values.get("division"),
            semaine=values.get("semaine"),
            vue=values.get("vue"),
            enregistre=values["nature"],
        )
    )

"""Passage on the staff portal, for the school being worked on: /passage (students without a
decision per division), /passage/divisions/{id} (the division's grid: one decision per
student, a collective decision for the others), /passage/sans-division (the same grid for the
students in no division), /passage/placement (next year's divisions
and groups) and /passage/nouvel-eleve (a newcomer assigned by the académie).

Each screen runs the domain's functions (``api.resolvers.passage``) in one transaction: a
refused mass decision or placement writes nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.nomenclatures import list_entries, list_mefs
from api.resolvers.passage import (
    SchoolPassage,
    add_newcomer,
    decide_division,
    division_passage,
    place,
    school_passage,
    undivided_passage,
)
from api.resolvers.structures import list_divisions, list_groups
from api.resolvers.vocabulary import PassageOutcome
from core.errors import FieldError, NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.labels import EXIT_REASON, PASSAGE_OUTCOME, REGIME, SEX
from portals.etablissement.web import Page, page_handler, parse_id, redirect

ROW_FIELDS = (
    "outcome",
    "next_mef_id",
    "exit_motive_code",
    "exit_reason",
    "destination_uai",
    "destination_name",
)
NEWCOMER_FIELDS = (
    "family_name",
    "first_name",
    "sex",
    "birth_date",
    "birth_commune_code",
    "birth_city",
    "birth_country_code",
    "ine",
    "mef_id",
    "division_id",
    "regime",
    "previous_school_uai",
    "previous_school_name",
)
SAVED = {
    "decisions": "Les décisions de la division sont enregistrées.",
    "placement": "Les élèves sont placés.",
    "nouvel-eleve": "Le nouvel élève est inscrit pour l'an prochain.",
}
# A division has a few dozen students: more rows than this in one form is not a grid.
MAX_ROWS = 400


def _school(page: Page) -> Any:
    if page.school is None:
        raise NotFound("School", None)
    return page.school


async def _state(page: Page) -> SchoolPassage:
    return await page.work.read(school_passage, _school(page).id)


@page_handler(destinations.PASSAGE)
async def overview(page: Page) -> Response:
    state = await _state(page)
    return page.render(
        "passage/overview.html",
        state=state,
        saved=SAVED.get(page.request.query_params.get("enregistre", "")),
    )


def _outcome_options() -> list[tuple[str, str]]:
    return [(o.value, label) for o, label in PASSAGE_OUTCOME.items()]


def _row_errors(errors: list[FieldError]) -> tuple[dict[str, str], list[str]]:
    """The domain names a row's field ``<enrolment id>.<field>``; the form ``<field>-<id>``."""
    fields: dict[str, str] = {}
    others: list[str] = []
    for error in errors:
        enrollment_id, _dot, name = error.field.partition(".")
        if name in ROW_FIELDS and enrollment_id.isdigit():
            fields[f"{name}-{enrollment_id}"] = error.message
        elif name == "version" and enrollment_id.isdigit():
            fields[f"outcome-{enrollment_id}"] = error.message
        elif error.field in ("default", "outcome"):
            fields["default"] = error.message
        else:
            others.append(error.message)
    return fields, others


async def _grid(
    page: Page,
    division_id: int | None,
    values: dict[str, str] | None,
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    """A division's grid, or (``division_id`` None) the grid of the students in no division."""
    if division_id is None:
        state = await page.work.read(undivided_passage, _school(page).id)
    else:
        state = await page.work.read(division_passage, division_id)
    school = state.school
    mefs = await page.work.read(list_mefs, school.id)
    motives = await page.work.read(list_entries, "exit_motive", state.year.start_year)
    if values is None:
        values = {}
        for row in state.rows:
            d, eid = row.decision, row.enrollment.id
            if d is None:
                continue
            values[f"outcome-{eid}"] = d.outcome.value
            values[f"version-{eid}"] = str(d.version)
            proposed = row.proposed_next_mef.id if row.proposed_next_mef else None
            if d.outcome is PassageOutcome.PROMOTED and d.next_mef_id != proposed:
                values[f"next_mef_id-{eid}"] = str(d.next_mef_id)
            values[f"exit_motive_code-{eid}"] = d.exit_motive_code or ""
            values[f"exit_reason-{eid}"] = d.exit_reason.value if d.exit_reason else ""
            values[f"destination_uai-{eid}"] = d.destination_uai or ""
            values[f"destination_name-{eid}"] = d.destination_name or ""
    field_errors, other_errors = _row_errors(errors)
    division_code = next((r.division_code for r in state.rows), None)
    if division_code is None and division_id is not None:
        divisions = await page.work.read(list_divisions, school.id, state.year.id)
        division_code = next(
            (d.division.code for d in divisions if d.division.id == division_id), ""
        )
    return page.render(
        "passage/division.html",
        status_code,
        state=state,
        division_id=division_id,
        division_code=division_code,
        action=_grid_url(division_id),
        grid_name=f"division {division_code}" if division_id else "élèves sans division",
        values=values,
        field_errors=field_errors,
        other_errors=other_errors,
        outcome_options=_outcome_options(),
        mef_options=[(str(m.id), f"{m.short_label} ({m.code})") for m in mefs],
        motive_options=[(e.code, f"{e.code} — {e.long_label}") for e in motives],
        reason_options=[(r.value, label) for r, label in EXIT_REASON.items()],
        saved=SAVED.get(page.request.query_params.get("enregistre", "")),
    )


def _row_ids(form: FormData) -> list[int]:
    ids = []
    for key in list(form.keys())[: MAX_ROWS * 8]:
        if key.startswith("outcome-") and (eid := parse_id(key[len("outcome-") :])) is not None:
            ids.append(eid)
    return ids[:MAX_ROWS]


def _grid_url(division_id: int | None) -> str:
    return "/passage/sans-division" if division_id is None else f"/passage/divisions/{division_id}"


@page_handler(destinations.PASSAGE_DIVISION)
async def division(page: Page) -> Response:
    return await _grid_page(page, page.request.path_params["division_id"])


@page_handler(destinations.PASSAGE_UNDIVIDED)
async def undivided(page: Page) -> Response:
    """The students of the current year in no division: decided here, since the others are
    decided division by division."""
    return await _grid_page(page, None)


async def _grid_page(page: Page, division_id: int | None) -> Response:
    if page.request.method == "GET":
        return await _grid(page, division_id, None, [])
    form = await page.request.form()
    values = {key: str(form.get(key) or "")[:120] for key in list(form.keys())[: MAX_ROWS * 8]}
    decisions = {
        eid: {
            **{name: values.get(f"{name}-{eid}", "") for name in ROW_FIELDS},
            "version": values.get(f"version-{eid}") or None,
        }
        for eid in _row_ids(form)
    }
    chosen = values.get("default", "")
    try:
        async with page.work.writing(_school(page).id) as transaction:
            await transaction.run(
                decide_division,
                division_id,
                {"outcome": chosen} if chosen else None,
                decisions,
                _school(page).id,
            )
    except ValidationFailed as exc:
        return await _grid(page, division_id, values, exc.errors, 400)
    return redirect(f"{_grid_url(division_id)}?enregistre=decisions#resultat")


async def _placement_form(
    page: Page,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    state = await _state(page)
    divisions: list[Any] = []
    groups: list[Any] = []
    if state.next_year is not None:
        divisions = await page.work.read(list_divisions, state.school.id, state.next_year.id)
        groups = await page.work.read(list_groups, state.school.id, state.next_year.id)
    staying = [
        r
        for r in state.rows
        if r.decision is not None and r.decision.outcome is not PassageOutcome.LEAVING
    ]
    staying.sort(key=lambda r: (r.placed, r.division_code or "", r.student.search_name))
    known = ("enrollment_ids", "division_id", "group_ids")
    return page.render(
        "passage/placement.html",
        status_code,
        state=state,
        staying=staying,
        values=values,
        field_errors={e.field: e.message for e in errors if e.field in known},
        other_errors=[e.message for e in errors if e.field not in known],
        division_options=[
            (str(d.division.id), f"{d.division.code} — {', '.join(d.mef_labels) or 'tout MEF'}")
            for d in divisions
        ],
        group_options=[(str(g.group.id), f"{g.group.code} — {g.group.label}") for g in groups],
        saved=SAVED.get(page.request.query_params.get("enregistre", "")),
    )


def _ids(form: FormData, name: str) -> list[int]:
    return sorted({i for v in form.getlist(name)[:MAX_ROWS] if (i := parse_id(v)) is not None})


@page_handler(destinations.PASSAGE_PLACEMENT)
async def placement(page: Page) -> Response:
    if page.request.method == "GET":
        return await _placement_form(page, {"enrollment_ids": [], "group_ids": []}, [])
    form = await page.request.form()
    values: dict[str, Any] = {
        "enrollment_ids": _ids(form, "enrollment_ids"),
        "division_id": parse_id(form.get("division_id")),
        "group_ids": _ids(form, "group_ids"),
    }
    try:
        async with page.work.writing(_school(page).id) as transaction:
            await transaction.run(
                place,
                values["enrollment_ids"],
                values["division_id"],
                values["group_ids"] or None,
            )
    except ValidationFailed as exc:
        return await _placement_form(page, values, exc.errors, 400)
    return redirect("/passage/placement?enregistre=placement#resultat")


async def _newcomer_form(
    page: Page, values: dict[str, str], errors: list[FieldError], status_code: int = 200
) -> Response:
    state = await _state(page)
    divisions: list[Any] = []
    if state.next_year is not None:
        divisions = await page.work.read(list_divisions, state.school.id, state.next_year.id)
    mefs = await page.work.read(list_mefs, state.school.id)
    known = (*NEWCOMER_FIELDS, "confirm_duplicate")
    return page.render(
        "passage/newcomer.html",
        status_code,
        state=state,
        values=values,
        field_errors={e.field: e.message for e in errors if e.field in known},
        other_errors=[e.message for e in errors if e.field not in known],
        duplicate="confirm_duplicate" in {e.field for e in errors},
        sex_options=[(s.value, label) for s, label in SEX.items()],
        regime_options=[(r.value, label) for r, label in REGIME.items()],
        mef_options=[(str(m.id), f"{m.short_label} ({m.code})") for m in mefs],
        division_options=[
            (str(d.division.id), f"{d.division.code} — {', '.join(d.mef_labels) or 'tout MEF'}")
            for d in divisions
        ],
    )


@page_handler(destinations.PASSAGE_NEWCOMER)
async def newcomer(page: Page) -> Response:
    if page.request.method == "GET":
        return await _newcomer_form(page, {"regime": "demi_pensionnaire"}, [])
    form = await page.request.form()
    values = {name: str(form.get(name) or "").strip()[:120] for name in NEWCOMER_FIELDS}
    identity = {
        name: values[name] or None
        for name in NEWCOMER_FIELDS[:8]
        if values[name] or name in ("family_name", "first_name", "sex", "birth_date")
    }
    placement_data = {
        "mef_id": parse_id(values["mef_id"]),
        "division_id": parse_id(values["division_id"]),
        "regime": values["regime"],
        "previous_school_uai": values["previous_school_uai"] or None,
        "previous_school_name": values["previous_school_name"] or None,
    }
    try:
        async with page.work.writing(_school(page).id) as transaction:
            await transaction.run(
                add_newcomer,
                _school(page).id,
                identity,
                placement_data,
                form.get("confirm_duplicate") == "1",
            )
    except ValidationFailed as exc:
        return await _newcomer_form(page, values, exc.errors, 400)
    return redirect("/passage?enregistre=nouvel-eleve#resultat")

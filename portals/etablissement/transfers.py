"""/eleves/arrivee: a student arriving from another school of the académie ("Arrivée d'un
élève d'un autre établissement").

The secretariat searches him by INE, or by name, first name and birth date
(``api.resolvers.transfers.transfer_candidates``: identity only, audited), then takes his file
into the school being worked on (``take_student_file``: one transaction, his former
enrolment closes). The criteria travel in the POSTed form, never in a URL (an INE or a name
in an address would land in access logs); a refused take searches again to show the form
with its errors beside the student chosen.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.nomenclatures import list_mefs
from api.resolvers.structures import list_divisions
from api.resolvers.transfers import TransferCandidate, take_student_file, transfer_candidates
from api.resolvers.vocabulary import SchoolYearState
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from portals.common.rendering import date_fr
from portals.etablissement import destinations
from portals.etablissement.labels import REGIME
from portals.etablissement.web import Page, page_handler, parse_id, redirect

SEARCH_FIELDS = ("ine", "family_name", "first_name", "birth_date")
TAKE_FIELDS = ("student_id", "school_year_id", "mef_id", "division_id", "regime", "entry_date")
MAX_TEXT = 100


def _values(form: FormData, fields: tuple[str, ...]) -> dict[str, str]:
    return {field: str(form.get(field) or "")[:MAX_TEXT].strip() for field in fields}


def _years(page: Page) -> list[tuple[int, str]]:
    """The years a student may arrive for: the school's current one and the one after it,
    when the académie prepares it."""
    assert page.school is not None
    current = next((y for y in page.years if y.id == page.school.current_year_id), None) or next(
        (y for y in page.years if y.state is SchoolYearState.CURRENT), None
    )
    if current is None:
        return []
    years = [(current.id, f"{current.label} (année en cours)")]
    years += [
        (y.id, f"{y.label} (année en préparation, arrivée à la rentrée)")
        for y in page.years
        if y.state is SchoolYearState.IN_PREPARATION and y.start_year == current.start_year + 1
    ]
    return years


async def _render(
    page: Page,
    criteria: dict[str, str],
    *,
    searched: bool = False,
    candidates: list[TransferCandidate] | None = None,
    take: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    assert page.school is not None
    errors = errors or []
    years = _years(page)
    divisions = []
    for year_id, label in years:
        for summary in await page.work.read(list_divisions, page.school.id, year_id):
            divisions.append((summary.division.id, f"{summary.division.code} — {label}"))
    mefs = await page.work.read(list_mefs, page.school.id)
    candidates = candidates or []
    take = take or {
        "student_id": str(candidates[0].student_id) if len(candidates) == 1 else "",
        "school_year_id": str(years[0][0]) if years else "",
        "entry_date": date_fr(clock.today()),
    }
    search_errors = {e.field: e.message for e in errors if e.field in SEARCH_FIELDS}
    take_errors = {e.field: e.message for e in errors if e.field in TAKE_FIELDS}
    return page.render(
        "transfers/arrival.html",
        status_code,
        criteria=criteria,
        searched=searched,
        candidates=candidates,
        candidate_options=[
            (
                c.student_id,
                f"{c.family_name.upper()} {c.first_name}, né(e) le {date_fr(c.birth_date)}, "
                f"{c.school_name}",
            )
            for c in candidates
        ],
        take=take,
        search_errors=search_errors,
        take_errors=take_errors,
        other_errors=[e.message for e in errors if e.field not in SEARCH_FIELDS + TAKE_FIELDS],
        year_options=years,
        mef_options=[(m.id, m.long_label or m.short_label) for m in mefs],
        division_options=divisions,
        regime_options=[(r.value, label) for r, label in REGIME.items()],
    )


@page_handler(destinations.TRANSFER)
async def arrival(page: Page) -> Response:
    if page.school is None:
        raise NotFound("School", None)
    school_id = page.school.id
    empty = dict.fromkeys(SEARCH_FIELDS, "")
    if page.request.method == "GET":
        return await _render(page, empty)
    form = await page.request.form()
    criteria = _values(form, SEARCH_FIELDS)
    if criteria["ine"]:
        criteria |= {"family_name": "", "first_name": "", "birth_date": ""}
    try:
        candidates = await page.work.read(transfer_candidates, school_id, dict(criteria))
    except ValidationFailed as exc:
        return await _render(page, criteria, errors=exc.errors, status_code=400)
    if form.get("action") != "prendre":
        return await _render(page, criteria, searched=True, candidates=candidates)
    take = _values(form, TAKE_FIELDS)
    student_id = parse_id(take["student_id"])
    if student_id not in {c.student_id for c in candidates}:
        error = FieldError(
            "student_id", "REQUIRED", "Choisissez l'élève dont vous prenez le dossier."
        )
        return await _render(
            page,
            criteria,
            searched=True,
            candidates=candidates,
            take=take,
            errors=[error],
            status_code=400,
        )
    data: dict[str, Any] = {
        "school_year_id": parse_id(take["school_year_id"]),
        "mef_id": parse_id(take["mef_id"]),
        "division_id": parse_id(take["division_id"]),
        "regime": take["regime"],
        "entry_date": take["entry_date"],
    }
    try:
        async with page.work.writing(school_id) as transaction:
            await transaction.run(take_student_file, school_id, student_id, data)
    except (ValidationFailed, NotFound) as exc:
        errors = (
            exc.errors
            if isinstance(exc, ValidationFailed)
            else [FieldError("student_id", "NOT_FOUND", "Cet élève ne peut plus être accueilli.")]
        )
        return await _render(
            page,
            criteria,
            searched=True,
            candidates=candidates,
            take=take,
            errors=errors,
            status_code=400,
        )
    return redirect(f"/eleves/{student_id}?enregistre=arrivee#titre-scolarite")

"""The registrar's work on a student's schooling in the school being worked on:
/eleves/{id}/scolarite (division, groups, MEF, régime), /eleves/{id}/sortie (record a
departure, or undo one recorded by mistake), /eleves/{id}/certificat.pdf,
/eleves/{id}/fiche-renseignements.pdf.

Each screen runs the API's domain functions (``api.resolvers.enrollments``) in one
transaction: a refused change leaves the enrolment as it was.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.enrollments import (
    EnrollmentView,
    cancel_departure,
    change_mef,
    change_regime,
    enrollment_certificate,
    move_student,
    record_departure,
    schooling_history,
)
from api.resolvers.nomenclatures import list_mefs
from api.resolvers.structures import list_divisions, list_groups
from api.resolvers.students import get_student, information_sheet
from api.resolvers.vocabulary import ExitReason
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from portals.common.rendering import date_fr
from portals.etablissement import destinations
from portals.etablissement.labels import EXIT_REASON, REGIME
from portals.etablissement.web import Page, page_handler, parse_id, redirect

SCHOOLING_FIELDS = ("mef_id", "division_id", "group_ids", "regime")
DEPARTURE_FIELDS = ("exit_date", "exit_reason")
PDF = "application/pdf"


def _ids(form: FormData, name: str) -> list[int]:
    # Bounded: a school has far fewer groups than this.
    return sorted({i for v in form.getlist(name)[:200] if (i := parse_id(v)) is not None})


async def _enrollment_here(page: Page, student_id: int) -> EnrollmentView:
    """The student's enrolment in the school and year being worked on, else "not found"."""
    history = await page.work.read(schooling_history, student_id)
    if page.school is not None and page.year is not None:
        for view in history:
            e = view.enrollment
            if e.school_id == page.school.id and e.school_year_id == page.year.id:
                return view
    raise NotFound("Enrollment", student_id)


def _field_errors(errors: list[FieldError], known: tuple[str, ...]) -> dict[str, str]:
    return {e.field: e.message for e in errors if e.field in known}


async def _schooling_form(
    page: Page,
    student_id: int,
    view: EnrollmentView,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    assert page.school is not None and page.year is not None
    student = await page.work.read(get_student, student_id)
    divisions = await page.work.read(list_divisions, page.school.id, page.year.id)
    groups = await page.work.read(list_groups, page.school.id, page.year.id)
    mefs = await page.work.read(list_mefs, page.school.id)
    return page.render(
        "students/schooling.html",
        status_code,
        student=student,
        view=view,
        values=values,
        errors=errors,
        field_errors=_field_errors(errors, SCHOOLING_FIELDS),
        other_errors=[e.message for e in errors if e.field not in SCHOOLING_FIELDS],
        mef_options=[(m.id, f"{m.short_label} ({m.code})") for m in mefs],
        division_options=[
            (d.division.id, f"{d.division.code} — {', '.join(d.mef_labels)}") for d in divisions
        ],
        group_options=[(g.group.id, f"{g.group.code} — {g.group.label}") for g in groups],
        regime_options=[(regime.value, label) for regime, label in REGIME.items()],
    )


@page_handler(destinations.SCHOOLING)
async def schooling(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    view = await _enrollment_here(page, student_id)
    enrollment = view.enrollment
    if not page.may(move_student, enrollment.school_id):
        raise page.refusal(move_student)
    if page.request.method == "GET":
        groups = await page.work.read(list_groups, enrollment.school_id, enrollment.school_year_id)
        codes = set(view.group_codes)
        values = {
            "mef_id": enrollment.mef_id,
            "division_id": enrollment.division_id or "",
            "group_ids": [g.group.id for g in groups if g.group.code in codes],
            "regime": enrollment.regime.value,
        }
        return await _schooling_form(page, student_id, view, values, [])
    form = await page.request.form()
    mef_id, division_id = parse_id(form.get("mef_id")), parse_id(form.get("division_id"))
    group_ids, regime = _ids(form, "group_ids"), str(form.get("regime") or "")[:40]
    values = {
        "mef_id": mef_id or "",
        "division_id": division_id or "",
        "group_ids": group_ids,
        "regime": regime,
    }
    try:
        async with page.work.writing(enrollment.school_id) as transaction:
            if mef_id != enrollment.mef_id:
                await transaction.run(change_mef, enrollment.id, mef_id, division_id)
            await transaction.run(move_student, enrollment.id, division_id, group_ids)
            await transaction.run(change_regime, enrollment.id, regime)
    except ValidationFailed as exc:
        return await _schooling_form(page, student_id, view, values, exc.errors, 400)
    return redirect(f"/eleves/{student_id}?enregistre=scolarite#titre-scolarite")


async def _departure_form(
    page: Page,
    student_id: int,
    view: EnrollmentView,
    values: dict[str, str],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    student = await page.work.read(get_student, student_id)
    return page.render(
        "students/departure.html",
        status_code,
        student=student,
        view=view,
        values=values,
        errors=errors,
        field_errors=_field_errors(errors, DEPARTURE_FIELDS),
        other_errors=[e.message for e in errors if e.field not in DEPARTURE_FIELDS],
        # The end of a year in the school is the rentrée switch's, not a departure.
        reason_options=[
            (reason.value, label)
            for reason, label in EXIT_REASON.items()
            if reason is not ExitReason.END_OF_YEAR
        ],
    )


@page_handler(destinations.DEPARTURE)
async def departure(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    view = await _enrollment_here(page, student_id)
    enrollment = view.enrollment
    if not page.may(record_departure, enrollment.school_id):
        raise page.refusal(record_departure)
    if page.request.method == "GET":
        values = {"exit_date": date_fr(clock.today()), "exit_reason": ""}
        return await _departure_form(page, student_id, view, values, [])
    form = await page.request.form()
    values = {field: str(form.get(field) or "")[:40] for field in DEPARTURE_FIELDS}
    try:
        async with page.work.writing(enrollment.school_id) as transaction:
            await transaction.run(
                record_departure, enrollment.id, values["exit_date"], values["exit_reason"]
            )
    except ValidationFailed as exc:
        return await _departure_form(page, student_id, view, values, exc.errors, 400)
    return redirect(f"/eleves/{student_id}?enregistre=sortie#titre-scolarite")


@page_handler(destinations.DEPARTURE)
async def undo_departure(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    view = await _enrollment_here(page, student_id)
    enrollment = view.enrollment
    if not page.may(cancel_departure, enrollment.school_id):
        raise page.refusal(cancel_departure)
    try:
        async with page.work.writing(enrollment.school_id) as transaction:
            await transaction.run(cancel_departure, enrollment.id)
    except ValidationFailed as exc:
        return await _departure_form(page, student_id, view, {}, exc.errors, 400)
    return redirect(f"/eleves/{student_id}?enregistre=sortie-annulee#titre-scolarite")


@page_handler(destinations.CERTIFICATE)
async def certificate(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    view = await _enrollment_here(page, student_id)
    e = view.enrollment
    content = await page.work.read(
        enrollment_certificate, student_id, e.school_id, e.school_year_id
    )
    return Response(
        content,
        media_type=PDF,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="certificat-scolarite-{student_id}.pdf"',
        },
    )


@page_handler(destinations.INFORMATION_SHEET)
async def sheet(page: Page) -> Response:
    """The fiche de renseignements of the student's enrolment in the school being worked on."""
    student_id: int = page.request.path_params["student_id"]
    view = await _enrollment_here(page, student_id)
    e = view.enrollment
    content = await page.work.read(information_sheet, student_id, e.school_id, e.school_year_id)
    return Response(
        content,
        media_type=PDF,
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="fiche-renseignements-{student_id}.pdf"',
        },
    )

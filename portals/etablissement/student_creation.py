"""/eleves/nouveau: create a student with an enrolment in the school being worked on.

A student who looks like one already known to the académie (same name, birth date and
place) is created only after the registrar confirms it is another child ("Créer quand même").
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import Response

from api.resolvers.nomenclatures import list_entries, list_mefs
from api.resolvers.structures import list_divisions
from api.resolvers.students import IDENTITY_FIELDS, create_student
from core import clock
from core.errors import FieldError, ValidationFailed
from portals.common.rendering import date_fr
from portals.etablissement import destinations
from portals.etablissement.labels import REGIME, entry_label
from portals.etablissement.students import IDENTITY_FORM
from portals.etablissement.web import Page, page_handler, parse_id, redirect

ENROLMENT_FIELDS = ("mef_id", "division_id", "regime", "entry_date")
DUPLICATE_CODE = "PROBABLE_DUPLICATE"


def _school_id(page: Page) -> int:
    if page.school is None or page.year is None or not page.may(create_student, page.school.id):
        raise page.refusal(create_student)
    return page.school.id


async def _form_page(
    page: Page,
    values: dict[str, str],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    assert page.school is not None and page.year is not None
    divisions = await page.work.read(list_divisions, page.school.id, page.year.id)
    mefs = await page.work.read(list_mefs, page.school.id)
    # The régimes of the nomenclature in force (their SIECLE codes); their kinds alone
    # before any nomenclature is loaded.
    regimes = await page.work.read(list_entries, "regime", page.year.start_year)
    known = {f for f, *_ in IDENTITY_FORM} | {"sex", *ENROLMENT_FIELDS}
    duplicate = next((e for e in errors if e.code == DUPLICATE_CODE), None)
    others = [e for e in errors if e.field not in known and e is not duplicate]
    return page.render(
        "students/new.html",
        status_code,
        fields=IDENTITY_FORM,
        values=values,
        errors=[e for e in errors if e is not duplicate],
        duplicate=duplicate,
        field_errors={e.field: e.message for e in errors if e.field in known},
        other_errors=others,
        mef_options=[(m.id, m.short_label) for m in mefs],
        division_options=[(d.division.id, d.division.code) for d in divisions],
        regime_options=[(e.code, entry_label(e)) for e in regimes]
        or [(regime.value, label) for regime, label in REGIME.items()],
    )


def _values(form: FormData) -> dict[str, str]:
    return {
        field: str(form.get(field) or "")[:200] for field in (*IDENTITY_FIELDS, *ENROLMENT_FIELDS)
    }


@page_handler(destinations.NEW_STUDENT)
async def new_student(page: Page) -> Response:
    school_id = _school_id(page)
    assert page.year is not None
    if page.request.method == "GET":
        return await _form_page(page, {"entry_date": date_fr(clock.today())}, [])
    form = await page.request.form()
    values = _values(form)
    enrolment = {
        "school_id": school_id,
        "school_year_id": page.year.id,
        "mef_id": parse_id(values["mef_id"]),
        "division_id": parse_id(values["division_id"]),
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
            )
            student_id = student.id
    except ValidationFailed as exc:
        return await _form_page(page, values, exc.errors, status_code=400)
    return redirect(f"/eleves/{student_id}?enregistre=1")

"""/divisions: the divisions and groups of the school; /divisions/{id}: a class list with exports
and the division's certificats de scolarité; creating, editing and deleting divisions and groups
of the year being worked on (through the API's domain functions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.responses import Response

from api.exports.rows import export_rows
from api.resolvers.enrollments import division_certificates
from api.resolvers.nomenclatures import list_mefs, list_subjects
from api.resolvers.schools import get_school, get_school_year
from api.resolvers.structures import (
    Division,
    Group,
    copy_structures,
    create_division,
    create_group,
    delete_division,
    delete_group,
    divisions_for_groups,
    get_division,
    get_group,
    list_divisions,
    list_groups,
    mefs_for_divisions,
    update_division,
    update_group,
)
from api.resolvers.student_cards import StudentCard
from api.resolvers.students import (
    MAX_PAGE_SIZE,
    StudentFilter,
    division_information_sheets,
    search_students,
)
from api.resolvers.teaching import list_teaching_assignments
from core import clock
from core.errors import FieldError, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.students import first_names, student_rows
from portals.etablissement.web import Page, page_handler, parse_id, redirect

# Far above any real class: a division page never loops for long.
MAX_PAGES = 20
EXPORTS = (
    ("csv", "/exports/students.csv", "Tableur CSV", "fr-icon-file-text-line"),
    ("xlsx", "/exports/students.xlsx", "Classeur Excel (XLSX)", "fr-icon-file-line"),
    ("pdf", "/exports/class-list.pdf", "Liste de classe (PDF)", "fr-icon-printer-line"),
)


@page_handler(destinations.STRUCTURES)
async def divisions(page: Page) -> Response:
    school, year = page.school, page.year
    if school is None or year is None:
        return page.render("divisions/list.html", divisions=[], groups=[])
    # A year over for the school is read, not edited: no button leads to a refusal.
    writable = not page.year_over
    return page.render(
        "divisions/list.html",
        divisions=await page.work.read(list_divisions, school.id, year.id),
        groups=await page.work.read(list_groups, school.id, year.id),
        can_create_division=writable and page.may(create_division, school.id),
        can_create_group=writable and page.may(create_group, school.id),
        can_edit_group=writable and page.may(update_group, school.id),
        can_copy=page.year_in_preparation and page.may(copy_structures, school.id),
        copied=page.request.query_params.get("reprise"),
        saved=SAVED.get(page.request.query_params.get("enregistre", "")),
        may_edit_services=page.may(list_teaching_assignments, school.id),
    )


@page_handler(destinations.NEW_DIVISION)
async def copy_current_structures(page: Page) -> Response:
    """The year in preparation's structures copied from the school's current year."""
    school_id, year_id = _working_year(page, copy_structures)
    if page.current_year is None:
        raise page.refusal(copy_structures)
    form = await page.request.form()
    try:
        async with page.work.writing(school_id) as transaction:
            copied = await transaction.run(
                copy_structures,
                school_id,
                page.current_year.id,
                year_id,
                form.get("services") == "oui",
            )
    except ValidationFailed as exc:
        return page.error(400, "Reprise impossible", exc.errors[0].message)
    created = len(copied.created_divisions) + len(copied.created_groups)
    kept = len(copied.kept_divisions) + len(copied.kept_groups)
    report = (
        f"{len(copied.created_divisions)} division(s) et {len(copied.created_groups)} "
        f"groupe(s) repris de {page.current_year.label}"
        + (f", {copied.created_services} service(s)" if copied.created_services else "")
        + (f" ; {kept} code(s) déjà présent(s) gardé(s) tels quels" if kept else "")
        + ("." if created or kept else " : rien à reprendre.")
    )
    return redirect(page.url("/divisions", annee=year_id, reprise=report))


@page_handler(destinations.STRUCTURES)
async def division(page: Page) -> Response:
    division_id: int = page.request.path_params["division_id"]
    found = await page.work.read(get_division, division_id)
    school = await page.work.read(get_school, found.school_id)
    year = await page.work.read(get_school_year, found.school_year_id)
    filters = StudentFilter(
        school_id=found.school_id, school_year_id=found.school_year_id, division_id=found.id
    )
    students: list[StudentCard] = []
    after = None
    for _ in range(MAX_PAGES):
        result = await page.work.read(search_students, filters, first=MAX_PAGE_SIZE, after=after)
        students.extend(result.students)
        if not result.has_next_page:
            break
        after = result.end_cursor
    mefs = await page.work.read(list_mefs, found.school_id, found.school_year_id)
    rows = await student_rows(
        page,
        students,
        found.school_id,
        found.school_year_id,
        {found.id: found.code},
        {m.id: m.short_label for m in mefs},
    )
    # Students moved to another division since are not on this class list.
    rows = [r for r in rows if r.enrollment is not None and r.enrollment.division_id == found.id]
    # A departure counts from its date: until then the student is on the list.
    today = clock.today()
    present = [
        r
        for r in rows
        if r.enrollment is not None
        and (r.enrollment.exit_date is None or r.enrollment.exit_date > today)
    ]
    exports = []
    if page.may(export_rows, found.school_id):
        query = urlencode({"school": found.school_id, "division": found.id})
        exports = [(kind, f"{path}?{query}", label, icon) for kind, path, label, icon in EXPORTS]
    return page.render(
        "divisions/detail.html",
        division=found,
        division_school=school,
        division_year=year,
        rows=present,
        departed=[r for r in rows if r not in present],
        headcount=len(present),
        exports=exports,
        first_names=first_names,
        can_edit=not page.is_over(year) and page.may(update_division, found.school_id),
        can_certify=page.may(division_certificates, found.school_id),
        # The sheets show identity and the guardians' contacts: both rights.
        can_print_sheets=page.may(division_certificates, found.school_id)
        and page.may(division_information_sheets, found.school_id),
        saved=SAVED.get(page.request.query_params.get("enregistre", "")),
        today=clock.today(),
    )


# --------------------------------------------------------------------------- editing

DIVISION_FIELDS = ("code", "label", "planned_headcount", "mef_ids")
GROUP_FIELDS = ("code", "label", "subject_id", "division_ids")
SAVED = {
    "division": "La division a été enregistrée.",
    "groupe": "Le groupe a été enregistré.",
    "division-supprimee": "La division a été supprimée.",
    "groupe-supprime": "Le groupe a été supprimé.",
}


def _ids(form: FormData, name: str) -> list[int]:
    # Bounded: a school has far fewer MEFs or divisions than this.
    return sorted({i for v in form.getlist(name)[:200] if (i := parse_id(v)) is not None})


def _working_year(page: Page, fn: Callable[..., Any]) -> tuple[int, int]:
    """The school and year being worked on, where the caller may run ``fn``."""
    if page.school is None or page.year is None or not page.may(fn, page.school.id):
        raise page.refusal(fn)
    return page.school.id, page.year.id


def _errors(errors: list[FieldError], known: tuple[str, ...]) -> dict[str, Any]:
    return {
        "errors": errors,
        "field_errors": {e.field: e.message for e in errors if e.field in known},
        "other_errors": [e.message for e in errors if e.field not in known],
    }


async def _division_form(
    page: Page,
    school_id: int,
    year_id: int,
    division: Division | None,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    mefs = await page.work.read(list_mefs, school_id, year_id)
    return page.render(
        "divisions/division_form.html",
        status_code,
        division=division,
        values=values,
        mef_options=[(m.id, f"{m.short_label} ({m.code})") for m in mefs],
        can_delete=division is not None and page.may(delete_division, school_id),
        **_errors(errors, DIVISION_FIELDS),
    )


def _division_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {f: str(form.get(f) or "")[:100] for f in DIVISION_FIELDS[:3]}
    values["mef_ids"] = _ids(form, "mef_ids")
    return values


@page_handler(destinations.NEW_DIVISION)
async def new_division(page: Page) -> Response:
    school_id, year_id = _working_year(page, create_division)
    if page.request.method == "GET":
        return await _division_form(page, school_id, year_id, None, {"mef_ids": []}, [])
    values = _division_values(await page.request.form())
    try:
        async with page.work.writing(school_id) as transaction:
            await transaction.run(
                create_division, {"school_id": school_id, "school_year_id": year_id, **values}
            )
    except ValidationFailed as exc:
        return await _division_form(page, school_id, year_id, None, values, exc.errors, 400)
    return redirect(f"/divisions?annee={year_id}&enregistre=division")


@page_handler(destinations.EDIT_DIVISION)
async def edit_division(page: Page) -> Response:
    division_id: int = page.request.path_params["division_id"]
    found = await page.work.read(get_division, division_id)
    if not page.may(update_division, found.school_id):
        raise page.refusal(update_division)
    if page.request.method == "GET":
        [mefs] = await page.work.load(mefs_for_divisions, [found.id])
        values = {
            "code": found.code,
            "label": found.label,
            "planned_headcount": found.planned_headcount or "",
            "mef_ids": [m.id for m in mefs],
        }
        return await _division_form(page, found.school_id, found.school_year_id, found, values, [])
    values = _division_values(await page.request.form())
    try:
        async with page.work.writing(found.school_id) as transaction:
            await transaction.run(update_division, found.id, values)
    except ValidationFailed as exc:
        return await _division_form(
            page, found.school_id, found.school_year_id, found, values, exc.errors, 400
        )
    return redirect(f"/divisions/{found.id}?enregistre=division")


@page_handler(destinations.EDIT_DIVISION)
async def remove_division(page: Page) -> Response:
    division_id: int = page.request.path_params["division_id"]
    found = await page.work.read(get_division, division_id)
    if not page.may(delete_division, found.school_id):
        raise page.refusal(delete_division)
    try:
        async with page.work.writing(found.school_id) as transaction:
            await transaction.run(delete_division, found.id)
    except ValidationFailed as exc:
        [mefs] = await page.work.load(mefs_for_divisions, [found.id])
        values = {
            "code": found.code,
            "label": found.label,
            "planned_headcount": found.planned_headcount or "",
            "mef_ids": [m.id for m in mefs],
        }
        return await _division_form(
            page, found.school_id, found.school_year_id, found, values, exc.errors, 400
        )
    return redirect(f"/divisions?annee={found.school_year_id}&enregistre=division-supprimee")


@page_handler(destinations.DIVISION_CERTIFICATES)
async def certificates(page: Page) -> Response:
    division_id: int = page.request.path_params["division_id"]
    content = await page.work.read(division_certificates, division_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="certificats-division-{division_id}.pdf"',
        },
    )


async def _group_form(
    page: Page,
    school_id: int,
    year_id: int,
    group: Group | None,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    subjects = await page.work.read(list_subjects, school_id, year_id)
    divisions = await page.work.read(list_divisions, school_id, year_id)
    return page.render(
        "divisions/group_form.html",
        status_code,
        group=group,
        values=values,
        subject_options=[(s.id, f"{s.short_label} ({s.code})") for s in subjects],
        division_options=[(d.division.id, d.division.code) for d in divisions],
        can_delete=group is not None and page.may(delete_group, school_id),
        **_errors(errors, GROUP_FIELDS),
    )


def _group_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {f: str(form.get(f) or "")[:100] for f in GROUP_FIELDS[:2]}
    values["subject_id"] = parse_id(form.get("subject_id"))
    values["division_ids"] = _ids(form, "division_ids")
    return values


async def _stored_group_values(page: Page, group: Group) -> dict[str, Any]:
    [divisions] = await page.work.load(divisions_for_groups, [group.id])
    return {
        "code": group.code,
        "label": group.label,
        "subject_id": group.subject_id or "",
        "division_ids": [d.id for d in divisions],
    }


@page_handler(destinations.NEW_GROUP)
async def new_group(page: Page) -> Response:
    school_id, year_id = _working_year(page, create_group)
    if page.request.method == "GET":
        return await _group_form(page, school_id, year_id, None, {"division_ids": []}, [])
    values = _group_values(await page.request.form())
    try:
        async with page.work.writing(school_id) as transaction:
            await transaction.run(
                create_group, {"school_id": school_id, "school_year_id": year_id, **values}
            )
    except ValidationFailed as exc:
        return await _group_form(page, school_id, year_id, None, values, exc.errors, 400)
    return redirect(f"/divisions?annee={year_id}&enregistre=groupe#titre-groupes")


@page_handler(destinations.EDIT_GROUP)
async def edit_group(page: Page) -> Response:
    group_id: int = page.request.path_params["group_id"]
    found = await page.work.read(get_group, group_id)
    if not page.may(update_group, found.school_id):
        raise page.refusal(update_group)
    year_id = found.school_year_id
    if page.request.method == "GET":
        values = await _stored_group_values(page, found)
        return await _group_form(page, found.school_id, year_id, found, values, [])
    values = _group_values(await page.request.form())
    try:
        async with page.work.writing(found.school_id) as transaction:
            await transaction.run(update_group, found.id, values)
    except ValidationFailed as exc:
        return await _group_form(page, found.school_id, year_id, found, values, exc.errors, 400)
    return redirect(f"/divisions?annee={year_id}&enregistre=groupe#titre-groupes")


@page_handler(destinations.EDIT_GROUP)
async def remove_group(page: Page) -> Response:
    group_id: int = page.request.path_params["group_id"]
    found = await page.work.read(get_group, group_id)
    if not page.may(delete_group, found.school_id):
        raise page.refusal(delete_group)
    try:
        async with page.work.writing(found.school_id) as transaction:
            await transaction.run(delete_group, found.id)
    except ValidationFailed as exc:
        values = await _stored_group_values(page, found)
        return await _group_form(
            page, found.school_id, found.school_year_id, found, values, exc.errors, 400
        )
    return redirect(
        f"/divisions?annee={found.school_year_id}&enregistre=groupe-supprime#titre-groupes"
    )


@page_handler(destinations.DIVISION_INFORMATION_SHEETS)
async def information_sheets(page: Page) -> Response:
    division_id: int = page.request.path_params["division_id"]
    content = await page.work.read(division_information_sheets, division_id)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": (
                f'inline; filename="fiches-renseignements-division-{division_id}.pdf"'
            ),
        },
    )

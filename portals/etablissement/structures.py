"""/divisions: the divisions and groups of the school; /divisions/{id}: a class list with exports."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from api.exports.rows import export_rows
from api.resolvers.nomenclatures import list_mefs
from api.resolvers.schools import get_school, get_school_year
from api.resolvers.structures import get_division, list_divisions, list_groups
from api.resolvers.student_cards import StudentCard
from api.resolvers.students import MAX_PAGE_SIZE, StudentFilter, search_students
from api.resolvers.teaching import list_teaching_assignments
from portals.etablissement import destinations
from portals.etablissement.students import first_names, student_rows
from portals.etablissement.web import Page, page_handler

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
    return page.render(
        "divisions/list.html",
        divisions=await page.work.read(list_divisions, school.id, year.id),
        groups=await page.work.read(list_groups, school.id, year.id),
        may_edit_services=page.may(list_teaching_assignments, school.id),
    )


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
    mefs = await page.work.read(list_mefs, found.school_id)
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
    present = [r for r in rows if r.enrollment is not None and r.enrollment.exit_date is None]
    exports = []
    if page.may(export_rows, found.school_id):
        query = urlencode({"school": found.school_id, "division": found.id})
        exports = [(kind, f"{path}?{query}", label, icon) for kind, path, label, icon in EXPORTS]
    return page.render(
        "divisions/detail.html",
        division=found,
        division_school=school,
        division_year=year,
        rows=rows,
        headcount=len(present),
        exports=exports,
        first_names=first_names,
    )

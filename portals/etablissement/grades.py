"""/notes: a teacher's marks (the principal's, for any class of his school). His classes, a
class's assessments, a new assessment, the marks grid of an assessment (one row per student,
the mark typed the French way, "12,5", and its status), the class's period averages.

The grid is written in one go: every cell is checked by the domain before any is saved, and
each wrong cell is marked and linked from the summary above the grid."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.responses import Response

from api.resolvers.grades import (
    AssessmentInput,
    GradedClass,
    MarkInput,
    class_assessments,
    create_assessment,
    enter_marks,
    graded_classes,
    marks_grid,
    number_fr,
    period_averages,
    school_grading_periods,
    typed_number,
)
from api.resolvers.nomenclatures import list_subjects
from api.resolvers.vocabulary import MarkStatus
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

STATUSES = (
    (MarkStatus.GRADED.value, "Noté"),
    (MarkStatus.ABSENT.value, "Absent"),
    (MarkStatus.EXEMPT.value, "Dispensé"),
    (MarkStatus.NOT_GRADED.value, "Non noté"),
)
ASSESSMENT_FORM = {
    "titre": "",
    "matiere": "",
    "jour": "",
    "bareme": "20",
    "coefficient": "1",
    "publication": "",
}
# The domain's fields as the assessment form names them.
FORM_FIELDS = {
    "title": "titre",
    "subjectId": "matiere",
    "day": "jour",
    "scale": "bareme",
    "coefficient": "coefficient",
    "publishedOn": "publication",
    "teacherId": "titre",
}


def _school_year(page: Page) -> tuple[int, int]:
    if page.school is None or page.year is None:
        raise NotFound("School", None)
    return page.school.id, page.year.id


async def _classes(page: Page) -> list[GradedClass]:
    school_id, year_id = _school_year(page)
    return await page.work.read(graded_classes, school_id, year_id)


async def _chosen(page: Page) -> tuple[GradedClass, list[GradedClass]]:
    """The class of ``?classe=`` among the caller's, and each of its services (subjects)."""
    key = page.request.query_params.get("classe", "")
    services = [c for c in await _classes(page) if c.key == key]
    if not services:
        raise NotFound("Division", key)
    return services[0], services


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


@page_handler(destinations.GRADES)
async def classes(page: Page) -> Response:
    """GET /notes: the classes the caller grades, each with its subjects."""
    by_key: dict[str, tuple[GradedClass, list[str]]] = {}
    for graded in await _classes(page):
        _first, subjects = by_key.setdefault(graded.key, (graded, []))
        if graded.subject is not None:
            subjects.append(graded.subject.short_label)
    return page.render("grades/classes.html", classes=list(by_key.values()))


@page_handler(destinations.GRADES_CLASS)
async def assessments(page: Page) -> Response:
    """GET /notes/classe?classe=d12: the class's assessments, latest first."""
    chosen, _services = await _chosen(page)
    found = await page.work.read(class_assessments, chosen.division_id, chosen.group_id)
    school_id, _year_id = _school_year(page)
    subjects = {s.id: s.short_label for s in await page.work.read(list_subjects, school_id)}
    return page.render(
        "grades/assessments.html",
        chosen=chosen,
        assessments=found,
        subjects=subjects,
        can_create=page.may(create_assessment, school_id),
        number_fr=number_fr,
        message=page.request.query_params.get("message", ""),
    )


async def _subject_options(
    page: Page, services: list[GradedClass], school_id: int, year_id: int
) -> list[tuple[int, str]]:
    """The subjects the caller teaches the class; the school's for the principal."""
    taught = [(c.subject.id, c.subject.short_label) for c in services if c.subject is not None]
    if taught:
        return taught
    return [
        (s.id, f"{s.short_label} ({s.code})")
        for s in await page.work.read(list_subjects, school_id, year_id)
    ]


@page_handler(destinations.NEW_ASSESSMENT)
async def new_assessment(page: Page) -> Response:
    """GET/POST /notes/classe/nouveau-devoir?classe=d12."""
    chosen, services = await _chosen(page)
    school_id, year_id = _school_year(page)
    options = await _subject_options(page, services, school_id, year_id)
    values = dict(ASSESSMENT_FORM)
    if len(options) == 1:
        values["matiere"] = str(options[0][0])
    errors: dict[str, str] = {}
    others: list[str] = []
    if page.request.method == "POST":
        form = await page.request.form()
        values = {key: str(form.get(key) or "")[:200] for key in ASSESSMENT_FORM}
        errors, others, created = await _create(page, chosen, values, school_id)
        if created is not None:
            return redirect(page.url(f"/notes/devoirs/{created}", cree=1))
    return page.render(
        "grades/assessment_form.html",
        400 if errors or others else 200,
        chosen=chosen,
        subject_options=options,
        values=values,
        errors=errors,
        other_errors=others,
    )


async def _create(
    page: Page, chosen: GradedClass, values: dict[str, str], school_id: int
) -> tuple[dict[str, str], list[str], int | None]:
    errors: dict[str, str] = {}
    title = values["titre"].strip()
    subject_id = parse_id(values["matiere"])
    day, published = _day(values["jour"]), _day(values["publication"])
    if subject_id is None:
        errors["matiere"] = "Choisissez la matière."
    if day is None:
        errors["jour"] = "Indiquez la date du devoir (jj/mm/aaaa)."
    if published is None:
        errors["publication"] = "Indiquez la date de publication aux familles (jj/mm/aaaa)."
    numbers: dict[str, Any] = {}
    for field, what in (("bareme", "Le barème"), ("coefficient", "Le coefficient")):
        try:
            numbers[field] = typed_number(values[field], field, what)
        except ValidationFailed as wrong:
            errors[field] = wrong.errors[0].message
    if errors:
        return errors, [], None
    assert subject_id is not None and day is not None and published is not None
    entry = AssessmentInput(
        title=title,
        subject_id=subject_id,
        day=day,
        scale=numbers["bareme"],
        coefficient=numbers["coefficient"],
        published_on=published,
        division_id=chosen.division_id,
        group_id=chosen.group_id,
    )
    try:
        async with page.work.writing(school_id) as transaction:
            created = await transaction.run(create_assessment, entry)
    except ValidationFailed as failed:
        return _by_form_field(failed.errors)
    return {}, [], created.id


def _by_form_field(found: list[FieldError]) -> tuple[dict[str, str], list[str], None]:
    errors: dict[str, str] = {}
    others: list[str] = []
    for error in found:
        if error.field in FORM_FIELDS:
            errors.setdefault(FORM_FIELDS[error.field], error.message)
        else:
            others.append(error.message)
    return errors, others, None


def _entered(
    form: Any, students: list[tuple[int, str]], existing: set[int]
) -> tuple[list[MarkInput], list[int], dict[str, str]]:
    """The marks of the grid to send (a row left empty and "noté" is not entered, unless it
    had a mark: then its mark is required), the student of each, and the values typed."""
    marks: list[MarkInput] = []
    rows: list[int] = []
    typed: dict[str, str] = {}
    statuses = {value for value, _label in STATUSES}
    for student_id, _name in students:
        note = str(form.get(f"note-{student_id}") or "")[:20]
        status = str(form.get(f"statut-{student_id}") or MarkStatus.GRADED.value)
        if status not in statuses:
            status = MarkStatus.GRADED.value
        typed[f"note-{student_id}"], typed[f"statut-{student_id}"] = note, status
        if not note.strip() and status == MarkStatus.GRADED.value and student_id not in existing:
            continue
        marks.append(MarkInput(student_id, MarkStatus(status), note))
        rows.append(student_id)
    return marks, rows, typed


def _prefilled(grid: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    for student_id, mark in grid.marks.items():
        values[f"statut-{student_id}"] = mark.status.value
        values[f"note-{student_id}"] = number_fr(mark.value) if mark.value is not None else ""
    return values


@page_handler(destinations.MARKS)
async def marks(page: Page) -> Response:
    """GET/POST /notes/devoirs/{assessment_id}: the grid of marks."""
    assessment_id = parse_id(page.request.path_params.get("assessment_id"))
    if assessment_id is None:
        raise NotFound("Assessment", assessment_id)
    grid = await page.work.read(marks_grid, assessment_id)
    assessment = grid.assessment
    values = _prefilled(grid)
    errors: dict[str, str] = {}
    others: list[str] = []
    message = ""
    if page.request.query_params.get("cree"):
        message = "Devoir créé : saisissez les notes."
    elif page.request.query_params.get("enregistre"):
        message = "Notes enregistrées."
    if page.request.method == "POST":
        form = await page.request.form()
        entries, rows, typed = _entered(form, grid.students, set(grid.marks))
        values |= typed
        try:
            async with page.work.writing(assessment.school_id) as transaction:
                await transaction.run(enter_marks, assessment.id, entries)
        except ValidationFailed as failed:
            for error in failed.errors:
                index = _row_index(error.field)
                if index is not None and index < len(rows):
                    errors.setdefault(f"note-{rows[index]}", error.message)
                else:
                    others.append(error.message)
        else:
            return redirect(page.url(f"/notes/devoirs/{assessment.id}", enregistre=1))
    names = dict(grid.students)
    return page.render(
        "grades/marks.html",
        400 if errors or others else 200,
        grid=grid,
        assessment=assessment,
        class_key=f"d{assessment.division_id}"
        if assessment.division_id
        else f"g{assessment.group_id}",
        values=values,
        statuses=STATUSES,
        errors=errors,
        # The summary names the student of each cell.
        summary={name: f"{names[int(name.split('-')[1])]} : {m}" for name, m in errors.items()},
        error_ids={name: name for name in errors},
        other_errors=others,
        message=message,
        number_fr=number_fr,
        can_write=page.may(enter_marks, assessment.school_id)
        and grid.markable
        and not page.year_over,
    )


def _row_index(field: str) -> int | None:
    """The row of ``marks[3].value``: 3."""
    if not field.startswith("marks["):
        return None
    inside = field[len("marks[") :].split("]", 1)[0]
    return int(inside) if inside.isdigit() else None


@page_handler(destinations.GRADE_AVERAGES)
async def averages(page: Page) -> Response:
    """GET /notes/classe/moyennes?classe=d12&periode=ID: averages out of 20 per subject."""
    chosen, _services = await _chosen(page)
    school_id, year_id = _school_year(page)
    periods = await page.work.read(school_grading_periods, school_id, year_id)
    wanted = parse_id(page.request.query_params.get("periode"))
    today = clock.today()
    period = next((p for p in periods if p.id == wanted), None) or next(
        (p for p in periods if p.first_day <= today <= p.last_day), periods[0] if periods else None
    )
    rows = []
    if period is not None:
        rows = await page.work.read(period_averages, period.id, chosen.division_id, chosen.group_id)
    subject_ids = sorted({s for row in rows for s in row.by_subject})
    labels = {s.id: s.short_label for s in await page.work.read(list_subjects, school_id)}
    return page.render(
        "grades/averages.html",
        chosen=chosen,
        periods=periods,
        period=period,
        rows=rows,
        subjects=[(s, labels.get(s, f"Matière {s}")) for s in subject_ids],
        number_fr=number_fr,
    )

"""/eleves: search; /eleves/{id}: the student record; /eleves/{id}/modifier: edit the identity."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.responses import Response

from api.auth.principal import PermissionDenied
from api.auth.scopes import student_permissions
from api.resolvers.enrollments import (
    EnrollmentView,
    enrollment_certificate,
    enrollments_for_students,
    move_student,
    schooling_history,
)
from api.resolvers.guardians import guardians_of, link_guardian, update_guardian
from api.resolvers.nomenclatures import list_mefs
from api.resolvers.structures import list_divisions, list_groups
from api.resolvers.student_cards import StudentCard
from api.resolvers.students import (
    IDENTITY_FIELDS,
    Enrollment,
    Student,
    StudentFilter,
    StudentOrder,
    get_student,
    get_student_card,
    information_sheet,
    search_students,
    search_students_by_ine,
    update_student,
)
from api.schema import schema
from api.schema.field_permissions import permission_table
from core.errors import FieldError, StaleVersion, ValidationFailed
from core.ine import INE_HINT, normalized_ine
from portals.common.rendering import date_fr
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

PAGE_SIZE = 50
ORDERS = {"nom": StudentOrder.NAME, "naissance": StudentOrder.BIRTH_DATE}

# Identity fields of the edit form, in display order, with their French labels and hints.
IDENTITY_FORM = (
    ("family_name", "Nom de famille", "", True),
    ("usage_name", "Nom d'usage", "Si différent du nom de famille", False),
    ("first_name", "Prénom", "", True),
    ("first_name_2", "Deuxième prénom", "", False),
    ("first_name_3", "Troisième prénom", "", False),
    ("birth_date", "Date de naissance", "Format attendu : JJ/MM/AAAA", True),
    ("birth_commune_code", "Commune de naissance (code INSEE)", "5 caractères, ex. 93048", False),
    ("birth_city", "Ville de naissance", "Obligatoire pour un élève né à l'étranger", False),
    (
        "birth_country_code",
        "Pays de naissance (code INSEE)",
        "3 chiffres, 100 pour la France",
        False,
    ),
    ("ine", "INE", f"Identifiant national élève : {INE_HINT}", False),
)
assert {f for f, *_ in IDENTITY_FORM} | {"sex"} == set(IDENTITY_FIELDS)


@dataclass(frozen=True)
class StudentRow:
    student: StudentCard
    enrollment: Enrollment | None
    division_code: str
    mef_label: str


def first_names(student: Student | StudentCard) -> str:
    return " ".join(
        n for n in (student.first_name, student.first_name_2, student.first_name_3) if n
    )


async def student_rows(
    page: Page,
    students: list[StudentCard],
    school_id: int,
    school_year_id: int,
    division_codes: dict[int, str],
    mef_labels: dict[int, str],
) -> list[StudentRow]:
    """Each student with their enrolment in this school and year, and its labels."""
    histories = await page.work.load(enrollments_for_students, [s.id for s in students])
    rows = []
    for student, history in zip(students, histories, strict=True):
        enrollment = next(
            (e for e in history if e.school_id == school_id and e.school_year_id == school_year_id),
            None,
        )
        rows.append(
            StudentRow(
                student=student,
                enrollment=enrollment,
                division_code=division_codes.get(enrollment.division_id or 0, "")
                if enrollment
                else "",
                mef_label=mef_labels.get(enrollment.mef_id, "") if enrollment else "",
            )
        )
    return rows


@dataclass(frozen=True)
class SearchCriteria:
    """The search form, as read from the query string (French parameter names)."""

    nom: str = ""
    ine: str = ""
    division: int | None = None
    mef: int | None = None
    groupe: int | None = None
    tri: str = "nom"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> SearchCriteria:
        order = query.get("tri", "nom")
        return cls(
            nom=" ".join(query.get("nom", "").split())[:100],
            ine=normalized_ine(query.get("ine", ""))[:11],
            division=parse_id(query.get("division")),
            mef=parse_id(query.get("mef")),
            groupe=parse_id(query.get("groupe")),
            tri=order if order in ORDERS else "nom",
        )

    def params(self) -> dict[str, Any]:
        """Query parameters that reproduce this search (defaults left out)."""
        return {
            "nom": self.nom,
            "ine": self.ine,
            "division": self.division,
            "mef": self.mef,
            "groupe": self.groupe,
            "tri": None if self.tri == "nom" else self.tri,
        }


# What the record page says after a change made on another screen (``?enregistre=...``).
SAVED_PARTS = {
    "scolarite": "La scolarité de l'élève a été modifiée.",
    "sortie": "La sortie de l'élève a été enregistrée.",
    "sortie-annulee": "La sortie de l'élève a été annulée.",
    "arrivee": "Le dossier de l'élève a été pris : il est inscrit dans l'établissement et sa "
    "scolarité dans son ancien établissement est close.",
}

# What the record page says after a change of its guardians (``portals.etablissement.guardians``).
SAVED_GUARDIANS = {
    "responsable": "Le responsable a été modifié.",
    "responsable-ajoute": "Le responsable a été rattaché à l'élève.",
    "responsable-retire": "Le responsable a été retiré de la fiche de l'élève ; il reste "
    "enregistré, avec ses autres enfants.",
}

# The schema's field permissions, so the record page hides exactly what the API hides.
FIELD_PERMISSIONS = permission_table(schema)


@page_handler(destinations.STUDENTS)
async def search(page: Page) -> Response:
    query = page.request.query_params
    criteria = SearchCriteria.from_query(query)
    after = query.get("apres") or None
    school, year = page.school, page.year
    if school is None or year is None:
        return page.render("students/search.html", criteria=criteria)
    divisions = await page.work.read(list_divisions, school.id, year.id)
    groups = await page.work.read(list_groups, school.id, year.id)
    mefs = await page.work.read(list_mefs, school.id)
    filters = StudentFilter(
        school_id=school.id,
        school_year_id=year.id,
        name_prefix=criteria.nom or None,
        ine=criteria.ine or None,
        division_id=criteria.division,
        group_id=criteria.groupe,
        mef_id=criteria.mef,
    )
    errors: list[FieldError] = []
    result = None
    rows: list[StudentRow] = []
    try:
        order = ORDERS[criteria.tri]
        if filters.ine:
            # An INE is identity data: the search by INE declares that permission too.
            result = await page.work.read(
                search_students_by_ine, filters, first=PAGE_SIZE, after=after, order=order
            )
        else:
            result = await page.work.read(
                search_students, filters, first=PAGE_SIZE, after=after, order=order
            )
    except ValidationFailed as exc:
        errors = exc.errors
    except PermissionDenied:
        # Only the INE criterion needs more than reading the students.
        errors = [
            FieldError(
                "ine",
                "FORBIDDEN",
                "La recherche par INE est réservée aux personnels habilités à consulter "
                "l'identité des élèves.",
            )
        ]
    if result is not None:
        rows = await student_rows(
            page,
            result.students,
            school.id,
            year.id,
            {d.division.id: d.division.code for d in divisions},
            {m.id: m.short_label for m in mefs},
        )
    base = {**criteria.params(), "annee": year.id if query.get("annee") else None}
    next_url = (
        page.url("/eleves", **base, apres=result.end_cursor)
        if result is not None and result.has_next_page
        else None
    )
    return page.render(
        "students/search.html",
        criteria=criteria,
        can_create=page.year is not None and page.allows(destinations.NEW_STUDENT),
        can_receive=page.allows(destinations.TRANSFER),
        division_options=[(d.division.id, d.division.code) for d in divisions],
        group_options=[(g.group.id, f"{g.group.code} — {g.group.label}") for g in groups],
        mef_options=[(m.id, m.short_label) for m in mefs],
        result=result,
        rows=rows,
        errors=errors,
        paged=bool(after),
        first_url=page.url("/eleves", **base),
        next_url=next_url,
        first_names=first_names,
        ine_search=page.may(search_students_by_ine),
    )


def writable_school(
    page: Page, history: list[EnrollmentView], fn: Callable[..., Any] = update_student
) -> int | None:
    """A school where the caller may run ``fn`` on this student (the current one first), else
    None."""
    schools = [v.enrollment.school_id for v in history]
    if page.school is not None and page.school.id in schools:
        schools.insert(0, page.school.id)
    return next((s for s in schools if page.may(fn, s)), None)


@page_handler(destinations.STUDENTS)
async def record(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    student = await page.work.read(get_student_card, student_id)
    guardians = await page.work.read(guardians_of, student_id)
    history = await page.work.read(schooling_history, student_id)
    [granted] = await page.work.read(
        student_permissions, [student_id], sorted(set(FIELD_PERMISSIONS.values()))
    )
    # The enrolment the registrar's screens work on: this school's, for the year chosen.
    here = next(
        (
            v
            for v in history
            if page.school is not None
            and page.year is not None
            and v.enrollment.school_id == page.school.id
            and v.enrollment.school_year_id == page.year.id
        ),
        None,
    )
    return page.render(
        "students/record.html",
        here=here,
        can_move=here is not None and page.may(move_student, here.enrollment.school_id),
        can_certify=here is not None
        and page.may(enrollment_certificate, here.enrollment.school_id),
        # The sheet shows identity and the guardians' contacts: both rights.
        can_print_sheet=here is not None
        and page.may(enrollment_certificate, here.enrollment.school_id)
        and page.may(information_sheet, here.enrollment.school_id),
        saved_part=SAVED_PARTS.get(page.request.query_params.get("enregistre", "")),
        saved_guardians=SAVED_GUARDIANS.get(page.request.query_params.get("enregistre", "")),
        can_edit_guardians=writable_school(page, history, update_guardian) is not None,
        can_link_guardian=writable_school(page, history, link_guardian) is not None,
        visible=lambda type_name, field: FIELD_PERMISSIONS[(type_name, field)] in granted,
        student=student,
        guardians=guardians,
        history=history,
        can_edit=writable_school(page, history) is not None,
        saved=page.request.query_params.get("enregistre") == "1",
        first_names=first_names,
    )


def _form_values(student: Student) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in IDENTITY_FIELDS:
        value: Any = getattr(student, field)
        if isinstance(value, date):
            values[field] = date_fr(value)
        elif value is None:
            values[field] = ""
        else:
            values[field] = str(getattr(value, "value", value))
    return values


def _edit_form(
    page: Page,
    student: Student,
    values: dict[str, str],
    version: str,
    errors: list[FieldError],
    status_code: int = 200,
) -> Response:
    known = {f for f, *_ in IDENTITY_FORM} | {"sex"}
    return page.render(
        "students/edit.html",
        status_code,
        student=student,
        fields=IDENTITY_FORM,
        values=values,
        version=version,
        errors=errors,
        field_errors={e.field: e.message for e in errors if e.field in known},
        other_errors=[e for e in errors if e.field not in known],
    )


@page_handler(destinations.STUDENTS)
async def edit(page: Page) -> Response:
    student_id: int = page.request.path_params["student_id"]
    student = await page.work.read(get_student, student_id)
    history = await page.work.read(schooling_history, student_id)
    school_id = writable_school(page, history)
    if school_id is None:
        raise page.refusal(update_student)
    if page.request.method == "GET":
        return _edit_form(page, student, _form_values(student), str(student.version), [])
    form = await page.request.form()
    values = {field: str(form.get(field) or "")[:200] for field in IDENTITY_FIELDS}
    raw_version = str(form.get("version") or "")
    version = parse_id(raw_version)
    try:
        async with page.work.writing(school_id) as transaction:
            await transaction.run(
                update_student,
                student_id,
                changes=values,
                # A form without its version is treated as stale, never as "skip the check".
                expected_version=version if version is not None else 0,
            )
    except StaleVersion as exc:
        # Someone saved between our version check and our write.
        return _edit_form(page, student, values, raw_version, exc.errors, status_code=409)
    except ValidationFailed as exc:
        return _edit_form(page, student, values, raw_version, exc.errors, status_code=400)
    return redirect(f"/eleves/{student_id}?enregistre=1")

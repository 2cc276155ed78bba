"""Students: search with cursor pagination, the record, creation and update of identity."""

from __future__ import annotations

import base64
import enum
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from api.auth.field_permissions import hide_unpermitted
from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.read_audit import record_access
from api.auth.scopes import enrollment_clause, get_in_reach, student_in_reach
from api.resolvers import audit, enrollments, nomenclatures
from api.resolvers.addresses import (
    addresses_with_ids,
    household_of_student,
    parse_address,
    postal_lines,
    write_address,
)
from api.resolvers.audit import attribute_to_student_school
from api.resolvers.fields import FieldParser
from api.resolvers.guardians import (
    Responsibility,
    check_new_student_guardians,
    guardian_cards_for_students,
    guardian_homes,
    link_new_student_guardians,
)
from api.resolvers.ine_conflicts import flag_conflicts, other_holders
from api.resolvers.student_cards import (
    STUDENT_CARDS,
    StudentCard,
    card_of_row,
    student_cards,
)
from core import clock
from core.errors import FieldError, NotFound, StaleVersion, ValidationFailed
from core.ine import ine_problem, normalized_ine
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup, EnrollmentOption, Regime
from db.guardians import Relationship
from db.nomenclatures import Subject
from db.schools import School, SchoolYear, current_year_id_of
from db.structures import Division
from db.students import Sex, Student, search_key
from documents.information_sheets import InformationSheet, SheetPart, write_information_sheets

MAX_PAGE_SIZE = 500
COMMUNE_PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})$")
COUNTRY_PATTERN = re.compile(r"^\d{3}$")
FRANCE = "100"
EARLIEST_BIRTH_DATE = date(1950, 1, 1)
RECORD_READ = {"fields": "record"}


class StudentOrder(enum.StrEnum):
    NAME = "name"
    BIRTH_DATE = "birth_date"


@dataclass
class StudentFilter:
    school_id: int | None = None
    school_year_id: int | None = None
    name_prefix: str | None = None
    ine: str | None = None
    division_id: int | None = None
    group_id: int | None = None
    mef_id: int | None = None


@dataclass(frozen=True)
class StudentPage:
    students: list[StudentCard]
    total: int | None  # None when not asked for: counting costs what the whole reach costs
    end_cursor: str | None
    has_next_page: bool


def _sort_columns(order: StudentOrder) -> list[Any]:
    if order is StudentOrder.BIRTH_DATE:
        return [Student.birth_date, Student.search_name, Student.id]
    return [Student.search_name, Student.id]


def student_cursor(student: Student | StudentCard, order: StudentOrder) -> str:
    values = [
        v.isoformat() if isinstance(v, date) else v
        for v in (getattr(student, c.key) for c in _sort_columns(order))
    ]
    return base64.urlsafe_b64encode(json.dumps([order.value, *values]).encode()).decode()


def _decode_cursor(cursor: str, order: StudentOrder) -> list[Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(decoded, list) or decoded[0] != order.value:
            raise ValueError
        values = decoded[1:]
        if len(values) != len(_sort_columns(order)):
            raise ValueError
        if order is StudentOrder.BIRTH_DATE:
            values[0] = date.fromisoformat(values[0])
        return values
    except (ValueError, TypeError, IndexError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed.single(
            "after", "INVALID", "Le curseur de pagination est invalide."
        ) from exc


def _after(order: StudentOrder, values: list[Any]) -> Any:
    """Keyset condition: rows strictly after the cursor in the sort order."""
    columns = _sort_columns(order)
    clauses = []
    for i, column in enumerate(columns):
        equal_before = [columns[j] == values[j] for j in range(i)]
        clauses.append(and_(*equal_before, column > values[i]))
    return or_(*clauses)


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _filtered(principal: Principal, filters: StudentFilter) -> Select[Any]:
    conditions = [enrollment_clause(principal, Permission.STUDENTS_READ)]
    if filters.school_id is not None:
        conditions.append(Enrollment.school_id == filters.school_id)
    if filters.school_year_id is not None:
        conditions.append(Enrollment.school_year_id == filters.school_year_id)
    elif filters.school_id is not None:
        # A school's list is of its current year unless another is asked for: students
        # planned for the year in preparation, or gone last year, are not on it.
        conditions.append(Enrollment.school_year_id == current_year_id_of(filters.school_id))
    if filters.division_id is not None:
        conditions.append(Enrollment.division_id == filters.division_id)
    if filters.mef_id is not None:
        conditions.append(Enrollment.mef_id == filters.mef_id)
    if filters.group_id is not None:
        conditions.append(
            Enrollment.id.in_(
                select(EnrollmentGroup.enrollment_id).where(
                    EnrollmentGroup.group_id == filters.group_id
                )
            )
        )
    if filters.ine and filters.ine.strip():
        # An INE is identity data: it finds only students reached with that permission (else
        # the filter would tell which school's student holds it).
        conditions.append(enrollment_clause(principal, Permission.STUDENTS_IDENTITY_READ))
    if len(conditions) > 1:
        # A structure (or an INE) narrows the enrolments: start from them (indexed by school,
        # division, group) rather than testing every student.
        query = STUDENT_CARDS.where(
            Student.id.in_(select(Enrollment.student_id).where(*conditions))
        )
    else:
        # A name or INE narrows the students: test each candidate's enrolments.
        query = STUDENT_CARDS.where(
            exists().where(Enrollment.student_id == Student.id, *conditions)
        )
    if filters.name_prefix and filters.name_prefix.strip():
        pattern = _like_prefix(search_key(filters.name_prefix))
        query = query.where(
            or_(
                Student.search_name.like(pattern, escape="\\"),
                Student.usage_search_name.like(pattern, escape="\\"),
            )
        )
    if filters.ine and filters.ine.strip():
        query = query.where(Student.ine == normalized_ine(filters.ine))
    return query


@requires(Permission.STUDENTS_READ)
async def search_students(
    session: AsyncSession,
    principal: Principal,
    filters: StudentFilter,
    *,
    first: int = 50,
    after: str | None = None,
    order: StudentOrder = StudentOrder.NAME,
    with_total: bool = True,
) -> StudentPage:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise ValidationFailed.single(
            "first",
            "OUT_OF_RANGE",
            f"La taille de page doit être comprise entre 1 et {MAX_PAGE_SIZE}.",
        )
    if filters.ine and filters.ine.strip() and not principal.has(Permission.STUDENTS_IDENTITY_READ):
        raise PermissionDenied(Permission.STUDENTS_IDENTITY_READ)
    query = _filtered(principal, filters)
    total = (
        await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        if with_total
        else None
    )
    if after:
        query = query.where(_after(order, _decode_cursor(after, order)))
    rows = (await session.execute(query.order_by(*_sort_columns(order)).limit(first + 1))).all()
    has_next = len(rows) > first
    students = [card_of_row(row) for row in rows[:first]]
    await hide_unpermitted(session, principal, students, lambda card: card.id)
    end_cursor = student_cursor(students[-1], order) if students else None
    return StudentPage(
        students=students, total=total, end_cursor=end_cursor, has_next_page=has_next
    )


@requires(Permission.STUDENTS_IDENTITY_READ)
async def search_students_by_ine(
    session: AsyncSession,
    principal: Principal,
    filters: StudentFilter,
    *,
    first: int = 50,
    after: str | None = None,
    order: StudentOrder = StudentOrder.NAME,
    with_total: bool = True,
) -> StudentPage:
    """``search_students`` with an INE among the filters: the INE is identity data, so the
    search needs that permission as well as reading students."""
    return await search_students(
        session, principal, filters, first=first, after=after, order=order, with_total=with_total
    )


@requires(Permission.STUDENTS_READ)
async def get_student(session: AsyncSession, principal: Principal, student_id: int) -> Student:
    """The full record: the read is recorded in the audit trail (written on commit)."""
    student = await student_in_reach(session, principal, student_id)
    school_id = await audit.reaching_school(session, principal, student_id)
    record_access(
        session, principal, "read", Student.__tablename__, student_id, school_id, dict(RECORD_READ)
    )
    return student


@requires(Permission.STUDENTS_READ)
async def get_student_card(
    session: AsyncSession, principal: Principal, student_id: int
) -> StudentCard:
    """The record as the caller may see it (read recorded, like ``get_student``)."""
    [card] = await student_cards(
        session, principal, [await get_student(session, principal, student_id)]
    )
    return card


async def _writable_student(
    session: AsyncSession, principal: Principal, student_id: int
) -> Student:
    student = await student_in_reach(session, principal, student_id, Permission.STUDENTS_WRITE)
    await attribute_to_student_school(
        session, principal, Permission.STUDENTS_WRITE, student_id=student_id
    )
    return student


IDENTITY_FIELDS = (
    "family_name",
    "usage_name",
    "first_name",
    "first_name_2",
    "first_name_3",
    "sex",
    "birth_date",
    "birth_commune_code",
    "birth_city",
    "birth_country_code",
    "ine",
)


def parse_identity(data: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """Validate a complete identity; every error names its field."""
    today = today or clock.today()
    p = FieldParser(data)
    values: dict[str, Any] = {
        "family_name": p.person_name("family_name", "Le nom de famille", required=True),
        "usage_name": p.person_name("usage_name", "Le nom d'usage"),
        "first_name": p.person_name("first_name", "Le prénom", required=True),
        "first_name_2": p.person_name("first_name_2", "Le deuxième prénom"),
        "first_name_3": p.person_name("first_name_3", "Le troisième prénom"),
        "sex": p.choice("sex", "Le sexe", Sex, required=True),
        "birth_date": p.date(
            "birth_date",
            "La date de naissance",
            required=True,
            earliest=EARLIEST_BIRTH_DATE,
            latest=date(today.year - 2, today.month, min(today.day, 28)),
        ),
        "birth_country_code": p.text(
            "birth_country_code",
            "Le pays de naissance",
            pattern=COUNTRY_PATTERN,
            pattern_hint=" (code INSEE à 3 chiffres, 100 pour la France)",
        )
        or FRANCE,
        "birth_commune_code": p.text(
            "birth_commune_code",
            "La commune de naissance",
            pattern=COMMUNE_PATTERN,
            pattern_hint=" (code INSEE à 5 caractères)",
        ),
        "birth_city": p.text("birth_city", "La ville de naissance", max_length=80),
        "ine": None,
    }
    ine = p.text("ine", "L'INE", max_length=20)
    if ine is not None:
        ine = normalized_ine(ine)
        refusal = ine_problem(ine)
        if refusal is None:
            values["ine"] = ine
        else:
            p.fail("ine", "INVALID", refusal)
    if values["first_name_3"] and not values["first_name_2"]:
        p.fail("first_name_3", "INVALID", "Un troisième prénom suppose un deuxième prénom.")
    if values["birth_country_code"] == FRANCE and data.get("birth_commune_code") in (None, ""):
        p.fail(
            "birth_commune_code",
            "REQUIRED",
            "La commune de naissance est obligatoire pour un élève né en France.",
        )
    if values["birth_country_code"] != FRANCE and not values["birth_city"]:
        p.fail(
            "birth_city",
            "REQUIRED",
            "La ville de naissance est obligatoire pour un élève né à l'étranger.",
        )
    p.raise_if_errors()
    return values


PROBABLE_DUPLICATE = (
    "Un élève de même nom, prénom, date et lieu de naissance est déjà inscrit dans "
    "l'académie : vérifiez qu'il ne s'agit pas du même élève avant de confirmer la création."
)


async def _probable_duplicate(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> bool:
    """A student of the académie (any school, in reach or not) of the same name, first name,
    birth date and birth place. Only the yes or no is told, never who or where."""
    born_here = (
        Student.birth_commune_code == values["birth_commune_code"]
        if values["birth_country_code"] == FRANCE
        else func.upper(Student.birth_city) == (values["birth_city"] or "").upper()
    )
    found = await session.scalar(
        select(Student.id)
        .where(
            Student.search_name == search_key(values["family_name"], values["first_name"]),
            Student.birth_date == values["birth_date"],
            Student.birth_country_code == values["birth_country_code"],
            born_here,
            exists().where(
                Enrollment.student_id == Student.id,
                Enrollment.school_id.in_(
                    select(School.id).where(School.academy_id == principal.academy_id)
                ),
            ),
        )
        .limit(1)
    )
    return found is not None


@requires(Permission.STUDENTS_WRITE)
async def create_student(
    session: AsyncSession,
    principal: Principal,
    identity: dict[str, Any],
    enrollment: dict[str, Any],
    confirm_duplicate: bool = False,
    address: Any = None,
    guardians: list[dict[str, Any]] | None = None,
) -> Student:
    """A new student is always created with an enrolment in one of the caller's schools,
    with his address and his guardians when given (see
    ``guardians.check_new_student_guardians``): all of it or nothing.

    One that looks like a student already known to the académie is created only once the
    caller has confirmed it is another child (``confirm_duplicate``)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    address_values = None
    try:
        values = parse_identity(identity)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    try:
        address_values = parse_address(address)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    errors.extend(check_new_student_guardians(guardians or [], address_values))
    if errors:
        raise ValidationFailed(errors)
    if not confirm_duplicate and await _probable_duplicate(session, principal, values):
        raise ValidationFailed.single("confirm_duplicate", "PROBABLE_DUPLICATE", PROBABLE_DUPLICATE)
    holders = await other_holders(session, principal, values["ine"], None)
    school_id = enrollment.get("school_id")
    if isinstance(school_id, int):
        # Recorded under the school of the enrolment (checked below; a bad one undoes all).
        set_actor(session.sync_session, principal.audit_actor(school_id))
    student = Student(**values, created_by_id=principal.id if principal.kind == "staff" else None)
    session.add(student)
    await session.flush()
    await enrollments.create_enrollment(session, principal, student, enrollment)
    if address_values is not None:
        # Shared with an existing guardian he lives with when written alike (a sibling's home).
        await write_address(
            session,
            student,
            address_values,
            household=await guardian_homes(session, principal, guardians or []),
        )
    if guardians:
        await link_new_student_guardians(session, principal, student, guardians)
    if holders:
        await flag_conflicts(session, values["ine"], student.id, holders)
    return student


STALE_RECORD = (
    "La fiche a été modifiée par quelqu'un d'autre depuis son ouverture : "
    "rechargez-la avant d'enregistrer."
)


@requires(Permission.STUDENTS_WRITE)
async def update_student(
    session: AsyncSession,
    principal: Principal,
    student_id: int,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Student:
    student = await _writable_student(session, principal, student_id)
    if expected_version is not None and expected_version != student.version:
        raise ValidationFailed.single("version", "STALE", STALE_RECORD)
    unknown = set(changes) - set(IDENTITY_FIELDS) - {"address", "moves_out"}
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "UNKNOWN", "Ce champ n'existe pas.")
    moves_out = bool(changes.get("moves_out"))
    if moves_out and "address" not in changes:
        raise ValidationFailed.single(
            "moves_out", "INVALID", "Indiquez la nouvelle adresse de l'élève qui déménage."
        )
    merged = {field: getattr(student, field) for field in IDENTITY_FIELDS} | changes
    errors: list[FieldError] = []
    address = None
    try:
        values = parse_identity(merged)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if "address" in changes:
        try:
            address = parse_address(changes["address"])
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    holders = (
        await other_holders(session, principal, values["ine"], student.id)
        if values["ine"] != student.ine
        else []
    )
    for field, value in values.items():
        if getattr(student, field) != value:
            setattr(student, field, value)
    if "address" in changes:
        # The household rule of ``api.resolvers.addresses``: the whole household moves, unless
        # the student alone does (``moves_out``: boarding with another family, a foster home).
        household = await household_of_student(session, student.id)
        await write_address(session, student, address, moves_out=moves_out, household=household)
    try:
        await session.flush()
    except StaleDataError:
        raise StaleVersion([FieldError("version", "STALE", STALE_RECORD)]) from None
    if holders:
        await flag_conflicts(session, values["ine"], student.id, holders)
    return student


INFORMATION_SHEET = {"document": "fiche_de_renseignements"}
# The sheet speaks French to the family (the portal's labels are the portal's).
_REGIMES = {
    Regime.EXTERNE: "Externe",
    Regime.DEMI_PENSIONNAIRE: "Demi-pensionnaire",
    Regime.INTERNE: "Interne",
}
_RELATIONSHIPS = {
    Relationship.MOTHER: "Mère",
    Relationship.FATHER: "Père",
    Relationship.OTHER_FAMILY_MEMBER: "Autre membre de la famille",
    Relationship.EDUCATOR: "Éducateur",
    Relationship.ASSISTANT_FAMILY: "Assistant familial",
    Relationship.ASE: "Aide sociale à l'enfance",
    Relationship.TUTOR: "Tuteur",
    Relationship.STUDENT_SELF: "Élève lui-même",
    Relationship.OTHER: "Autre lien",
}
_RESPONSIBILITIES = {
    Responsibility.LEGAL_1: "Responsable légal 1",
    Responsibility.LEGAL_2: "Responsable légal 2",
    Responsibility.OTHER: "Autre responsable",
}


def _postal(address: Any) -> str:
    lines = postal_lines(address)
    return "\n".join(lines) if lines else ""


def _yes(value: bool) -> str:
    return "Oui" if value else "Non"


async def _information_sheets(
    session: AsyncSession, principal: Principal, rows: list[Enrollment]
) -> list[InformationSheet]:
    facts = await enrollments.certificate_facts(session, rows)
    years = {
        y.id: y
        for y in await session.scalars(
            select(SchoolYear).where(SchoolYear.id.in_({e.school_year_id for e in rows}))
        )
    }
    groups = await enrollments.groups_for_enrollments(session, [e.id for e in rows])
    options: dict[int, list[str]] = {}
    for enrollment_id, label in await session.execute(
        select(EnrollmentOption.enrollment_id, Subject.short_label)
        .join(Subject, Subject.id == EnrollmentOption.subject_id)
        .where(EnrollmentOption.enrollment_id.in_([e.id for e in rows]))
        .order_by(EnrollmentOption.rank)
    ):
        options.setdefault(enrollment_id, []).append(label)
    homes = await addresses_with_ids(session, [f.student.address_id for f in facts])
    links = await guardian_cards_for_students(session, principal, [e.student_id for e in rows])
    today = clock.today()
    sheets = []
    for enrollment, fact, group_list, guardians in zip(rows, facts, groups, links, strict=True):
        student, school = fact.student, fact.school
        regime = _REGIMES[enrollment.regime]
        if enrollment.regime_code:
            for entry in await nomenclatures.entries(
                session, "regime", years[enrollment.school_year_id].start_year
            ):
                if entry.code == enrollment.regime_code:
                    regime = entry.long_label or entry.short_label
        born_in = student.birth_city or (
            f"commune INSEE {student.birth_commune_code}" if student.birth_commune_code else ""
        )
        school_town = " ".join(p for p in (school.postal_code, school.city) if p)
        sheets.append(
            InformationSheet(
                school_lines=[
                    school.name,
                    *([school.address_line] if school.address_line else []),
                    *([school_town] if school_town else []),
                    f"UAI {school.uai}",
                ],
                year_label=fact.year_label,
                student=SheetPart(
                    "Élève",
                    [
                        ("Nom de famille", student.family_name.upper()),
                        ("Nom d'usage", (student.usage_name or "").upper()),
                        (
                            "Prénoms",
                            " ".join(
                                n
                                for n in (
                                    student.first_name,
                                    student.first_name_2,
                                    student.first_name_3,
                                )
                                if n
                            ),
                        ),
                        ("Sexe", "Féminin" if student.sex is Sex.F else "Masculin"),
                        ("Date de naissance", f"{student.birth_date:%d/%m/%Y}"),
                        ("Lieu de naissance", born_in),
                        ("Pays de naissance", student.birth_country_code),
                        ("INE", student.ine or ""),
                        ("Adresse", _postal(homes.get(student.address_id or 0))),
                    ],
                ),
                schooling=SheetPart(
                    "Scolarité",
                    [
                        ("MEF", fact.mef_label),
                        ("Division", fact.division_code or ""),
                        ("Groupes", ", ".join(g.code for g in group_list)),
                        ("Régime", regime),
                        ("Options", ", ".join(options.get(enrollment.id, []))),
                        ("Entrée le", f"{enrollment.entry_date:%d/%m/%Y}"),
                    ],
                ),
                guardians=[
                    SheetPart(
                        f"{_RESPONSIBILITIES[link.responsibility]} — "
                        f"{_RELATIONSHIPS.get(link.relationship, 'Autre lien')}",
                        [
                            (
                                "Nom et prénom",
                                f"{g.civility.value} {g.family_name.upper()} {g.first_name}",
                            ),
                            ("Adresse", _postal(g.address)),
                            ("Téléphone portable", g.phone_mobile or ""),
                            ("Téléphone du domicile", g.phone_home or ""),
                            ("Téléphone professionnel", g.phone_work or ""),
                            ("Adresse électronique", g.email or ""),
                            (
                                "Vit avec l'élève / reçoit le courrier / paie les frais",
                                " / ".join(
                                    _yes(v)
                                    for v in (link.lives_with, link.receives_mail, link.pays_fees)
                                ),
                            ),
                        ],
                    )
                    for link in guardians
                    for g in [link.guardian]
                ],
                place_and_date=f"édité le {today:%d/%m/%Y}",
            )
        )
    return sheets


# Identity and the guardians' contacts: the sheet asks for both permissions.
@requires(Permission.GUARDIAN_CONTACTS_READ)
@requires(Permission.STUDENTS_IDENTITY_READ)
async def information_sheet(
    session: AsyncSession,
    principal: Principal,
    student_id: int,
    school_id: int,
    school_year_id: int,
) -> bytes:
    """The fiche de renseignements (PDF) of a student in a school for a year, for his family
    to check; its download is recorded as an export."""
    await student_in_reach(session, principal, student_id, Permission.STUDENTS_IDENTITY_READ)
    enrollment = await session.scalar(
        select(Enrollment).where(
            Enrollment.student_id == student_id,
            Enrollment.school_id == school_id,
            Enrollment.school_year_id == school_year_id,
            enrollment_clause(principal, Permission.STUDENTS_IDENTITY_READ),
            enrollment_clause(principal, Permission.GUARDIAN_CONTACTS_READ),
        )
    )
    if enrollment is None:
        raise NotFound("Enrollment", student_id)
    sheets = await _information_sheets(session, principal, [enrollment])
    record_access(
        session,
        principal,
        "export",
        Student.__tablename__,
        student_id,
        school_id,
        dict(INFORMATION_SHEET),
    )
    return write_information_sheets(sheets, "Fiche de renseignements")


@requires(Permission.GUARDIAN_CONTACTS_READ)
@requires(Permission.STUDENTS_IDENTITY_READ)
async def division_information_sheets(
    session: AsyncSession, principal: Principal, division_id: int
) -> bytes:
    """One sheet per student on the division's list today, by name."""
    division = await get_in_reach(
        session,
        principal,
        Permission.GUARDIAN_CONTACTS_READ,
        Division,
        division_id,
        Division.school_id,
    )
    today = clock.today()
    rows = list(
        await session.scalars(
            select(Enrollment)
            .join(Student, Student.id == Enrollment.student_id)
            .where(
                Enrollment.division_id == division.id,
                or_(Enrollment.exit_date.is_(None), Enrollment.exit_date > today),
                enrollment_clause(principal, Permission.STUDENTS_IDENTITY_READ),
            )
            .order_by(Student.search_name, Student.id)
        )
    )
    record_access(
        session,
        principal,
        "export",
        Division.__tablename__,
        division.id,
        division.school_id,
        INFORMATION_SHEET | {"students": len(rows)},
    )
    sheets = await _information_sheets(session, principal, rows)
    return write_information_sheets(sheets, f"Fiches de renseignements — {division.code}")

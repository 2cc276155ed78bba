"""Assessments, marks and averages: what a teacher enters and what families may see.

A teacher creates assessments for the divisions and groups he teaches (the principal for
any class of his school), with a date, a scale, a coefficient and a publication date, and
enters each student's mark: a value out of the scale, or absent, exempt, not graded. A
period's average, out of 20, weighs each graded mark by its assessment's coefficient;
absent, exempt and not graded marks do not count.

A school's grades software (an API client with the ``grades:write`` scope) acts for the
school, as its principal would: it grades any class of its schools. The assessment's teacher
is then the staff member it names, who must teach the class, or no one. Teachers, the
principal and clients go through the same functions: the same checks of scales, years and
publication dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.schools import check_year_writable
from core.errors import FieldError, NotFound, ValidationFailed
from db.accounts import StaffUser
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.grades import Assessment, GradingPeriod, Mark, MarkStatus
from db.nomenclatures import Subject
from db.schools import School, SchoolYear
from db.structures import Division, Group, TeachingAssignment
from db.students import Student

MAX_SCALE = Decimal(100)
MAX_COEFFICIENT = Decimal(20)
TWENTY = Decimal(20)
CENT = Decimal("0.01")
# A class never holds more students: a bound on what one request may send.
MAX_MARKS = 500


@dataclass
class AssessmentInput:
    title: str
    subject_id: int
    day: date
    scale: Decimal
    coefficient: Decimal
    published_on: date
    division_id: int | None = None
    group_id: int | None = None
    # Who set it: a staff member teaching the class; by default the staff member creating
    # it, no one for a grades software.
    teacher_id: int | None = None


@dataclass
class MarkInput:
    student_id: int
    status: MarkStatus
    # A number, or the text typed on a form ("12,5"); empty text is no value.
    value: Decimal | str | None = None


async def _class(
    session: AsyncSession,
    principal: Principal,
    permission: Permission,
    division_id: int | None,
    group_id: int | None,
) -> tuple[int, int]:
    """(school id, school year id) of the division or group, if the caller may grade it: any
    class of a school where the permission does not come from teaching alone (the principal,
    the school's grades software), else only the classes taught."""
    if (division_id is None) == (group_id is None):
        raise ValidationFailed.single(
            "divisionId", "REQUIRED", "Choisissez une division ou un groupe (l'un des deux)."
        )
    if division_id is not None:
        found: Division | Group = await get_in_reach(
            session, principal, permission, Division, division_id, Division.school_id
        )
        taught = division_id in principal.taught_division_ids
    else:
        assert group_id is not None
        found = await get_in_reach(session, principal, permission, Group, group_id, Group.school_id)
        taught = group_id in principal.taught_group_ids
    if found.school_id in principal.teaching_only_school_ids(permission) and not taught:
        raise NotFound("Division" if division_id is not None else "Group", division_id or group_id)
    return found.school_id, found.school_year_id


async def _check_year(session: AsyncSession, school_id: int, year_id: int) -> None:
    """Marks of a year over for the school are history: read, never changed."""
    year = await session.get(SchoolYear, year_id)
    assert year is not None
    await check_year_writable(session, school_id, year, "schoolYearId")


def _check(entry: AssessmentInput) -> None:
    errors = []
    if not entry.title.strip():
        errors.append(FieldError("title", "REQUIRED", "Donnez un intitulé au devoir."))
    if not Decimal(0) < entry.scale <= MAX_SCALE:
        errors.append(FieldError("scale", "OUT_OF_RANGE", "Le barème est compris entre 1 et 100."))
    if not Decimal(0) < entry.coefficient <= MAX_COEFFICIENT:
        errors.append(
            FieldError("coefficient", "OUT_OF_RANGE", "Le coefficient est compris entre 0,1 et 20.")
        )
    if entry.published_on < entry.day:
        errors.append(
            FieldError(
                "publishedOn",
                "BEFORE_ASSESSMENT",
                "La date de publication ne peut précéder celle du devoir.",
            )
        )
    if errors:
        raise ValidationFailed(errors)


def _teaching_the_class(entry: AssessmentInput) -> ColumnElement[bool]:
    """The services in the assessment's division or group."""
    if entry.division_id is not None:
        return TeachingAssignment.division_id == entry.division_id
    return TeachingAssignment.group_id == entry.group_id


async def _teacher(
    session: AsyncSession, principal: Principal, school_id: int, entry: AssessmentInput
) -> int | None:
    """The assessment's teacher: the one named, if he teaches the class (a teacher names
    only himself), else the staff member creating it; no one for a client."""
    if entry.teacher_id is None:
        return principal.id if principal.kind == "staff" else None
    own = principal.kind == "staff" and entry.teacher_id == principal.id
    if school_id in principal.teaching_only_school_ids(Permission.GRADES_WRITE) and not own:
        raise ValidationFailed.single(
            "teacherId", "NOT_YOURS", "Un enseignant ne crée des devoirs qu'en son nom."
        )
    teaches = await session.scalar(
        select(TeachingAssignment.id)
        .join(StaffUser, StaffUser.id == TeachingAssignment.user_id)
        .where(
            TeachingAssignment.user_id == entry.teacher_id,
            TeachingAssignment.school_id == school_id,
            StaffUser.academy_id == principal.academy_id,
            _teaching_the_class(entry),
        )
        .limit(1)
    )
    if teaches is None and not own:
        raise ValidationFailed.single(
            "teacherId", "NOT_TEACHING", "Cet enseignant n'enseigne pas dans cette classe."
        )
    return entry.teacher_id


async def _check_subject_taught(
    session: AsyncSession, principal: Principal, school_id: int, entry: AssessmentInput
) -> None:
    """A teacher grades the subjects of his services in the class (a service without a
    subject, as some imports leave them, allows any); the principal and clients any."""
    if school_id not in principal.teaching_only_school_ids(Permission.GRADES_WRITE):
        return
    subjects = set(
        await session.scalars(
            select(TeachingAssignment.subject_id).where(
                TeachingAssignment.user_id == principal.id,
                TeachingAssignment.school_id == school_id,
                _teaching_the_class(entry),
            )
        )
    )
    if None not in subjects and entry.subject_id not in subjects:
        raise ValidationFailed.single(
            "subjectId", "NOT_TAUGHT", "Vous n'enseignez pas cette matière dans cette classe."
        )


def marked_by(principal: Principal, assessment: Assessment) -> bool:
    """Whether the caller may enter this assessment's marks: a teacher his own assessments
    only, even in a class where a colleague grades too; the principal and the school's grades
    software any."""
    if assessment.school_id not in principal.teaching_only_school_ids(Permission.GRADES_WRITE):
        return True
    return principal.kind == "staff" and assessment.teacher_id == principal.id


@requires(Permission.GRADES_WRITE)
async def create_assessment(
    session: AsyncSession, principal: Principal, entry: AssessmentInput
) -> Assessment:
    school_id, year_id = await _class(
        session, principal, Permission.GRADES_WRITE, entry.division_id, entry.group_id
    )
    await _check_year(session, school_id, year_id)
    set_actor(session.sync_session, principal.audit_actor(school_id))
    _check(entry)
    if await session.get(Subject, entry.subject_id) is None:
        raise ValidationFailed.single("subjectId", "UNKNOWN", "Cette matière n'existe pas.")
    teacher_id = await _teacher(session, principal, school_id, entry)
    await _check_subject_taught(session, principal, school_id, entry)
    assessment = Assessment(
        school_id=school_id,
        school_year_id=year_id,
        division_id=entry.division_id,
        group_id=entry.group_id,
        subject_id=entry.subject_id,
        teacher_id=teacher_id,
        title=entry.title.strip()[:120],
        day=entry.day,
        scale=entry.scale,
        coefficient=entry.coefficient,
        published_on=entry.published_on,
    )
    session.add(assessment)
    await session.flush()
    return assessment


async def _assessment(
    session: AsyncSession, principal: Principal, permission: Permission, assessment_id: int
) -> Assessment:
    assessment = await get_in_reach(
        session, principal, permission, Assessment, assessment_id, Assessment.school_id
    )
    try:
        await _class(session, principal, permission, assessment.division_id, assessment.group_id)
    except NotFound:
        raise NotFound("Assessment", assessment_id) from None
    return assessment


async def class_members(
    session: AsyncSession, division_id: int | None, group_id: int | None, on: date
) -> list[Student]:
    """The class's students on a day, by name."""
    in_class = (
        Enrollment.division_id == division_id
        if division_id is not None
        else exists().where(
            EnrollmentGroup.enrollment_id == Enrollment.id, EnrollmentGroup.group_id == group_id
        )
    )
    return list(
        await session.scalars(
            select(Student)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(
                in_class,
                Enrollment.entry_date <= on,
                or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= on),
            )
            .order_by(Student.search_name, Student.id)
        )
    )


def _value(entry: MarkInput, scale: Decimal, index: int) -> Decimal | None:
    field = f"marks[{index}].value"
    given = entry.value.strip() if isinstance(entry.value, str) else entry.value
    if entry.status is not MarkStatus.GRADED:
        if given not in (None, ""):
            raise ValidationFailed.single(
                field,
                "VALUE_WITHOUT_MARK",
                "Une note absente, dispensée ou non notée n'a pas de valeur.",
            )
        return None
    if given in (None, ""):
        raise ValidationFailed.single(field, "REQUIRED", "Indiquez la note.")
    try:
        number = typed_number(given, field) if isinstance(given, str) else Decimal(given)
        value = number.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationFailed.single(field, "INVALID", "Note invalide.") from None
    if not Decimal(0) <= value <= scale:
        raise ValidationFailed.single(
            field, "OUT_OF_RANGE", f"La note est comprise entre 0 et {number_fr(scale)}."
        )
    return value


def number_fr(value: Decimal) -> str:
    """12.50 -> "12,5", 10.00 -> "10" (never "1E+1")."""
    return f"{Decimal(value).normalize():f}".replace(".", ",")


_TYPED_NUMBER = re.compile(r"^\d{1,3}([.,]\d{1,2})?$")


def typed_number(text: str, field: str, what: str = "La note") -> Decimal:
    """A mark, scale or coefficient as typed on a form: "12,5" or "12.5", two decimals at
    most; else a ``ValidationFailed`` naming ``field``."""
    cleaned = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not cleaned:
        raise ValidationFailed.single(field, "REQUIRED", f"{what} est à indiquer.")
    if not _TYPED_NUMBER.match(cleaned):
        raise ValidationFailed.single(
            field,
            "INVALID",
            f"{what} est un nombre, avec au plus deux décimales (par exemple 12,5).",
        )
    return Decimal(cleaned.replace(",", "."))


@requires(Permission.GRADES_WRITE)
async def enter_marks(
    session: AsyncSession, principal: Principal, assessment_id: int, marks: Iterable[MarkInput]
) -> list[Mark]:
    """Record or change the marks given (students not listed keep theirs). Every mark is
    checked before any is written: the errors of all of them, or all of them saved."""
    assessment = await _assessment(session, principal, Permission.GRADES_WRITE, assessment_id)
    if not marked_by(principal, assessment):
        raise ValidationFailed.single(
            "assessmentId",
            "NOT_YOURS",
            "Seul l'enseignant qui a créé ce devoir en saisit les notes.",
        )
    await _check_year(session, assessment.school_id, assessment.school_year_id)
    set_actor(session.sync_session, principal.audit_actor(assessment.school_id))
    members = {
        s.id
        for s in await class_members(
            session, assessment.division_id, assessment.group_id, assessment.day
        )
    }
    entries = list(marks)
    if len(entries) > MAX_MARKS:
        raise ValidationFailed.single("marks", "TOO_MANY", f"Au plus {MAX_MARKS} notes par envoi.")
    errors: list[FieldError] = []
    values: list[Decimal | None] = []
    seen: set[int] = set()
    for index, entry in enumerate(entries):
        values.append(None)
        if entry.student_id not in members:
            errors.append(
                FieldError(
                    f"marks[{index}].studentId",
                    "NOT_IN_CLASS",
                    "Cet élève n'était pas dans la classe le jour du devoir.",
                )
            )
            continue
        if entry.student_id in seen:
            errors.append(
                FieldError(f"marks[{index}].studentId", "DUPLICATE", "Une seule note par élève.")
            )
            continue
        seen.add(entry.student_id)
        try:
            values[index] = _value(entry, assessment.scale, index)
        except ValidationFailed as wrong:
            errors += wrong.errors
    if errors:
        raise ValidationFailed(errors)
    existing = {
        mark.student_id: mark
        for mark in await session.scalars(select(Mark).where(Mark.assessment_id == assessment.id))
    }
    saved = []
    for entry, value in zip(entries, values, strict=True):
        mark = existing.get(entry.student_id) or Mark(
            assessment_id=assessment.id, student_id=entry.student_id
        )
        mark.status, mark.value = MarkStatus(entry.status), value
        session.add(mark)
        saved.append(mark)
    await session.flush()
    return saved


@requires(Permission.GRADES_READ)
async def assessment_marks(
    session: AsyncSession, principal: Principal, assessment_id: int
) -> tuple[Assessment, list[Mark]]:
    assessment = await _assessment(session, principal, Permission.GRADES_READ, assessment_id)
    marks = list(await session.scalars(select(Mark).where(Mark.assessment_id == assessment.id)))
    return assessment, marks


DEFAULT_PERIODS = (
    ("Trimestre 1", (9, 1), (11, 30)),
    ("Trimestre 2", (12, 1), (2, 28)),
    ("Trimestre 3", (3, 1), (7, 10)),
)


async def grading_periods(
    session: AsyncSession, school_id: int, school_year_id: int
) -> list[GradingPeriod]:
    """The school's periods for the year; trimesters by default (caller sets the actor)."""
    periods = list(
        await session.scalars(
            select(GradingPeriod)
            .where(
                GradingPeriod.school_id == school_id, GradingPeriod.school_year_id == school_year_id
            )
            .order_by(GradingPeriod.first_day)
        )
    )
    if periods:
        return periods
    year = await session.get(SchoolYear, school_year_id)
    if year is None:
        raise NotFound("SchoolYear", school_year_id)
    for label, (first_month, first_day), (last_month, last_day) in DEFAULT_PERIODS:
        first_year = year.start_year if first_month >= 9 else year.start_year + 1
        last_year = year.start_year if last_month >= 9 else year.start_year + 1
        if (last_month, last_day) == (2, 28) and last_year % 4 == 0:
            last_day = 29
        periods.append(
            GradingPeriod(
                school_id=school_id,
                school_year_id=school_year_id,
                label=label,
                first_day=date(first_year, first_month, first_day),
                last_day=date(last_year, last_month, last_day),
            )
        )
    session.add_all(periods)
    await session.flush()
    return periods


def weighted_average(marks: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal | None:
    """Average out of 20 of (value, scale, coefficient) graded marks; None without any."""
    total = weight = Decimal(0)
    for value, scale, coefficient in marks:
        total += value / scale * TWENTY * coefficient
        weight += coefficient
    if not weight:
        return None
    return (total / weight).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class StudentAverages:
    student_id: int
    student_name: str
    # subject id -> average out of 20
    by_subject: dict[int, Decimal]
    overall: Decimal | None


@requires(Permission.GRADES_READ)
async def period_averages(
    session: AsyncSession,
    principal: Principal,
    period_id: int,
    division_id: int | None = None,
    group_id: int | None = None,
) -> list[StudentAverages]:
    """Each student's averages per subject over the period, and the mean of those."""
    school_id, _year = await _class(
        session, principal, Permission.GRADES_READ, division_id, group_id
    )
    period = await session.get(GradingPeriod, period_id)
    if period is None or period.school_id != school_id:
        raise NotFound("GradingPeriod", period_id)
    students = await class_members(session, division_id, group_id, period.last_day)
    rows = await session.execute(
        select(
            Mark.student_id,
            Assessment.subject_id,
            Mark.value,
            Assessment.scale,
            Assessment.coefficient,
        )
        .join(Assessment, Assessment.id == Mark.assessment_id)
        .where(
            Mark.student_id.in_([s.id for s in students]),
            Mark.status == MarkStatus.GRADED,
            Assessment.school_id == school_id,
            Assessment.day >= period.first_day,
            Assessment.day <= period.last_day,
        )
    )
    by_student: dict[int, dict[int, list[tuple[Decimal, Decimal, Decimal]]]] = {}
    for student_id, subject_id, value, scale, coefficient in rows:
        # Only graded marks are read: they all have a value.
        assert value is not None
        by_student.setdefault(student_id, {}).setdefault(subject_id, []).append(
            (Decimal(value), Decimal(scale), Decimal(coefficient))
        )
    result = []
    for student in students:
        subjects = {
            subject_id: average
            for subject_id, marks in by_student.get(student.id, {}).items()
            if (average := weighted_average(marks)) is not None
        }
        overall = (
            (sum(subjects.values(), Decimal(0)) / len(subjects)).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            if subjects
            else None
        )
        result.append(
            StudentAverages(
                student.id, f"{student.family_name} {student.first_name}", subjects, overall
            )
        )
    return result


@requires(Permission.GRADES_READ)
async def class_assessments(
    session: AsyncSession,
    principal: Principal,
    division_id: int | None = None,
    group_id: int | None = None,
) -> list[Assessment]:
    """The assessments of a division or group the caller grades, latest first."""
    await _class(session, principal, Permission.GRADES_READ, division_id, group_id)
    target = (
        Assessment.division_id == division_id
        if division_id is not None
        else Assessment.group_id == group_id
    )
    return list(
        await session.scalars(
            select(Assessment).where(target).order_by(Assessment.day.desc(), Assessment.id.desc())
        )
    )


@requires(Permission.GRADES_READ)
async def school_grading_periods(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[GradingPeriod]:
    """The school's grading periods of a year (trimesters, stored on first use)."""
    school = await get_in_reach(
        session, principal, Permission.GRADES_READ, School, school_id, School.id
    )
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != school.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return await grading_periods(session, school.id, year.id)


@dataclass(frozen=True)
class GradedClass:
    """A division or group the caller grades, with the subject he teaches there (none for
    the principal, who grades every class in any subject)."""

    division: Division | None
    group: Group | None
    subject: Subject | None

    @property
    def key(self) -> str:
        """``d12`` for a division, ``g7`` for a group."""
        return f"d{self.division.id}" if self.division else f"g{self.group_id}"

    @property
    def group_id(self) -> int | None:
        return self.group.id if self.group else None

    @property
    def division_id(self) -> int | None:
        return self.division.id if self.division else None

    @property
    def label(self) -> str:
        if self.division:
            return f"Division {self.division.code}"
        assert self.group is not None
        return f"Groupe {self.group.code}"


@requires(Permission.GRADES_WRITE)
async def graded_classes(
    session: AsyncSession, principal: Principal, school_id: int, school_year_id: int
) -> list[GradedClass]:
    """The divisions and groups of a school's year the caller grades: those he teaches, in
    each subject he teaches there; every one for the principal. Divisions first, by code."""
    school = await get_in_reach(
        session, principal, Permission.GRADES_WRITE, School, school_id, School.id
    )
    if school.id in principal.teaching_only_school_ids(Permission.GRADES_WRITE):
        rows = await session.execute(
            select(Division, Group, Subject)
            .select_from(TeachingAssignment)
            .outerjoin(Division, Division.id == TeachingAssignment.division_id)
            .outerjoin(Group, Group.id == TeachingAssignment.group_id)
            .outerjoin(Subject, Subject.id == TeachingAssignment.subject_id)
            .where(
                TeachingAssignment.school_id == school.id,
                TeachingAssignment.user_id == principal.id,
                or_(
                    Division.school_year_id == school_year_id,
                    Group.school_year_id == school_year_id,
                ),
            )
        )
        found = [GradedClass(d, g, s) for d, g, s in rows]
    else:
        divisions = await session.scalars(
            select(Division).where(
                Division.school_id == school.id, Division.school_year_id == school_year_id
            )
        )
        groups = await session.scalars(
            select(Group).where(
                Group.school_id == school.id, Group.school_year_id == school_year_id
            )
        )
        found = [GradedClass(d, None, None) for d in divisions]
        found += [GradedClass(None, g, None) for g in groups]
    return sorted(
        found,
        key=lambda c: (
            c.division is None,
            (c.division or c.group).code,  # type: ignore[union-attr]
            c.subject.short_label if c.subject else "",
        ),
    )


@dataclass
class MarksGrid:
    """An assessment, its class's students on its day (id, "NOM Prénom") and their marks."""

    assessment: Assessment
    subject: Subject
    students: list[tuple[int, str]]
    marks: dict[int, Mark]
    # Whether the caller may enter its marks (``marked_by``), if he may enter marks at all.
    markable: bool


@requires(Permission.GRADES_READ)
async def marks_grid(session: AsyncSession, principal: Principal, assessment_id: int) -> MarksGrid:
    assessment = await _assessment(session, principal, Permission.GRADES_READ, assessment_id)
    subject = await session.get(Subject, assessment.subject_id)
    assert subject is not None
    members = await class_members(
        session, assessment.division_id, assessment.group_id, assessment.day
    )
    marks = {
        mark.student_id: mark
        for mark in await session.scalars(select(Mark).where(Mark.assessment_id == assessment.id))
    }
    return MarksGrid(
        assessment,
        subject,
        [(s.id, f"{s.family_name} {s.first_name}") for s in members],
        marks,
        marked_by(principal, assessment),
    )

"""Assessments, marks and averages: what a teacher enters and what families may see.

A teacher creates assessments for the divisions and groups he teaches (the principal for
any class of his school), with a date, a scale, a coefficient and a publication date, and
enters each student's mark: a value out of the scale, or absent, exempt, not graded. A
period's average, out of 20, weighs each graded mark by its assessment's coefficient;
absent, exempt and not graded marks do not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.schools import check_year_writable
from core.errors import FieldError, NotFound, ValidationFailed
from db.accounts import Role
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.grades import Assessment, GradingPeriod, Mark, MarkStatus
from db.nomenclatures import Subject
from db.schools import SchoolYear
from db.structures import Division, Group
from db.students import Student

MAX_SCALE = Decimal(100)
MAX_COEFFICIENT = Decimal(20)
TWENTY = Decimal(20)
CENT = Decimal("0.01")


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


@dataclass
class MarkInput:
    student_id: int
    status: MarkStatus
    value: Decimal | None = None


async def _class(
    session: AsyncSession,
    principal: Principal,
    permission: Permission,
    division_id: int | None,
    group_id: int | None,
) -> tuple[int, int]:
    """(school id, school year id) of the division or group, if the caller may grade it: the
    principal for any class of his school, anyone else for the classes he teaches."""
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
    heads = (found.school_id, Role.PRINCIPAL) in set(principal.grants)
    if not (taught or heads):
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
    assessment = Assessment(
        school_id=school_id,
        school_year_id=year_id,
        division_id=entry.division_id,
        group_id=entry.group_id,
        subject_id=entry.subject_id,
        teacher_id=principal.id if principal.kind == "staff" else None,
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
    if entry.status is not MarkStatus.GRADED:
        if entry.value is not None:
            raise ValidationFailed.single(
                field,
                "VALUE_WITHOUT_MARK",
                "Une note absente, dispensée ou non notée n'a pas de valeur.",
            )
        return None
    if entry.value is None:
        raise ValidationFailed.single(field, "REQUIRED", "Indiquez la note.")
    try:
        value = Decimal(entry.value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValidationFailed.single(field, "INVALID", "Note invalide.") from None
    if not Decimal(0) <= value <= scale:
        raise ValidationFailed.single(
            field, "OUT_OF_RANGE", f"La note est comprise entre 0 et {scale.normalize()}."
        )
    return value


@requires(Permission.GRADES_WRITE)
async def enter_marks(
    session: AsyncSession, principal: Principal, assessment_id: int, marks: Iterable[MarkInput]
) -> list[Mark]:
    """Record or change the marks given (students not listed keep theirs)."""
    assessment = await _assessment(session, principal, Permission.GRADES_WRITE, assessment_id)
    await _check_year(session, assessment.school_id, assessment.school_year_id)
    set_actor(session.sync_session, principal.audit_actor(assessment.school_id))
    members = {
        s.id
        for s in await class_members(
            session, assessment.division_id, assessment.group_id, assessment.day
        )
    }
    existing = {
        mark.student_id: mark
        for mark in await session.scalars(select(Mark).where(Mark.assessment_id == assessment.id))
    }
    saved = []
    for index, entry in enumerate(marks):
        if entry.student_id not in members:
            raise ValidationFailed.single(
                f"marks[{index}].studentId",
                "NOT_IN_CLASS",
                "Cet élève n'était pas dans la classe le jour du devoir.",
            )
        value = _value(entry, assessment.scale, index)
        mark = existing.get(entry.student_id) or Mark(
            assessment_id=assessment.id, student_id=entry.student_id
        )
        mark.status, mark.value = MarkStatus(entry.status), value
        session.add(mark)
        existing[entry.student_id] = mark
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

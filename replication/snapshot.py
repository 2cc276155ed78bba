"""What families may see, read from the admin database: the rows each replicated table should
hold, for some ids, for some schools, or for everything.

Only schools with a télé-service open are visible; absences only where the absences service
is open, marks only where the grades service is open and once published (continuously from
their publication date, or at the (MEF, division) deadlines); codes only while valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.absences import AbsenceEvent, AbsenceMotive, GenericMotive, TimeSlot
from db.enrollments import Enrollment
from db.grades import Assessment, Mark
from db.nomenclatures import Subject
from db.schools import School, current_year_id_of
from db.structures import Division
from db.students import Student
from db.teleservices import (
    ActivationCode,
    GradesPublication,
    GradesSettings,
    PublicationDeadline,
    SchoolTeleservice,
    Teleservice,
)
from tsdb import models as ts

Row = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """Which rows of a table: ``ids`` (replicated ids), ``schools`` (every row of them), or
    everything when both are None."""

    ids: frozenset[int] | None = None
    schools: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.ids is None and self.schools is None


def _open(service: Teleservice | None, school_column: Any) -> Any:
    """Rows of schools with that service open (any service when None)."""
    clauses = [SchoolTeleservice.school_id == school_column, SchoolTeleservice.is_open.is_(True)]
    if service is not None:
        clauses.append(SchoolTeleservice.service == service)
    return exists().where(*clauses)


def _scoped(query: Any, scope: Scope, id_column: Any, school_column: Any) -> Any:
    if scope.ids is not None:
        query = query.where(id_column.in_(sorted(scope.ids)))
    if scope.schools is not None:
        query = query.where(school_column.in_(sorted(scope.schools)))
    return query


async def schools(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    rows = await session.execute(
        _scoped(select(School), scope, School.id, School.id).where(_open(None, School.id))
    )
    found = [school for (school,) in rows]
    services: dict[int, list[str]] = {}
    if found:
        for school_id, service in await session.execute(
            select(SchoolTeleservice.school_id, SchoolTeleservice.service)
            .where(
                SchoolTeleservice.school_id.in_([s.id for s in found]),
                SchoolTeleservice.is_open.is_(True),
            )
            .order_by(SchoolTeleservice.service)
        ):
            services.setdefault(school_id, []).append(service.value)
    return [
        {
            "id": s.id,
            "uai": s.uai,
            "name": s.name,
            "city": s.city,
            "services": ",".join(services.get(s.id, [])),
        }
        for s in found
    ]


def _current(today: date) -> Any:
    return and_(
        Enrollment.school_year_id == current_year_id_of(Enrollment.school_id),
        or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= today),
    )


async def students(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(Enrollment, Student, Division.code)
        .join(Student, Student.id == Enrollment.student_id)
        .outerjoin(Division, Division.id == Enrollment.division_id)
        .where(_current(today), _open(None, Enrollment.school_id))
    )
    rows = await session.execute(_scoped(query, scope, Enrollment.id, Enrollment.school_id))
    return [
        {
            "id": enrolment.id,
            "student_id": student.id,
            "school_id": enrolment.school_id,
            "family_name": student.usage_name or student.family_name,
            "first_name": student.first_name,
            "birth_date": student.birth_date,
            "division_code": code,
        }
        for enrolment, student, code in rows
    ]


async def absences(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    start_slot = select(TimeSlot.code).where(TimeSlot.id == AbsenceEvent.start_slot_id)
    end_slot = select(TimeSlot.code).where(TimeSlot.id == AbsenceEvent.end_slot_id)
    query = (
        select(
            AbsenceEvent,
            start_slot.scalar_subquery(),
            end_slot.scalar_subquery(),
            AbsenceMotive.label,
            GenericMotive.legitimate,
        )
        .outerjoin(AbsenceMotive, AbsenceMotive.id == AbsenceEvent.motive_id)
        .outerjoin(GenericMotive, GenericMotive.id == AbsenceMotive.generic_motive_id)
        .where(_open(Teleservice.ABSENCES, AbsenceEvent.school_id))
    )
    rows = await session.execute(_scoped(query, scope, AbsenceEvent.id, AbsenceEvent.school_id))
    return [
        {
            "id": event.id,
            "student_id": event.student_id,
            "school_id": event.school_id,
            "kind": event.kind.value,
            "start_date": event.start_date,
            "start_slot": start or "",
            "end_date": event.end_date,
            "end_slot": end or "",
            "minutes_late": event.minutes_late,
            "motive": motive,
            "justified": bool(legitimate),
        }
        for event, start, end, motive, legitimate in rows
    ]


def _published(today: date) -> Any:
    """Marks families may see today, by the school's publication type."""
    deadline_mode = exists().where(
        GradesSettings.school_id == Assessment.school_id,
        GradesSettings.publication == GradesPublication.DEADLINES,
    )
    # At deadlines: a deadline of the student's (MEF, division) pair has come since the
    # assessment's publication date.
    reached = exists().where(
        PublicationDeadline.school_id == Assessment.school_id,
        PublicationDeadline.day >= Assessment.published_on,
        PublicationDeadline.day <= today,
        exists().where(
            Enrollment.student_id == Mark.student_id,
            Enrollment.school_id == Assessment.school_id,
            Enrollment.division_id == PublicationDeadline.division_id,
            Enrollment.mef_id == PublicationDeadline.mef_id,
        ),
    )
    return or_(
        and_(~deadline_mode, Assessment.published_on <= today),
        and_(deadline_mode, reached),
    )


async def marks(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(Mark, Assessment, Subject.short_label)
        .join(Assessment, Assessment.id == Mark.assessment_id)
        .join(Subject, Subject.id == Assessment.subject_id)
        .where(_open(Teleservice.GRADES, Assessment.school_id), _published(today))
    )
    rows = await session.execute(_scoped(query, scope, Mark.id, Assessment.school_id))
    return [
        {
            "id": mark.id,
            "student_id": mark.student_id,
            "school_id": assessment.school_id,
            "subject": subject,
            "title": assessment.title,
            "day": assessment.day,
            "status": mark.status.value,
            "value": mark.value,
            "scale": assessment.scale,
            "coefficient": assessment.coefficient,
        }
        for mark, assessment, subject in rows
    ]


async def codes(session: AsyncSession, scope: Scope, today: date) -> list[Row]:
    query = (
        select(ActivationCode, Student.birth_date)
        .join(Student, Student.id == ActivationCode.student_id)
        .where(ActivationCode.is_valid.is_(True), _open(None, ActivationCode.school_id))
    )
    rows = await session.execute(_scoped(query, scope, ActivationCode.id, ActivationCode.school_id))
    return [
        {
            "id": code.id,
            "kind": code.kind.value,
            "school_id": code.school_id,
            "student_id": code.student_id,
            "guardian_id": code.guardian_id,
            "birth_date": birth_date,
            "lookup": code.lookup,
            "code_hash": code.code_hash,
        }
        for code, birth_date in rows
    ]


Reader = Callable[[AsyncSession, Scope, date], Any]


@dataclass(frozen=True)
class Table:
    """A replicated table: its model in the télé-services database and how to read it."""

    name: str
    model: type[ts.Base]
    read: Reader
    # The télé-services column holding the school (for school-wide changes).
    school_column: str


TABLES = (
    Table("schools", ts.TsSchool, schools, "id"),
    Table("students", ts.TsStudent, students, "school_id"),
    Table("absences", ts.TsAbsence, absences, "school_id"),
    Table("marks", ts.TsMark, marks, "school_id"),
    Table("codes", ts.TsCode, codes, "school_id"),
)

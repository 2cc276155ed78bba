"""The students on a caller's roster: those with an enrolment in reach (school, and the
classes taught for a teacher) in an open year that has not ended (no exit date, or one still
to come). Users, enrolments and demographics read them from here, in three queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import Permission
from api.auth.scopes import enrollment_clause
from api.resolvers.oneroster.reach import RosterReach
from api.resolvers.oneroster.sourced_ids import student_key_of
from core import clock
from db.enrollments import Enrollment, EnrollmentGroup
from db.nomenclatures import Mef
from db.students import Student


@dataclass(frozen=True)
class EnrollmentRow:
    id: int
    student_id: int
    school_id: int
    year_id: int
    division_id: int | None
    typical_age: int | None
    entry_date: date
    exit_date: date | None
    updated_at: datetime | None  # None for a deleted enrolment (its last known state)


# An EnrollmentRow's columns, in its order (the MEF joined).
ENROLLMENT_COLUMNS = (
    Enrollment.id,
    Enrollment.student_id,
    Enrollment.school_id,
    Enrollment.school_year_id,
    Enrollment.division_id,
    Mef.typical_age,
    Enrollment.entry_date,
    Enrollment.exit_date,
    Enrollment.updated_at,
)

# The columns of a student the roster shows (rows, not ORM objects: a roster holds
# thousands, and identity-mapped objects cost ten times more to load).
STUDENT_COLUMNS = (
    Student.id,
    Student.ine,
    Student.siecle_id,
    Student.family_name,
    Student.usage_name,
    Student.first_name,
    Student.first_name_2,
    Student.first_name_3,
    Student.sex,
    Student.birth_date,
    Student.birth_city,
    Student.birth_country_code,
    Student.updated_at,
)


@dataclass
class Population:
    students: dict[int, Any]
    enrollments: list[EnrollmentRow]
    groups_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Each student's sourcedId, computed once.
    sourced_ids: dict[int, str] = field(default_factory=dict)

    def enrollments_of(self) -> dict[int, list[EnrollmentRow]]:
        by_student: dict[int, list[EnrollmentRow]] = defaultdict(list)
        for row in self.enrollments:
            by_student[row.student_id].append(row)
        return by_student


def on_roster(reach: RosterReach, year_ids: list[int], *, ended_too: bool = False) -> Any:
    """Enrolments in reach for these years; not ended unless ``ended_too``."""
    clauses: list[ColumnElement[bool]] = [
        enrollment_clause(reach.principal, Permission.STUDENTS_READ),
        Enrollment.school_id.in_(reach.school_ids()),
        Enrollment.school_year_id.in_(year_ids),
    ]
    if not ended_too:
        clauses.append(or_(Enrollment.exit_date.is_(None), Enrollment.exit_date > clock.today()))
    return and_(*clauses)


async def roster_population(
    session: AsyncSession, reach: RosterReach, year_ids: list[int], *, ended_too: bool = False
) -> Population:
    where = on_roster(reach, year_ids, ended_too=ended_too)
    rows = await session.execute(
        select(*ENROLLMENT_COLUMNS)
        .join(Mef, Mef.id == Enrollment.mef_id)
        .where(where)
        .order_by(Enrollment.id)
    )
    enrollments = [EnrollmentRow(*row) for row in rows]
    students = {
        student.id: student
        for student in await session.execute(
            select(*STUDENT_COLUMNS).where(
                Student.id.in_(select(Enrollment.student_id).where(where))
            )
        )
    }
    population = Population(students, enrollments)
    population.sourced_ids = {
        student_id: student_key_of(reach.keys, student) for student_id, student in students.items()
    }
    memberships = await session.execute(
        select(EnrollmentGroup.enrollment_id, EnrollmentGroup.group_id).where(
            EnrollmentGroup.enrollment_id.in_(select(Enrollment.id).where(where))
        )
    )
    for enrollment_id, group_id in memberships:
        population.groups_of[enrollment_id].append(group_id)
    return population

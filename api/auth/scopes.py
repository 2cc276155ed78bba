"""Which rows a principal reaches: the one place where school scoping is written.

Every query taking an id goes through these clauses, so that an id from
another school behaves exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.auth.permissions import Permission
from api.auth.principal import Principal
from core.errors import NotFound
from db.enrollments import Enrollment, EnrollmentGroup
from db.guardians import GuardianLink
from db.schools import School
from db.students import Student

M = TypeVar("M")


def school_clause(
    principal: Principal, permission: Permission, column: InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    """Rows whose school column is one the permission reaches."""
    if principal.academy_wide(permission):
        return column.in_(select(School.id).where(School.academy_id == principal.academy_id))
    ids = principal.school_ids(permission)
    return column.in_(sorted(ids)) if ids else false()


def enrollment_clause(principal: Principal, permission: Permission) -> ColumnElement[bool]:
    """Enrolments the principal may see: in reach by school, and taught ones for a teacher."""
    in_school = school_clause(principal, permission, Enrollment.school_id)
    restricted = principal.teaching_only_school_ids(permission)
    if not restricted or principal.academy_wide(permission):
        return in_school
    taught = or_(
        Enrollment.division_id.in_(sorted(principal.taught_division_ids) or [-1]),
        exists().where(
            EnrollmentGroup.enrollment_id == Enrollment.id,
            EnrollmentGroup.group_id.in_(sorted(principal.taught_group_ids) or [-1]),
        ),
    )
    return and_(in_school, or_(Enrollment.school_id.not_in(sorted(restricted)), taught))


def student_clause(
    principal: Principal, permission: Permission = Permission.STUDENTS_READ
) -> ColumnElement[bool]:
    """Students with at least one enrolment the principal may see."""
    return exists().where(
        Enrollment.student_id == Student.id, enrollment_clause(principal, permission)
    )


def guardian_clause(
    principal: Principal,
    guardian_id_column: object,
    permission: Permission = Permission.STUDENTS_READ,
) -> ColumnElement[bool]:
    """Guardians linked to a student the principal reaches with this permission."""
    return exists().where(
        GuardianLink.guardian_id == guardian_id_column,
        exists().where(
            Enrollment.student_id == GuardianLink.student_id,
            enrollment_clause(principal, permission),
        ),
    )


async def get_in_reach(
    session: AsyncSession,
    principal: Principal,
    permission: Permission,
    model: type[M],
    row_id: int,
    school_column: InstrumentedAttribute[int],
) -> M:
    """The row with this id if its school is in reach, else ``NotFound`` as for an unknown id."""
    query: Select[Any] = select(model).where(
        model.id == row_id,  # type: ignore[attr-defined]
        school_clause(principal, permission, school_column),
    )
    row: M | None = await session.scalar(query)
    if row is None:
        raise NotFound(model.__name__, row_id)
    return row


async def student_in_reach(
    session: AsyncSession,
    principal: Principal,
    student_id: int,
    permission: Permission = Permission.STUDENTS_READ,
) -> Student:
    """The student if one of their enrolments is in reach, else ``NotFound``."""
    student = await session.scalar(
        select(Student).where(Student.id == student_id, student_clause(principal, permission))
    )
    if student is None:
        raise NotFound("Student", student_id)
    return student


async def student_permissions(
    session: AsyncSession,
    principal: Principal,
    student_ids: list[int],
    permissions: Iterable[Permission],
) -> list[frozenset[Permission]]:
    """For each student, which of ``permissions`` the principal holds through one of the
    student's enrolments in reach: the school a student is reached through decides which of
    their fields show (see ``api.schema.field_permissions``). One query per permission held."""
    held: dict[int, set[Permission]] = {sid: set() for sid in student_ids}
    for permission in permissions:
        if not principal.has(permission):
            continue
        found = await session.scalars(
            select(Student.id).where(
                Student.id.in_(student_ids), student_clause(principal, permission)
            )
        )
        for student_id in found:
            held[student_id].add(permission)
    return [frozenset(held[sid]) for sid in student_ids]

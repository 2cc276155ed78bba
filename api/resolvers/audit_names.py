"""Names of the objects an audit trail page mentions: "MARTIN Lina" rather than a row id.

Loaded in one query per kind of object on the page, never per entry, and only for objects
the reader reaches: a name out of reach stays a number, as the journal showed before, so
that reading the trail tells nothing the reader could not read elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import guardian_clause, school_clause, student_clause
from db.absences import AbsenceEvent, FamilyContact
from db.accounts import RoleGrant, StaffUser
from db.audit import AuditEntry
from db.enrollments import Enrollment
from db.grades import Mark
from db.guardians import Guardian, GuardianLink
from db.structures import Division, Group
from db.students import Student
from db.teleservices import ActivationCode

# Rows that belong to one student: named after the student.
OF_A_STUDENT: dict[str, Any] = {
    "enrollments": Enrollment,
    "guardian_links": GuardianLink,
    "absence_events": AbsenceEvent,
    "family_contacts": FamilyContact,
    "activation_codes": ActivationCode,
    "marks": Mark,
}


@dataclass(frozen=True)
class SubjectName:
    """``name`` of the object itself, or of the student it belongs to (``of_student``)."""

    name: str
    of_student: bool = False


def person_name(family_name: str, first_name: str) -> str:
    return f"{family_name.upper()} {first_name}".strip()


# Columns whose recorded values are ids of objects that have a name (entity of the id).
REFERENCES = {
    "student_id": "students",
    "guardian_id": "guardians",
    "division_id": "divisions",
    "group_id": "groups",
    "user_id": "staff_users",
}


def _ids(entries: Iterable[AuditEntry], entity: str) -> list[int]:
    """Ids of ``entity`` on the page: the entries' own objects and those their values name."""
    ids = {e.entity_id for e in entries if e.entity == entity and e.entity_id}
    columns = [column for column, target in REFERENCES.items() if target == entity]
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            for column in columns:
                value = values.get(column)
                if isinstance(value, int) and not isinstance(value, bool):
                    ids.add(value)
    return sorted(ids)


async def _student_names(
    session: AsyncSession, principal: Principal, ids: Iterable[int]
) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Student.id, Student.family_name, Student.first_name).where(
            Student.id.in_(wanted), student_clause(principal, Permission.STUDENTS_READ)
        )
    )
    return {row.id: person_name(row.family_name, row.first_name) for row in rows}


async def _owned_by_students(
    session: AsyncSession, principal: Principal, entries: Sequence[AuditEntry]
) -> dict[tuple[str, int], SubjectName]:
    owners: dict[tuple[str, int], int] = {}
    for entity, model in OF_A_STUDENT.items():
        ids = _ids(entries, entity)
        if ids:
            rows = await session.execute(
                select(model.id, model.student_id).where(model.id.in_(ids))
            )
            owners.update({(entity, row_id): student_id for row_id, student_id in rows})
    names = await _student_names(session, principal, owners.values())
    return {
        key: SubjectName(names[student_id], of_student=True)
        for key, student_id in owners.items()
        if student_id in names
    }


async def _guardian_names(
    session: AsyncSession, principal: Principal, ids: list[int]
) -> dict[tuple[str, int], SubjectName]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Guardian.id, Guardian.family_name, Guardian.first_name).where(
            Guardian.id.in_(ids), guardian_clause(principal, Guardian.id)
        )
    )
    return {
        ("guardians", row.id): SubjectName(person_name(row.family_name, row.first_name))
        for row in rows
    }


async def _structure_names(
    session: AsyncSession, principal: Principal, entries: Sequence[AuditEntry]
) -> dict[tuple[str, int], SubjectName]:
    found: dict[tuple[str, int], SubjectName] = {}
    for entity, model in (("divisions", Division), ("groups", Group)):
        ids = _ids(entries, entity)
        if ids:
            rows = await session.execute(
                select(model.id, model.code).where(
                    model.id.in_(ids),
                    school_clause(principal, Permission.STRUCTURES_READ, model.school_id),
                )
            )
            found.update({(entity, row_id): SubjectName(code) for row_id, code in rows})
    return found


async def _staff_names(
    session: AsyncSession, principal: Principal, ids: list[int]
) -> dict[tuple[str, int], SubjectName]:
    """Accounts of the staff of the schools whose trail the reader reads (any account for
    the académie's own readers): who acts there is already named in the trail."""
    if not ids:
        return {}
    query = select(StaffUser.id, StaffUser.display_name, StaffUser.login).where(
        StaffUser.id.in_(ids), StaffUser.academy_id == principal.academy_id
    )
    if not principal.academy_wide(Permission.AUDIT_READ):
        query = query.where(
            StaffUser.id.in_(
                select(RoleGrant.user_id).where(
                    RoleGrant.school_id.in_(sorted(principal.school_ids(Permission.AUDIT_READ)))
                )
            )
        )
    rows = await session.execute(query)
    return {
        ("staff_users", row.id): SubjectName(f"{row.display_name} ({row.login})") for row in rows
    }


@requires(Permission.AUDIT_READ)
async def audit_subject_names(
    session: AsyncSession, principal: Principal, entries: Sequence[AuditEntry]
) -> dict[tuple[str, int], SubjectName]:
    """(entity, entity id) -> name, for the entries' objects and the objects their values
    refer to (``REFERENCES``), in the reader's reach."""
    students = await _student_names(session, principal, _ids(entries, "students"))
    names = {("students", i): SubjectName(name) for i, name in students.items()}
    names.update(await _owned_by_students(session, principal, entries))
    names.update(await _guardian_names(session, principal, _ids(entries, "guardians")))
    names.update(await _structure_names(session, principal, entries))
    names.update(await _staff_names(session, principal, _ids(entries, "staff_users")))
    return names

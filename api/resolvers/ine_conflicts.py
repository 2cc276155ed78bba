"""INE clashes: an INE written for a student while another student already holds it.

A school must not learn that another school holds an INE (that would let anyone with write
rights probe the académie's INEs), so the duplicate check speaks only of students the caller
reaches; a clash with a student out of reach is let through and flagged for the rectorat,
which assigns INEs and settles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.scopes import student_clause
from api.resolvers.student_cards import StudentCard, student_cards
from core import clock
from core.errors import NotFound, ValidationFailed
from db.students import IneConflict, Student


@requires(Permission.STUDENTS_WRITE)
async def other_holders(
    session: AsyncSession, principal: Principal, ine: str | None, student_id: int | None
) -> list[int]:
    """The students out of the caller's reach already holding ``ine`` (to flag once the
    write is done); a holder in reach is reported as a plain duplicate, which reveals
    nothing the caller cannot read."""
    if ine is None:
        return []
    query = select(Student.id).where(Student.ine == ine)
    if student_id is not None:
        query = query.where(Student.id != student_id)
    holders = list(await session.scalars(query))
    if not holders:
        return []
    in_reach = await session.scalar(
        select(Student.id).where(Student.id.in_(holders), student_clause(principal)).limit(1)
    )
    if in_reach is not None:
        raise ValidationFailed.single(
            "ine", "DUPLICATE", "Cet INE est déjà attribué à un autre élève."
        )
    return holders


async def flag_conflicts(
    session: AsyncSession, ine: str, student_id: int, holders: list[int]
) -> None:
    """One open conflict per pair of students; writing the same INE again adds nothing."""
    known = set(
        await session.scalars(
            select(IneConflict.other_student_id).where(
                IneConflict.student_id == student_id, IneConflict.settled_at.is_(None)
            )
        )
    )
    for holder in holders:
        if holder not in known:
            session.add(
                IneConflict(
                    ine=ine, student_id=student_id, other_student_id=holder, detected_at=clock.now()
                )
            )
    await session.flush()


@dataclass
class IneConflictView:
    id: int
    ine: str
    detected_at: datetime
    settled_at: datetime | None
    students: list[StudentCard]


def _academie_conflicts(principal: Principal) -> Any:
    """Conflicts between two students of the caller's académie (student_clause scopes by it);
    for the rectorat only: identity data across every school, so the permission held
    académie-wide, never a school's."""
    if not principal.academy_wide(Permission.STUDENTS_IDENTITY_READ):
        raise PermissionDenied(Permission.STUDENTS_IDENTITY_READ)
    in_academie = select(Student.id).where(student_clause(principal))
    return IneConflict.student_id.in_(in_academie) & IneConflict.other_student_id.in_(in_academie)


@requires(Permission.STUDENTS_IDENTITY_READ)
async def settle_ine_conflict(
    session: AsyncSession, principal: Principal, conflict_id: int
) -> IneConflict:
    """The rectorat has given each student his own INE (or confirmed one is a duplicate)."""
    conflict = await session.scalar(
        select(IneConflict).where(IneConflict.id == conflict_id, _academie_conflicts(principal))
    )
    if conflict is None:
        raise NotFound("IneConflict", conflict_id)
    if conflict.settled_at is None:
        conflict.settled_at = clock.now()
        await session.flush()
    return conflict


@requires(Permission.STUDENTS_IDENTITY_READ)
async def list_ine_conflicts(
    session: AsyncSession, principal: Principal, *, settled: bool = False
) -> list[IneConflictView]:
    """The académie's conflicts, oldest first."""
    scope = _academie_conflicts(principal)
    written, holder = aliased(Student), aliased(Student)
    rows = await session.execute(
        select(IneConflict, written, holder)
        .join(written, written.id == IneConflict.student_id)
        .join(holder, holder.id == IneConflict.other_student_id)
        .where(
            IneConflict.settled_at.is_not(None) if settled else IneConflict.settled_at.is_(None),
            scope,
        )
        .order_by(IneConflict.detected_at, IneConflict.id)
    )
    return [
        IneConflictView(
            id=conflict.id,
            ine=conflict.ine,
            detected_at=conflict.detected_at,
            settled_at=conflict.settled_at,
            students=await student_cards(session, principal, [first, second]),
        )
        for conflict, first, second in rows
    ]

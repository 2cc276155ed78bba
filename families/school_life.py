"""What a family reads of a child's school life: the absences and the published marks, each
shown only when the child's school opened that service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from families.accounts import Child, children
from tsdb.models import FamilyAccount, TsAbsence, TsMark, TsStudent


@dataclass(frozen=True)
class SchoolLife:
    child: Child
    absences: list[TsAbsence]  # most recent first
    marks: list[TsMark]  # most recent first


async def school_life(ts: AsyncSession, account: FamilyAccount, child_id: int) -> SchoolLife | None:
    """``None`` when the account does not reach the child (through its codes still valid)."""
    found = next((c for c in await children(ts, account) if c.id == child_id), None)
    if found is None:
        return None
    student = await ts.get(TsStudent, child_id)
    assert student is not None  # listed among the account's children just above
    absences: list[TsAbsence] = []
    if "absences" in found.services:
        absences = list(
            await ts.scalars(
                select(TsAbsence)
                .where(
                    TsAbsence.student_id == student.student_id,
                    TsAbsence.school_id == student.school_id,
                )
                .order_by(TsAbsence.start_date.desc())
            )
        )
    marks: list[TsMark] = []
    if "grades" in found.services:
        marks = list(
            await ts.scalars(
                select(TsMark)
                .where(
                    TsMark.student_id == student.student_id, TsMark.school_id == student.school_id
                )
                .order_by(TsMark.day.desc(), TsMark.id.desc())
            )
        )
    return SchoolLife(found, absences, marks)

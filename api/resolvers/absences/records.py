"""A student's absence record: the events and their count in half-days, per school year or
any period, as the vie scolaire and the families see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import school_clause, student_in_reach
from api.resolvers.absences.settings import SchoolAbsenceSetup, load_setup
from api.resolvers.absences.tallies import StudentTally
from db.absences import AbsenceEvent, AbsenceSettings
from db.students import Student


@dataclass
class AbsenceRecord:
    events: list[AbsenceEvent]
    half_days: int
    unjustified_half_days: int
    lateness_count: int


async def _setups(session: AsyncSession, school_ids: set[int]) -> dict[int, SchoolAbsenceSetup]:
    configured = set(
        await session.scalars(
            select(AbsenceSettings.school_id).where(AbsenceSettings.school_id.in_(school_ids))
        )
    )
    return {school_id: await load_setup(session, school_id) for school_id in configured}


@requires(Permission.ABSENCES_READ)
async def absence_record_student(
    session: AsyncSession, principal: Principal, student_id: int
) -> Student:
    """The student whose absences the caller reads, for the head of the record (``NotFound``
    when none of their enrolments is in reach for absences)."""
    return await student_in_reach(session, principal, student_id, Permission.ABSENCES_READ)


@requires(Permission.ABSENCES_READ)
async def student_absence_record(
    session: AsyncSession,
    principal: Principal,
    student_id: int,
    first: date | None = None,
    last: date | None = None,
) -> AbsenceRecord:
    """The student's events in the schools where the caller reads absences, most recent first,
    and the half-days they cover between ``first`` and ``last`` (whole events otherwise)."""
    await student_in_reach(session, principal, student_id, Permission.ABSENCES_READ)
    query = select(AbsenceEvent).where(
        AbsenceEvent.student_id == student_id,
        school_clause(principal, Permission.ABSENCES_READ, AbsenceEvent.school_id),
    )
    if first is not None:
        query = query.where(AbsenceEvent.end_date >= first)
    if last is not None:
        query = query.where(AbsenceEvent.start_date <= last)
    events = list(
        await session.scalars(
            query.order_by(AbsenceEvent.start_date.desc(), AbsenceEvent.id.desc())
        )
    )
    setups = await _setups(session, {e.school_id for e in events})
    tally = StudentTally()
    for event in events:
        tally.add(event, setups[event.school_id], first, last)
    return AbsenceRecord(
        events=events,
        half_days=len(tally.half_days),
        unjustified_half_days=len(tally.unjustified),
        lateness_count=tally.lateness,
    )

"""The roll call (appel): a teacher marks, for one slot, who of a division or group is absent
or late. Each absentee's absence is recorded (merged with a touching one, so a morning's
roll calls make one absence); the roll call itself is kept, absentees or not, once per slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.absences.events import (
    AbsenceEntry,
    LatenessEntry,
    record_absence,
    record_lateness,
)
from api.resolvers.schools import check_year_writable
from core.errors import NotFound, ValidationFailed
from db.absences import EventSource, RollCall
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.schools import SchoolYear
from db.structures import Division, Group
from db.students import Student


@dataclass(frozen=True)
class RollCallEntry:
    school_id: int
    day: date
    slot_id: int
    division_id: int | None = None
    group_id: int | None = None
    absent_student_ids: list[int] = field(default_factory=list)
    # student id -> minutes late
    late: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RollCallSheet:
    """What the roll call page lists: the class's students that day by name, and whether
    the roll call of that slot was already taken."""

    students: list[tuple[int, str]]  # (student id, "FAMILY Given")
    taken: bool


async def _check_class(session: AsyncSession, principal: Principal, entry: RollCallEntry) -> None:
    """The class must be one the caller reaches (a teacher: one he teaches)."""
    if (entry.division_id is None) == (entry.group_id is None):
        raise ValidationFailed.single(
            "divisionId", "REQUIRED", "Choisissez une division ou un groupe (l'un des deux)."
        )
    permission = Permission.ABSENCES_WRITE
    if entry.division_id is not None:
        key, kind = entry.division_id, "Division"
        division = await get_in_reach(
            session, principal, permission, Division, key, Division.school_id
        )
        school_id = division.school_id
    else:
        assert entry.group_id is not None
        key, kind = entry.group_id, "Group"
        group = await get_in_reach(session, principal, permission, Group, key, Group.school_id)
        school_id = group.school_id
    if school_id != entry.school_id:
        raise NotFound(kind, key)
    if entry.school_id in principal.teaching_only_school_ids(Permission.ABSENCES_WRITE):
        taught = principal.taught_division_ids if entry.division_id else principal.taught_group_ids
        if key not in taught:
            raise NotFound(kind, key)


def _in_class_that_day(entry: RollCallEntry) -> ColumnElement[bool]:
    in_class = (
        Enrollment.division_id == entry.division_id
        if entry.division_id
        else exists().where(
            EnrollmentGroup.enrollment_id == Enrollment.id,
            EnrollmentGroup.group_id == entry.group_id,
        )
    )
    present_that_day = (Enrollment.entry_date <= entry.day) & or_(
        Enrollment.exit_date.is_(None), Enrollment.exit_date >= entry.day
    )
    return and_(Enrollment.school_id == entry.school_id, in_class, present_that_day)


async def _class_members(
    session: AsyncSession, principal: Principal, entry: RollCallEntry
) -> set[int]:
    """Students of the division or group on that day, of a class the caller reaches."""
    await _check_class(session, principal, entry)
    return set(
        await session.scalars(select(Enrollment.student_id).where(_in_class_that_day(entry)))
    )


@requires(Permission.ABSENCES_WRITE)
async def roll_call_sheet(
    session: AsyncSession, principal: Principal, entry: RollCallEntry
) -> RollCallSheet:
    """The sheet of ``entry``'s class, day and slot (its absentees and late are ignored)."""
    await _check_class(session, principal, entry)
    rows = await session.execute(
        select(Student.id, Student.family_name, Student.first_name)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .where(_in_class_that_day(entry))
        .order_by(Student.search_name, Student.id)
    )
    column = RollCall.division_id if entry.division_id else RollCall.group_id
    key = entry.division_id or entry.group_id
    taken = await session.scalar(
        select(RollCall.id).where(
            column == key, RollCall.day == entry.day, RollCall.slot_id == entry.slot_id
        )
    )
    return RollCallSheet(
        [(student_id, f"{family} {given}") for student_id, family, given in rows],
        taken is not None,
    )


@requires(Permission.ABSENCES_WRITE)
async def take_roll_call(
    session: AsyncSession, principal: Principal, entry: RollCallEntry
) -> RollCall:
    members = await _class_members(session, principal, entry)
    structure: Division | Group | None = (
        await session.get(Division, entry.division_id)
        if entry.division_id is not None
        else await session.get(Group, entry.group_id)
    )
    year = await session.get(SchoolYear, structure.school_year_id) if structure else None
    if year is not None:
        # A roll call of a year over for the school would change its history.
        await check_year_writable(session, entry.school_id, year, "divisionId")
    set_actor(session.sync_session, principal.audit_actor(entry.school_id))
    strangers = (set(entry.absent_student_ids) | set(entry.late)) - members
    if strangers:
        raise ValidationFailed.single(
            "absentStudentIds",
            "NOT_IN_CLASS",
            "Un élève noté n'appartient pas à cette classe ce jour-là.",
        )
    both = set(entry.absent_student_ids) & set(entry.late)
    if both:
        raise ValidationFailed.single(
            "late", "ABSENT_AND_LATE", "Un élève ne peut pas être à la fois absent et en retard."
        )
    roll_call = RollCall(
        school_id=entry.school_id,
        division_id=entry.division_id,
        group_id=entry.group_id,
        day=entry.day,
        slot_id=entry.slot_id,
        taken_by_id=principal.id if principal.kind == "staff" else None,
    )
    session.add(roll_call)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise ValidationFailed.single(
            "slotId", "ALREADY_TAKEN", "L'appel de ce créneau a déjà été fait pour cette classe."
        ) from None
    for student_id in sorted(set(entry.absent_student_ids)):
        await record_absence(
            session,
            principal,
            AbsenceEntry(
                student_id,
                entry.school_id,
                entry.day,
                entry.slot_id,
                entry.day,
                entry.slot_id,
                source=EventSource.ROLL_CALL,
            ),
        )
    for student_id, minutes in sorted(entry.late.items()):
        await record_lateness(
            session,
            principal,
            LatenessEntry(
                student_id,
                entry.school_id,
                entry.day,
                entry.slot_id,
                minutes,
                source=EventSource.ROLL_CALL,
            ),
        )
    return roll_call

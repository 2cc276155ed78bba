"""Recording absences and lateness, and regularising them later.

An absence that overlaps or touches another absence of the same student
with a compatible motive (the same, or one of them without motive) is merged
into it; one that overlaps an absence with another motive is refused, naming
it. Events never fall outside the student's enrolment in the school, and an
absence must cover at least one taught half-day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, get_in_reach
from api.resolvers.absences.half_days import Span, covered_half_days
from api.resolvers.absences.settings import SchoolAbsenceSetup, ensure_defaults, load_setup
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import NotFound, ValidationFailed
from db.absences import AbsenceEvent, EventKind, EventSource
from db.audit import set_actor
from db.enrollments import Enrollment
from db.schools import School, SchoolYear
from db.students import Student

# A point on the grid: (day, position of the slot in the day).
Point = tuple[date, int]


@dataclass
class AbsenceEntry:
    student_id: int
    school_id: int
    start_date: date
    start_slot_id: int
    end_date: date
    end_slot_id: int
    motive_id: int | None = None
    justification_id: int | None = None
    comment: str | None = None
    source: EventSource = EventSource.VIE_SCOLAIRE


@dataclass
class LatenessEntry:
    student_id: int
    school_id: int
    day: date
    slot_id: int
    minutes_late: int
    motive_id: int | None = None
    justification_id: int | None = None
    comment: str | None = None
    source: EventSource = EventSource.VIE_SCOLAIRE


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


async def _prepare(
    session: AsyncSession, principal: Principal, school_id: int, student_id: int
) -> SchoolAbsenceSetup:
    school = await get_in_reach(
        session, principal, Permission.ABSENCES_WRITE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    await ensure_defaults(session, school)
    # A teacher reaches only the students of the classes taught (enrollment_clause).
    reachable = await session.scalar(
        select(Enrollment.id).where(
            Enrollment.student_id == student_id,
            Enrollment.school_id == school.id,
            enrollment_clause(principal, Permission.ABSENCES_WRITE),
        )
    )
    if reachable is None:
        raise NotFound("Student", student_id)
    # Entries for one student wait for each other (PostgreSQL), so that two concurrent roll
    # calls never both miss the absence the other is writing; SQLite has one writer anyway.
    await session.execute(select(Student.id).where(Student.id == student_id).with_for_update())
    return await load_setup(session, school.id)


async def _check_enrolled(
    session: AsyncSession, entry_school: int, student_id: int, first: date, last: date
) -> None:
    enrolments = (
        await session.execute(
            select(Enrollment.entry_date, Enrollment.exit_date, Enrollment.school_year_id).where(
                Enrollment.student_id == student_id, Enrollment.school_id == entry_school
            )
        )
    ).all()
    # Latest first: a year the rollover left without an exit date covers every later day too.
    covering = [
        year_id
        for entry, exit_, year_id in sorted(enrolments, key=lambda e: e[0], reverse=True)
        if entry <= first and (exit_ is None or last <= exit_)
    ]
    if not covering:
        raise ValidationFailed.single(
            "startDate",
            "NOT_ENROLLED",
            f"L'élève n'est pas inscrit dans l'établissement du {_fr(first)} au {_fr(last)}.",
        )
    # After the school's rentrée switch, last year's absences are read, no longer written.
    year = await session.get(SchoolYear, covering[0])
    assert year is not None
    await check_year_writable(session, entry_school, year, "startDate")


def _check_references(
    setup: SchoolAbsenceSetup,
    kind: EventKind,
    slot_fields: dict[str, int],
    motive_id: int | None,
    justification_id: int | None,
) -> None:
    for field, slot_id in slot_fields.items():
        if slot_id not in setup.slots:
            raise ValidationFailed.single(
                field, "UNKNOWN_SLOT", "Ce créneau n'existe pas dans la grille de l'établissement."
            )
    if motive_id is not None:
        motive = setup.motives.get(motive_id)
        applies = motive is not None and (
            motive.for_absence if kind is EventKind.ABSENCE else motive.for_lateness
        )
        if motive is None or not motive.is_active or not applies:
            what = "d'absence" if kind is EventKind.ABSENCE else "de retard"
            raise ValidationFailed.single(
                "motiveId", "UNKNOWN_MOTIVE", f"Ce motif {what} n'existe pas dans l'établissement."
            )
    if justification_id is not None:
        justification = setup.justifications.get(justification_id)
        if justification is None or not justification.is_active:
            raise ValidationFailed.single(
                "justificationId",
                "UNKNOWN_JUSTIFICATION",
                "Ce justificatif n'existe pas dans l'établissement.",
            )


def _bounds(setup: SchoolAbsenceSetup, event: AbsenceEvent) -> tuple[Point, Point]:
    grid = setup.grid
    return (
        (event.start_date, grid.position(event.start_slot_id)),
        (event.end_date, grid.position(event.end_slot_id)),
    )


def _touches(setup: SchoolAbsenceSetup, end: Point, start: Point) -> bool:
    """True when ``start`` is the grid point right after ``end``."""
    last = len(setup.grid.slots) - 1
    if end[0] == start[0]:
        return start[1] == end[1] + 1
    return end[1] == last and start[1] == 0 and start[0] == end[0] + timedelta(days=1)


async def _absences_near(
    session: AsyncSession, school_id: int, student_id: int, first: date, last: date
) -> list[AbsenceEvent]:
    return list(
        await session.scalars(
            select(AbsenceEvent)
            .where(
                AbsenceEvent.student_id == student_id,
                AbsenceEvent.school_id == school_id,
                AbsenceEvent.kind == EventKind.ABSENCE,
                AbsenceEvent.start_date <= last + timedelta(days=1),
                AbsenceEvent.end_date >= first - timedelta(days=1),
            )
            .order_by(AbsenceEvent.start_date, AbsenceEvent.id)
        )
    )


@requires(Permission.ABSENCES_WRITE)
async def record_absence(
    session: AsyncSession, principal: Principal, entry: AbsenceEntry
) -> AbsenceEvent:
    setup = await _prepare(session, principal, entry.school_id, entry.student_id)
    _check_references(
        setup,
        EventKind.ABSENCE,
        {"startSlotId": entry.start_slot_id, "endSlotId": entry.end_slot_id},
        entry.motive_id,
        entry.justification_id,
    )
    start: Point = (entry.start_date, setup.grid.position(entry.start_slot_id))
    end: Point = (entry.end_date, setup.grid.position(entry.end_slot_id))
    if end < start:
        raise ValidationFailed.single(
            "endDate", "ENDS_BEFORE_START", "La fin de l'absence précède son début."
        )
    span = Span(entry.start_date, entry.start_slot_id, entry.end_date, entry.end_slot_id)
    if not covered_half_days(span, setup.grid, setup.calendar):
        raise ValidationFailed.single(
            "startDate",
            "NO_CLASS",
            "L'absence ne couvre aucune demi-journée de cours "
            "(week-end, vacances, jour férié ou fermeture).",
        )
    await _check_enrolled(
        session, entry.school_id, entry.student_id, entry.start_date, entry.end_date
    )
    merged: list[AbsenceEvent] = []
    for other in await _absences_near(
        session, entry.school_id, entry.student_id, entry.start_date, entry.end_date
    ):
        other_start, other_end = _bounds(setup, other)
        overlaps = other_start <= end and start <= other_end
        adjacent = _touches(setup, other_end, start) or _touches(setup, end, other_start)
        if not (overlaps or adjacent):
            continue
        compatible = (
            None in (other.motive_id, entry.motive_id) or other.motive_id == entry.motive_id
        )
        if compatible:
            merged.append(other)
        elif overlaps:
            motive = setup.motives[other.motive_id].label if other.motive_id else "sans motif"
            raise ValidationFailed.single(
                "startDate",
                "OVERLAP",
                f"Ces créneaux chevauchent l'absence du {_fr(other.start_date)} "
                f"au {_fr(other.end_date)} ({motive}) : modifiez-la plutôt.",
            )
    if not merged:
        return await _add_event(
            session,
            principal,
            entry,
            EventKind.ABSENCE,
            (entry.start_date, entry.start_slot_id, entry.end_date, entry.end_slot_id),
        )
    return await _merge(session, setup, merged, entry, start, end)


async def _merge(
    session: AsyncSession,
    setup: SchoolAbsenceSetup,
    events: list[AbsenceEvent],
    entry: AbsenceEntry,
    start: Point,
    end: Point,
) -> AbsenceEvent:
    """Extend the first event over every merged one and the entry; delete the others."""
    keeper, *absorbed = events
    points = [start, end] + [point for e in events for point in _bounds(setup, e)]
    first, last = min(points), max(points)
    slot_at = {n: slot.id for n, slot in enumerate(setup.grid.slots)}
    keeper.start_date, keeper.start_slot_id = first[0], slot_at[first[1]]
    keeper.end_date, keeper.end_slot_id = last[0], slot_at[last[1]]
    for event in [*absorbed]:
        keeper.motive_id = keeper.motive_id or event.motive_id
        keeper.justification_id = keeper.justification_id or event.justification_id
        keeper.comment = _joined(keeper.comment, event.comment)
        await session.delete(event)
    keeper.motive_id = keeper.motive_id or entry.motive_id
    if keeper.justification_id is None and entry.justification_id is not None:
        keeper.justification_id = entry.justification_id
        keeper.justified_at = clock.now()
    keeper.comment = _joined(keeper.comment, entry.comment)
    await session.flush()
    return keeper


def _joined(first: str | None, second: str | None) -> str | None:
    parts = [p for p in (first, second) if p]
    return " / ".join(dict.fromkeys(parts)) or None


@requires(Permission.ABSENCES_WRITE)
async def record_lateness(
    session: AsyncSession, principal: Principal, entry: LatenessEntry
) -> AbsenceEvent:
    setup = await _prepare(session, principal, entry.school_id, entry.student_id)
    _check_references(
        setup,
        EventKind.LATENESS,
        {"slotId": entry.slot_id},
        entry.motive_id,
        entry.justification_id,
    )
    if not 1 <= entry.minutes_late <= 240:
        raise ValidationFailed.single(
            "minutesLate", "OUT_OF_RANGE", "Le retard doit être compris entre 1 et 240 minutes."
        )
    half = setup.slots[entry.slot_id].half_day
    if not setup.calendar.teaches(entry.day, half):
        raise ValidationFailed.single(
            "day", "NO_CLASS", "Il n'y a pas cours à ce moment (week-end, vacances ou fermeture)."
        )
    await _check_enrolled(session, entry.school_id, entry.student_id, entry.day, entry.day)
    point: Point = (entry.day, setup.grid.position(entry.slot_id))
    for other in await _absences_near(
        session, entry.school_id, entry.student_id, entry.day, entry.day
    ):
        other_start, other_end = _bounds(setup, other)
        if other_start <= point <= other_end:
            raise ValidationFailed.single(
                "slotId", "ALREADY_ABSENT", "L'élève est noté absent sur ce créneau."
            )
    duplicate = await session.scalar(
        select(AbsenceEvent.id).where(
            AbsenceEvent.student_id == entry.student_id,
            AbsenceEvent.kind == EventKind.LATENESS,
            AbsenceEvent.start_date == entry.day,
            AbsenceEvent.start_slot_id == entry.slot_id,
        )
    )
    if duplicate is not None:
        raise ValidationFailed.single(
            "slotId", "ALREADY_LATE", "Un retard est déjà noté sur ce créneau."
        )
    return await _add_event(
        session,
        principal,
        entry,
        EventKind.LATENESS,
        (entry.day, entry.slot_id, entry.day, entry.slot_id),
        minutes_late=entry.minutes_late,
    )


async def _add_event(
    session: AsyncSession,
    principal: Principal,
    entry: AbsenceEntry | LatenessEntry,
    kind: EventKind,
    extent: tuple[date, int, date, int],
    minutes_late: int | None = None,
) -> AbsenceEvent:
    start_date, start_slot_id, end_date, end_slot_id = extent
    event = AbsenceEvent(
        school_id=entry.school_id,
        student_id=entry.student_id,
        kind=kind,
        start_date=start_date,
        start_slot_id=start_slot_id,
        end_date=end_date,
        end_slot_id=end_slot_id,
        minutes_late=minutes_late,
        motive_id=entry.motive_id,
        justification_id=entry.justification_id,
        justified_at=clock.now() if entry.justification_id else None,
        source=entry.source,
        noted_by_id=principal.id if principal.kind == "staff" else None,
        noted_by_label=principal.label,
        comment=entry.comment,
    )
    session.add(event)
    await session.flush()
    return event


@requires(Permission.ABSENCES_WRITE)
async def event_to_regularise(
    session: AsyncSession, principal: Principal, event_id: int
) -> AbsenceEvent:
    """An event the caller may regularise (unknown and out of reach look the same)."""
    return await get_in_reach(
        session,
        principal,
        Permission.ABSENCES_WRITE,
        AbsenceEvent,
        event_id,
        AbsenceEvent.school_id,
    )


@requires(Permission.ABSENCES_WRITE)
async def regularise_event(
    session: AsyncSession,
    principal: Principal,
    event_id: int,
    *,
    motive_id: int | None,
    justification_id: int | None,
    comment: str | None,
    expected_version: int | None = None,
) -> AbsenceEvent:
    """Set the motive and the justification received; the audit log keeps the previous state."""
    event = await get_in_reach(
        session,
        principal,
        Permission.ABSENCES_WRITE,
        AbsenceEvent,
        event_id,
        AbsenceEvent.school_id,
    )
    await _prepare(session, principal, event.school_id, event.student_id)
    if expected_version is not None and expected_version != event.version:
        raise ValidationFailed.single(
            "version",
            "STALE",
            "L'événement a été modifié par quelqu'un d'autre : rechargez-le avant d'enregistrer.",
        )
    setup = await load_setup(session, event.school_id)
    _check_references(setup, event.kind, {}, motive_id, justification_id)
    if justification_id != event.justification_id:
        event.justified_at = clock.now() if justification_id else None
    event.motive_id = motive_id
    event.justification_id = justification_id
    event.comment = comment
    await session.flush()
    return event

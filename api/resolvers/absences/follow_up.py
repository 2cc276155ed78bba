"""Following absences up: searching a school's events, a division's day or week, and the
students whose family must be contacted (unjustified absences not yet communicated).

Events belong to the student, not to the class: a division's view shows the
events of the students in the division on the days shown, whatever class
they were in when the events were noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, get_in_reach
from api.resolvers.absences.enrolments import in_force
from api.resolvers.absences.settings import SchoolAbsenceSetup, school_setup
from api.resolvers.absences.tallies import StudentTally
from core.errors import ValidationFailed
from db.absences import AbsenceEvent, EventKind
from db.enrollments import Enrollment, EnrollmentGroup
from db.structures import Division
from db.students import Student

MAX_EVENTS_PAGE = 200
MAX_VIEW_DAYS = 7


@dataclass
class EventSearch:
    school_id: int
    first: date | None = None
    last: date | None = None
    kind: EventKind | None = None
    student_id: int | None = None
    division_id: int | None = None
    group_id: int | None = None
    motive_id: int | None = None
    # Justified: the motive is tied to a legitimate generic motive.
    justified: bool | None = None
    notified: bool | None = None


@dataclass
class EventLine:
    """An event with what a list shows beside it."""

    event: AbsenceEvent
    student_name: str
    division_code: str | None
    justified: bool


@dataclass(frozen=True)
class EventPage:
    lines: list[EventLine]
    has_next_page: bool
    end_cursor: str | None
    setup: SchoolAbsenceSetup


def event_query(
    principal: Principal, search: EventSearch, setup: SchoolAbsenceSetup
) -> Select[AbsenceEvent, str, str, str | None]:
    # The student's enrolment in force on the event's first day, if the caller reaches it (a
    # teacher: his classes): one line per event, under the division of that day.
    enrolment = and_(
        Enrollment.student_id == AbsenceEvent.student_id,
        Enrollment.school_id == AbsenceEvent.school_id,
        in_force(AbsenceEvent.start_date),
        enrollment_clause(principal, Permission.ABSENCES_READ),
    )
    query = (
        select(AbsenceEvent, Student.family_name, Student.first_name, Division.code)
        .join(Student, Student.id == AbsenceEvent.student_id)
        .join(Enrollment, enrolment)
        .outerjoin(Division, Division.id == Enrollment.division_id)
        .where(AbsenceEvent.school_id == search.school_id)
    )
    if search.first is not None:
        query = query.where(AbsenceEvent.end_date >= search.first)
    if search.last is not None:
        query = query.where(AbsenceEvent.start_date <= search.last)
    if search.kind is not None:
        query = query.where(AbsenceEvent.kind == search.kind)
    if search.student_id is not None:
        query = query.where(AbsenceEvent.student_id == search.student_id)
    if search.division_id is not None:
        query = query.where(Enrollment.division_id == search.division_id)
    if search.group_id is not None:
        query = query.where(
            exists().where(
                EnrollmentGroup.enrollment_id == Enrollment.id,
                EnrollmentGroup.group_id == search.group_id,
            )
        )
    if search.motive_id is not None:
        query = query.where(AbsenceEvent.motive_id == search.motive_id)
    if search.justified is not None:
        legitimate = AbsenceEvent.motive_id.in_(sorted(setup.legitimate_motive_ids) or [-1])
        unjustified = or_(AbsenceEvent.motive_id.is_(None), ~legitimate)
        query = query.where(legitimate if search.justified else unjustified)
    if search.notified is not None:
        notified = AbsenceEvent.notified_at.is_not(None)
        query = query.where(notified if search.notified else AbsenceEvent.notified_at.is_(None))
    return query


def event_cursor(event: AbsenceEvent) -> str:
    return f"{event.start_date.isoformat()}~{event.id}"


def _after(cursor: str) -> tuple[date, int]:
    try:
        day, event_id = cursor.split("~")
        return date.fromisoformat(day), int(event_id)
    except ValueError:
        raise ValidationFailed.single("after", "INVALID", "Curseur de page invalide.") from None


@requires(Permission.ABSENCES_READ)
async def search_events(
    session: AsyncSession,
    principal: Principal,
    search: EventSearch,
    first: int = 50,
    after: str | None = None,
) -> EventPage:
    """A school's events matching every filter given, most recent first."""
    if not 1 <= first <= MAX_EVENTS_PAGE:
        raise ValidationFailed.single(
            "first",
            "OUT_OF_RANGE",
            f"La taille de page doit être comprise entre 1 et {MAX_EVENTS_PAGE}.",
        )
    if search.first and search.last and search.last < search.first:
        raise ValidationFailed.single(
            "until", "ENDS_BEFORE_START", "La fin de la période précède son début."
        )
    setup = await school_setup(session, principal, search.school_id)
    query = event_query(principal, search, setup)
    if after is not None:
        day, event_id = _after(after)
        query = query.where(
            tuple_(AbsenceEvent.start_date, AbsenceEvent.id) < tuple_(day, event_id)
        )
    rows = (
        await session.execute(
            query.order_by(AbsenceEvent.start_date.desc(), AbsenceEvent.id.desc()).limit(first + 1)
        )
    ).all()
    lines = [
        EventLine(
            event=event,
            student_name=f"{family} {given}",
            division_code=division,
            justified=setup.justified(event.motive_id),
        )
        for event, family, given, division in rows[:first]
    ]
    return EventPage(
        lines=lines,
        has_next_page=len(rows) > first,
        end_cursor=event_cursor(lines[-1].event) if lines else None,
        setup=setup,
    )


@dataclass
class SheetRow:
    student_id: int
    student_name: str
    events: list[AbsenceEvent]


@dataclass
class DivisionSheet:
    """A division's students over one day or a week, with their events on those days."""

    division: Division
    days: list[date]
    rows: list[SheetRow]
    setup: SchoolAbsenceSetup

    def mark(self, row: SheetRow, day: date, slot_id: int) -> AbsenceEvent | None:
        """The event on the student's line at that day and slot, if any."""
        position = self.setup.grid.position(slot_id)
        for event in row.events:
            start = (event.start_date, self.setup.grid.position(event.start_slot_id))
            end = (event.end_date, self.setup.grid.position(event.end_slot_id))
            if start <= (day, position) <= end:
                return event
        return None


@requires(Permission.ABSENCES_READ)
async def division_sheet(
    session: AsyncSession, principal: Principal, division_id: int, first_day: date, days: int = 1
) -> DivisionSheet:
    """The students of a division on ``first_day`` and the ``days`` following (at most a week)."""
    if not 1 <= days <= MAX_VIEW_DAYS:
        raise ValidationFailed.single(
            "days", "OUT_OF_RANGE", f"La vue couvre de 1 à {MAX_VIEW_DAYS} jours."
        )
    division = await get_in_reach(
        session, principal, Permission.ABSENCES_READ, Division, division_id, Division.school_id
    )
    setup = await school_setup(session, principal, division.school_id)
    last_day = first_day + timedelta(days=days - 1)
    students = (
        await session.execute(
            select(Student.id, Student.family_name, Student.first_name)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(
                Enrollment.division_id == division.id,
                Enrollment.entry_date <= last_day,
                or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= first_day),
                enrollment_clause(principal, Permission.ABSENCES_READ),
            )
            .order_by(Student.search_name, Student.id)
        )
    ).all()
    events: dict[int, list[AbsenceEvent]] = {student_id: [] for student_id, _f, _g in students}
    for event in await session.scalars(
        select(AbsenceEvent)
        .where(
            AbsenceEvent.school_id == division.school_id,
            AbsenceEvent.student_id.in_(list(events)),
            AbsenceEvent.start_date <= last_day,
            AbsenceEvent.end_date >= first_day,
        )
        .order_by(AbsenceEvent.start_date, AbsenceEvent.id)
    ):
        events[event.student_id].append(event)
    return DivisionSheet(
        division=division,
        days=[first_day + timedelta(days=n) for n in range(days)],
        rows=[
            SheetRow(student_id, f"{family} {given}", events[student_id])
            for student_id, family, given in students
        ],
        setup=setup,
    )


@dataclass
class ContactDue:
    """A student whose family has not been told of unjustified absences."""

    student_id: int
    student_name: str
    division_code: str | None
    events: list[AbsenceEvent] = field(default_factory=list)
    unjustified_half_days: int = 0
    lateness: int = 0


@requires(Permission.ABSENCES_READ)
async def students_to_contact(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    first: date | None = None,
    last: date | None = None,
) -> list[ContactDue]:
    """Students with unjustified events (absences, lateness) not yet communicated, by name."""
    search = EventSearch(
        school_id=school_id, first=first, last=last, justified=False, notified=False
    )
    setup = await school_setup(session, principal, school_id)
    rows = (
        await session.execute(
            event_query(principal, search, setup).order_by(
                Student.search_name, Student.id, AbsenceEvent.start_date
            )
        )
    ).all()
    due: dict[int, ContactDue] = {}
    tallies: dict[int, StudentTally] = {}
    # The division of the student's latest event: events are in date order.
    divisions: dict[int, str | None] = {}
    for event, family, given, division in rows:
        entry = due.get(event.student_id)
        if entry is None:
            entry = due[event.student_id] = ContactDue(
                event.student_id, f"{family} {given}", division
            )
            tallies[event.student_id] = StudentTally()
        entry.events.append(event)
        divisions[event.student_id] = division
        tallies[event.student_id].add(event, setup, first, last)
    return [
        _with_counts(entry, tallies[student_id], divisions[student_id])
        for student_id, entry in due.items()
    ]


def _with_counts(entry: ContactDue, tally: StudentTally, division_code: str | None) -> ContactDue:
    return ContactDue(
        student_id=entry.student_id,
        student_name=entry.student_name,
        division_code=division_code,
        events=entry.events,
        unjustified_half_days=len(tally.unjustified),
        lateness=tally.lateness,
    )

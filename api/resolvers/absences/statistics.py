"""Absence statistics of a school over a period: half-days of absence (each counted once per
student), those unjustified, lateness, the students concerned and an absence rate, by month,
division, group, student or motive.

The rate is the half-days of absence over the half-days the population could have
attended: its headcount times the half-days taught in the period (students who arrived or
left during the period count as present throughout, as in the school's own tables).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause
from api.resolvers.absences.calendar import MONTHS_FR
from api.resolvers.absences.enrolments import in_force
from api.resolvers.absences.half_days import Span, covered_half_days
from api.resolvers.absences.settings import SchoolAbsenceSetup, school_setup
from api.resolvers.absences.tallies import EXTENT_COLUMNS
from core.errors import ValidationFailed
from db.absences import AbsenceEvent, EventKind
from db.enrollments import Enrollment, EnrollmentGroup
from db.structures import Division, Group
from db.students import Student

MAX_PERIOD_DAYS = 400


class AbsenceDimension(enum.StrEnum):
    TOTAL = "total"
    MONTH = "month"
    DIVISION = "division"
    GROUP = "group"
    STUDENT = "student"
    MOTIVE = "motive"


@dataclass(frozen=True)
class AbsenceStatisticsQuery:
    school_id: int
    first: date
    last: date
    by: AbsenceDimension = AbsenceDimension.TOTAL
    kind: EventKind | None = None
    division_id: int | None = None
    group_id: int | None = None
    student_id: int | None = None


@dataclass
class AbsenceStatisticsRow:
    key: str
    label: str
    headcount: int
    students_absent: int
    half_days: int
    unjustified_half_days: int
    lateness: int
    students_late: int
    # Half-days of absence per 100 half-days the headcount could attend.
    absence_rate: float


@dataclass
class _Bucket:
    label: str
    population: set[int] = field(default_factory=set)
    taught_half_days: int = 0
    half_days: int = 0
    unjustified: int = 0
    lateness: int = 0
    absent: set[int] = field(default_factory=set)
    late: set[int] = field(default_factory=set)

    def row(self, key: str) -> AbsenceStatisticsRow:
        possible = len(self.population) * self.taught_half_days
        return AbsenceStatisticsRow(
            key=key,
            label=self.label,
            headcount=len(self.population),
            students_absent=len(self.absent),
            half_days=self.half_days,
            unjustified_half_days=self.unjustified,
            lateness=self.lateness,
            students_late=len(self.late),
            absence_rate=round(100 * self.half_days / possible, 2) if possible else 0.0,
        )


@dataclass(frozen=True)
class _Stint:
    """One enrolment of a student in the school: what he was grouped by from its entry date."""

    entry_date: date
    division: tuple[str, str] | None
    groups: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Population:
    """The students counted, with their enrolments in force during the period (a period
    across two school years may see a student in two divisions), in entry order."""

    names: dict[int, str]
    stints: dict[int, list[_Stint]]

    def on(self, student: int, day: date) -> _Stint:
        """The enrolment in force on that day (the first one for a day before them all)."""
        stints = self.stints[student]
        return next((s for s in reversed(stints) if s.entry_date <= day), stints[0])

    def divisions(self, student: int) -> list[tuple[str, str]]:
        found = [s.division or ("", "Sans division") for s in self.stints[student]]
        return list(dict.fromkeys(found))

    def groups(self, student: int) -> list[tuple[str, str]]:
        return list(dict.fromkeys(g for s in self.stints[student] for g in s.groups))


def _check_period(query: AbsenceStatisticsQuery) -> None:
    if query.last < query.first:
        raise ValidationFailed.single(
            "until", "ENDS_BEFORE_START", "La fin de la période précède son début."
        )
    if (query.last - query.first).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed.single(
            "until", "PERIOD_TOO_LONG", "La période ne peut dépasser une année scolaire."
        )


async def _population(
    session: AsyncSession, principal: Principal, query: AbsenceStatisticsQuery
) -> _Population:
    """Students enrolled in the school at some point of the period, in the caller's reach."""
    rows = (
        await session.execute(
            select(
                Enrollment.id,
                Student.id,
                Student.family_name,
                Student.first_name,
                Enrollment.entry_date,
                Division.id,
                Division.code,
            )
            .join(Student, Student.id == Enrollment.student_id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(
                Enrollment.school_id == query.school_id,
                in_force(query.first, query.last),
                enrollment_clause(principal, Permission.ABSENCES_READ),
                *([Student.id == query.student_id] if query.student_id is not None else []),
                *(
                    [Enrollment.division_id == query.division_id]
                    if query.division_id is not None
                    else []
                ),
            )
            .order_by(Enrollment.entry_date, Enrollment.id)
        )
    ).all()
    groups: dict[int, list[tuple[str, str]]] = {}
    if rows:
        for enrolment_id, group_id, code in await session.execute(
            select(EnrollmentGroup.enrollment_id, Group.id, Group.code)
            .join(Group, Group.id == EnrollmentGroup.group_id)
            .where(EnrollmentGroup.enrollment_id.in_([row[0] for row in rows]))
        ):
            groups.setdefault(enrolment_id, []).append((str(group_id), code))
    names: dict[int, str] = {}
    stints: dict[int, list[_Stint]] = {}
    for enrolment, student, family, given, entry, division_id, code in rows:
        names[student] = f"{family} {given}"
        division = (str(division_id), code) if division_id is not None else None
        stints.setdefault(student, []).append(_Stint(entry, division, groups.get(enrolment, [])))
    if query.group_id is not None:
        wanted = str(query.group_id)
        names = {s: n for s, n in names.items() if any(g == wanted for g, _ in _all(stints[s]))}
    return _Population(names=names, stints=stints)


def _all(stints: list[_Stint]) -> list[tuple[str, str]]:
    return [group for stint in stints for group in stint.groups]


def _month_key(day: date) -> tuple[str, str]:
    return f"{day.year:04d}-{day.month:02d}", f"{MONTHS_FR[day.month - 1]} {day.year}"


def _keys_of(
    by: AbsenceDimension, population: _Population, setup: SchoolAbsenceSetup
) -> Callable[[int, date, int | None], Iterable[tuple[str, str]]]:
    """For a fact (student, day, motive), the (key, label) of the rows it counts in."""

    def keys(student: int, day: date, motive_id: int | None) -> Iterable[tuple[str, str]]:
        if by is AbsenceDimension.TOTAL:
            return [("total", "Ensemble")]
        if by is AbsenceDimension.MONTH:
            return [_month_key(day)]
        if by is AbsenceDimension.DIVISION:
            return [population.on(student, day).division or ("", "Sans division")]
        if by is AbsenceDimension.GROUP:
            return population.on(student, day).groups
        if by is AbsenceDimension.STUDENT:
            return [(str(student), population.names[student])]
        motive = setup.motives.get(motive_id) if motive_id is not None else None
        return [(motive.code, motive.label) if motive else ("", "Sans motif")]

    return keys


def _buckets(
    by: AbsenceDimension, population: _Population, setup: SchoolAbsenceSetup, days: list[date]
) -> dict[str, _Bucket]:
    """The rows that exist before any event: every class, student or month of the period."""
    taught = setup.calendar.taught_half_days(days)
    buckets: dict[str, _Bucket] = {}

    def add(key: str, label: str, students: Iterable[int], taught_count: int) -> None:
        bucket = buckets.setdefault(key, _Bucket(label, taught_half_days=taught_count))
        bucket.population.update(students)

    everyone = list(population.names)
    if by is AbsenceDimension.MONTH:
        for day in days:
            key, label = _month_key(day)
            add(key, label, everyone, sum(1 for d, _h in taught if _month_key(d)[0] == key))
    elif by is AbsenceDimension.DIVISION:
        for student in everyone:
            for key, label in population.divisions(student):
                add(key, label, [student], len(taught))
    elif by is AbsenceDimension.GROUP:
        for student in everyone:
            for key, label in population.groups(student):
                add(key, label, [student], len(taught))
    elif by is AbsenceDimension.STUDENT:
        for student in everyone:
            add(str(student), population.names[student], [student], len(taught))
    elif by is AbsenceDimension.TOTAL:
        add("total", "Ensemble", everyone, len(taught))
    return buckets


@requires(Permission.ABSENCES_READ)
async def absence_statistics(
    session: AsyncSession, principal: Principal, query: AbsenceStatisticsQuery
) -> list[AbsenceStatisticsRow]:
    _check_period(query)
    setup = await school_setup(session, principal, query.school_id)
    population = await _population(session, principal, query)
    days = [query.first + timedelta(days=n) for n in range((query.last - query.first).days + 1)]
    buckets = _buckets(query.by, population, setup, days)
    keys = _keys_of(query.by, population, setup)
    taught = len(setup.calendar.taught_half_days(days))
    events = await session.execute(
        select(*EXTENT_COLUMNS).where(
            AbsenceEvent.school_id == query.school_id,
            AbsenceEvent.start_date <= query.last,
            AbsenceEvent.end_date >= query.first,
            *([AbsenceEvent.kind == query.kind] if query.kind is not None else []),
        )
    )
    counted: set[tuple[int, date, object]] = set()
    everyone = list(population.names)
    for student, kind, start, start_slot, end, end_slot, motive_id in events:
        if student not in population.names:
            continue
        if kind is EventKind.LATENESS:
            for key, label in keys(student, start, motive_id):
                bucket = buckets.setdefault(key, _Bucket(label, set(everyone), taught))
                bucket.lateness += 1
                bucket.late.add(student)
            continue
        justified = setup.justified(motive_id)
        for day, half in covered_half_days(
            Span(start, start_slot, end, end_slot), setup.grid, setup.calendar
        ):
            if not query.first <= day <= query.last or (student, day, half) in counted:
                continue
            counted.add((student, day, half))
            for key, label in keys(student, day, motive_id):
                bucket = buckets.setdefault(key, _Bucket(label, set(everyone), taught))
                bucket.half_days += 1
                bucket.unjustified += 0 if justified else 1
                bucket.absent.add(student)
    rows = [bucket.row(key) for key, bucket in buckets.items()]
    if query.by in (AbsenceDimension.STUDENT, AbsenceDimension.MOTIVE):
        return sorted(rows, key=lambda r: (-r.half_days, -r.lateness, r.label))
    return sorted(rows, key=lambda r: r.key if query.by is AbsenceDimension.MONTH else r.label)

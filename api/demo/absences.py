"""The demo's absences: each school's default settings (grid, week, motives, justifications,
letter templates) and the events of the current school year up to ``today``.

Most students are seldom absent, some often; absences last from one slot to a few days
and only fall on taught half-days of the enrolment; about half get a motive, most of them
legitimate; the older unjustified ones have been notified to the family.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from api.demo.model import Build, SchoolPlan
from api.resolvers.absences.calendar import COLLEGE_WEEK, SchoolCalendar
from api.resolvers.absences.letters import DEFAULT_TEMPLATES
from api.resolvers.absences.settings import (
    DEFAULT_JUSTIFICATIONS,
    DEFAULT_MOTIVES,
    DEFAULT_SLOTS,
    LYCEE_WEEK,
)
from db.absences import EventKind, EventSource, HalfDay, HolidayZone
from db.schools import SchoolKind

# Chance, per taught day, that an absence starts, for the three kinds of students.
ABSENCE_RATES = ((0.75, 0.004), (0.2, 0.02), (0.05, 0.07))
LATENESS_RATE = 0.01
SOURCE = "Données de démonstration"
SLOT_HALVES = [half for _code, _starts, _ends, half in DEFAULT_SLOTS]


def _calendar(build: Build, school: SchoolPlan) -> SchoolCalendar:
    week = COLLEGE_WEEK if school.kind is SchoolKind.COLLEGE else LYCEE_WEEK
    return SchoolCalendar(weekdays=dict(week), holidays=build.catalog.holidays)


def _settings(build: Build, school: SchoolPlan) -> tuple[list[int], dict[str, int]]:
    """The school's settings rows; returns its slot ids in order and its motive ids by code."""
    now = build.now
    build.add(
        "absence_settings",
        school_id=school.id,
        holiday_zone=HolidayZone.C,
        letter_signature="La conseillère principale d'éducation",
        created_at=now,
        updated_at=now,
    )
    slots = []
    for code, starts, ends, half in DEFAULT_SLOTS:
        slot_id = build.new_id("time_slots")
        slots.append(slot_id)
        build.add(
            "time_slots",
            id=slot_id,
            school_id=school.id,
            code=code,
            starts_at=starts,
            ends_at=ends,
            half_day=half,
        )
    week = COLLEGE_WEEK if school.kind is SchoolKind.COLLEGE else LYCEE_WEEK
    for weekday in range(7):
        halves = week.get(weekday, frozenset())
        build.add(
            "school_weekdays",
            school_id=school.id,
            weekday=weekday,
            morning=HalfDay.MORNING in halves,
            afternoon=HalfDay.AFTERNOON in halves,
        )
    motives = {}
    for code, label, generic, colour, for_absence, for_lateness in DEFAULT_MOTIVES:
        motives[code] = build.new_id("absence_motives")
        build.add(
            "absence_motives",
            id=motives[code],
            school_id=school.id,
            code=code,
            label=label,
            generic_motive_id=build.catalog.generic_motive_ids[generic],
            colour=colour,
            for_absence=for_absence,
            for_lateness=for_lateness,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
    for code, label in DEFAULT_JUSTIFICATIONS:
        build.add(
            "justifications",
            id=build.new_id("justifications"),
            school_id=school.id,
            code=code,
            label=label,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
    for code, label, channel, subject, body in DEFAULT_TEMPLATES:
        build.add(
            "letter_templates",
            id=build.new_id("letter_templates"),
            school_id=school.id,
            code=code,
            label=label,
            channel=channel,
            subject=subject,
            body=body,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
    return slots, motives


def _taught_days(calendar: SchoolCalendar, first: date, last: date) -> list[date]:
    days = []
    day = first
    while day <= last:
        if calendar.teaches(day, HalfDay.MORNING):
            days.append(day)
        day += timedelta(days=1)
    return days


def _motive(build: Build, motives: dict[str, int]) -> int | None:
    roll = build.rng.random()
    if roll < 0.45:
        return None
    if roll < 0.85:
        return motives["MAL"]
    return motives[build.rng.choice(["MED", "FAM", "TRA", "NVA", "INC"])]


def _events_of(
    build: Build,
    calendar: SchoolCalendar,
    days: list[date],
    slots: list[int],
    motives: dict[str, int],
) -> Iterator[dict[str, Any]]:
    rng = build.rng
    weights = [share for share, _rate in ABSENCE_RATES]
    rate = rng.choices([r for _s, r in ABSENCE_RATES], weights=weights)[0]
    index = 0
    while index < len(days):
        day = days[index]
        if rng.random() >= rate:
            if rng.random() < LATENESS_RATE:
                yield {
                    "kind": EventKind.LATENESS,
                    "start_date": day,
                    "start_slot_id": slots[0],
                    "end_date": day,
                    "end_slot_id": slots[0],
                    "minutes_late": rng.choice([5, 5, 10, 10, 15, 20, 30]),
                    "motive_id": rng.choice([None, None, motives["TRA"]]),
                }
            index += 1
            continue
        length = rng.choices([1, 1, 1, 2, 3, 5], k=1)[0]
        end_index = min(index + length - 1, len(days) - 1)
        # Positions of the slots taught that day (no Wednesday afternoon in a collège).
        taught = [n for n, half in enumerate(SLOT_HALVES) if calendar.teaches(day, half)]
        first_slot = 0 if rng.random() < 0.8 else rng.choice(taught)
        later = [n for n in taught if n >= first_slot]
        last_slot = later[-1] if rng.random() < 0.7 else rng.choice(later)
        if end_index > index:
            first_slot, last_slot = 0, len(slots) - 1
        yield {
            "kind": EventKind.ABSENCE,
            "start_date": day,
            "start_slot_id": slots[first_slot],
            "end_date": days[end_index],
            "end_slot_id": slots[last_slot],
            "minutes_late": None,
            "motive_id": _motive(build, motives),
        }
        # A day without absence between two absences: they never touch or overlap.
        index = end_index + 2


def plan_absences(build: Build) -> None:
    enrolments = {row["id"]: row for row in build.rows["enrollments"]}
    first = date(build.start_year, 9, 1)
    last = build.today - timedelta(days=1)
    for school in build.schools:
        slots, motives = _settings(build, school)
        calendar = _calendar(build, school)
        days = _taught_days(calendar, first, last)
        for members in school.members.values():
            for enrolment_id in members:
                enrolment = enrolments[enrolment_id]
                entry, exit_ = enrolment["entry_date"], enrolment["exit_date"]
                own_days = [d for d in days if d >= entry and (exit_ is None or d <= exit_)]
                for event in _events_of(build, calendar, own_days, slots, motives):
                    _add_event(build, school, enrolment["student_id"], event)


def _add_event(build: Build, school: SchoolPlan, student_id: int, event: dict[str, Any]) -> None:
    noted = datetime.combine(event["start_date"], time(9, 0), tzinfo=UTC)
    old = (build.today - event["start_date"]).days > 10
    unjustified = event["motive_id"] is None
    build.add(
        "absence_events",
        id=build.new_id("absence_events"),
        school_id=school.id,
        student_id=student_id,
        justification_id=None,
        justified_at=None,
        source=EventSource.VIE_SCOLAIRE,
        noted_by_id=None,
        noted_by_label=SOURCE,
        comment=None,
        notified_at=noted + timedelta(days=3) if old and unjustified else None,
        version=1,
        created_at=noted,
        updated_at=noted,
        **event,
    )

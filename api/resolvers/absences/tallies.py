"""Per-student tallies of events over a period: half-days absent (each counted once), those
unjustified, lateness. Every count of the follow-up screens, the statistics and the national
indicator goes through here, so that they always agree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from api.resolvers.absences.half_days import Span, covered_half_days
from api.resolvers.absences.settings import SchoolAbsenceSetup
from db.absences import AbsenceEvent, EventKind, HalfDay

HalfDayKey = tuple[date, HalfDay]


# The columns counting reads, in the order of ``EventExtent``'s fields.
EXTENT_COLUMNS = (
    AbsenceEvent.student_id,
    AbsenceEvent.kind,
    AbsenceEvent.start_date,
    AbsenceEvent.start_slot_id,
    AbsenceEvent.end_date,
    AbsenceEvent.end_slot_id,
    AbsenceEvent.motive_id,
)


class EventExtent(Protocol):
    """What counting needs of an event: a model instance or a row of these columns."""

    @property
    def student_id(self) -> int: ...
    @property
    def kind(self) -> EventKind: ...
    @property
    def start_date(self) -> date: ...
    @property
    def start_slot_id(self) -> int: ...
    @property
    def end_date(self) -> date: ...
    @property
    def end_slot_id(self) -> int: ...
    @property
    def motive_id(self) -> int | None: ...


@dataclass
class StudentTally:
    half_days: set[HalfDayKey] = field(default_factory=set)
    unjustified: set[HalfDayKey] = field(default_factory=set)
    absences: int = 0
    lateness: int = 0

    def add(
        self,
        event: EventExtent,
        setup: SchoolAbsenceSetup,
        first: date | None = None,
        last: date | None = None,
    ) -> None:
        """Count an event of the school ``setup`` describes, within ``first``..``last``."""
        if event.kind is not EventKind.ABSENCE:
            if (first is None or event.start_date >= first) and (
                last is None or event.start_date <= last
            ):
                self.lateness += 1
            return
        span = Span(event.start_date, event.start_slot_id, event.end_date, event.end_slot_id)
        halves = {
            half
            for half in covered_half_days(span, setup.grid, setup.calendar)
            if (first is None or half[0] >= first) and (last is None or half[0] <= last)
        }
        if not halves:
            return
        self.absences += 1
        self.half_days |= halves
        if not setup.justified(event.motive_id):
            self.unjustified |= halves


def tally_by_student(
    events: Iterable[EventExtent],
    setup: SchoolAbsenceSetup,
    first: date | None = None,
    last: date | None = None,
) -> dict[int, StudentTally]:
    """Tallies of one school's events, per student (students without events are absent)."""
    tallies: dict[int, StudentTally] = {}
    for event in events:
        tally = tallies.get(event.student_id)
        if tally is None:
            tally = tallies[event.student_id] = StudentTally()
        tally.add(event, setup, first, last)
    return tallies

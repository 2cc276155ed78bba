"""Counting absences in half-days, the unit of every absence statistic.

An absence runs from (day, slot) to (day, slot) of the school's grid. It
covers a half-day when it covers at least one slot of that half-day on a day
the school teaches it; overlapping events never count a half-day twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from api.resolvers.absences.calendar import SchoolCalendar
from db.absences import HalfDay


@dataclass(frozen=True)
class Slot:
    id: int
    code: str
    starts_at: time
    half_day: HalfDay


@dataclass(frozen=True)
class Span:
    """An absence's extent on the grid (slot ids of the school's grid)."""

    start_date: date
    start_slot_id: int
    end_date: date
    end_slot_id: int


class Grid:
    """A school's slots in the order of the day."""

    def __init__(self, slots: Iterable[Slot]) -> None:
        self.slots: Sequence[Slot] = sorted(slots, key=lambda s: s.starts_at)
        self._position = {slot.id: n for n, slot in enumerate(self.slots)}

    def position(self, slot_id: int) -> int:
        return self._position[slot_id]

    def halves_between(self, first: int, last: int) -> frozenset[HalfDay]:
        """Half-days of the slots at positions ``first`` to ``last`` included."""
        return frozenset(slot.half_day for slot in self.slots[first : last + 1])


def covered_half_days(
    span: Span, grid: Grid, calendar: SchoolCalendar
) -> set[tuple[date, HalfDay]]:
    """The taught half-days an absence covers."""
    covered: set[tuple[date, HalfDay]] = set()
    last_position = len(grid.slots) - 1
    day = span.start_date
    while day <= span.end_date:
        first = grid.position(span.start_slot_id) if day == span.start_date else 0
        last = grid.position(span.end_slot_id) if day == span.end_date else last_position
        for half in grid.halves_between(first, last):
            if calendar.teaches(day, half):
                covered.add((day, half))
        day += timedelta(days=1)
    return covered


def count_half_days(spans: Iterable[Span], grid: Grid, calendar: SchoolCalendar) -> int:
    covered: set[tuple[date, HalfDay]] = set()
    for span in spans:
        covered |= covered_half_days(span, grid, calendar)
    return len(covered)

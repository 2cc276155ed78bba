"""Half-day counting against a collège's grid and calendar (zone C, 2026-2027)."""

from __future__ import annotations

from datetime import date, time

import pytest

from api.resolvers.absences.calendar import (
    COLLEGE_WEEK,
    SchoolCalendar,
    easter_sunday,
    public_holidays,
)
from api.resolvers.absences.half_days import Grid, Slot, Span, count_half_days, covered_half_days
from db.absences import HalfDay

M, A = HalfDay.MORNING, HalfDay.AFTERNOON
GRID = Grid(
    [
        Slot(4, "S1", time(13, 30), A),
        Slot(1, "M1", time(8, 0), M),
        Slot(2, "M2", time(9, 0), M),
        Slot(3, "M3", time(10, 5), M),
        Slot(5, "S2", time(14, 30), A),
    ]
)
TOUSSAINT = (date(2026, 10, 17), date(2026, 11, 1))
CALENDAR = SchoolCalendar(
    weekdays=COLLEGE_WEEK,
    holidays=(TOUSSAINT,),
    closed=frozenset({(date(2026, 11, 20), HalfDay.AFTERNOON)}),
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))],
)
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_public_holidays_include_the_movable_ones():
    holidays = public_holidays(2027)
    assert {date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)} <= holidays
    assert date(2027, 11, 11) in holidays and len(holidays) == 11


def test_the_grid_orders_slots_by_time():
    assert [s.code for s in GRID.slots] == ["M1", "M2", "M3", "S1", "S2"]


def test_one_slot_in_the_morning_is_one_half_day():
    # Monday 16 November 2026.
    span = Span(date(2026, 11, 16), 2, date(2026, 11, 16), 2)
    assert covered_half_days(span, GRID, CALENDAR) == {(date(2026, 11, 16), M)}


def test_a_whole_week_counts_nine_half_days_in_a_college():
    # Monday 16 to Sunday 22 November 2026: no Wednesday afternoon, no weekend.
    span = Span(date(2026, 11, 16), 1, date(2026, 11, 22), 5)
    assert count_half_days([span], GRID, SchoolCalendar(weekdays=COLLEGE_WEEK)) == 9
    # The school is also closed on Friday afternoon (exam centre).
    assert count_half_days([span], GRID, CALENDAR) == 8


def test_holidays_and_public_holidays_never_count():
    # Thursday 15 October to Friday 13 November 2026 across the Toussaint holidays;
    # Wednesday 11 November is a public holiday.
    span = Span(date(2026, 10, 15), 1, date(2026, 11, 13), 5)
    days = count_half_days([span], GRID, CALENDAR)
    # Before: Thu 15 + Fri 16 = 4. After: week of 2 Nov = 9, week of 9 Nov = 9 - 1 (11 Nov am).
    assert days == 4 + 9 + 8


def test_an_absence_from_an_afternoon_to_the_next_morning():
    span = Span(date(2026, 11, 16), 4, date(2026, 11, 17), 3)
    assert covered_half_days(span, GRID, CALENDAR) == {
        (date(2026, 11, 16), A),
        (date(2026, 11, 17), M),
    }


def test_overlapping_events_count_each_half_day_once():
    spans = [
        Span(date(2026, 11, 16), 1, date(2026, 11, 16), 3),
        Span(date(2026, 11, 16), 3, date(2026, 11, 16), 5),
    ]
    assert count_half_days(spans, GRID, CALENDAR) == 2


def test_the_last_morning_slot_to_the_first_afternoon_slot_is_two_half_days():
    # Monday 16 November 2026, M3 (the morning's last slot) to S1 (the afternoon's first).
    span = Span(date(2026, 11, 16), 3, date(2026, 11, 16), 4)
    assert covered_half_days(span, GRID, CALENDAR) == {
        (date(2026, 11, 16), M),
        (date(2026, 11, 16), A),
    }


def test_the_day_s_last_slot_to_the_next_day_s_first_slot():
    span = Span(date(2026, 11, 16), 5, date(2026, 11, 17), 1)
    assert covered_half_days(span, GRID, CALENDAR) == {
        (date(2026, 11, 16), A),
        (date(2026, 11, 17), M),
    }


def test_a_single_slot_at_the_end_of_the_day_is_the_afternoon():
    span = Span(date(2026, 11, 17), 5, date(2026, 11, 17), 5)
    assert covered_half_days(span, GRID, CALENDAR) == {(date(2026, 11, 17), A)}

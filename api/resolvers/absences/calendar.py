"""Which half-days a school teaches: weekdays, national holidays of its zone, public holidays,
and the school's own closed days. Absences are only ever counted on taught half-days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from db.absences import HalfDay


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous algorithm, as published by Nature in 1876)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(day: date) -> str:
    """ "2 décembre 2026", "1er mars 2027"."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS_FR[day.month - 1]} {day.year}"


@cache
def public_holidays(year: int) -> frozenset[date]:
    """Metropolitan France's public holidays (jours fériés) of a calendar year."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    movable = [easter + timedelta(days=n) for n in (1, 39, 50)]  # Monday, Ascension, Whit Monday
    return frozenset([date(year, m, d) for m, d in fixed] + movable)


@dataclass(frozen=True)
class SchoolCalendar:
    """A school's taught half-days.

    ``weekdays`` maps a weekday (0 is Monday) to the half-days taught that
    day; ``holidays`` are (first day, last day) periods without class;
    ``closed`` holds the school's own closures (half-day ``None``: the whole day).
    """

    weekdays: dict[int, frozenset[HalfDay]]
    holidays: tuple[tuple[date, date], ...] = ()
    closed: frozenset[tuple[date, HalfDay | None]] = field(default_factory=frozenset)
    # Answers already worked out: counting a year asks about the same days again and again.
    _known: dict[tuple[date, HalfDay], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    def in_holidays(self, day: date) -> bool:
        return day in public_holidays(day.year) or any(
            first <= day <= last for first, last in self.holidays
        )

    def teaches(self, day: date, half_day: HalfDay) -> bool:
        known = self._known.get((day, half_day))
        if known is None:
            known = self._known[(day, half_day)] = self._teaches(day, half_day)
        return known

    def _teaches(self, day: date, half_day: HalfDay) -> bool:
        if half_day not in self.weekdays.get(day.weekday(), frozenset()):
            return False
        if (day, None) in self.closed or (day, half_day) in self.closed:
            return False
        return not self.in_holidays(day)

    def taught_half_days(self, days: Iterable[date]) -> list[tuple[date, HalfDay]]:
        return [(day, half) for day in days for half in HalfDay if self.teaches(day, half)]


# A collège's usual week: every morning Monday to Friday, no Wednesday afternoon.
COLLEGE_WEEK: dict[int, frozenset[HalfDay]] = {
    0: frozenset(HalfDay),
    1: frozenset(HalfDay),
    2: frozenset({HalfDay.MORNING}),
    3: frozenset(HalfDay),
    4: frozenset(HalfDay),
}

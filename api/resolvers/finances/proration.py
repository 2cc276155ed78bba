"""How much of a term a span of days is worth, by the school's rule, and the flat rate
prorated to it. Pure functions: the generation, the remises d'ordre and the tests share
them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from api.resolvers.absences.calendar import public_holidays
from core.money import ZERO, to_cents
from db.finances import ProrationRule


@dataclass(frozen=True)
class ServiceCalendar:
    """The days the canteen and the boarding serve: ISO weekdays (1 is Monday) outside
    the zone's school holidays and public holidays."""

    weekdays: frozenset[int]
    holidays: tuple[tuple[date, date], ...] = ()
    # Spans already counted: a term's students mostly share the same few spans, and
    # counting one walks its days.
    _counted: dict[tuple[ProrationRule, date, date], int] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(
        cls, service_weekdays: str, holidays: Iterable[tuple[date, date]] = ()
    ) -> ServiceCalendar:
        return cls(frozenset(int(d) for d in service_weekdays), tuple(holidays))

    def serves(self, day: date) -> bool:
        if day.isoweekday() not in self.weekdays or day in public_holidays(day.year):
            return False
        return not any(first <= day <= last for first, last in self.holidays)


def _days(first: date, last: date) -> Iterable[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def counted_days(rule: ProrationRule, first: date, last: date, calendar: ServiceCalendar) -> int:
    """The span ``first``..``last`` (both included) counted by ``rule``: calendar days,
    service days, or weeks begun (a week touched at all counts whole)."""
    if last < first:
        return 0
    key = (rule, first, last)
    known = calendar._counted.get(key)
    if known is None:
        known = calendar._counted[key] = _count(rule, first, last, calendar)
    return known


def _count(rule: ProrationRule, first: date, last: date, calendar: ServiceCalendar) -> int:
    if rule is ProrationRule.CALENDAR_DAYS:
        return (last - first).days + 1
    if rule is ProrationRule.SERVICE_DAYS:
        return sum(1 for day in _days(first, last) if calendar.serves(day))
    return len({day.isocalendar()[:2] for day in _days(first, last) if calendar.serves(day)})


def prorated(amount: Decimal, part: int, whole: int) -> Decimal:
    """``amount`` × ``part`` / ``whole`` to the cent; the whole amount when the part covers it
    (so that a full term is never off by a rounding)."""
    if whole <= 0 or part <= 0:
        return ZERO
    if part >= whole:
        return amount
    return to_cents(amount * part / whole)

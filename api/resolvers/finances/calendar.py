"""How a school's finances count the days of a year: its proration rule, the days its canteen
and boarding serve (its service weekdays outside public holidays and its zone's school
holidays) and the minimum length of an absence giving a remise d'ordre, as its board voted
them. The term's generation and the remises d'ordre read this one calendar, so that a remise
is prorated over the same days as the charge it reduces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.resolvers.absences.settings import default_zone
from api.resolvers.finances.proration import ServiceCalendar, counted_days
from api.resolvers.finances.tariffs import settings_of
from db.absences import AbsenceSettings, HolidayPeriod, HolidayZone
from db.finances import ProrationRule
from db.schools import School


@dataclass
class SchoolCalendarRule:
    """How a school counts a span of a year: its rule, its service calendar, and the
    minimum length of an absence giving a remise d'ordre."""

    rule: ProrationRule
    calendar: ServiceCalendar
    min_days: int

    def count(self, first: date, last: date) -> int:
        return counted_days(self.rule, first, last, self.calendar)


async def holiday_zone(session: AsyncSession, school_id: int) -> HolidayZone:
    """The zone of the school's absence settings, else its académie's."""
    zone = await session.scalar(
        select(AbsenceSettings.holiday_zone).where(AbsenceSettings.school_id == school_id)
    )
    if zone is not None:
        return zone
    school = await session.get(School, school_id)
    assert school is not None
    return await default_zone(session, school)


async def service_calendar(
    session: AsyncSession, school_id: int, school_year_id: int
) -> SchoolCalendarRule:
    """The school's proration rule and service calendar for a year: its finance settings
    (the defaults until its board votes), outside its zone's school holidays."""
    settings = (await settings_of(session, [school_id], school_year_id))[school_id]
    zone = await holiday_zone(session, school_id)
    holidays = await session.execute(
        select(HolidayPeriod.first_day, HolidayPeriod.last_day).where(HolidayPeriod.zone == zone)
    )
    return SchoolCalendarRule(
        rule=settings.proration_rule,
        calendar=ServiceCalendar.of(
            settings.service_weekdays, [(first, last) for first, last in holidays.all()]
        ),
        min_days=settings.order_reduction_min_days,
    )

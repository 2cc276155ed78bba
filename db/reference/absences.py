"""National absence references: generic motives and the school holiday calendar by zone.

``generic_motives.csv`` is the national list every school motive is tied to
(``legitimate`` after Code de l'éducation art. L131-8). ``holiday_periods.csv``
follows the ministry's calendar (zone, school year, label, first and last
day without class); a rectorat updates it each year from the official
calendar, and ``sconet migrate`` loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.absences import GenericMotive, HolidayPeriod, HolidayZone
from db.reference.loader import read_rows, upsert_by_code

GENERIC_MOTIVES = cast(Table, GenericMotive.__table__)
HOLIDAY_PERIODS = cast(Table, HolidayPeriod.__table__)


@dataclass(frozen=True)
class GenericMotiveRow:
    code: str
    label: str
    legitimate: bool


@dataclass(frozen=True)
class HolidayRow:
    zone: HolidayZone
    school_year: int
    label: str
    first_day: date
    last_day: date


@cache
def read_generic_motives() -> tuple[GenericMotiveRow, ...]:
    return tuple(
        GenericMotiveRow(row["code"], row["label"], row["legitimate"] == "1")
        for row in read_rows("generic_motives.csv")
    )


@cache
def read_holiday_periods() -> tuple[HolidayRow, ...]:
    return tuple(
        HolidayRow(
            zone=HolidayZone(row["zone"]),
            school_year=int(row["school_year"]),
            label=row["label"],
            first_day=date.fromisoformat(row["first_day"]),
            last_day=date.fromisoformat(row["last_day"]),
        )
        for row in read_rows("holiday_periods.csv")
    )


async def load_absence_references(session: AsyncSession) -> tuple[int, int]:
    """Insert the missing generic motives and holiday periods, refresh the others.

    Idempotent; runs in the caller's transaction. Returns how many of each
    the reference holds.
    """
    motives = read_generic_motives()
    await upsert_by_code(
        session,
        GENERIC_MOTIVES,
        [{"code": m.code, "label": m.label, "legitimate": m.legitimate} for m in motives],
    )
    periods = read_holiday_periods()
    existing = {
        (zone, first): id_
        for id_, zone, first in await session.execute(
            select(HOLIDAY_PERIODS.c.id, HOLIDAY_PERIODS.c.zone, HOLIDAY_PERIODS.c.first_day)
        )
    }
    for period in periods:
        values = {"label": period.label, "last_day": period.last_day}
        known = existing.get((period.zone.value, period.first_day))
        if known is None:
            await session.execute(
                HOLIDAY_PERIODS.insert().values(
                    zone=period.zone.value, first_day=period.first_day, **values
                )
            )
        else:
            await session.execute(
                HOLIDAY_PERIODS.update().where(HOLIDAY_PERIODS.c.id == known).values(**values)
            )
    return len(motives), len(periods)

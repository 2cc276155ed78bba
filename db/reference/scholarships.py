"""The national scholarship tables (barèmes des bourses de collège et de lycée).

``scholarship_amounts.csv`` gives what each échelon is worth a year, ``scholarship_ceilings.csv``
the highest reference tax income (revenu fiscal de référence) giving each échelon by number
of dependent children (the last number stands for "that many or more"), each row for the
school year its table applies from (``first_year``: 2024 for 2024-2025) until a later table.
Their sources are in ``docs/scholarships.md``. A rectorat loads a new year's table with
``sconet scholarships load-scale``; ``sconet migrate`` and ``sconet demo`` load the shipped
ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.reference.loader import read_rows
from db.scholarships import ScholarshipAmount, ScholarshipCeiling, ScholarshipKind

AMOUNTS = cast(Table, ScholarshipAmount.__table__)
CEILINGS = cast(Table, ScholarshipCeiling.__table__)


@dataclass(frozen=True)
class AmountRow:
    kind: ScholarshipKind
    first_year: int
    echelon: int
    annual_amount: Decimal


@dataclass(frozen=True)
class CeilingRow:
    kind: ScholarshipKind
    first_year: int
    dependent_children: int
    echelon: int
    ceiling: Decimal


@cache
def read_scholarship_amounts() -> tuple[AmountRow, ...]:
    return tuple(
        AmountRow(
            ScholarshipKind(row["kind"]),
            int(row["first_year"]),
            int(row["echelon"]),
            Decimal(row["annual_amount"]),
        )
        for row in read_rows("scholarship_amounts.csv")
    )


@cache
def read_scholarship_ceilings() -> tuple[CeilingRow, ...]:
    return tuple(
        CeilingRow(
            ScholarshipKind(row["kind"]),
            int(row["first_year"]),
            int(row["dependent_children"]),
            int(row["echelon"]),
            Decimal(row["ceiling"]),
        )
        for row in read_rows("scholarship_ceilings.csv")
    )


async def load_scholarship_scales(session: AsyncSession) -> tuple[int, int]:
    """Insert the shipped tables of the (kind, year) pairs the database does not hold yet.

    A table already there is left alone, whoever loaded it: a rectorat may have corrected it
    (``sconet scholarships load-scale``), and a shipped table must never undo that.
    Idempotent; in the caller's transaction. Returns how many amounts and ceilings ship."""
    amounts = read_scholarship_amounts()
    ceilings = read_scholarship_ceilings()
    held = set((await session.execute(select(AMOUNTS.c.kind, AMOUNTS.c.first_year))).all()) | set(
        (await session.execute(select(CEILINGS.c.kind, CEILINGS.c.first_year))).all()
    )
    held_keys = {(ScholarshipKind(kind), year) for kind, year in held}
    new_amounts = [
        {
            "kind": r.kind.value,
            "first_year": r.first_year,
            "echelon": r.echelon,
            "annual_amount": r.annual_amount,
        }
        for r in amounts
        if (r.kind, r.first_year) not in held_keys
    ]
    new_ceilings = [
        {
            "kind": r.kind.value,
            "first_year": r.first_year,
            "dependent_children": r.dependent_children,
            "echelon": r.echelon,
            "ceiling": r.ceiling,
        }
        for r in ceilings
        if (r.kind, r.first_year) not in held_keys
    ]
    if new_amounts:
        await session.execute(insert(AMOUNTS), new_amounts)
    if new_ceilings:
        await session.execute(insert(CEILINGS), new_ceilings)
    return len(amounts), len(ceilings)

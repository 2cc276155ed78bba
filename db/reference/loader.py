"""Read the reference CSV files shipped in this package and load them into the admin database."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.nomenclatures import Mef, NomenclatureEntry, Subject

# Core tables: plain executemany, no ORM bulk semantics.
MEFS = cast(Table, Mef.__table__)
SUBJECTS = cast(Table, Subject.__table__)
ENTRIES = cast(Table, NomenclatureEntry.__table__)


@dataclass(frozen=True)
class MefRow:
    code: str
    short_label: str
    long_label: str
    edition_label: str | None
    duration_years: int
    typical_age: int | None
    next_code: str | None


@dataclass(frozen=True)
class SubjectRow:
    code: str
    management_code: str
    short_label: str
    long_label: str


@dataclass(frozen=True)
class EntryRow:
    """A code of a coded list (régimes, exit motives, kinship...) for the year it applies
    from, with the category the product reads from it (see
    ``api.resolvers.nomenclatures.entry_category``)."""

    list: str
    year: int
    code: str
    short_label: str
    long_label: str
    edition_label: str | None
    category: str | None
    sort_order: int | None


@dataclass(frozen=True)
class Commune:
    """A French commune: INSEE code, a postal code, its name and its département (3 digits)."""

    insee_code: str
    postal_code: str
    name: str
    department: str


def read_rows(filename: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@cache
def read_mefs() -> tuple[MefRow, ...]:
    """The reference MEFs (real codes from a SIECLE nomenclature export, plus the collège levels)."""
    return tuple(
        MefRow(
            code=row["code"],
            short_label=row["short_label"],
            long_label=row["long_label"],
            edition_label=row["edition_label"] or None,
            duration_years=int(row["duration_years"] or 1),
            typical_age=int(row["typical_age"]) if row["typical_age"] else None,
            next_code=row["next_code"] or None,
        )
        for row in read_rows("mefs.csv")
    )


@cache
def read_subjects() -> tuple[SubjectRow, ...]:
    """The reference subjects (matières) of a SIECLE nomenclature export."""
    return tuple(
        SubjectRow(
            code=row["code"],
            management_code=row["management_code"],
            short_label=row["short_label"],
            long_label=row["long_label"],
        )
        for row in read_rows("subjects.csv")
    )


@cache
def read_nomenclature_entries() -> tuple[EntryRow, ...]:
    """The coded lists of the 2019-2020 national nomenclature (a real BEE_NOMENCLATURES)."""
    return tuple(
        EntryRow(
            list=row["list"],
            year=int(row["year"]),
            code=row["code"],
            short_label=row["short_label"],
            long_label=row["long_label"],
            edition_label=row["edition_label"] or None,
            category=row["category"] or None,
            sort_order=int(row["sort_order"]) if row["sort_order"] else None,
        )
        for row in read_rows("nomenclature_entries.csv")
    )


@cache
def read_communes() -> tuple[Commune, ...]:
    """A small list of real communes (Créteil's three départements, and a few birthplaces)."""
    return tuple(
        Commune(
            insee_code=row["insee_code"],
            postal_code=row["postal_code"],
            name=row["name"],
            department=row["department"],
        )
        for row in read_rows("communes.csv")
    )


async def upsert_by_code(session: AsyncSession, table: Table, values: list[dict[str, Any]]) -> None:
    """Insert the rows whose code is missing; refresh every other column of the others."""
    existing = set((await session.scalars(select(table.c.code))).all())
    new = [v for v in values if v["code"] not in existing]
    old = [
        {"b_code": v["code"], **{k: x for k, x in v.items() if k != "code"}}
        for v in values
        if v["code"] in existing
    ]
    if new:
        await session.execute(insert(table), new)
    if old:
        await session.execute(update(table).where(table.c.code == bindparam("b_code")), old)


async def load_reference_nomenclatures(session: AsyncSession) -> tuple[int, int]:
    """Insert the reference MEFs and subjects that are missing and refresh the labels of the others.

    Idempotent: running it twice changes nothing the second time. A MEF's
    ``next_mef_id`` is set when the reference names a next MEF; a link the
    reference does not know is left alone. Returns the number of reference
    MEFs and subjects, all of which are present afterwards. Runs inside the
    caller's transaction and does not commit. Works on SQLite and PostgreSQL
    (plain Core statements).
    """
    mefs = read_mefs()
    subjects = read_subjects()
    await upsert_by_code(
        session,
        MEFS,
        [
            {
                "code": m.code,
                "short_label": m.short_label,
                "long_label": m.long_label,
                "edition_label": m.edition_label,
                "duration_years": m.duration_years,
                "typical_age": m.typical_age,
            }
            for m in mefs
        ],
    )
    ids = {code: id_ for code, id_ in await session.execute(select(MEFS.c.code, MEFS.c.id))}
    links = [
        {"b_code": m.code, "next_mef_id": ids[m.next_code]} for m in mefs if m.next_code is not None
    ]
    if links:
        await session.execute(update(MEFS).where(MEFS.c.code == bindparam("b_code")), links)
    await upsert_by_code(
        session,
        SUBJECTS,
        [
            {
                "code": s.code,
                "management_code": s.management_code,
                "short_label": s.short_label,
                "long_label": s.long_label,
            }
            for s in subjects
        ],
    )
    await load_reference_entries(session)
    return len(mefs), len(subjects)


async def load_reference_entries(session: AsyncSession) -> int:
    """Insert the shipped codes of the coded lists that are missing for their year and
    refresh the others' labels and categories; an académie's own codes and years are left
    alone. Returns the number of shipped codes. In the caller's transaction."""
    rows = read_nomenclature_entries()
    existing = {
        (list_name, year, code)
        for list_name, year, code in await session.execute(
            select(ENTRIES.c.list, ENTRIES.c.year, ENTRIES.c.code)
        )
    }
    values = [
        {
            "short_label": r.short_label,
            "long_label": r.long_label,
            "edition_label": r.edition_label,
            "category": r.category,
            "sort_order": r.sort_order,
        }
        for r in rows
    ]
    new = [
        {"list": r.list, "year": r.year, "code": r.code, **v}
        for r, v in zip(rows, values, strict=True)
        if (r.list, r.year, r.code) not in existing
    ]
    old = [
        {"b_list": r.list, "b_year": r.year, "b_code": r.code, **v}
        for r, v in zip(rows, values, strict=True)
        if (r.list, r.year, r.code) in existing
    ]
    if new:
        await session.execute(insert(ENTRIES), new)
    if old:
        await session.execute(
            update(ENTRIES).where(
                and_(
                    ENTRIES.c.list == bindparam("b_list"),
                    ENTRIES.c.year == bindparam("b_year"),
                    ENTRIES.c.code == bindparam("b_code"),
                )
            ),
            old,
        )
    return len(rows)

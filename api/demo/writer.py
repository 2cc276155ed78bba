"""Write a demo build with Core bulk inserts, in batches, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.demo.model import TABLE_ORDER, Build
from db.base import Base

BATCH_SIZE = 5000
# Tables whose ``id`` the demo allocates in Python.
ID_TABLES = (
    "academies",
    "school_years",
    "schools",
    "staff_users",
    "role_grants",
    "divisions",
    "groups",
    "teaching_assignments",
    "addresses",
    "students",
    "guardians",
    "guardian_links",
    "enrollments",
    "time_slots",
    "absence_motives",
    "justifications",
    "letter_templates",
    "absence_events",
)

Progress = Callable[[str, int, int], None]


async def next_ids(session: AsyncSession) -> dict[str, int]:
    """The first free id of each table (the database is empty of schools, maybe not of everything)."""
    result = {}
    for name in ID_TABLES:
        table = Base.metadata.tables[name]
        current = await session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
        result[name] = int(current or 0) + 1
    return result


async def write_rows(session: AsyncSession, build: Build, progress: Progress | None) -> None:
    total = sum(len(build.rows[name]) for name in TABLE_ORDER)
    done = 0
    for name in TABLE_ORDER:
        table = Base.metadata.tables[name]
        rows = build.rows[name]
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            await session.execute(insert(table), batch)
            done += len(batch)
            if progress is not None:
                progress("Écriture en base", done, total)
    await reset_sequences(session)


async def reset_sequences(session: AsyncSession) -> None:
    """On PostgreSQL, move each id sequence past the ids written explicitly."""
    if (await session.connection()).dialect.name != "postgresql":
        return
    for name in ID_TABLES:
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT MAX(id) FROM {name}))"
            )
        )

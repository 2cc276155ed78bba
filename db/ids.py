"""Ids reserved ahead of a mass insert.

The ORM writes rows whose ids it must read back one INSERT per row on SQLite (its RETURNING
gives no order to match rows with): a file of 1,500 students would cost thousands of
statements. Rows given their ids beforehand are written in batches, still through the ORM's
unit of work (audit log, events).
"""

from __future__ import annotations

from sqlalchemy import column, func, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession


async def reserve_ids(session: AsyncSession, table_name: str, count: int) -> list[int]:
    """``count`` fresh ids for ``table`` (an integer ``id`` primary key), in one statement.

    PostgreSQL: taken from the table's sequence, so concurrent writers never get the same.
    SQLite: after the largest id, as SQLite would give them; SQLite has one writer at a time,
    and a transaction that read before another one wrote fails on its write instead of
    reusing an id.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = await session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table_name, "n": count},
        )
        return [int(i) for i in rows]

    largest = await session.scalar(select(func.max(column("id"))).select_from(table(table_name)))
    start = int(largest or 0) + 1
    return list(range(start, start + count))

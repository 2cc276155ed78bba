"""Migration 0014: each school's profile (MEFs, subjects) is copied to every year of its
académie, and going down keeps the current year's. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from databases.migrations import alembic_config, upgrade
from tests.conftest import DatabaseUrls

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
# year id: (start year, state)
YEARS = {10: (2024, "closed"), 11: (2025, "current"), 12: (2026, "in_preparation")}


async def _on_connection(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> dict[str, Any]:
    metadata = MetaData()
    metadata.reflect(connection)
    return dict(metadata.tables)


def _fill(connection: Connection) -> None:
    t = _tables(connection)
    connection.execute(t["academies"].insert(), [{"id": 1, "code": "A01", "name": "Créteil"}])
    connection.execute(
        t["school_years"].insert(),
        [
            {
                "id": year_id,
                "academy_id": 1,
                "start_year": start,
                "state": state,
                "starts_on": date(start, 9, 1),
                "ends_on": date(start + 1, 8, 31),
            }
            for year_id, (start, state) in YEARS.items()
        ],
    )
    connection.execute(
        t["schools"].insert(),
        [
            {
                "id": 1,
                "academy_id": 1,
                "uai": "0750001A",
                "kind": "college",
                "sector": "public",
                "name": "Collège",
                "address_line": "",
                "postal_code": "",
                "city": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )
    mef = {"short_label": "6EME", "long_label": "6e", "duration_years": 1}
    connection.execute(
        t["mefs"].insert(),
        [{"id": 1, "code": "10010012110", **mef}, {"id": 2, "code": "10110001110", **mef}],
    )
    connection.execute(
        t["subjects"].insert(),
        [
            {
                "id": 1,
                "code": "030201",
                "management_code": "AGL1",
                "short_label": "A",
                "long_label": "A",
            }
        ],
    )
    connection.execute(
        t["school_mefs"].insert(),
        [
            {"school_id": 1, "mef_id": 1, "next_mef_id": 2},
            {"school_id": 1, "mef_id": 2, "next_mef_id": None},
        ],
    )
    connection.execute(t["school_subjects"].insert(), [{"school_id": 1, "subject_id": 1}])


def _profiles(connection: Connection) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    t = _tables(connection)
    mefs, subjects = t["school_mefs"], t["school_subjects"]
    return (
        {tuple(row) for row in connection.execute(select(*mefs.c))},
        {tuple(row) for row in connection.execute(select(*subjects.c))},
    )


def _keys(connection: Connection) -> list[str]:
    return _tables(connection)["school_mefs"].primary_key.columns.keys()


async def test_the_profile_goes_to_every_year_and_back(
    unmigrated_database_urls: DatabaseUrls,
) -> None:
    url = unmigrated_database_urls.admin
    await asyncio.to_thread(upgrade, "admin", url, "0013")
    await _on_connection(url, _fill)
    before = await _on_connection(url, _profiles)
    await asyncio.to_thread(upgrade, "admin", url, "0014")
    mefs, subjects = await _on_connection(url, _profiles)
    columns = await _on_connection(url, lambda c: _tables(c)["school_mefs"].columns.keys())
    assert columns == ["school_id", "mef_id", "next_mef_id", "school_year_id"]
    assert mefs == {(1, mef, after, year) for year in YEARS for mef, after in ((1, 2), (2, None))}
    assert subjects == {(1, 1, year) for year in YEARS}
    assert sorted(await _on_connection(url, _keys)) == ["mef_id", "school_id", "school_year_id"]

    await asyncio.to_thread(command.downgrade, alembic_config("admin", url), "0013")
    assert await _on_connection(url, _profiles) == before
    assert sorted(await _on_connection(url, _keys)) == ["mef_id", "school_id"]

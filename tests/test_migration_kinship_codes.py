"""Migration 0012: the kinship codes become SIECLE's (the ASE stored as 37 becomes 51, another
family member stored as 30 becomes 39), and back. Runs on SQLite and on PostgreSQL."""

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
# guardian id: the kinship stored before 0012
BEFORE = {1: "10", 2: "20", 3: "37", 4: "30", 5: "90"}


async def _on_connection(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _fill(connection: Connection) -> None:
    metadata = MetaData()
    metadata.reflect(connection)
    t = metadata.tables
    stamps = {"version": 1, "created_at": NOW, "updated_at": NOW}
    connection.execute(
        t["students"].insert(),
        [
            {
                "id": 1,
                "family_name": "Eleve",
                "first_name": "Alex",
                "sex": "F",
                "birth_date": date(2015, 1, 1),
                "birth_country_code": "100",
                "search_name": "eleve alex",
                **stamps,
            }
        ],
    )
    connection.execute(
        t["guardians"].insert(),
        [
            {"id": gid, "civility": "Mme", "family_name": f"F{gid}", "first_name": "C", **stamps}
            for gid in BEFORE
        ],
    )
    connection.execute(
        t["guardian_links"].insert(),
        [
            {
                "student_id": 1,
                "guardian_id": gid,
                "legal_rank": None,
                "relationship": code,
                "lives_with": True,
                "receives_mail": True,
                "pays_fees": False,
                **stamps,
            }
            for gid, code in BEFORE.items()
        ],
    )


def _kinships(connection: Connection) -> dict[int, str]:
    metadata = MetaData()
    metadata.reflect(connection, only=["guardian_links"])
    links = metadata.tables["guardian_links"]
    return dict(connection.execute(select(links.c.guardian_id, links.c.relationship)).all())


async def test_kinship_codes_become_siecles_and_back(
    unmigrated_database_urls: DatabaseUrls,
) -> None:
    url = unmigrated_database_urls.admin
    await asyncio.to_thread(upgrade, "admin", url, "0011")
    await _on_connection(url, _fill)
    await asyncio.to_thread(upgrade, "admin", url, "0012")
    assert await _on_connection(url, _kinships) == {1: "10", 2: "20", 3: "51", 4: "39", 5: "90"}
    await asyncio.to_thread(command.downgrade, alembic_config("admin", url), "0011")
    assert await _on_connection(url, _kinships) == BEFORE

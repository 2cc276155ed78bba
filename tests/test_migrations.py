"""Models and migrations agree, migrations go down and up again, the audit log is append-only.

Each test runs on SQLite and on PostgreSQL (see ``engine_name`` in conftest).
"""

from __future__ import annotations

import asyncio
import pprint
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, delete, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

import db
import tsdb
from databases.migrations import alembic_config, upgrade
from db.audit import AuditEntry
from db.base import utcnow
from tests.conftest import DatabaseUrls

METADATA: dict[str, MetaData] = {"admin": db.Base.metadata, "teleservices": tsdb.Base.metadata}


def _url(urls: DatabaseUrls, database: str) -> str:
    return urls.admin if database == "admin" else urls.teleservices


async def _on_connection(url: str, fn: Any) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


@pytest.mark.parametrize("database", ["admin", "teleservices"])
async def test_models_and_migrations_agree(database_urls: DatabaseUrls, database: str) -> None:
    metadata = METADATA[database]

    def diff(connection: Connection) -> list[Any]:
        # The same options as db/migrations/env.py and tsdb/migrations/env.py.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": metadata}
        )
        return list(compare_metadata(context, metadata))

    differences = await _on_connection(_url(database_urls, database), diff)
    if differences:
        print(f"{database}: the models differ from the migrated schema:")
        pprint.pprint(differences)
    assert differences == [], "run `alembic revision --autogenerate` or fix the models"


@pytest.mark.parametrize("database", ["admin", "teleservices"])
async def test_upgrade_downgrade_upgrade(
    unmigrated_database_urls: DatabaseUrls, database: str
) -> None:
    url = _url(unmigrated_database_urls, database)
    expected = set(METADATA[database].tables) | {"alembic_version"}

    await asyncio.to_thread(upgrade, database, url)
    assert await _on_connection(url, _tables) == expected

    await asyncio.to_thread(command.downgrade, alembic_config(database, url), "base")
    assert await _on_connection(url, _tables) <= {"alembic_version"}

    await asyncio.to_thread(upgrade, database, url)
    assert await _on_connection(url, _tables) == expected


async def test_audit_log_is_append_only(admin_engine: Any) -> None:
    async with admin_engine.begin() as connection:
        entry_id = (
            await connection.execute(
                insert(AuditEntry)
                .values(
                    at=utcnow(),
                    actor_kind="system",
                    actor_id=None,
                    actor_label="tests",
                    action="update",
                    entity="students",
                    entity_id=1,
                    before={"last_name": "DUPONT"},
                    after={"last_name": "DURAND"},
                )
                .returning(AuditEntry.id)
            )
        ).scalar_one()

    with pytest.raises(DBAPIError, match="append-only"):
        async with admin_engine.begin() as connection:
            await connection.execute(
                update(AuditEntry).where(AuditEntry.id == entry_id).values(actor_label="forged")
            )

    with pytest.raises(DBAPIError, match="append-only"):
        async with admin_engine.begin() as connection:
            await connection.execute(delete(AuditEntry).where(AuditEntry.id == entry_id))

    async with admin_engine.connect() as connection:
        rows = (await connection.execute(select(AuditEntry.actor_label))).scalars().all()
    assert rows == ["tests"]

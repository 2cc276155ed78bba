"""On PostgreSQL the families portal connects to the télé-services database with a role that
reads the replicated tables and writes only the account tables."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from databases.engines import make_engine
from tests.db.database_roles import as_owner, grant

REFUSED = [
    "UPDATE ts_students SET first_name = 'pirate'",
    "INSERT INTO ts_codes (id, kind, school_id, student_id, birth_date, lookup, code_hash) "
    "VALUES (999, 'car', 1, 1, '2015-01-01', 'abcd', 'x')",
    "DELETE FROM ts_absences",
    "UPDATE replication_state SET audit_cursor = 0",
    "SELECT * FROM replication_runs",
    "DROP TABLE ts_marks",
]


async def test_the_families_role_reads_replicated_tables_and_writes_accounts(
    database_urls, engine_name, tmp_path
):
    if engine_name == "sqlite":
        result = await asyncio.to_thread(
            grant, database_urls, tmp_path, "grant-families-role", "familles"
        )
        assert result.exit_code == 1 and "SQLite" in result.output
        return
    role = f"sconet_familles_{secrets.token_hex(4)}"
    await as_owner(
        database_urls.teleservices,
        f'CREATE ROLE "{role}" LOGIN',
        "INSERT INTO ts_students (id, student_id, school_id, family_name, first_name, birth_date) "
        "VALUES (1, 1, 1, 'Martin', 'Lina', '2015-03-14')",
    )
    try:
        result = await asyncio.to_thread(
            grant, database_urls, tmp_path, "grant-families-role", role
        )
        assert result.exit_code == 0, result.output
        url = make_url(database_urls.teleservices).set(username=role, password=None)
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            async with engine.begin() as connection:
                assert await connection.scalar(text("SELECT first_name FROM ts_students")) == "Lina"
                await connection.execute(
                    text(
                        "INSERT INTO family_accounts (login, password_hash, created_at) "
                        "VALUES ('parent', 'x', now())"
                    )
                )
            for statement in REFUSED:
                async with engine.connect() as connection:
                    with pytest.raises(DBAPIError) as refused:
                        await connection.execute(text(statement))
                    message = str(refused.value.orig).lower()
                    assert "permission denied" in message or "must be owner" in message, statement
        finally:
            await engine.dispose()
    finally:
        await as_owner(database_urls.teleservices, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')

"""On PostgreSQL the application connects as a role that may append to the audit log but
never alter it; the embedded SQLite has no roles and says so."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from databases.engines import make_engine, make_sessionmaker
from tests.db.database_roles import as_owner, grant
from tests.world import build_world

REFUSED = [
    "UPDATE audit_entries SET actor_label = 'effacé'",
    "DELETE FROM audit_entries",
    "TRUNCATE audit_entries",
    "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_entries_append_only ON audit_entries",
    "DROP TABLE audit_entries",
]


async def test_the_application_role_cannot_alter_the_audit_log(
    database_urls, engine_name, tmp_path
):
    if engine_name == "sqlite":
        result = await asyncio.to_thread(
            grant, database_urls, tmp_path, "grant-app-role", "sconet_app"
        )
        assert result.exit_code == 1 and "SQLite" in result.output
        return
    role = f"sconet_app_{secrets.token_hex(4)}"
    await as_owner(database_urls.admin, f'CREATE ROLE "{role}" LOGIN')
    try:
        result = await asyncio.to_thread(grant, database_urls, tmp_path, "grant-app-role", role)
        assert result.exit_code == 0, result.output
        app_url = make_url(database_urls.admin).set(username=role, password=None)
        engine = make_engine(app_url.render_as_string(hide_password=False))
        try:
            # The application works: a whole académie is written, every change audited.
            world = await build_world(make_sessionmaker(engine))
            assert world.students
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT count(*) FROM audit_entries")) > 0
            for statement in REFUSED:
                async with engine.connect() as connection:
                    with pytest.raises(DBAPIError) as refused:
                        await connection.execute(text(statement))
                    message = str(refused.value.orig).lower()
                    assert "permission denied" in message or "must be owner" in message, statement
        finally:
            await engine.dispose()
    finally:
        await as_owner(database_urls.admin, f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')


def test_role_names_are_checked():
    from databases.roles import RoleError, grant_statements

    with pytest.raises(RoleError):
        grant_statements('x"; DROP TABLE students; --')

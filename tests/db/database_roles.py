"""Running ``sconet db grant-…-role`` and owner statements, for the role tests."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.cli import main


def grant(urls, tmp_path, command: str, role: str):
    env = {
        "SCONET_DATABASE_URL": urls.admin,
        "SCONET_TS_DATABASE_URL": urls.teleservices,
        "SCONET_SECRET_KEY": "r" * 40,
        "SCONET_VAR_DIR": str(tmp_path),
    }
    return CliRunner().invoke(main, ["db", command, role], env=env)


async def as_owner(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()

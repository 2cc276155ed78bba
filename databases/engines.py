"""Engines and session factories, for the admin database and the télé-services database alike
(here, outside `db/`, so that the families portal can open its database without loading
the admin models)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    # No ping before each use (a round trip per request): a connection the server dropped
    # fails its request once, SQLAlchemy then renews the whole pool; connections older than
    # the recycle age are renewed before use, ahead of idle timeouts of proxies.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# A health check or the start-up check never waits longer for a database than this.
DATABASE_CHECK_SECONDS = 5.0


async def check_database(engine: AsyncEngine, seconds: float = DATABASE_CHECK_SECONDS) -> None:
    """Returns when the database answers ``SELECT 1`` within ``seconds``; else raises."""

    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    await asyncio.wait_for(probe(), timeout=seconds)


async def reachable(*engines: AsyncEngine) -> bool:
    """Whether every one of ``engines`` answers (``check_database``). Why one does not goes to
    the log, by the error's type only: its text may carry the connection's address."""
    for engine in engines:
        try:
            await check_database(engine)
        except Exception as exc:
            logging.getLogger("sconet.health").warning(
                "health check: a database does not answer (%s)", type(exc).__name__
            )
            return False
    return True

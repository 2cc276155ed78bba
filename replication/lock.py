"""One replication at a time across processes, with a lock that dies with its holder.

A lease written in a table outlived a killed run and refused every new one until it expired;
these locks are released by the operating system or the database server the moment the
holding process dies, so the next run starts at once:

- PostgreSQL: a session-level advisory lock on a connection of its own, outside any
  transaction (it belongs to the server session, which ends with the connection);
- SQLite: ``flock`` on a file beside the database (the kernel drops it with the process).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Any constant shared by every process replicating into the same database.
ADVISORY_KEY = 0x5C0E7


class ReplicationBusy(Exception):
    """Another replication holds the lock."""

    def __init__(self) -> None:
        super().__init__("une réplication est déjà en cours")


def lock_path(engine: AsyncEngine) -> str | None:
    """The lock file of a SQLite database file (none for an in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return f"{database}.replication-lock"


@contextlib.asynccontextmanager
async def replication_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold the replication lock of the télé-services database of ``engine``, or raise
    ``ReplicationBusy`` at once if another process (or task) holds it."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine):
            yield
        return
    path = lock_path(engine)
    if path is None:
        yield
        return
    async with _file_lock(path):
        yield


@contextlib.asynccontextmanager
async def _advisory_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        taken = await autocommit.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        )
        if not taken:
            raise ReplicationBusy()
        try:
            yield
        finally:
            # The connection goes back to the pool: the lock must not go with it.
            await autocommit.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})


@contextlib.asynccontextmanager
async def _file_lock(path: str) -> AsyncIterator[None]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            # Each open() is its own lock owner: two runs in one process exclude each other too.
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReplicationBusy() from None
        yield
    finally:
        os.close(descriptor)

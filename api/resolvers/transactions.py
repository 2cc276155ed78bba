"""One transaction per command, with the audit actor set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.principal import Principal
from db.audit import set_actor


@asynccontextmanager
async def writing(
    sessionmaker: async_sessionmaker[AsyncSession], principal: Principal
) -> AsyncIterator[AsyncSession]:
    """Commits when the block ends normally, rolls everything back on any exception."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal.audit_actor())
        yield session

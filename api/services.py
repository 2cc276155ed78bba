"""What every request handler needs, built once per process by the app factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from api.settings import Settings
from db.audit import AuditActor, set_actor


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @contextlib.asynccontextmanager
    async def writing(self, actor: AuditActor) -> AsyncIterator[AsyncSession]:
        """One transaction whose changes the audit trail records under ``actor``; rolled back
        on any exception."""
        async with self.sessionmaker() as session, session.begin():
            set_actor(session.sync_session, actor)
            yield session


def services_of(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services
    return services

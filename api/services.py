"""What every request handler needs, built once per process by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from api.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


def services_of(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services
    return services

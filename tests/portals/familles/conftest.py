"""The families portal's tests: the test world with absence references, and an HTTP client
on the families app (https, so that Secure cookies come back on PostgreSQL settings)."""

from __future__ import annotations

import httpx
import pytest

from db.reference import load_absence_references
from portals.familles.app import create_familles_app
from tests.world import build_world


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world


@pytest.fixture
async def families(settings):
    app = create_familles_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://familles") as client:
        yield client
    await app.state.ts_engine.dispose()

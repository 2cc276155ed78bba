"""The families portal's tests: the test world with absence references, and an HTTP client
on the families app (https, so that Secure cookies come back on PostgreSQL settings)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from core.clock import SetClock, use_clock
from db.reference import load_absence_references
from portals.familles.app import create_familles_app
from tests.conftest import TEST_START
from tests.world import build_world


@pytest.fixture
def stopped_clock(clock) -> Iterator[SetClock]:
    """A clock that moves only by ``advance``: a throttling delay lasts as long as the test
    says, however slow the machine."""
    stopped = SetClock(TEST_START, frozen=True)
    previous = use_clock(stopped)
    yield stopped
    use_clock(previous)


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

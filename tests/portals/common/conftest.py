"""The shell's tests reach both portals: the staff app (``tests/portals/conftest.py``) and
an HTTP client on the families app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from portals.familles.app import create_familles_app


@pytest.fixture
async def families(settings) -> AsyncIterator[httpx.AsyncClient]:
    # https, so that Secure cookies come back on PostgreSQL settings.
    app = create_familles_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://familles") as client:
        yield client
    await app.state.ts_engine.dispose()

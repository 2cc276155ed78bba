"""An https client of the app (the OAuth issuer is https) for the OneRoster tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_PUBLIC_URL

BASE = "/ims/oneroster/rostering/v1p2"


class RosterClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def get(self, token: str | None, path: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.get(f"{BASE}{path}", params=params, headers=headers)


@pytest.fixture
async def rest(app, world) -> AsyncIterator[RosterClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url=TEST_PUBLIC_URL) as http:
        yield RosterClient(http)

"""Fixtures for the API tests: the test world, the app, and a GraphQL client per user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from api.app import create_app
from tests.world import PASSWORD, World, build_world


class GraphQLClient:
    """Speaks to the app over ASGI as a given staff user, through the real login endpoint."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.tokens: dict[str, str] = {}

    async def token(self, login: str) -> str:
        if login not in self.tokens:
            response = await self.http.post(
                "/api/session", json={"login": login, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.tokens[login] = response.json()["token"]
        return self.tokens[login]

    async def raw(
        self, login: str | None, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token(login)}"} if login else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self, login: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        response = await self.raw(login, query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def world(sessionmaker) -> World:
    return await build_world(sessionmaker)


@pytest.fixture
async def app(settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    yield application
    await application.state.services.engine.dispose()


@pytest.fixture
async def gql(app, world) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.count = 0
        self.statements: list[str] = []

    def _count(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.fixture
def count_statements(app):
    return lambda: StatementCounter(app.state.services.engine)

"""What the OneRoster tests share: a client principal as a token would give it, the key."""

from __future__ import annotations

import json
from typing import Any

from api.auth.client_scopes import Surface, scope_permissions
from api.auth.principal import Principal
from api.resolvers.oneroster.records import roster_records
from api.resolvers.oneroster.sourced_ids import SourcedIdKey
from tests.world import World

KEY = SourcedIdKey(b"k" * 32)


def client(world: World, scopes: str, schools: tuple[str, ...] = ("A",)) -> Principal:
    """The principal of an API client of these schools holding these scopes (as
    ``api.auth.access_tokens.client_principal`` builds it)."""
    granted = frozenset(scopes.split())
    ids = {"A": world.school_a, "B": world.school_b}
    return Principal(
        kind="client",
        id=1,
        label="ENT",
        academy_id=world.academy_id,
        grants=frozenset(),
        school_permissions={ids[s]: scope_permissions(granted, Surface.ONEROSTER) for s in schools},
        scopes=granted,
    )


async def records(sessionmaker, principal, collection, **kwargs: Any) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        return await roster_records(session, principal, collection, key=KEY, **kwargs)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["sourcedId"]: item for item in items}


def text_of(items: Any) -> str:
    return json.dumps(items, ensure_ascii=False)


async def client_token(
    http: Any, world: World, sessionmaker: Any, scopes: str, schools=("A",), rate: int = 600
) -> str:
    """Registers a client of these schools with these scopes and gets its access token from
    the token endpoint (client credentials)."""
    from api.resolvers.clients import ClientSettings, register_client
    from tests.world import uai

    admin = await world.principal(sessionmaker, "admin")
    uais = {"A": uai("0930001"), "B": uai("0940002")}
    async with sessionmaker() as session, session.begin():
        registered = await register_client(
            session,
            admin,
            ClientSettings(
                name=f"ENT {scopes}"[:100],
                school_uais=[uais[s] for s in schools],
                scopes=scopes.split(),
                requests_per_minute=rate,
            ),
        )
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "scope": scopes,
            "client_id": registered.client.client_id,
            "client_secret": registered.secret,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token

"""Third-party clients over OAuth 2.0: registration, tokens, and what a token reaches.

Every attack on tokens goes through the running app: forged signatures,
another key, ``alg: none``, HMAC with the public key, expired tokens, wrong
issuer or audience, revoked tokens and clients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select

from api.app import create_app
from api.auth.access_tokens import audience
from api.auth.signing_keys import current_signing_key
from api.resolvers.clients import ClientSettings, register_client, revoke_client
from api.settings import load_settings
from core import clock
from db.audit import AuditEntry
from db.clients import ApiClient
from tests.api.conftest import GraphQLClient
from tests.conftest import TEST_PUBLIC_URL
from tests.world import uai

ISSUER = TEST_PUBLIC_URL
STUDENT = "query($id: Int!) { student(id: $id) { id familyName firstName } }"


async def _register(world, sessionmaker, scopes, schools=("A",), rate=600):
    admin = await world.principal(sessionmaker, "admin")
    uais = {"A": uai("0930001"), "B": uai("0940002")}
    async with sessionmaker() as session, session.begin():
        registered = await register_client(
            session,
            admin,
            ClientSettings(
                name="ENT du 93",
                school_uais=[uais[s] for s in schools],
                scopes=scopes,
                requests_per_minute=rate,
            ),
        )
    return registered.client, registered.secret


async def _token(http, client, secret, scope=None, basic=True):
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    if basic:
        credentials = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
        return await http.post(
            "/oauth/token", data=data, headers={"Authorization": f"Basic {credentials}"}
        )
    return await http.post(
        "/oauth/token", data=data | {"client_id": client.client_id, "client_secret": secret}
    )


async def _ask(http, token, query=STUDENT, variables=None):
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
async def gql(app, world):
    """An https client: the issuer is the request's origin, and RFC 8414 wants https."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        yield GraphQLClient(http)


@pytest.fixture
async def registered(world, sessionmaker):
    return await _register(world, sessionmaker, ["students:read", "structures:read"])


async def test_metadata_and_jwks_are_published(gql):
    metadata = (await gql.http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert "students:read" in metadata["scopes_supported"]
    jwks = (await gql.http.get(metadata["jwks_uri"].removeprefix(ISSUER))).json()
    # No key before the first token; then one public EC key, without its private part.
    assert jwks == {"keys": []}


async def test_the_issuer_never_comes_from_the_host_header(gql):
    for host in ("evil.example", "sconet.other.example:8443"):
        response = await gql.http.get(
            "/.well-known/oauth-authorization-server", headers={"Host": host}
        )
        assert response.status_code == 200
        assert response.json()["issuer"] == ISSUER
        assert response.json()["token_endpoint"] == f"{ISSUER}/oauth/token"


async def test_the_embedded_default_issuer_is_its_listening_address(tmp_path):
    """Without SCONET_PUBLIC_URL (embedded default), a foreign Host header changes nothing."""
    app = create_app(
        load_settings({"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": "k" * 40})
    )
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as http:
            response = await http.get("/.well-known/oauth-authorization-server")
        assert response.status_code == 200
        assert response.json()["issuer"] == "http://127.0.0.1:8000"
    finally:
        await app.state.services.engine.dispose()


async def test_a_client_reads_exactly_its_schools(gql, world, registered):
    client, secret = registered
    for basic in (True, False):
        response = await _token(gql.http, client, secret, basic=basic)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 900
        assert set(body["scope"].split()) == {"students:read", "structures:read"}
        assert response.headers["cache-control"] == "no-store"
    token = body["access_token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES256" and header["kid"]
    jwks = KeySet.import_key_set((await gql.http.get("/oauth/jwks.json")).json())
    claims = jwt.decode(token, jwks, algorithms=["ES256"]).claims
    assert claims["sub"] == client.client_id and claims["aud"] == audience(ISSUER)

    mine = await _ask(gql.http, token, variables={"id": world.students["lina"]})
    assert mine.json()["data"]["student"]["firstName"] == "Lina"
    other = await _ask(gql.http, token, variables={"id": world.students["jade"]})
    assert other.json()["data"]["student"] is None
    schools = await _ask(gql.http, token, "{ schools { uai } }")
    assert schools.json()["data"]["schools"] == [{"uai": uai("0930001")}]


async def test_a_client_cannot_ask_beyond_its_scopes(gql, world, registered, sessionmaker):
    client, secret = registered
    beyond = await _token(gql.http, client, secret, scope="students:read absences:write")
    assert beyond.status_code == 400 and beyond.json()["error"] == "invalid_scope"
    unknown = await _token(gql.http, client, secret, scope="admin")
    assert unknown.json()["error"] == "invalid_scope"
    narrow = await _token(gql.http, client, secret, scope="structures:read")
    token = narrow.json()["access_token"]
    refused = await _ask(gql.http, token, variables={"id": world.students["lina"]})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Its mutations are refused too: no scope writes students.
    mutation = await _ask(
        gql.http,
        token,
        'mutation($id: Int!) { updateStudent(id: $id, input: {firstName: "X"}) { errors { code } } }',
        {"id": world.students["lina"]},
    )
    assert "errors" in mutation.json()


async def test_the_oneroster_scopes_open_oneroster_only(gql, world, sessionmaker):
    """A roster-core client may not read guardians, nor a demographics client every student,
    through GraphQL: the specification's scopes open its binding, not the API."""
    client, secret = await _register(
        world, sessionmaker, ["roster-core.readonly", "roster-demographics.readonly"]
    )
    token = (await _token(gql.http, client, secret)).json()["access_token"]
    refused = await _ask(gql.http, token, variables={"id": world.students["lina"]})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    guardians = await _ask(
        gql.http,
        token,
        "query($id: Int!) { student(id: $id) { guardians { guardian { familyName } } } }",
        {"id": world.students["lina"]},
    )
    assert guardians.json()["data"] is None or guardians.json()["data"]["student"] is None
    roster = await gql.http.get(
        "/ims/oneroster/rostering/v1p2/students", headers={"Authorization": f"Bearer {token}"}
    )
    assert roster.status_code == 200
    assert "Lina" in {user["givenName"] for user in roster.json()["users"]}


async def test_bad_client_credentials(gql, registered):
    client, secret = registered
    wrong = await _token(gql.http, client, secret + "x")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    post = await _token(gql.http, client, "faux", basic=False)
    assert post.status_code == 400 and post.json()["error"] == "invalid_client"
    grant = await gql.http.post(
        "/oauth/token",
        data={"grant_type": "password", "client_id": client.client_id, "client_secret": secret},
    )
    assert grant.json()["error"] == "unsupported_grant_type"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hmac_signed(claims, our_key):
    """The classic confusion: HS256 keyed with the (public) verification key."""
    header = _b64(json.dumps({"alg": "HS256", "kid": our_key.kid}).encode())
    body = _b64(json.dumps(claims).encode())
    for secret in (our_key.as_pem(private=False), json.dumps(our_key.as_dict()).encode()):
        signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64(signature)}"
    raise AssertionError


def _forge(claims, key, alg="ES256", kid=None):
    return jwt.encode({"alg": alg, "kid": kid or getattr(key, "kid", None) or "x"}, claims, key)


async def test_forged_and_tampered_tokens_are_refused(gql, registered, sessionmaker, settings):
    client, secret = registered
    good = (await _token(gql.http, client, secret)).json()["access_token"]
    claims = jwt.decode(
        good, KeySet.import_key_set((await gql.http.get("/oauth/jwks.json")).json())
    ).claims
    now = int(clock.now().timestamp())
    async with sessionmaker() as session, session.begin():
        our_key = await current_signing_key(session, settings.secret_key)
    stranger = ECKey.generate_key("P-256", parameters={"kid": our_key.kid})
    header, payload, signature = good.split(".")
    elevated = dict(claims, scope="students:read students:identity guardians:contacts")
    unsigned_header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"x"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(elevated).encode()).rstrip(b"=").decode()
    attacks = {
        "another key with our kid": _forge(claims, stranger),
        "alg none": f"{unsigned_header}.{body}.",
        "HS256 with the public key": _hmac_signed(claims, our_key),
        "payload swapped": f"{header}.{body}.{signature}",
        "signature cut": f"{header}.{payload}.",
        "expired": _forge(dict(claims, exp=now - 120, iat=now - 1200, nbf=now - 1200), our_key),
        "wrong issuer": _forge(dict(claims, iss="https://ailleurs.example"), our_key),
        "wrong audience": _forge(dict(claims, aud="https://ailleurs.example/graphql"), our_key),
        "no expiry": _forge({k: v for k, v in claims.items() if k != "exp"}, our_key),
        "garbage": "a.b.c",
    }
    for name, token in attacks.items():
        response = await _ask(gql.http, token, "{ schools { uai } }")
        assert response.status_code == 401, name
        assert 'error="invalid_token"' in response.headers["www-authenticate"], name
    assert (await _ask(gql.http, good, "{ schools { uai } }")).status_code == 200


async def test_revoking_a_token_or_the_client(gql, world, registered, sessionmaker):
    client, secret = registered
    first = (await _token(gql.http, client, secret)).json()["access_token"]
    second = (await _token(gql.http, client, secret)).json()["access_token"]
    credentials = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    revoked = await gql.http.post(
        "/oauth/revoke", data={"token": first}, headers={"Authorization": f"Basic {credentials}"}
    )
    assert revoked.status_code == 200
    assert (await _ask(gql.http, first, "{ schools { uai } }")).status_code == 401
    assert (await _ask(gql.http, second, "{ schools { uai } }")).status_code == 200
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        await revoke_client(session, admin, client.id)
    assert (await _ask(gql.http, second, "{ schools { uai } }")).status_code == 401
    assert (await _token(gql.http, client, secret)).json()["error"] == "invalid_client"


async def test_the_rate_of_a_client_is_limited(gql, world, sessionmaker):
    # Frozen at the start of a minute: every request below falls in one window.
    frozen = clock.SetClock(datetime(2026, 12, 2, 9, 30, tzinfo=UTC), frozen=True)
    clock.use_clock(frozen)
    client, secret = await _register(world, sessionmaker, ["structures:read"], rate=3)
    token = (await _token(gql.http, client, secret)).json()["access_token"]
    responses = [await _ask(gql.http, token, "{ schools { uai } }") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert int(responses[-1].headers["retry-after"]) == 60
    frozen.advance(timedelta(seconds=45))
    limited = await _ask(gql.http, token, "{ schools { uai } }")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "15")
    frozen.advance(timedelta(seconds=15))
    assert (await _ask(gql.http, token, "{ schools { uai } }")).status_code == 200


async def test_registration_is_validated_and_audited(world, sessionmaker):
    from core.errors import ValidationFailed

    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        with pytest.raises(ValidationFailed) as refused:
            await register_client(
                session,
                admin,
                ClientSettings(name="", school_uais=["0000000A"], scopes=["tout"]),
            )
    assert {e.field for e in refused.value.errors} == {"name", "schools", "scopes"}
    client, _secret = await _register(world, sessionmaker, ["students:read"])
    async with sessionmaker() as session:
        stored = await session.get(ApiClient, client.id)
        assert stored is not None and len(stored.secret_hash) == 64
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity == "api_clients"))
        ).all()
        assert entries and entries[0].after["secret_hash"] == "[masqué]"
    principal_a = await world.principal(sessionmaker, "principal_a")
    from api.auth.principal import PermissionDenied

    async with sessionmaker() as session, session.begin():
        with pytest.raises(PermissionDenied):
            await revoke_client(session, principal_a, client.id)


async def test_identity_and_contacts_need_their_scopes(gql, world, sessionmaker):
    query = (
        "query($id: Int!) { student(id: $id) { familyName ine birthCity "
        "guardians { guardian { phoneMobile } } } }"
    )
    lina = {"id": world.students["lina"]}
    seen = {}
    for scopes in (["students:read"], ["students:read", "students:identity", "guardians:contacts"]):
        client, secret = await _register(world, sessionmaker, scopes)
        token = (await _token(gql.http, client, secret)).json()["access_token"]
        seen[len(scopes)] = (await _ask(gql.http, token, query, lina)).json()["data"]["student"]
    assert seen[1]["familyName"] == seen[3]["familyName"]
    assert seen[1]["ine"] is None and seen[1]["birthCity"] is None
    assert seen[1]["guardians"][0]["guardian"]["phoneMobile"] is None
    assert seen[3]["ine"] and seen[3]["guardians"][0]["guardian"]["phoneMobile"]


async def test_wrong_secrets_lock_the_address_out_not_the_real_client(app, gql, registered):
    """Production numbers, pinned by behaviour on a frozen clock: 3 free failures, a delay of
    one second at the 4th that doubles with each failure, and a quarter of an hour's lock at
    the 10th."""
    frozen = clock.SetClock(datetime(2026, 12, 2, 9, 30, tzinfo=UTC), frozen=True)
    clock.use_clock(frozen)
    client, secret = registered
    waits = []
    for attempt in range(1, 11):
        wrong = await _token(gql.http, client, "faux-secret")
        assert wrong.status_code == 401, attempt
        waiting = await _token(gql.http, client, secret)
        waits.append(waiting.headers.get("retry-after") if waiting.status_code == 429 else None)
        if attempt < 10:
            frozen.advance(timedelta(seconds=60))
    assert waits == [None, None, None, "1", "2", "4", "8", "16", "32", "900"]
    frozen.advance(timedelta(minutes=14))
    locked = await _token(gql.http, client, secret)
    assert locked.status_code == 429 and locked.json()["error"] == "slow_down"
    assert locked.headers["retry-after"] == "60"
    # The real client, from its own address, is not concerned.
    transport = httpx.ASGITransport(app=app, client=("203.0.113.80", 4321))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as elsewhere:
        granted = await _token(elsewhere, client, secret)
    assert granted.status_code == 200 and granted.json()["access_token"]
    frozen.advance(timedelta(minutes=1))
    assert (await _token(gql.http, client, secret)).status_code == 200

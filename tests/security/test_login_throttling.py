"""Password guessing against the running app: counted per account and per address in the
database, so that every process of a deployment refuses the same guesser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from api.app import create_app
from api.auth import throttling
from api.auth.identities import login_keys
from api.auth.throttling import GuessPolicy, record_failure
from core import clock
from db.throttles import FailureCounter
from tests.portals.conftest import Portal, make_client
from tests.world import PASSWORD

STRICT = GuessPolicy(
    free_failures=4,
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(minutes=5),
    lock_after=8,
    lock_for=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)
ADDRESS = "198.51.100.7"  # make_client's


@pytest.fixture
def strict_policies(monkeypatch):
    """Delays long enough that no test depends on the machine's speed."""
    monkeypatch.setattr(throttling, "ACCOUNT_POLICY", STRICT)
    monkeypatch.setattr(throttling, "ADDRESS_POLICY", STRICT)


async def test_failures_are_counted_per_account_and_address_even_for_unknown_logins(
    portal, sessionmaker
):
    for login in ("principal_a", "principal_a", "personne.inconnue"):
        response = await portal.login(login, "mauvais")
        assert response.status_code == 200
        assert "Identifiant ou mot de passe incorrect" in response.text
    async with sessionmaker() as session:
        counters = dict(
            (await session.execute(select(FailureCounter.key_hash, FailureCounter.failures))).all()
        )
    account = dict(login_keys("principal_a", ADDRESS))
    by_kind = {key.kind: counters.get(key.hash) for key in account}
    assert by_kind == {"login": 2, "address": 3}
    # A success clears the account's counter, not the address's.
    assert (await portal.login("principal_a")).status_code == 303
    async with sessionmaker() as session:
        left = set((await session.scalars(select(FailureCounter.key_hash))).all())
    assert {key.hash for key in account if key.kind == "login"}.isdisjoint(left)
    assert any(key.hash in left for key in account if key.kind == "address")


async def test_past_the_free_failures_even_the_right_password_must_wait(portal, strict_policies):
    for _ in range(4):
        assert (await portal.login("cpe_a", "mauvais")).status_code == 200
    refused = await portal.login("cpe_a", PASSWORD)
    assert refused.status_code == 429
    assert "Trop de tentatives infructueuses : réessayez dans 60 secondes." in refused.text
    api = await portal.http.post("/api/session", json={"login": "cpe_a", "password": PASSWORD})
    assert api.status_code == 429
    assert api.json()["error"] == "too_many_attempts"
    assert 50 <= int(api.headers["retry-after"]) <= 60


async def test_a_guesser_is_locked_out_for_a_quarter_of_an_hour(portal, sessionmaker):
    async with sessionmaker() as session, session.begin():
        for _ in range(throttling.ACCOUNT_POLICY.lock_after):
            await record_failure(session, login_keys("registrar_a", None))
    refused = await portal.login("registrar_a", PASSWORD)
    assert refused.status_code == 429
    assert "réessayez dans 15 minutes" in refused.text
    # Another account from the same address is not concerned.
    assert (await portal.login("cpe_a")).status_code == 303


async def test_one_address_trying_many_accounts_is_stopped(app, portal, strict_policies):
    for login in ("a1", "a2", "a3", "a4"):
        await portal.login(login, "mauvais")
    assert (await portal.login("principal_a")).status_code == 429
    # The same account from elsewhere still logs in.
    transport = httpx.ASGITransport(app=app, client=("203.0.113.50", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as elsewhere:
        other = Portal(elsewhere, portal.world)
        assert (await other.login("principal_a")).status_code == 303


async def test_two_processes_count_as_one(settings, world, strict_policies):
    first, second = create_app(settings), create_app(settings)
    try:
        async with make_client(first) as one, make_client(second) as two:
            for http in (one, two, one, two):
                response = await http.post(
                    "/api/session", json={"login": "bursar_a", "password": "mauvais"}
                )
                assert response.status_code == 401
            for http in (one, two):
                response = await http.post(
                    "/api/session", json={"login": "bursar_a", "password": PASSWORD}
                )
                assert response.status_code == 429
    finally:
        for app in (first, second):
            await app.state.services.engine.dispose()


@pytest.fixture
def frozen_clock():
    frozen = clock.SetClock(datetime(2026, 12, 2, 9, 30, tzinfo=UTC), frozen=True)
    previous = clock.use_clock(frozen)
    yield frozen
    clock.use_clock(previous)


async def test_an_account_is_locked_at_its_tenth_failure_not_before(portal, frozen_clock):
    """The production numbers, by behaviour: the first delay is one second (at the 4th
    failure), nine failures leave the door open once the delay has passed, the tenth locks
    the account for a quarter of an hour."""
    for attempt in range(1, 10):
        assert (await portal.login("cpe_a", "mauvais")).status_code == 200, attempt
        if attempt == 4:
            waiting = await portal.login("cpe_a", "mauvais")
            assert "réessayez dans 1 seconde." in waiting.text
        frozen_clock.advance(timedelta(minutes=1))
    for _ in range(10):
        assert (await portal.login("registrar_a", "mauvais")).status_code == 200
        frozen_clock.advance(timedelta(seconds=59))
    locked = await portal.login("registrar_a")
    assert (await portal.login("cpe_a")).status_code == 303
    assert locked.status_code == 429
    assert "réessayez dans 15 minutes" in locked.text


async def test_an_expired_address_block_does_not_cancel_an_account_lock(
    portal, sessionmaker, frozen_clock
):
    now = clock.now()
    async with sessionmaker() as session, session.begin():
        for _ in range(throttling.ACCOUNT_POLICY.lock_after):
            await record_failure(session, login_keys("registrar_a", None), now)
        for _ in range(throttling.ADDRESS_POLICY.free_failures):
            await record_failure(
                session, [(login_keys("x", ADDRESS)[1])], now - timedelta(minutes=10)
            )
    refused = await portal.login("registrar_a", PASSWORD)
    assert refused.status_code == 429
    assert "réessayez dans 15 minutes" in refused.text

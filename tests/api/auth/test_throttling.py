"""Guess and rate counters in the database: atomic, growing, shared by every session."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.auth.throttling import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    GuessPolicy,
    Key,
    RateLimited,
    Throttled,
    consume_request,
    ensure_not_blocked,
    record_failure,
    record_success,
)
from db.throttles import FailureCounter, RequestWindow

POLICY = GuessPolicy(
    free_failures=2,
    first_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=8),
    lock_after=6,
    lock_for=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_the_delay_doubles_then_the_key_is_locked():
    delays = [POLICY.blocked_for(n) for n in range(1, 8)]
    assert delays == [
        None,
        timedelta(seconds=1),
        timedelta(seconds=2),
        timedelta(seconds=4),
        timedelta(seconds=8),
        timedelta(minutes=15),
        timedelta(minutes=15),
    ]


def test_the_production_policies_keep_their_numbers():
    """An account: 3 free failures, one second at the 4th, locked for 15 minutes at the 10th;
    an address (a whole school's staff): 19 free, one second at the 20th, locked at the 100th."""
    account = [ACCOUNT_POLICY.blocked_for(n) for n in (3, 4, 5, 9, 10)]
    seconds = [None, timedelta(seconds=1), timedelta(seconds=2)]
    assert account == [*seconds, timedelta(seconds=32), timedelta(minutes=15)]
    address = [ADDRESS_POLICY.blocked_for(n) for n in (19, 20, 21, 99, 100)]
    assert address == [*seconds, timedelta(seconds=30), timedelta(minutes=15)]


async def test_failures_block_until_the_delay_has_passed(sessionmaker):
    key = Key("login", "jdupont")
    async with sessionmaker() as session, session.begin():
        await record_failure(session, [(key, POLICY)], T0)
        await ensure_not_blocked(session, [(key, POLICY)], T0)
        await record_failure(session, [(key, POLICY)], T0)
    async with sessionmaker() as session:
        with pytest.raises(Throttled) as throttled:
            await ensure_not_blocked(session, [(key, POLICY)], T0)
        assert throttled.value.seconds == 1
        assert "réessayez dans 1 seconde" in throttled.value.message_fr
        await ensure_not_blocked(session, [(key, POLICY)], T0 + timedelta(seconds=1))
        stored = await session.scalar(select(FailureCounter.key_hash))
        assert stored == key.hash and "jdupont" not in stored


async def test_a_success_clears_the_counter_and_a_quiet_hour_forgets_it(sessionmaker):
    key = Key("login", "jdupont")
    async with sessionmaker() as session, session.begin():
        for _ in range(3):
            await record_failure(session, [(key, POLICY)], T0)
        await record_success(session, [key])
        assert await session.scalar(select(func.count()).select_from(FailureCounter)) == 0
        for _ in range(3):
            await record_failure(session, [(key, POLICY)], T0)
        await record_failure(session, [(key, POLICY)], T0 + timedelta(hours=2))
        failures = await session.scalar(select(FailureCounter.failures))
        assert failures == 1


async def test_the_longest_wait_of_several_keys_wins(sessionmaker):
    """An address block that has run out never cancels the account's live lock."""
    account, address = Key("login", "jdupont"), Key("address", "203.0.113.9")
    async with sessionmaker() as session, session.begin():
        for _ in range(POLICY.lock_after):
            await record_failure(session, [(account, POLICY)], T0)
        for _ in range(POLICY.free_failures):
            await record_failure(session, [(address, POLICY)], T0 - timedelta(minutes=10))
    async with sessionmaker() as session:
        for keys in ([address, account], [account, address]):
            with pytest.raises(Throttled) as throttled:
                await ensure_not_blocked(session, [(k, POLICY) for k in keys], T0)
            assert throttled.value.retry_after == timedelta(minutes=15)


async def test_concurrent_failures_are_all_counted(sessionmaker, engine_name):
    key = Key("address", "203.0.113.9")

    async def fail() -> None:
        async with sessionmaker() as session, session.begin():
            await record_failure(session, [(key, POLICY)], T0)

    await asyncio.gather(*(fail() for _ in range(12)))
    async with sessionmaker() as session:
        assert await session.scalar(select(FailureCounter.failures)) == 12
        with pytest.raises(Throttled) as throttled:
            await ensure_not_blocked(session, [(key, POLICY)], T0)
        assert throttled.value.retry_after == timedelta(minutes=15)


async def test_requests_past_the_rate_are_refused_until_the_next_minute(sessionmaker):
    key = Key("client", "ent-42")
    async with sessionmaker() as session, session.begin():
        assert await consume_request(session, key, 3, T0) == 2
        await consume_request(session, key, 3, T0 + timedelta(seconds=10))
        await consume_request(session, key, 3, T0 + timedelta(seconds=20))
        with pytest.raises(RateLimited) as limited:
            await consume_request(session, key, 3, T0 + timedelta(seconds=45))
        assert limited.value.retry_after_seconds == 15
        assert await consume_request(session, key, 3, T0 + timedelta(seconds=61)) == 2
        windows = await session.scalar(select(func.count()).select_from(RequestWindow))
        assert windows == 1

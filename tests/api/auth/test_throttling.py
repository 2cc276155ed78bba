"""Guess and rate counters in the database: atomic, growing, shared by every session."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from api.auth.throttling import (
    ACCOUNT_POLICY,
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
    assert ACCOUNT_POLICY.blocked_for(ACCOUNT_POLICY.lock_after) == ACCOUNT_POLICY.lock_for


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

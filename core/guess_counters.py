"""Counting failed guesses, shared by every process through a database table: the first few
failures are free, then every attempt must wait a delay that doubles with each failure, and
past a threshold the key is locked for a while. A success clears the key's counter; a quiet
period forgets it. Each counter moves by one atomic ``INSERT ... ON CONFLICT DO UPDATE``, so
concurrent attempts are all counted. A key names what is counted (``Key("login",
"jdupont")``); only its SHA-256 reaches the database.

Here, apart from ``api.auth``, because both portals use it, each on its own database: the
staff side with ``db.throttles.FailureCounter``, the families portal with
``tsdb.models.FamilyFailureCounter`` (tables of the same columns).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock


@dataclass(frozen=True)
class Key:
    kind: str
    value: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.kind}:{self.value}".encode()).hexdigest()


@dataclass(frozen=True)
class GuessPolicy:
    """How many failures of one key are tolerated, and what follows."""

    free_failures: int
    first_delay: timedelta
    max_delay: timedelta
    lock_after: int
    lock_for: timedelta
    # Failures older than this are forgotten.
    forget_after: timedelta

    def blocked_for(self, failures: int) -> timedelta | None:
        if failures >= self.lock_after:
            return self.lock_for
        if failures < self.free_failures:
            return None
        # Doubled step by step up to the maximum: 2 ** failures itself would overflow a
        # timedelta long before an address reaches its lock.
        delay, doublings = self.first_delay, failures - self.free_failures
        while doublings > 0 and delay < self.max_delay:
            delay, doublings = delay * 2, doublings - 1
        return min(delay, self.max_delay)


# One account: a person mistyping gets 4 free tries, a guesser is locked after 10.
ACCOUNT_POLICY = GuessPolicy(
    free_failures=4,
    first_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=60),
    lock_after=10,
    lock_for=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)
# One address: a school's whole staff may sit behind it, so more room before locking.
ADDRESS_POLICY = GuessPolicy(
    free_failures=20,
    first_delay=timedelta(seconds=1),
    max_delay=timedelta(seconds=30),
    lock_after=100,
    lock_for=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)


class Throttled(Exception):
    """Attempts are refused until ``retry_after`` has passed; nothing was checked."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"throttled for {retry_after}")
        self.retry_after = retry_after

    @property
    def seconds(self) -> int:
        return max(1, int(self.retry_after.total_seconds() + 0.999))

    @property
    def message_fr(self) -> str:
        seconds = self.seconds
        if seconds >= 120:
            wait = f"{(seconds + 59) // 60} minutes"
        else:
            wait = f"{seconds} seconde{'s' if seconds > 1 else ''}"
        return f"Trop de tentatives infructueuses : réessayez dans {wait}."


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT (both engines spell it alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class GuessCounters:
    """The functions over one counter table (a model with ``key_hash``, ``failures``,
    ``first_failure_at``, ``last_failure_at`` and ``blocked_until``)."""

    model: Any

    async def ensure_not_blocked(
        self,
        session: AsyncSession,
        keys: list[tuple[Key, GuessPolicy]],
        now: datetime | None = None,
    ) -> None:
        await ensure_not_blocked(session, keys, now, self.model)

    async def record_failure(
        self,
        session: AsyncSession,
        keys: list[tuple[Key, GuessPolicy]],
        now: datetime | None = None,
    ) -> None:
        await record_failure(session, keys, now, self.model)

    async def record_success(self, session: AsyncSession, keys: list[Key]) -> None:
        await record_success(session, keys, self.model)


async def ensure_not_blocked(
    session: AsyncSession,
    keys: list[tuple[Key, GuessPolicy]],
    now: datetime | None = None,
    counter: Any = None,
) -> None:
    """Raise ``Throttled`` if any key must still wait; call before checking the guess."""
    now = now or clock.now()
    rows = await session.execute(
        select(counter.blocked_until).where(
            counter.key_hash.in_([key.hash for key, _policy in keys]),
            counter.blocked_until.is_not(None),
        )
    )
    waits = [_aware(until) - now for (until,) in rows if until is not None]
    longest = max(waits, default=timedelta(0))
    if longest > timedelta(0):
        raise Throttled(longest)


async def record_failure(
    session: AsyncSession,
    keys: list[tuple[Key, GuessPolicy]],
    now: datetime | None = None,
    counter: Any = None,
) -> None:
    """Count a failed guess against every key (atomically) and block those past their policy."""
    now = now or clock.now()
    insert = dialect_insert(session)
    for key, policy in keys:
        statement = insert(counter).values(
            key_hash=key.hash, failures=1, first_failure_at=now, last_failure_at=now
        )
        forgotten = counter.last_failure_at < now - policy.forget_after
        statement = statement.on_conflict_do_update(
            index_elements=[counter.key_hash],
            set_={
                # A key quiet for long enough starts again from one failure.
                "failures": case((forgotten, 1), else_=counter.failures + 1),
                "first_failure_at": case((forgotten, now), else_=counter.first_failure_at),
                "last_failure_at": now,
            },
        ).returning(counter.failures)
        failures = (await session.execute(statement)).scalar_one()
        blocked_for = policy.blocked_for(failures)
        if blocked_for is not None:
            until = now + blocked_for
            # Never shorten a block set by a concurrent, later failure.
            await session.execute(
                update(counter)
                .where(
                    counter.key_hash == key.hash,
                    (counter.blocked_until.is_(None)) | (counter.blocked_until < until),
                )
                .values(blocked_until=until)
            )


async def record_success(session: AsyncSession, keys: list[Key], counter: Any = None) -> None:
    """A right guess clears the counters of the keys it proves (the account, not the address)."""
    await session.execute(delete(counter).where(counter.key_hash.in_([key.hash for key in keys])))

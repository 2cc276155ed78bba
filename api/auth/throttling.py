"""Throttling on the staff side: guesses (logins, second-factor codes) counted in the admin
database (``db.throttles``; the algorithm is ``core.guess_counters``), and API clients'
request rates (fixed one-minute windows, one atomic upsert per request)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.guess_counters import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    GuessCounters,
    GuessPolicy,
    Key,
    Throttled,
    dialect_insert,
)
from db.throttles import FailureCounter, RequestWindow

# The staff side's counters (the families portal has its own table, same functions).
COUNTERS = GuessCounters(FailureCounter)
ensure_not_blocked = COUNTERS.ensure_not_blocked
record_failure = COUNTERS.record_failure
record_success = COUNTERS.record_success
__all__ = [
    "ACCOUNT_POLICY",
    "ADDRESS_POLICY",
    "GuessPolicy",
    "Key",
    "Throttled",
    "consume_request",
    "ensure_not_blocked",
    "record_failure",
    "record_success",
]


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"rate limited for {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


RATE_WINDOW = timedelta(minutes=1)


async def consume_request(
    session: AsyncSession, key: Key, per_minute: int, now: datetime | None = None
) -> int:
    """Count one request in the current minute; raise ``RateLimited`` past ``per_minute``.

    Returns the requests left in the window.
    """
    now = now or clock.now()
    window_start = now.replace(second=0, microsecond=0)
    insert = dialect_insert(session)
    statement = (
        insert(RequestWindow)
        .values(key_hash=key.hash, window_start=window_start, requests=1)
        .on_conflict_do_update(
            index_elements=[RequestWindow.key_hash, RequestWindow.window_start],
            set_={"requests": RequestWindow.requests + 1},
        )
        .returning(RequestWindow.requests)
    )
    requests = (await session.execute(statement)).scalar_one()
    if requests == 1:
        # The first request of a window sweeps this key's past windows.
        await session.execute(
            delete(RequestWindow).where(
                RequestWindow.key_hash == key.hash, RequestWindow.window_start < window_start
            )
        )
    if requests > per_minute:
        remaining = window_start + RATE_WINDOW - now
        raise RateLimited(max(1, int(remaining.total_seconds() + 0.999)))
    return per_minute - requests

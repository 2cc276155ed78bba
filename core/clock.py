"""The current time and the school's calendar day, read through one place.

Every rule that depends on "now" (the school year in force, a code's
accesses, the last finished month, lock-outs, leases) asks this module, so
that tests can set the day and move time forward instead of depending on
the machine's date or speed. Schools are in France: "today" is the date in
Europe/Paris, whatever the server's own time zone.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SetClock:
    """A clock that starts at a chosen instant; it runs with real time unless frozen.

    ``advance`` moves it forward at once (a lock-out's end, a lease's
    expiry) so that no test has to sleep through a real delay.
    """

    def __init__(self, start: datetime, *, frozen: bool = False) -> None:
        if start.tzinfo is None:
            raise ValueError("the start of a clock must be timezone-aware")
        self._start = start.astimezone(UTC)
        self._started = time.monotonic()
        self._frozen = frozen
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            running = (
                timedelta() if self._frozen else timedelta(seconds=time.monotonic() - self._started)
            )
            return self._start + self._offset + running

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta


_clock: Clock = SystemClock()


def now() -> datetime:
    """The current instant (aware, UTC)."""
    return _clock.now()


def today() -> date:
    """Today's date in France."""
    return _clock.now().astimezone(PARIS).date()


def use_clock(clock: Clock) -> Clock:
    """Make ``clock`` the one every caller reads; returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous

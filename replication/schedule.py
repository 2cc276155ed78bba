"""Replication every few minutes, in the background of ``sconet serve`` (embedded default) or
in ``sconet replicate --every``: a code given on the staff portal reaches the families within
the interval without anyone running a command.

A run that fails is logged and the schedule goes on: the next run, incremental from the old
cursor, catches up. A run refused because another one holds the lock is simply skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from replication.lock import ReplicationBusy
from replication.run import Progress, Summary, replicate

log = logging.getLogger("sconet.replication")

Wait = Callable[[float], Awaitable[None]]
Report = Callable[[Summary], None]


async def replicate_every(
    admin_sessions: async_sessionmaker[AsyncSession],
    ts_sessions: async_sessionmaker[AsyncSession],
    interval: timedelta,
    *,
    first_full: bool = False,
    progress: Progress | None = None,
    report: Report | None = None,
    wait: Wait = asyncio.sleep,
) -> None:
    """Run, wait ``interval``, run again, until cancelled. ``wait`` is for tests."""
    full = first_full
    while True:
        try:
            summary = await replicate(
                admin_sessions, ts_sessions, full=full, progress=progress, next_run_in=interval
            )
        except ReplicationBusy:
            log.info("Réplication sautée : une autre est en cours.")
        except Exception:
            # The schedule must outlive a bad run (database restarting, a bug in one row).
            log.exception("La réplication a échoué ; nouvel essai dans %s.", interval)
        else:
            full = False
            if report is not None:
                report(summary)
        await wait(interval.total_seconds())

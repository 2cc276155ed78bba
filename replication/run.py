"""A replication run (``sconet replicate``): account events back to the admin database, then
the changed rows (or every row, ``--full``) to the télé-services database, in batches.

Every batch is one transaction of the télé-services database that replaces the rows of its
keys by what the admin database says now, so a batch applied twice gives the same result.
The cursor moves only once every batch of the run is in: a run that dies at any point leaves
both databases consistent, and the next run, starting again from the old cursor, ends as an
uninterrupted one would. One run at a time across processes: a lease in the télé-services
database (taken by a single UPDATE).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from db.audit import AuditActor, set_actor
from db.teleservices import ActivationCode
from replication.changes import Changes, add_publications, high_water, read_changes
from replication.snapshot import TABLES, Row, Scope, Table
from tsdb.models import FamilyCodeUse, ReplicationRun, ReplicationState

BATCH = 500
LEASE = timedelta(minutes=10)
ACTOR = AuditActor(kind="system", id=None, label="Réplication télé-services")

Progress = Callable[[str, int, int], None]


class ReplicationBusy(Exception):
    """Another replication holds the lease."""


class InjectedFailure(Exception):
    """Raised by tests to stop a run after a given number of batches."""


@dataclass
class Summary:
    full: bool
    copied: int = 0
    deleted: int = 0
    batches: int = 0
    codes_used: int = 0
    by_table: dict[str, int] = field(default_factory=dict)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _state(ts: AsyncSession) -> ReplicationState:
    state = await ts.get(ReplicationState, 1)
    if state is None:
        state = ReplicationState(id=1, audit_cursor=0, audit_gaps={})
        ts.add(state)
        await ts.flush()
    return state


async def acquire(ts_sessions: async_sessionmaker[AsyncSession], holder: str) -> None:
    now = clock.now()
    async with ts_sessions() as ts, ts.begin():
        await _state(ts)
    async with ts_sessions() as ts, ts.begin():
        taken = await ts.execute(
            update(ReplicationState)
            .where(
                ReplicationState.id == 1,
                or_(
                    ReplicationState.holder.is_(None),
                    ReplicationState.held_until < now,
                    ReplicationState.holder == holder,
                ),
            )
            .values(holder=holder, held_until=now + LEASE)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise ReplicationBusy("une réplication est déjà en cours")


async def release(ts_sessions: async_sessionmaker[AsyncSession], holder: str) -> None:
    async with ts_sessions() as ts, ts.begin():
        await ts.execute(
            update(ReplicationState)
            .where(ReplicationState.id == 1, ReplicationState.holder == holder)
            .values(holder=None, held_until=None)
        )


async def report_code_uses(
    admin_sessions: async_sessionmaker[AsyncSession],
    ts_sessions: async_sessionmaker[AsyncSession],
) -> int:
    """Codes used on the families portal since the last run: ``used_at`` on the admin side
    (kept if already set), then marked reported (a crash between repeats it harmlessly)."""
    async with ts_sessions() as ts:
        uses = list(
            await ts.scalars(select(FamilyCodeUse).where(FamilyCodeUse.reported_at.is_(None)))
        )
    if not uses:
        return 0
    async with admin_sessions() as admin, admin.begin():
        set_actor(admin.sync_session, ACTOR)
        for use in uses:
            code = await admin.get(ActivationCode, use.code_id)
            if code is not None and code.used_at is None:
                code.used_at = use.used_at
    async with ts_sessions() as ts, ts.begin():
        await ts.execute(
            update(FamilyCodeUse)
            .where(FamilyCodeUse.id.in_([use.id for use in uses]))
            .values(reported_at=clock.now())
        )
    return len(uses)


def _chunks(values: Iterable[int], size: int) -> Iterable[list[int]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@dataclass
class _Runner:
    admin_sessions: async_sessionmaker[AsyncSession]
    ts_sessions: async_sessionmaker[AsyncSession]
    today: date
    summary: Summary
    progress: Progress | None = None
    fail_after: int | None = None

    async def _replace(self, table: Table, remove: Any, rows: list[Row]) -> None:
        """One batch: delete what ``remove`` selects, insert ``rows``; one transaction."""
        if self.fail_after is not None and self.summary.batches >= self.fail_after:
            raise InjectedFailure(f"batch {self.summary.batches + 1}")
        async with self.ts_sessions() as ts, ts.begin():
            deleted = await ts.execute(delete(table.model).where(remove))
            if rows:
                await ts.execute(insert(table.model), rows)
        gone = int(deleted.rowcount or 0)  # type: ignore[attr-defined]
        self.summary.deleted += max(0, gone - len(rows))
        self.summary.copied += len(rows)
        self.summary.batches += 1
        self.summary.by_table[table.name] = self.summary.by_table.get(table.name, 0) + len(rows)

    async def _read(self, table: Table, scope: Scope) -> list[Row]:
        async with self.admin_sessions() as admin:
            rows: list[Row] = await table.read(admin, scope, self.today)
        return rows

    async def by_ids(self, table: Table, ids: Iterable[int]) -> None:
        model_id = table.model.id  # type: ignore[attr-defined]
        for chunk in _chunks(ids, BATCH):
            rows = await self._read(table, Scope(ids=frozenset(chunk)))
            await self._replace(table, model_id.in_(chunk), rows)

    async def by_school(self, table: Table, school_id: int) -> None:
        rows = await self._read(table, Scope(schools=frozenset({school_id})))
        column = getattr(table.model, table.school_column)
        await self._replace(table, column == school_id, rows)

    async def everything(self, table: Table) -> None:
        """Every row: the ids the admin side gives and those the télé-services side holds."""
        async with self.ts_sessions() as ts:
            held = set(await ts.scalars(select(table.model.id)))  # type: ignore[attr-defined]
        rows = await self._read(table, Scope())
        wanted = {row["id"]: row for row in rows}
        ids = sorted(held | set(wanted))
        model_id = table.model.id  # type: ignore[attr-defined]
        for done, chunk in enumerate(_chunks(ids, BATCH), start=1):
            await self._replace(
                table, model_id.in_(chunk), [wanted[i] for i in chunk if i in wanted]
            )
            if self.progress is not None:
                self.progress(table.name, min(done * BATCH, len(ids)), len(ids))


async def replicate(
    admin_sessions: async_sessionmaker[AsyncSession],
    ts_sessions: async_sessionmaker[AsyncSession],
    *,
    full: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
    holder: str | None = None,
    fail_after_batches: int | None = None,
) -> Summary:
    """One run; raises ``ReplicationBusy`` when another holds the lease."""
    today = today or clock.today()
    holder = holder or holder_name()
    await acquire(ts_sessions, holder)
    summary = Summary(full=full)
    async with ts_sessions() as ts, ts.begin():
        run = ReplicationRun(full=full, status="running")
        ts.add(run)
        await ts.flush()
        run_id = run.id
    try:
        summary.codes_used = await report_code_uses(admin_sessions, ts_sessions)
        async with ts_sessions() as ts:
            state = await _state(ts)
            cursor, published_through = state.audit_cursor, state.published_through
            gaps = {int(k): v for k, v in (state.audit_gaps or {}).items()}
        runner = _Runner(admin_sessions, ts_sessions, today, summary, progress, fail_after_batches)
        async with admin_sessions() as admin:
            if full:
                changes = Changes(high_water=await high_water(admin))
            else:
                changes = await read_changes(admin, cursor, gaps)
                await add_publications(admin, changes, published_through, today)
        await _apply(runner, changes, full)
        async with ts_sessions() as ts, ts.begin():
            state = await _state(ts)
            state.audit_cursor = max(state.audit_cursor, changes.high_water)
            state.audit_gaps = {str(k): v for k, v in changes.gaps.items()}
            state.published_through = today
            finished = await ts.get(ReplicationRun, run_id)
            assert finished is not None
            finished.status, finished.finished_at = "done", clock.now()
            finished.rows_copied, finished.rows_deleted = summary.copied, summary.deleted
    except BaseException:
        async with ts_sessions() as ts, ts.begin():
            failed = await ts.get(ReplicationRun, run_id)
            if failed is not None:
                failed.status, failed.finished_at = "failed", clock.now()
        raise
    finally:
        await release(ts_sessions, holder)
    return summary


async def _apply(runner: _Runner, changes: Changes, full: bool) -> None:
    for table in TABLES:
        if full:
            await runner.everything(table)
            continue
        scope = changes.scope(table.name)
        if scope is None:
            continue
        for school_id in sorted(scope.schools or ()):
            await runner.by_school(table, school_id)
        if scope.ids:
            await runner.by_ids(table, scope.ids)

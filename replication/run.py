"""A replication run (``sconet replicate``): account events back to the admin database, then
the changed rows (or every row, ``--full``) to the télé-services database, in batches.

An incremental run writes each batch in a transaction of the télé-services database that
replaces the rows of its keys by what the admin database says now, so a batch applied twice
gives the same result. The cursor moves only once every batch of the run is in: a run that
dies at any point leaves both databases consistent, and the next run, starting again from the
old cursor, ends as an uninterrupted one would.

A full run rebuilds every table in one transaction, with the cursor: families see the old
data until the new one is complete, never a half-rebuilt database (on SQLite, the families'
own writes wait for it: full runs are rare and ordered by hand).

One run at a time across processes: ``replication.lock``, a lock that dies with its holder;
a run still marked running when the lock is taken died with its process and is marked failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import clock
from db.audit import AuditActor, set_actor
from db.teleservices import ActivationCode, ReplicationProgress
from replication.changes import (
    Changes,
    add_publications,
    add_unaudited_charges,
    high_water,
    read_changes,
)
from replication.lock import ReplicationBusy, replication_lock
from replication.snapshot import TABLES, Row, Scope, Table
from tsdb.models import FamilyCodeUse, ReplicationRun, ReplicationState

__all__ = ["InjectedFailure", "ReplicationBusy", "Summary", "replicate"]

BATCH = 500
ACTOR = AuditActor(kind="system", id=None, label="Réplication télé-services")

Progress = Callable[[str, int, int], None]


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


async def _state(ts: AsyncSession) -> ReplicationState:
    state = await ts.get(ReplicationState, 1)
    if state is None:
        state = ReplicationState(id=1, audit_cursor=0, audit_gaps={})
        ts.add(state)
        await ts.flush()
    return state


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
    # The full run's one transaction; an incremental run opens one per batch.
    whole_run: AsyncSession | None = None

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        if self.whole_run is not None:
            yield self.whole_run
            return
        async with self.ts_sessions() as ts, ts.begin():
            yield ts

    async def _replace(self, table: Table, remove: Any, rows: list[Row]) -> None:
        """One batch: delete what ``remove`` selects, insert ``rows``."""
        if self.fail_after is not None and self.summary.batches >= self.fail_after:
            raise InjectedFailure(f"batch {self.summary.batches + 1}")
        async with self._writing() as ts:
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
        async with self._writing() as ts:
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
    fail_after_batches: int | None = None,
    next_run_in: timedelta | None = None,
) -> Summary:
    """One run; raises ``ReplicationBusy`` at once when another one is running.
    ``next_run_in``: when the caller runs the next one (the staff side tells families' codes
    become usable then)."""
    async with replication_lock(ts_sessions.kw["bind"]):
        run_id = await _start(ts_sessions, full)
        runner = _Runner(
            admin_sessions,
            ts_sessions,
            today or clock.today(),
            Summary(full=full),
            progress,
            fail_after_batches,
        )
        try:
            cursor = await _locked_run(runner, run_id)
        except BaseException:
            async with ts_sessions() as ts, ts.begin():
                failed = await ts.get(ReplicationRun, run_id)
                if failed is not None:
                    failed.status, failed.finished_at = "failed", clock.now()
            raise
        await _record_progress(admin_sessions, cursor, next_run_in)
    return runner.summary


async def _record_progress(
    admin_sessions: async_sessionmaker[AsyncSession], cursor: int, next_run_in: timedelta | None
) -> None:
    """Written after the télé-services side committed: a crash between only makes the staff
    side think a code is not usable yet, never the other way round."""
    now = clock.now()
    async with admin_sessions() as admin, admin.begin():
        progress = await admin.get(ReplicationProgress, 1)
        if progress is None:
            progress = ReplicationProgress(id=1, finished_at=now)
            admin.add(progress)
        progress.audit_cursor, progress.finished_at = cursor, now
        progress.next_run_at = None if next_run_in is None else now + next_run_in


async def _start(ts_sessions: async_sessionmaker[AsyncSession], full: bool) -> int:
    """Record the run; runs still marked running died with their process (they held the lock
    that this one could take), so they are marked failed."""
    async with ts_sessions() as ts, ts.begin():
        await ts.execute(
            update(ReplicationRun)
            .where(ReplicationRun.status == "running")
            .values(status="failed", finished_at=clock.now())
        )
        await _state(ts)
        run = ReplicationRun(full=full, status="running")
        ts.add(run)
        await ts.flush()
        return run.id


async def _locked_run(runner: _Runner, run_id: int) -> int:
    """The run itself; answers the audit cursor it reached."""
    summary, ts_sessions = runner.summary, runner.ts_sessions
    summary.codes_used = await report_code_uses(runner.admin_sessions, ts_sessions)
    async with ts_sessions() as ts:
        state = await _state(ts)
        cursor, published_through = state.audit_cursor, state.published_through
        gaps = {int(k): v for k, v in (state.audit_gaps or {}).items()}
        last_start = await ts.scalar(
            select(func.max(ReplicationRun.started_at)).where(ReplicationRun.status == "done")
        )
    async with runner.admin_sessions() as admin:
        if summary.full:
            changes = Changes(high_water=await high_water(admin))
        else:
            changes = await read_changes(admin, cursor, gaps)
            await add_publications(admin, changes, published_through, runner.today)
            await add_unaudited_charges(admin, changes, last_start)
    if summary.full:
        async with ts_sessions() as ts, ts.begin():
            runner.whole_run = ts
            await _apply(runner, changes, full=True)
            return await _finish(ts, runner, changes, run_id)
    await _apply(runner, changes, full=False)
    async with ts_sessions() as ts, ts.begin():
        return await _finish(ts, runner, changes, run_id)


async def _finish(ts: AsyncSession, runner: _Runner, changes: Changes, run_id: int) -> int:
    """The cursor moves, and the run is done, with the run's last rows (a full run's all)."""
    state = await _state(ts)
    state.audit_cursor = max(state.audit_cursor, changes.high_water)
    state.audit_gaps = {str(k): v for k, v in changes.gaps.items()}
    state.published_through = runner.today
    finished = await ts.get(ReplicationRun, run_id)
    assert finished is not None
    finished.status, finished.finished_at = "done", clock.now()
    finished.rows_copied, finished.rows_deleted = runner.summary.copied, runner.summary.deleted
    return state.audit_cursor


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

"""The replication schedule of ``sconet serve``: it runs replications one interval apart,
outlives a failed run (logged), and skips a turn while another run holds the lock."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.resolvers.teleservices.services import set_service
from databases.engines import make_engine
from db.teleservices import ReplicationProgress, Teleservice
from replication import schedule
from replication.lock import replication_lock
from replication.run import replicate
from tests.world import build_world
from tsdb.models import ReplicationRun, TsStudent

INTERVAL = timedelta(minutes=2)


class Stop(Exception):
    """Ends the schedule after the turns a test wants."""


async def test_the_schedule_survives_a_failed_run_and_a_busy_turn(
    sessionmaker, ts_sessionmaker, ts_engine, clock, monkeypatch, caplog
):
    world = await build_world(sessionmaker)
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        await set_service(session, principal, world.school_a, Teleservice.GRADES, True)
    calls = []

    async def first_fails(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("admin database restarting")
        return await replicate(*args, **kwargs)

    monkeypatch.setattr(schedule, "replicate", first_fails)
    waits: list[float] = []
    held = replication_lock(ts_engine)

    async def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if len(waits) == 2:
            # The third turn finds another run going.
            await held.__aenter__()
        if len(waits) == 3:
            raise Stop

    with caplog.at_level(logging.INFO, "sconet.replication"), pytest.raises(Stop):
        await schedule.replicate_every(sessionmaker, ts_sessionmaker, INTERVAL, wait=wait)
    await held.__aexit__(None, None, None)
    assert waits == [120.0, 120.0, 120.0] and len(calls) == 3
    assert "La réplication a échoué" in caplog.text and "Réplication sautée" in caplog.text
    async with ts_sessionmaker() as ts:
        assert list(await ts.scalars(select(ReplicationRun.status))) == ["done"]
        assert await ts.scalar(select(func.count()).select_from(TsStudent)) == 3
    async with sessionmaker() as session:
        progress = await session.get(ReplicationProgress, 1)
        assert progress.next_run_at == progress.finished_at + INTERVAL


def test_serve_replicates_by_itself_on_the_embedded_default(
    database_urls, engine_name, tmp_path, monkeypatch
):
    """``sconet serve`` runs the schedule beside its servers on SQLite, not on PostgreSQL
    (where ``sconet replicate --every`` runs apart)."""
    import uvicorn

    from tests.api.test_cli import environment, run

    runs: list[int] = []

    async def serve_until_a_run(_server, *args, **kwargs):
        """Stands for a server: lives until a replication is recorded, or 20 s at most."""
        if engine_name != "sqlite":
            return
        engine = make_engine(database_urls.teleservices)
        try:
            async with asyncio.timeout(20):
                while not runs:
                    async with engine.connect() as connection:
                        runs.extend(await connection.scalars(select(ReplicationRun.id)))
                    await asyncio.sleep(0.05)
        finally:
            await engine.dispose()

    monkeypatch.setattr(uvicorn.Server, "serve", serve_until_a_run)
    # One process: the stand-in server above lives in this one.
    result = run(environment(database_urls, tmp_path), "serve", "--no-worker", "--workers", "1")
    assert result.exit_code == 0, result.output
    announced = "Réplication vers les télé-services : toutes les 2 min" in result.output
    assert announced == (engine_name == "sqlite")
    assert bool(runs) == (engine_name == "sqlite")

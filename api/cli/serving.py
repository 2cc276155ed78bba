"""Serving the two applications: ``sconet serve``, with its start-up checks, in one process or
in several (``--workers``, ``api.cli.worker_processes``), and the schedules it runs beside
the servers on a single machine."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from api.cli import runner, servers
from api.cli.servers import Listening
from api.settings import MAX_WORKERS, Settings, SettingsError

if TYPE_CHECKING:
    import uvicorn

# sconet serve on the embedded default replicates by itself this often (minutes).
EMBEDDED_REPLICATION_MINUTES = 2


@click.command()
@click.option("--host", default=None, help="Adresse d'écoute (SCONET_HOST).")
@click.option(
    "--port",
    default=None,
    type=int,
    help="Port du portail établissement et de l'API (SCONET_PORT).",
)
@click.option(
    "--familles-port",
    default=None,
    type=int,
    help="Port du portail familles (SCONET_FAMILLES_PORT).",
)
@click.option(
    "--workers",
    "workers",
    type=click.IntRange(min=1, max=MAX_WORKERS),
    default=None,
    help="Processus serveurs, chacun servant les deux portails et l'API (SCONET_WORKERS ; "
    "par défaut : autant que de cœurs sur PostgreSQL, 1 sur SQLite embarqué, qui n'en "
    "accepte pas davantage : un seul écrivain à la fois, pour une installation d'un poste).",
)
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=None,
    help="Envoyer aussi la file des courriels et SMS (par défaut : oui sur SQLite embarqué).",
)
@click.option(
    "--replicate-every",
    "replicate_minutes",
    type=click.FloatRange(min=0),
    default=None,
    help="Répliquer vers les télé-services toutes les N minutes, 0 pour jamais (par défaut : 2 "
    "sur SQLite embarqué, 0 sur PostgreSQL où « sconet replicate --every » tourne à part).",
)
def serve(
    host: str | None,
    port: int | None,
    familles_port: int | None,
    workers: int | None,
    with_worker: bool | None,
    replicate_minutes: float | None,
) -> None:
    """Serve the staff portal with the GraphQL API, and the families portal."""
    import uvicorn

    settings = runner.load()
    try:
        settings.api_issuer()
    except SettingsError as exc:
        raise click.ClickException(f"configuration invalide : {exc}") from exc
    workers = workers or settings.workers
    if workers > 1 and settings.embedded:
        raise click.ClickException(
            f"{workers} processus serveurs demandés (--workers ou SCONET_WORKERS) : plusieurs "
            "processus demandent PostgreSQL. SQLite, la base embarquée d'une installation d'un "
            "poste, n'admet qu'un écrivain à la fois ; sconet serve y tourne en un seul processus."
        )
    unreachable = asyncio.run(_unreachable_database(settings))
    if unreachable is not None:
        raise click.ClickException(unreachable)
    listening = Listening(
        host=host or settings.host,
        port=port or settings.port,
        familles_port=familles_port or settings.familles_port,
    )
    servers.configure_logging()

    if workers == 1:
        serving: Callable[[], Awaitable[str | None]] = _in_this_process(
            [uvicorn.Server(config) for config in servers.app_configs(settings, listening)]
        )
    else:
        serving = _in_worker_processes(settings, listening, workers)
    click.echo(
        f"Portail établissement et API : http://{listening.host}:{listening.port}/ "
        "(GraphQL : /graphql)"
    )
    click.echo(f"Portail familles : http://{listening.host}:{listening.familles_port}/")
    if workers > 1:
        click.echo(f"Processus serveurs : {workers}.")

    if with_worker is None:
        with_worker = settings.embedded
    if replicate_minutes is None:
        replicate_minutes = EMBEDDED_REPLICATION_MINUTES if settings.embedded else 0

    async def run() -> str | None:
        # The background schedules run once, in this process, whatever the number of worker
        # processes; they share one pair of engines, apart from the servers' own.
        databases = runner.Databases(settings)
        background = []
        if with_worker:
            click.echo("Envoi des courriels et SMS : toutes les 10 s (sconet worker intégré).")
            background.append(asyncio.create_task(_outbox_worker(databases)))
        if replicate_minutes:
            click.echo(
                f"Réplication vers les télé-services : toutes les {replicate_minutes:g} min "
                "(sconet replicate intégré)."
            )
            background.append(
                asyncio.create_task(
                    _replication_schedule(databases, timedelta(minutes=replicate_minutes))
                )
            )
        try:
            return await serving()
        finally:
            # The servers stopped (Ctrl-C, SIGTERM): the background tasks stop with them.
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await databases.dispose()

    failure = asyncio.run(run())
    if failure is not None:
        raise click.ClickException(failure)


def _in_this_process(
    app_servers: list[uvicorn.Server],
) -> Callable[[], Awaitable[str | None]]:
    """Both servers in this process (one worker), as uvicorn runs them: Ctrl-C stops both."""

    async def serving() -> str | None:
        servers.tune_garbage_collection()
        await asyncio.gather(*(server.serve() for server in app_servers))
        return None

    return serving


def _in_worker_processes(
    settings: Settings, listening: Listening, count: int
) -> Callable[[], Awaitable[str | None]]:
    """``count`` worker processes on ports bound here, once, before any of them starts."""
    from api.cli.worker_processes import WorkerProcesses, bind, supervise

    sockets: list[socket.socket] = []
    for port in (listening.port, listening.familles_port):
        try:
            sockets.append(bind(listening.host, port))
        except OSError as exc:
            for bound in sockets:
                bound.close()
            raise click.ClickException(
                f"impossible d'écouter sur {listening.host}:{port} : {exc.strerror or exc}"
            ) from exc

    async def serving() -> str | None:
        try:
            return await supervise(WorkerProcesses(settings, listening, sockets, count))
        finally:
            for bound in sockets:
                bound.close()

    return serving


def _missing_sqlite_folder(url: str) -> str | None:
    """The folder of a SQLite file when it does not exist (aiosqlite would fail in a thread
    that outlives the check's event loop)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    folder = Path(parsed.database).parent
    return None if folder.is_dir() else str(folder)


async def _unreachable_database(settings: Settings) -> str | None:
    """Why a database the servers use does not answer (naming it), or None when both do."""
    from sqlalchemy.pool import NullPool

    from databases.engines import check_database, make_engine

    for label, variable, url in (
        ("d'administration", "SCONET_DATABASE_URL", settings.database_url),
        ("des télé-services", "SCONET_TS_DATABASE_URL", settings.ts_database_url),
    ):
        folder = _missing_sqlite_folder(url)
        if folder is not None:
            return (
                f"la base {label} ({variable}) est injoignable : le dossier {folder} n'existe pas"
            )
        # No pool: the probe's connection is closed before this event loop ends.
        engine = make_engine(url, poolclass=NullPool)
        try:
            await check_database(engine)
        except Exception as exc:
            reason = (str(exc).splitlines() or [""])[0]
            return f"la base {label} ({variable}) est injoignable : {type(exc).__name__} {reason}"
        finally:
            await engine.dispose()
    return None


async def _replication_schedule(databases: runner.Databases, interval: timedelta) -> None:
    """Replication inside ``serve``, for a single-machine installation: a code given on the
    staff portal is usable by the family within ``interval``."""
    from replication.schedule import replicate_every

    await replicate_every(databases.admin, databases.teleservices, interval)


async def _outbox_worker(databases: runner.Databases) -> None:
    """The outbox worker inside ``serve``, for a single-machine installation."""
    from api.outbox.worker import queues, run_forever, transports_for

    every = queues(databases.admin, databases.teleservices)
    await run_forever(every, transports_for(databases.settings.messaging), 10.0)

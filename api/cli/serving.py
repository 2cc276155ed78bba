"""Serving the two applications: ``sconet serve``, with its start-up checks and the
schedules it runs beside the servers on a single machine."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import timedelta

import click

from api.cli import runner
from api.settings import Settings, SettingsError

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
    with_worker: bool | None,
    replicate_minutes: float | None,
) -> None:
    """Serve the staff portal with the GraphQL API, and the families portal."""
    import uvicorn

    from api.app import create_app
    from portals.familles.app import create_familles_app

    settings = runner.load()
    try:
        settings.api_issuer()
    except SettingsError as exc:
        raise click.ClickException(f"configuration invalide : {exc}") from exc
    unreachable = asyncio.run(_unreachable_database(settings))
    if unreachable is not None:
        raise click.ClickException(unreachable)
    host = host or settings.host
    # The product's own logs (sconet.*: the access log, failures with their reference) on
    # stderr; uvicorn configures only its own loggers.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("sconet").setLevel(logging.INFO)
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host=host,
                port=port or settings.port,
                proxy_headers=False,
                # portals.common.access_log writes paths without their query (names, INE, tokens).
                access_log=False,
            )
        ),
        uvicorn.Server(
            uvicorn.Config(
                create_familles_app(settings),
                host=host,
                port=familles_port or settings.familles_port,
                # The apps read X-Forwarded-For from SCONET_TRUSTED_PROXIES only.
                proxy_headers=False,
                access_log=False,
            )
        ),
    ]
    click.echo(
        f"Portail établissement et API : http://{host}:{port or settings.port}/ (GraphQL : /graphql)"
    )
    click.echo(f"Portail familles : http://{host}:{familles_port or settings.familles_port}/")

    # Full garbage collections over the long-lived start-up objects (schema,
    # mappers, templates) took ~100 ms inside requests and made p99 four
    # times p50: freeze them out of collection and collect the young
    # generation less often (measured: p99 121 ms -> 53 ms on a division list).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

    if with_worker is None:
        with_worker = settings.embedded
    if replicate_minutes is None:
        replicate_minutes = EMBEDDED_REPLICATION_MINUTES if settings.embedded else 0

    async def run() -> None:
        # The background schedules share one pair of engines, apart from the servers' own.
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
            await asyncio.gather(*(server.serve() for server in servers))
        finally:
            # The servers stopped (Ctrl-C): the background tasks stop with them.
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await databases.dispose()

    asyncio.run(run())


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

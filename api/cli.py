"""The ``sconet`` command: migrate, demo, serve, worker, mailbox, users, clients, permissions."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from datetime import timedelta
from typing import Any

import click
from sqlalchemy import select

from api.settings import Settings, SettingsError, load_settings
from db.accounts import Role

# sconet serve on the embedded default replicates by itself this often (minutes).
EMBEDDED_REPLICATION_MINUTES = 2


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration invalide : {exc}") from exc


@click.group()
def main() -> None:
    """SCONET: Base élèves, absences and télé-services of an académie."""


@main.command()
def migrate() -> None:
    """Bring the admin and télé-services databases to the latest schema."""
    from api.migrations import load_national_references, upgrade

    settings = _settings()
    for database, url in (
        ("admin", settings.database_url),
        ("teleservices", settings.ts_database_url),
    ):
        click.echo(f"Migration de la base {database}…")
        upgrade(database, url)
    motives, periods = asyncio.run(load_national_references(settings.database_url))
    click.echo(
        f"Références nationales : {motives} motifs génériques, {periods} périodes de vacances."
    )
    click.echo("Bases à jour.")


class _ProgressBars:
    """One progress bar per stage reported by a long command."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: Any = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=total, label=stage.ljust(28), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@main.command()
@click.option(
    "--scale",
    default=3,
    show_default=True,
    type=click.IntRange(1, 500),
    help="Nombre d'établissements.",
)
@click.option(
    "--seed",
    default=2026,
    show_default=True,
    help="Graine du générateur (mêmes données à graine égale).",
)
@click.option(
    "--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des établissements."
)
def demo(scale: int, seed: int, if_empty: bool) -> None:
    """Load a demo académie of SCALE schools into an empty database."""
    from api.demo import DemoError, database_is_empty, generate_demo
    from api.engines import make_engine, make_sessionmaker

    settings = _settings()

    async def run() -> None:
        engine = make_engine(settings.database_url)
        try:
            sessionmaker = make_sessionmaker(engine)
            if not await database_is_empty(sessionmaker):
                if if_empty:
                    click.echo(
                        "La base contient déjà une académie : données de démonstration non rechargées."
                    )
                    return
                raise click.ClickException(
                    "la base contient déjà des établissements ; utilisez une base vide."
                )
            progress = _ProgressBars()
            try:
                report = await generate_demo(
                    sessionmaker, scale=scale, seed=seed, progress=progress
                )
            except DemoError as exc:
                raise click.ClickException(str(exc)) from exc
            finally:
                progress.close()
        finally:
            await engine.dispose()
        click.echo(
            f"\nAcadémie de démonstration : {report.schools} établissements, {report.students} élèves, "
            f"{report.guardians} responsables, {report.divisions} divisions, {report.groups} groupes, "
            f"{report.absence_events} absences et retards."
        )
        click.echo("\nComptes de démonstration :")
        for account in report.accounts:
            where = account.school_uai or "académie"
            click.echo(
                f"  {account.role:<12} {account.login:<24} mot de passe : {account.password}   ({where})"
            )

    asyncio.run(run())


@main.command()
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

    settings = _settings()
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
                # portals.access_log writes paths without their query (names, INE, tokens).
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
        background = []
        if with_worker:
            click.echo("Envoi des courriels et SMS : toutes les 10 s (sconet worker intégré).")
            background.append(asyncio.create_task(_outbox_worker(settings)))
        if replicate_minutes:
            click.echo(
                f"Réplication vers les télé-services : toutes les {replicate_minutes:g} min "
                "(sconet replicate intégré)."
            )
            background.append(
                asyncio.create_task(
                    _replication_schedule(settings, timedelta(minutes=replicate_minutes))
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

    from api.engines import check_database, make_engine

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


async def _replication_schedule(settings: Settings, interval: timedelta) -> None:
    """Replication inside ``serve``, for a single-machine installation: a code given on the
    staff portal is usable by the family within ``interval``."""
    from api.engines import make_engine, make_sessionmaker
    from replication.schedule import replicate_every

    engine = make_engine(settings.database_url)
    ts_engine = make_engine(settings.ts_database_url)
    try:
        await replicate_every(make_sessionmaker(engine), make_sessionmaker(ts_engine), interval)
    finally:
        await engine.dispose()
        await ts_engine.dispose()


async def _outbox_worker(settings: Settings) -> None:
    """The outbox worker inside ``serve``, for a single-machine installation."""
    from api.engines import make_engine, make_sessionmaker
    from api.outbox.worker import queues, run_forever, transports_for

    engine = make_engine(settings.database_url)
    ts_engine = make_engine(settings.ts_database_url)
    try:
        every = queues(make_sessionmaker(engine), make_sessionmaker(ts_engine))
        await run_forever(every, transports_for(settings.messaging), 10.0)
    finally:
        await engine.dispose()
        await ts_engine.dispose()


@main.command("create-user")
@click.option("--login", required=True, help="Identifiant de connexion.")
@click.option("--name", "display_name", required=True, help="Nom affiché, ex. « Mme Durand ».")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
)
@click.option(
    "--school",
    "school_uai",
    default=None,
    help="UAI de l'établissement (sauf rôles rectorat et academy_admin).",
)
@click.option("--email", default=None)
@click.password_option(help="Mot de passe (demandé s'il n'est pas donné).")
def create_user(
    login: str,
    display_name: str,
    role: str,
    school_uai: str | None,
    email: str | None,
    password: str,
) -> None:
    """Create a staff account with a role in a school (or académie-wide for rectorat)."""
    from api.accounts import create_staff_user
    from api.engines import make_engine, make_sessionmaker
    from core.errors import ValidationFailed

    settings = _settings()

    async def run() -> None:
        engine = make_engine(settings.database_url)
        try:
            user = await create_staff_user(
                make_sessionmaker(engine),
                login=login,
                display_name=display_name,
                role=role,
                school_uai=school_uai,
                email=email,
                password=password,
            )
        except ValidationFailed as exc:
            raise click.ClickException(
                "; ".join(f"{e.field} : {e.message}" for e in exc.errors)
            ) from exc
        finally:
            await engine.dispose()
        click.echo(f"Compte {user.login} créé ({role}{' à ' + school_uai if school_uai else ''}).")

    asyncio.run(run())


@main.group()
def client() -> None:
    """Third-party API clients (OAuth 2.0 client credentials)."""


def _as_academy_administrator(work: Any) -> Any:
    """Runs ``work(session, principal)`` as the académie's system administrator, in one
    transaction, turning field errors into a clear message."""
    from api.auth.principal import Principal
    from api.engines import make_engine, make_sessionmaker
    from core.errors import NotFound, ValidationFailed
    from db.schools import Academy

    settings = _settings()

    async def run() -> Any:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                academy_id = await session.scalar(select(Academy.id).order_by(Academy.id))
                if academy_id is None:
                    raise click.ClickException("Aucune académie dans la base.")
                principal = Principal(
                    kind="system",
                    id=None,
                    label="sconet (ligne de commande)",
                    academy_id=academy_id,
                    grants=frozenset({(None, Role.ACADEMY_ADMIN)}),
                )
                return await work(session, principal)
        except ValidationFailed as exc:
            raise click.ClickException(
                "; ".join(f"{e.field} : {e.message}" for e in exc.errors)
            ) from exc
        except NotFound as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _client_settings(
    name: str, schools: tuple[str, ...], scopes: tuple[str, ...], rate: int
) -> Any:
    from api.resolvers.clients import ClientSettings

    return ClientSettings(
        name=name,
        school_uais=[u for s in schools for u in s.replace(",", " ").split()],
        scopes=[w for s in scopes for w in s.replace(",", " ").split()],
        requests_per_minute=rate,
    )


@client.command("register")
@click.option("--name", required=True, help="Nom du logiciel (ENT, vie scolaire...).")
@click.option("--school", "schools", multiple=True, required=True, help="UAI (répétable).")
@click.option("--scope", "scopes", multiple=True, required=True, help="Portée (répétable).")
@click.option("--rate", default=600, show_default=True, help="Requêtes par minute au plus.")
def client_register(
    name: str, schools: tuple[str, ...], scopes: tuple[str, ...], rate: int
) -> None:
    """Register a client; its secret is printed once."""
    from api.resolvers.clients import register_client

    registered = _as_academy_administrator(
        lambda session, principal: register_client(
            session, principal, _client_settings(name, schools, scopes, rate)
        )
    )
    click.echo(f"Client enregistré : {registered.client.name} (n° {registered.client.id})")
    click.echo(f"client_id     : {registered.client.client_id}")
    click.echo(f"client_secret : {registered.secret}")
    click.echo("Ce secret ne sera plus affiché : transmettez-le maintenant à l'éditeur.")


@client.command("list")
def client_list() -> None:
    """List the académie's clients."""
    from api.resolvers.clients import list_clients

    for view in _as_academy_administrator(list_clients):
        state = "actif" if view.client.is_active else "révoqué"
        click.echo(
            f"{view.client.id}\t{view.client.client_id}\t{view.client.name}\t{state}\t"
            f"{','.join(view.school_uais)}\t{view.client.scopes}"
        )


@client.command("revoke")
@click.argument("client_number", type=int)
def client_revoke(client_number: int) -> None:
    """Revoke a client (by its number): every token it holds stops working at once."""
    from api.resolvers.clients import revoke_client

    revoked = _as_academy_administrator(
        lambda session, principal: revoke_client(session, principal, client_number)
    )
    click.echo(f"Client {revoked.client_id} révoqué.")


@client.command("rotate-secret")
@click.argument("client_number", type=int)
def client_rotate_secret(client_number: int) -> None:
    """Give a client a new secret (the old one stops working); printed once."""
    from api.resolvers.clients import rotate_client_secret

    rotated = _as_academy_administrator(
        lambda session, principal: rotate_client_secret(session, principal, client_number)
    )
    click.echo(f"client_id     : {rotated.client.client_id}")
    click.echo(f"client_secret : {rotated.secret}")


@main.command("permissions-table")
@click.option("--check", is_flag=True, help="Only check that docs/permissions.md is current.")
def permissions_table(check: bool) -> None:
    """Rebuild docs/permissions.md (who sees and does what) from the declarations."""
    from api.schema.permissions_document import DOCUMENT, build, write

    if check:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != build():
            raise click.ClickException(
                f"{DOCUMENT} n'est pas à jour : lancez `sconet permissions-table`."
            )
        click.echo(f"{DOCUMENT} est à jour.")
        return
    click.echo(f"Écrit : {write()}")


@main.group("db")
def database() -> None:
    """Administration of the admin database."""


@database.command("grant-app-role")
@click.argument("role")
def grant_app_role(role: str) -> None:
    """Give ROLE (PostgreSQL) what the application needs: every table in read-write, except the
    audit log, which it may only read and append to. Run as the schema's owner, after migrate."""
    from api.database_roles import RoleError, grant_application_role

    try:
        asyncio.run(grant_application_role(_settings().database_url, role))
    except RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Droits de l'application accordés au rôle {role} (journal d'audit en ajout seul).")


@database.command("grant-families-role")
@click.argument("role")
def grant_families_role(role: str) -> None:
    """Give ROLE (PostgreSQL) what the families portal needs in the télé-services database:
    read the replicated tables, write the account tables, nothing else."""
    from api.database_roles import RoleError
    from api.database_roles import grant_families_role as grant

    try:
        asyncio.run(grant(_settings().ts_database_url, role))
    except RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Droits du portail familles accordés au rôle {role}.")


@main.group()
def user() -> None:
    """Staff accounts (operations an administrator runs on the server)."""


@user.command("reset-second-factor")
@click.argument("login")
def user_reset_second_factor(login: str) -> None:
    """Forget LOGIN's OTP key and recovery codes and end their sessions (lost phone)."""
    from api.resolvers.second_factor import reset_second_factor
    from db.accounts import StaffUser

    async def work(session: Any, principal: Any) -> Any:
        user_id = await session.scalar(
            select(StaffUser.id).where(StaffUser.login == login.strip().lower())
        )
        if user_id is None:
            raise click.ClickException(f"Aucun compte {login}.")
        return await reset_second_factor(session, principal, user_id)

    done = _as_academy_administrator(work)
    click.echo(f"Clé OTP de {done.login} réinitialisée : enrôlement à la prochaine connexion.")


@main.command("second-factor")
@click.option("--required/--optional", default=None, help="Exiger ou non une clé OTP de tous.")
def second_factor_policy(required: bool | None) -> None:
    """Show, or set, whether the académie requires a second factor of every staff member."""
    from api.resolvers.second_factor import set_second_factor_required
    from db.schools import Academy

    async def work(session: Any, principal: Any) -> Any:
        if required is None:
            return await session.get(Academy, principal.academy_id)
        return await set_second_factor_required(session, principal, required)

    academy = _as_academy_administrator(work)
    state = "exigée" if academy.second_factor_required else "facultative"
    click.echo(f"Académie {academy.name} : clé OTP {state}.")


@main.command()
@click.option("--once", is_flag=True, help="Envoyer ce qui est dû puis s'arrêter (pour cron).")
@click.option(
    "--every",
    "interval",
    default=10.0,
    type=click.FloatRange(min=0.5),
    show_default=True,
    help="Secondes entre deux passages.",
)
def worker(once: bool, interval: float) -> None:
    """Send the outbox's e-mails and SMS (several workers may run at once)."""
    import logging

    from api.engines import make_engine, make_sessionmaker
    from api.outbox.worker import queues, run_all, run_forever, transports_for

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    transports = transports_for(settings.messaging)

    async def run() -> None:
        engine = make_engine(settings.database_url)
        ts_engine = make_engine(settings.ts_database_url)
        every = queues(make_sessionmaker(engine), make_sessionmaker(ts_engine))
        try:
            if once:
                report = await run_all(every, transports)
                click.echo(
                    f"Envoyés : {report.sent} ; à réessayer : {report.retried} ; "
                    f"en échec : {report.failed}"
                    + (f" ; files inaccessibles : {report.errors}" if report.errors else "")
                )
                if report.errors:
                    raise click.ClickException("une file n'a pas pu être lue (voir le journal)")
            else:
                click.echo(f"Envoi de la file toutes les {interval:g} s (Ctrl-C pour arrêter).")
                await run_forever(every, transports, interval)
        finally:
            await engine.dispose()
            await ts_engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def _show_message(entry: Any) -> None:
    kind = "courriel" if entry.channel == "email" else "SMS"
    click.echo(f"── {entry.reference} · {kind} · {entry.sent_in_paris:%d/%m/%Y %H:%M} (Paris)")
    click.echo(f"À : {entry.recipient}")
    if entry.subject:
        click.echo(f"Objet : {entry.subject}")
    if entry.attachment_name:
        click.echo(f"Pièce jointe : {entry.attachment_name}")
    click.echo("")
    click.echo(entry.body)
    if entry.links:
        click.echo("")
        click.echo("Liens : " + "  ".join(entry.links))
    click.echo("")


@main.command()
@click.option(
    "--latest",
    "-n",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Nombre de messages, les plus récents d'abord.",
)
@click.option("--message", "reference", default=None, help="Un seul message, par son nom (E12).")
def mailbox(latest: int, reference: str | None) -> None:
    """Read the e-mails and SMS "sent" without SMTP or SMS gateway (development mailbox)."""
    from api.engines import make_engine, make_sessionmaker
    from api.outbox.mailbox import development_mailbox, mailbox_message

    settings = _settings()

    async def run() -> None:
        engine = make_engine(settings.database_url)
        ts_engine = make_engine(settings.ts_database_url)
        admin, teleservices = make_sessionmaker(engine), make_sessionmaker(ts_engine)
        try:
            if reference is not None:
                entry = await mailbox_message(admin, teleservices, reference)
                if entry is None:
                    raise click.ClickException(
                        f"Aucun message {reference} dans la boîte de développement."
                    )
                _show_message(entry)
                return
            box = await development_mailbox(admin, teleservices, latest)
        finally:
            await engine.dispose()
            await ts_engine.dispose()
        if settings.messaging.smtp_host:
            click.echo("Les courriels partent par SMTP (SCONET_SMTP_HOST) : ils ne sont pas ici.")
        if not box.entries:
            click.echo("Aucun message dans la boîte de développement.")
        for entry in box.entries:
            _show_message(entry)
        if box.waiting:
            click.echo(
                f"{box.waiting} message(s) en attente d'envoi : « sconet worker --once » les "
                "envoie (« sconet serve » le fait toutes les 10 s)."
            )

    asyncio.run(run())


@main.command()
@click.option("--full", is_flag=True, help="Tout recopier (après un chargement en masse).")
@click.option(
    "--every",
    "minutes",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Recommencer toutes les N minutes (sinon une seule fois, pour cron).",
)
def replicate(full: bool, minutes: float | None) -> None:
    """Copy what families may see into the télé-services database, and bring back code uses."""
    import time as clock

    from api.engines import make_engine, make_sessionmaker
    from replication.run import ReplicationBusy, Summary
    from replication.run import replicate as run_replication
    from replication.schedule import replicate_every

    settings = _settings()

    def progress(table: str, done: int, total: int) -> None:
        click.echo(f"\r  {table} : {done}/{total}", nl=done >= total)

    def report(summary: Summary, started: float) -> None:
        tables = ", ".join(f"{name} {count}" for name, count in summary.by_table.items())
        click.echo(
            f"Réplication {'complète' if summary.full else 'incrémentale'} : "
            f"{summary.copied} lignes copiées, {summary.deleted} supprimées, "
            f"{summary.codes_used} codes utilisés remontés, en {clock.perf_counter() - started:.1f} s"
            + (f" ({tables})" if tables else "")
        )

    async def run() -> None:
        admin_engine = make_engine(settings.database_url)
        ts_engine = make_engine(settings.ts_database_url)
        admin, ts = make_sessionmaker(admin_engine), make_sessionmaker(ts_engine)
        started = clock.perf_counter()
        try:
            if minutes is None:
                try:
                    summary = await run_replication(admin, ts, full=full, progress=progress)
                except ReplicationBusy as exc:
                    raise click.ClickException(str(exc)) from exc
                report(summary, started)
                return
            await replicate_every(
                admin,
                ts,
                timedelta(minutes=minutes),
                first_full=full,
                progress=progress,
                report=lambda summary: report(summary, started),
            )
        finally:
            await admin_engine.dispose()
            await ts_engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())

"""The one way a ``sconet`` command reaches the databases: load the settings, open the
engines it uses, run one domain function (as the administrator, through the same unit of work
as the portal and GraphQL: ``api.resolvers.work``), dispose of the engines, and turn the
domain's errors into the command's message (exit code 1)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth.principal import Principal
from api.resolvers.administration import command_line_administrator, command_line_operator
from api.resolvers.work import Work
from api.settings import Settings, SettingsError, load_settings
from core.errors import NotFound, ValidationFailed
from databases.engines import make_engine, make_sessionmaker

T = TypeVar("T")


def load() -> Settings:
    """The settings, or the command stops naming the malformed variable."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration invalide : {exc}") from exc


class Databases:
    """The admin and télé-services session factories of one command; an engine is created
    only when the command first uses its database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engines: dict[str, AsyncEngine] = {}

    def _sessionmaker(self, url: str) -> async_sessionmaker[AsyncSession]:
        if url not in self._engines:
            self._engines[url] = make_engine(url)
        return make_sessionmaker(self._engines[url])

    @property
    def admin(self) -> async_sessionmaker[AsyncSession]:
        return self._sessionmaker(self.settings.database_url)

    @property
    def teleservices(self) -> async_sessionmaker[AsyncSession]:
        return self._sessionmaker(self.settings.ts_database_url)

    async def dispose(self) -> None:
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()


@contextlib.contextmanager
def _reported(expected: tuple[type[Exception], ...]) -> Iterator[None]:
    """Errors an administrator can act on become the command's message; others stay
    tracebacks (a bug)."""
    try:
        yield
    except ValidationFailed as exc:
        raise click.ClickException(
            "; ".join(f"{e.field} : {e.message}" for e in exc.errors)
        ) from exc
    except NotFound as exc:
        raise click.ClickException(str(exc)) from exc
    except expected as exc:
        raise click.ClickException(str(exc)) from exc


def run(
    work: Callable[[Databases], Awaitable[T]],
    *,
    settings: Settings | None = None,
    expected: tuple[type[Exception], ...] = (),
) -> T:
    """Runs ``work(databases)`` in its own event loop; ``expected`` names the domain's errors
    whose text is the command's message."""
    databases = Databases(settings or load())

    async def main() -> T:
        try:
            return await work(databases)
        finally:
            await databases.dispose()

    with _reported(expected):
        return asyncio.run(main())


def run_until_interrupted(
    work: Callable[[Databases], Awaitable[None]],
    *,
    settings: Settings | None = None,
    expected: tuple[type[Exception], ...] = (),
) -> None:
    """``run`` for schedules that go on until Ctrl-C, which ends them normally."""
    with contextlib.suppress(KeyboardInterrupt):
        run(work, settings=settings, expected=expected)


def run_in_transaction(
    work: Callable[[AsyncSession], Awaitable[T]], *, settings: Settings | None = None
) -> T:
    """Runs ``work(session)`` in one transaction of the admin database, for what needs no
    principal (the national references after a migration)."""

    async def in_transaction(databases: Databases) -> T:
        async with databases.admin() as session, session.begin():
            return await work(session)

    return run(in_transaction, settings=settings)


def run_as_academy_administrator(work: Callable[[AsyncSession, Principal], Awaitable[T]]) -> T:
    """Runs the domain function ``work(session, principal)`` in one transaction, as the
    académie's system administrator: the server's operator acts for the académie."""

    async def as_administrator(databases: Databases) -> T:
        async with databases.admin() as session:
            principal = await command_line_administrator(session)
        if principal is None:
            raise click.ClickException("Aucune académie dans la base.")
        async with Work(databases.admin, principal).writing() as transaction:
            return await transaction.run(work)

    return run(as_administrator)


def run_as_operator(
    school_uai: str | None,
    work: Callable[[AsyncSession, Principal, int | None], Awaitable[T]],
) -> T:
    """Runs ``work(session, principal, school_id)`` in one transaction, as the command line
    acting for the school ``school_uai`` (as its principal would) or, without one, for the
    académie: imports and exports name their school."""

    async def as_operator(databases: Databases) -> T:
        async with databases.admin() as session:
            principal = await command_line_operator(session, school_uai)
        if principal is None:
            raise click.ClickException("Aucune académie dans la base.")
        school_id = next((s for s, _role in principal.grants if s is not None), None)
        async with Work(databases.admin, principal).writing(school_id) as transaction:
            return await transaction.run(work, school_id)

    return run(as_operator)


def run_with_work(school_uai: str | None, work: Callable[[Work, int | None], Awaitable[T]]) -> T:
    """``run_as_operator`` for an action that runs several transactions of its own (the
    académie's rentrée switch, one per school): ``work(unit_of_work, school_id)``."""

    async def as_operator(databases: Databases) -> T:
        async with databases.admin() as session:
            principal = await command_line_operator(session, school_uai)
        if principal is None:
            raise click.ClickException("Aucune académie dans la base.")
        school_id = next((s for s, _role in principal.grants if s is not None), None)
        async with Work(databases.admin, principal) as unit_of_work:
            return await work(unit_of_work, school_id)

    return run(as_operator)

"""Database fixtures shared by every test: each database test runs on SQLite and PostgreSQL.

``engine_name`` is parametrized over both engines, so any test that uses
``database_urls``, ``settings``, ``admin_engine`` or ``sessionmaker`` runs
twice, with the ids ``[sqlite]`` and ``[postgresql]``.

Isolation is cheap: both databases are migrated once per session and engine
into a template; each test then gets a copy (SQLite: the files are copied)
or the same databases emptied (PostgreSQL: one ``TRUNCATE ... RESTART
IDENTITY CASCADE`` of every table but ``alembic_version``).

A test can ask for an admin database prepared by a slow builder instead (``Prepared``, with
the ``prepared`` mark, or the ``demo`` fixture for the demo académie): it is built once per
session and engine, then copied the same way for each test (SQLite: its file is copied;
PostgreSQL: its own database is refilled from a copy of each table kept beside them, in the
schema ``PREPARED_COPY``). Each such test still starts from the pristine prepared database;
what the builder returned (ids) is handed to it by the ``prepared`` fixture.

PostgreSQL is reached at ``SCONET_TEST_PG_URL`` (default
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``); the role needs
CREATEDB. If it is unreachable the PostgreSQL variants are skipped, except
with ``CI=true`` where they fail: nothing may be skipped in CI.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import secrets
import shutil
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.demo import generate_demo
from api.settings import Settings, load_settings
from core.clock import SetClock, use_clock
from databases.engines import make_engine, make_sessionmaker
from databases.migrations import upgrade
from db.accounts import RoleGrant, StaffUser
from db.enrollments import Enrollment
from db.finances import Payment, Reduction, ReductionKind
from db.grades import Assessment
from db.scholarships import ScholarshipFile, ScholarshipStatus
from db.schools import SchoolYear, SchoolYearState
from db.structures import Division
from db.students import Student

T = TypeVar("T")
# A real SMTP server (aiosmtpd) for the tests that send e-mail.
pytest_plugins = ["tests.mail_server"]

ENGINES = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
PG_URL = os.environ.get("SCONET_TEST_PG_URL") or DEFAULT_PG_URL
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
TEST_SECRET_KEY = "clé-de-test-" + "x" * 28  # 40 characters
TEST_PUBLIC_URL = "https://testserver"
# Databases of this machine's test runs start with this prefix; the pid follows.
PG_PREFIX = "sconet_test_" + hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6] + "_"


@dataclass(frozen=True)
class DatabaseUrls:
    """Connection URLs of an admin database and a télé-services database."""

    admin: str
    teleservices: str


def run_in_thread(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private event loop in another thread.

    Keeps ``asyncio.run`` (ours, or Alembic's inside ``command.upgrade``) away
    from the event loop pytest-asyncio runs the tests on.
    """
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make_coroutine()))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target, name="sconet-test-helper")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def pg_database_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


# --------------------------------------------------------------------------- PostgreSQL server

_pg_status: dict[str, str | None] = {}


def _pg_unreachable_reason() -> str | None:
    """None if the PostgreSQL test server answers, else why not (checked once per session)."""
    if "reason" not in _pg_status:

        async def probe() -> None:
            engine = create_async_engine(PG_URL, connect_args={"timeout": 5})
            try:
                async with engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            finally:
                await engine.dispose()

        try:
            run_in_thread(probe)
            _pg_status["reason"] = None
        except Exception as exc:
            _pg_status["reason"] = f"PostgreSQL unreachable at {PG_URL}: {exc!r}"
    return _pg_status["reason"]


async def _pg_server_execute(*statements: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _pg_drop_stale_databases() -> None:
    """Drop databases left by killed test runs of this machine (pid gone, nobody connected)."""
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            names = (
                await connection.execute(
                    text(
                        "SELECT datname FROM pg_database WHERE datname LIKE :prefix "
                        "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a "
                        "WHERE a.datname = pg_database.datname)"
                    ),
                    {"prefix": PG_PREFIX.replace("_", r"\_") + "%"},
                )
            ).scalars()
            for name in list(names):
                pid = name.removeprefix(PG_PREFIX).split("_", 1)[0]
                if pid.isdigit() and not _process_alive(int(pid)):
                    await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        await engine.dispose()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_pg_database_names(*suffixes: str) -> list[str]:
    """Names unique to this process and call, under PostgreSQL's 63-character limit."""
    token = secrets.token_hex(3)
    return [f"{PG_PREFIX}{os.getpid()}_{token}_{suffix}" for suffix in suffixes]


async def create_pg_databases(names: list[str]) -> None:
    """Test databases whose commits do not wait for the disk: a test's data need not survive a
    crash of the server, and a commit that waits for its fsync costs more than most tests'
    queries (rollback, isolation and locks stay as they are)."""
    await _pg_server_execute(
        *(
            statement
            for name in names
            for statement in (
                f'CREATE DATABASE "{name}"',
                f'ALTER DATABASE "{name}" SET synchronous_commit = off',
            )
        )
    )


async def drop_pg_databases(names: list[str]) -> None:
    await _pg_server_execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))


# --------------------------------------------------------------------------- templates


@dataclass
class _PostgresTemplate:
    names: list[str]
    urls: DatabaseUrls
    engines: list[AsyncEngine]
    superuser: bool = False


@dataclass(frozen=True)
class Prepared:
    """An admin database that ``build`` fills (through the domain, as slowly as it takes):
    built once per session and engine, copied for each test marked
    ``pytest.mark.prepared(<this>)``. ``build`` runs on a clock of its own (``PREPARED_AT``);
    what it returns (ids) is given, copied, to each test by the ``prepared`` fixture."""

    name: str
    build: Callable[[async_sessionmaker[AsyncSession]], Awaitable[Any]]


@dataclass
class _Built:
    """A prepared database of one engine: the URL to copy or refill, what the builder
    returned, and on PostgreSQL the sequences' values to set again."""

    url: str
    value: Any
    engine: AsyncEngine | None = None
    sequences: list[tuple[str, int]] | None = None


# The day the demo is generated for (its current school year: 2026-2027).
DEMO_TODAY = date(2026, 11, 25)
PREPARED_COPY = "sconet_test_prepared"


async def _generate_demo(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await generate_demo(sessionmaker, scale=1, today=DEMO_TODAY)


# The demo académie (tests/test_demo.py tests the generator itself): the ``demo`` fixture.
DEMO = Prepared("demo", _generate_demo)


async def _build(prepared: Prepared, url: str) -> Any:
    engine = make_engine(url)
    previous = use_clock(SetClock(PREPARED_AT))
    try:
        return await prepared.build(make_sessionmaker(engine))
    finally:
        use_clock(previous)
        # On SQLite, closing the last connection checkpoints the WAL: the file alone holds all.
        await engine.dispose()


class DatabaseTemplates:
    """Migrated, empty databases built once per session and engine, handed out per test; and
    prepared admin databases (``Prepared``), the same way."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sqlite: DatabaseUrls | None = None
        self.postgres: _PostgresTemplate | None = None
        self.built: dict[tuple[str, str], _Built] = {}
        self.pg_prepared_names: list[str] = []

    async def _migrate(self, urls: DatabaseUrls) -> None:
        await asyncio.to_thread(upgrade, "admin", urls.admin)
        await asyncio.to_thread(upgrade, "teleservices", urls.teleservices)

    async def _sqlite_template(self) -> DatabaseUrls:
        if self.sqlite is None:
            folder = self.root / "sqlite-template"
            folder.mkdir(parents=True, exist_ok=True)
            urls = DatabaseUrls(
                admin=sqlite_url(folder / "admin.sqlite3"),
                teleservices=sqlite_url(folder / "teleservices.sqlite3"),
            )
            await self._migrate(urls)
            self.sqlite = urls
        return self.sqlite

    async def _postgres_template(self) -> _PostgresTemplate:
        if self.postgres is None:
            await _pg_drop_stale_databases()
            names = new_pg_database_names("admin", "ts")
            await create_pg_databases(names)
            template = _PostgresTemplate(
                names=names,
                urls=DatabaseUrls(
                    admin=pg_database_url(names[0]), teleservices=pg_database_url(names[1])
                ),
                engines=[],
            )
            self.postgres = template  # dropped at session end even if migrating fails
            await self._migrate(template.urls)
            template.engines = [
                create_async_engine(url, pool_size=1, max_overflow=0)
                for url in (template.urls.admin, template.urls.teleservices)
            ]
            template.superuser = await _is_superuser(template.engines[0])
        return self.postgres

    async def _sqlite_prepared(self, prepared: Prepared) -> _Built:
        key = ("sqlite", prepared.name)
        if key not in self.built:
            template = await self._sqlite_template()
            folder = self.root / f"sqlite-{prepared.name}"
            folder.mkdir(parents=True, exist_ok=True)
            admin = folder / "admin.sqlite3"
            shutil.copyfile(make_url(template.admin).database or "", admin)
            value = await _build(prepared, sqlite_url(admin))
            self.built[key] = _Built(url=sqlite_url(admin), value=value)
        return self.built[key]

    async def _postgres_prepared(self, prepared: Prepared) -> _Built:
        key = ("postgresql", prepared.name)
        if key not in self.built:
            [name] = new_pg_database_names(prepared.name)
            await create_pg_databases([name])
            self.pg_prepared_names.append(name)  # dropped at session end even if building fails
            url = pg_database_url(name)
            await asyncio.to_thread(upgrade, "admin", url)
            built = _Built(url=url, value=await _build(prepared, url))
            built.engine = create_async_engine(url, pool_size=1, max_overflow=0)
            built.sequences = await _keep_copy(built.engine)
            self.built[key] = built
        return self.built[key]

    async def fresh(
        self, engine_name: str, tmp_path: Path, prepared: Prepared | None = None
    ) -> tuple[DatabaseUrls, Any]:
        """Databases for one test: empty, or the admin one a fresh copy of ``prepared``; with
        what its builder returned."""
        if engine_name == "sqlite":
            template = await self._sqlite_template()
            admin, value = template.admin, None
            if prepared is not None:
                built = await self._sqlite_prepared(prepared)
                admin, value = built.url, built.value
            copies = []
            for name, url in (("admin", admin), ("ts", template.teleservices)):
                target = tmp_path / f"{name}.sqlite3"
                shutil.copyfile(make_url(url).database or "", target)
                copies.append(sqlite_url(target))
            return DatabaseUrls(admin=copies[0], teleservices=copies[1]), value
        pg = await self._postgres_template()
        if prepared is not None and pg.superuser:
            built = await self._postgres_prepared(prepared)
            assert built.engine is not None and built.sequences is not None
            await _empty_all(pg.engines[1], pg.superuser)
            await _refill_from_copy(built.engine, built.sequences)
            return DatabaseUrls(admin=built.url, teleservices=pg.urls.teleservices), built.value
        for engine in pg.engines:
            await _empty_all(engine, pg.superuser)
        value = None
        if prepared is not None:
            # Refilling needs the triggers off, which only a superuser may do: built anew.
            value = await _build(prepared, pg.urls.admin)
        return pg.urls, value

    async def close(self) -> None:
        for built in self.built.values():
            if built.engine is not None:
                await built.engine.dispose()
        await drop_pg_databases(self.pg_prepared_names)
        if self.postgres is not None:
            for engine in self.postgres.engines:
                await engine.dispose()
            await drop_pg_databases(self.postgres.names)


# Every table but ``alembic_version`` is emptied and the sequences its ids come from start
# again, as ``TRUNCATE ... RESTART IDENTITY CASCADE`` would. A superuser deletes the rows
# instead, with triggers (foreign keys, the audit log's append-only guard) off for the
# transaction: TRUNCATE replaces every table's and index's files, which costs half a second
# per test, DELETE of a few rows a few milliseconds. The tables are locked first, as TRUNCATE
# would lock them, so that a connection a test forgot to close still fails the next test.
_EMPTY_TABLES = """
DO $empty$
DECLARE
    tables text;
    name text;
BEGIN
    SELECT string_agg(format('%I', tablename), ', ' ORDER BY tablename) INTO tables
    FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version';
    IF tables IS NULL THEN
        RETURN;
    END IF;
    IF current_setting('session_replication_role') <> 'replica' THEN
        EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE';
        RETURN;
    END IF;
    EXECUTE 'LOCK TABLE ' || tables || ' IN ACCESS EXCLUSIVE MODE';
    FOR name IN
        SELECT format('%I', tablename) FROM pg_tables
        WHERE schemaname = current_schema() AND tablename <> 'alembic_version'
    LOOP
        EXECUTE 'DELETE FROM ' || name;
    END LOOP;
    -- The sequences owned by the tables' columns (serial and identity), as RESTART IDENTITY.
    PERFORM setval(format('%I.%I', s.schemaname, s.sequencename)::regclass, s.start_value, false)
    FROM pg_sequences s
    WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL AND EXISTS (
        SELECT 1 FROM pg_depend owner JOIN pg_class owning ON owning.oid = owner.refobjid
        WHERE owner.classid = 'pg_class'::regclass AND owner.deptype IN ('a', 'i')
        AND owner.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
        AND owning.relkind IN ('r', 'p') AND owning.relname <> 'alembic_version'
    );
END
$empty$
"""


async def _is_superuser(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return bool(
            await connection.scalar(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )
        )


async def _empty_all(engine: AsyncEngine, superuser: bool) -> None:
    async with engine.begin() as connection:
        # A connection a test forgot to close must fail the next test, not hang it.
        await connection.execute(text("SET LOCAL lock_timeout = '15s'"))
        if superuser:
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(_EMPTY_TABLES))


async def _keep_copy(engine: AsyncEngine) -> list[tuple[str, int]]:
    """Copy every table (but ``alembic_version``) into the schema ``PREPARED_COPY``; returns
    the sequences and their last values."""
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {PREPARED_COPY}"))
        tables = (
            await connection.scalars(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            )
        ).all()
        for table in tables:
            await connection.execute(
                text(f'CREATE TABLE {PREPARED_COPY}."{table}" AS TABLE "{table}"')
            )
        sequences = await connection.execute(
            text(
                "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
        )
        return [(name, int(value)) for name, value in sequences.all()]


# Every table emptied (as ``_EMPTY_TABLES`` does for a superuser), then refilled from its copy
# with the triggers off (foreign keys in any order, no audit of the copy), its sequences where
# the demo left them.
_REFILL_FROM_COPY = f"""
DO $refill$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT format('%I', tablename) FROM pg_tables WHERE schemaname = '{PREPARED_COPY}'
    LOOP
        EXECUTE format(
            'INSERT INTO %s OVERRIDING SYSTEM VALUE SELECT * FROM {PREPARED_COPY}.%s', name, name
        );
    END LOOP;
END
$refill$
"""


async def _refill_from_copy(engine: AsyncEngine, sequences: list[tuple[str, int]]) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL lock_timeout = '15s'"))
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(_EMPTY_TABLES))
        await connection.execute(text(_REFILL_FROM_COPY))
        for name, value in sequences:
            await connection.execute(
                text("SELECT setval(CAST(:name AS regclass), :value)"),
                {"name": name, "value": value},
            )


# --------------------------------------------------------------------------- order

# Tests that take the longest (tens of seconds to minutes each), longest first, run first: the workers share out the
# tests in the order collected, and a long test handed out last would leave one worker
# finishing it alone while the other waits. Browser tests (those using Chromium) come first
# too. Measured with ``--durations``; ids without their parameters.
SLOW_TESTS = (
    "tests/test_demo.py::test_the_first_term_is_charged_paid_and_reconciled_in_every_school",
    "tests/test_year_cycle_scenario.py::test_a_school_year_cycle_on_the_demo_academie",
    "tests/portals/test_reflow_browser.py::test_every_staff_page_reflows_at_320_pixels",
    "tests/api/test_serve_workers.py::test_workers_stop_by_themselves_when_serve_is_killed",
    "tests/test_demo.py::test_once_the_first_term_is_over_its_scholarships_are_paid",
    "tests/portals/test_passage_browser.py::test_a_division_decided_from_the_keyboard",
    "tests/api/test_serve_workers.py::test_a_dead_worker_is_replaced_and_ctrl_c_stops_them_all",
    "tests/exchanges/test_bounded_memory.py::"
    "test_a_ten_thousand_student_export_is_written_in_bounded_memory",
    "tests/api/test_serve_workers.py::test_serve_with_two_workers",
    "tests/api/absences/test_memory.py::test_statistics_requests_keep_nothing",
)


def _slowness(item: pytest.Item) -> int:
    test = item.nodeid.split("[", 1)[0]
    if test in SLOW_TESTS:
        return SLOW_TESTS.index(test)
    if "chromium" in getattr(item, "fixturenames", ()):
        return len(SLOW_TESTS)
    return len(SLOW_TESTS) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_slowness)  # stable: the collection's order otherwise


# --------------------------------------------------------------------------- fixtures

# The test world's current school year is 2026-2027: every test runs on this
# day (a Wednesday of its first trimester), whatever the machine's date.
TEST_START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# A prepared database is built once, on a clock of its own that starts before TEST_START:
# what it holds is older than whatever a test does after, as when each test built it first.
PREPARED_AT = TEST_START - timedelta(minutes=10)


@pytest.fixture(autouse=True)
def clock() -> Iterator[SetClock]:
    """The clock every rule reads, set to ``TEST_START`` and running; ``advance`` moves it."""
    test_clock = SetClock(TEST_START)
    previous = use_clock(test_clock)
    yield test_clock
    use_clock(previous)


@pytest.fixture(scope="session", params=ENGINES, ids=list(ENGINES))
def engine_name(request: pytest.FixtureRequest) -> str:
    """'sqlite' or 'postgresql': every test depending on it runs once per engine."""
    name: str = request.param
    if name == "postgresql":
        reason = _pg_unreachable_reason()
        if reason is not None:
            if IN_CI:
                pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not be skipped)")
            pytest.skip(reason)
    return name


@pytest.fixture(scope="session")
async def database_templates(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[DatabaseTemplates]:
    templates = DatabaseTemplates(tmp_path_factory.mktemp("database-templates"))
    yield templates
    await templates.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "prepared(Prepared): the test's admin database is a copy of a prepared one"
    )


def _prepared_of(request: pytest.FixtureRequest) -> Prepared | None:
    if "demo" in request.fixturenames:
        return DEMO
    marker = request.node.get_closest_marker("prepared")
    return None if marker is None else marker.args[0]


@pytest.fixture
async def _databases(
    engine_name: str,
    database_templates: DatabaseTemplates,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> tuple[DatabaseUrls, Any]:
    return await database_templates.fresh(engine_name, tmp_path, _prepared_of(request))


@pytest.fixture
def database_urls(_databases: tuple[DatabaseUrls, Any]) -> DatabaseUrls:
    """A freshly migrated, empty admin database and télé-services database; for a test marked
    ``prepared`` (or using ``demo``), the admin database is a fresh copy of the prepared one."""
    return _databases[0]


@pytest.fixture
def prepared(_databases: tuple[DatabaseUrls, Any]) -> Any:
    """What the builder of the test's prepared database returned (a copy: the test may change
    it)."""
    return copy.deepcopy(_databases[1])


@pytest.fixture
async def postgresql_urls(database_templates: DatabaseTemplates, tmp_path: Path) -> DatabaseUrls:
    """A freshly migrated PostgreSQL pair, for what only PostgreSQL allows (several server
    processes): such a test runs once, not once per engine, and is never skipped in CI."""
    reason = _pg_unreachable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not be skipped)")
        pytest.skip(reason)
    urls, _ = await database_templates.fresh("postgresql", tmp_path)
    return urls


@pytest.fixture
async def unmigrated_database_urls(engine_name: str, tmp_path: Path) -> AsyncIterator[DatabaseUrls]:
    """Two brand-new databases with no schema at all (for migration tests); dropped afterwards."""
    if engine_name == "sqlite":
        yield DatabaseUrls(
            admin=sqlite_url(tmp_path / "blank-admin.sqlite3"),
            teleservices=sqlite_url(tmp_path / "blank-ts.sqlite3"),
        )
        return
    names = new_pg_database_names("blank_admin", "blank_ts")
    await create_pg_databases(names)
    try:
        yield DatabaseUrls(admin=pg_database_url(names[0]), teleservices=pg_database_url(names[1]))
    finally:
        await drop_pg_databases(names)


@pytest.fixture
def settings(database_urls: DatabaseUrls, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "SCONET_DATABASE_URL": database_urls.admin,
            "SCONET_TS_DATABASE_URL": database_urls.teleservices,
            "SCONET_SECRET_KEY": TEST_SECRET_KEY,
            "SCONET_VAR_DIR": str(tmp_path / "var"),
            # Required on PostgreSQL settings: the issuer of OAuth tokens.
            "SCONET_PUBLIC_URL": TEST_PUBLIC_URL,
        }
    )


@pytest.fixture
async def admin_engine(database_urls: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_urls.admin)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(admin_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(admin_engine)


@pytest.fixture
async def ts_engine(database_urls: DatabaseUrls) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_urls.teleservices)
    yield engine
    await engine.dispose()


@pytest.fixture
def ts_sessionmaker(ts_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the télé-services database of the test."""
    return make_sessionmaker(ts_engine)


@pytest.fixture
async def demo(sessionmaker) -> dict[str, Any]:
    """The demo académie (one school): ids of demo.principal's school, a division, a student.

    Its database is the ``database_urls`` fixture's: a fresh copy of the demo, generated once
    per test process and engine, for each test that asks for it."""
    async with sessionmaker() as session:
        school_id = await session.scalar(
            select(RoleGrant.school_id)
            .join(StaffUser, StaffUser.id == RoleGrant.user_id)
            .where(StaffUser.login == "demo.principal")
        )
        division_id = await session.scalar(
            select(Division.id)
            .join(SchoolYear, SchoolYear.id == Division.school_year_id)
            .where(Division.school_id == school_id, SchoolYear.state == SchoolYearState.CURRENT)
            .order_by(Division.code)
        )
        student = await session.scalar(
            select(Student)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(Enrollment.division_id == division_id, Enrollment.exit_date.is_(None))
            .order_by(Student.search_name)
        )
        # A family account whose statement holds every kind of line the demo writes (a
        # charge, a remise d'ordre, a receipt), and scholarship files granted and received.
        account = await session.scalar(
            select(Reduction.account_id)
            .join(Payment, Payment.account_id == Reduction.account_id)
            .where(Reduction.school_id == school_id, Reduction.kind == ReductionKind.ORDER)
            .order_by(Reduction.account_id)
            .limit(1)
        )
        files = {
            status: file_id
            for status, file_id in (
                await session.execute(
                    select(ScholarshipFile.status, ScholarshipFile.id)
                    .where(ScholarshipFile.school_id == school_id)
                    .order_by(ScholarshipFile.id.desc())
                )
            ).all()
        }
        # A published assessment of the division, with its marks (``api.demo.grades``).
        assessment = await session.scalar(
            select(Assessment.id)
            .where(Assessment.division_id == division_id, Assessment.published_on <= DEMO_TODAY)
            .order_by(Assessment.id)
            .limit(1)
        )
    assert student is not None and account is not None and assessment is not None
    return {
        "school": school_id,
        "division": division_id,
        "student": student.id,
        "family_name": student.family_name,
        "first_name": student.first_name,
        "finance_account": account,
        "granted_file": files[ScholarshipStatus.GRANTED],
        "received_file": files[ScholarshipStatus.RECEIVED],
        "assessment": assessment,
    }

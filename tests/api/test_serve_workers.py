"""``sconet serve --workers N``: real processes on PostgreSQL share what they must through the
databases (a sign-in made on one is honoured by the others, the outbox sends each message
once), and SIGTERM stops every one of them; SQLite refuses more than one process."""

from __future__ import annotations

import asyncio
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api import cli
from api.auth.signing_keys import current_signing_key
from api.cli.worker_processes import bind
from api.outbox.queue import enqueue
from api.outbox.worker import run_once, transports_for
from api.settings import MessagingSettings, SettingsError, load_settings
from databases.engines import check_database, make_engine, make_sessionmaker
from db.clients import SigningKey
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from tests.conftest import TEST_SECRET_KEY
from tests.mail_server import free_port
from tests.portals.conftest import csrf_of
from tests.world import PASSWORD, build_world

ROOT = Path(__file__).resolve().parents[2]
# The machine running the tests is shared: starting two interpreters can be slow.
START_SECONDS = 90.0
STOP_SECONDS = 45.0
ACCESS_LINE = re.compile(r'\[(\d+)\] INFO "GET /" 200')


def test_settings_default_to_the_cores_on_postgresql_and_one_process_on_sqlite(tmp_path):
    var = {"SCONET_VAR_DIR": str(tmp_path)}
    postgresql = var | {
        "SCONET_DATABASE_URL": "postgresql://postgres@db/sconet",
        "SCONET_TS_DATABASE_URL": "postgresql://postgres@db/sconet_ts",
        "SCONET_SECRET_KEY": TEST_SECRET_KEY,
    }
    assert load_settings(postgresql).workers == len(os.sched_getaffinity(0))
    assert load_settings(var).workers == 1
    assert load_settings(postgresql | {"SCONET_WORKERS": "3"}).workers == 3
    for wrong in ("0", "deux", "1000"):
        with pytest.raises(SettingsError, match="SCONET_WORKERS"):
            load_settings(postgresql | {"SCONET_WORKERS": wrong})


def test_sqlite_refuses_several_processes_with_a_clear_message(tmp_path):
    env = {"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": TEST_SECRET_KEY}
    for args, extra in ((["--workers", "2"], {}), ([], {"SCONET_WORKERS": "2"})):
        result = CliRunner().invoke(cli.main, ["serve", *args], env=env | extra)
        assert result.exit_code == 1, result.output
        assert "plusieurs processus demandent PostgreSQL" in result.output
        assert "sconet serve y tourne en un seul processus" in result.output


async def test_two_workers_claim_each_message_once(database_urls, smtp_server, sessionmaker):
    """Two outbox workers at once (``sconet worker`` beside ``serve --worker``, say), each on
    its own connections: the claims in the database give every message to one of them."""
    async with sessionmaker() as session, session.begin():
        for n in range(40):
            enqueue(session, OutboxChannel.EMAIL, f"famille{n}@example.org", "x", subject="s")
    transports = transports_for(
        MessagingSettings(
            smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
        )
    )
    engines = [make_engine(database_urls.admin) for _ in range(2)]
    try:
        reports = await asyncio.gather(
            *(
                run_once(make_sessionmaker(engine), transports, f"worker-{n}", batch=5)
                for n, engine in enumerate(engines)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(report.sent for report in reports) == 40
    recipients = sorted(str(message["To"]) for message in smtp_server.mailbox.messages)
    assert recipients == sorted(f"famille{n}@example.org" for n in range(40))


async def test_processes_meeting_their_first_clients_together_publish_one_key(
    database_urls, engine_name, settings
):
    """Two transactions (two server processes) want the first signing key at once."""
    engines = [make_engine(database_urls.admin) for _ in range(2)]

    async def first_key(engine):
        async with make_sessionmaker(engine)() as session, session.begin():
            return await current_signing_key(session, settings.secret_key)

    try:
        if engine_name == "sqlite":
            # One process serves SQLite: its calls follow one another.
            keys = [await first_key(engine) for engine in engines]
        else:
            # Connected beforehand, so that both transactions look for the key together.
            for engine in engines:
                await check_database(engine)
            keys = await asyncio.gather(*(first_key(engine) for engine in engines))
        async with make_sessionmaker(engines[0])() as session:
            published = await session.scalar(select(func.count()).select_from(SigningKey))
    finally:
        for engine in engines:
            await engine.dispose()
    assert keys[0].kid == keys[1].kid
    assert published == 1


# ------------------------------------------------------------------------ real processes


def _descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead: it only waits for its parent to read its status.
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Serve:
    """``sconet serve`` in a subprocess of its own, its stderr in a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, own_group: bool = False) -> None:
        self.log = log
        self.port = free_port()
        self.familles_port = free_port()
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "api", "serve", *args),
                *("--port", str(self.port), "--familles-port", str(self.familles_port)),
            ],
            env=os.environ | env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            # A file: the access log would fill a pipe nobody reads.
            stderr=log.open("wb"),
            # Its own process group, as a terminal gives a command: Ctrl-C reaches them all.
            start_new_session=own_group,
        )

    @property
    def staff(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def familles(self) -> str:
        return f"http://127.0.0.1:{self.familles_port}"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        async with httpx.AsyncClient(timeout=5) as http:
            for base in (self.staff, self.familles):
                while True:
                    assert self.process.poll() is None, f"serve stopped:\n{self.stderr()}"
                    assert time.monotonic() < deadline, f"serve not answering:\n{self.stderr()}"
                    try:
                        if (await http.get(f"{base}/sante")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def wait_for_processes(self, count: int, other_than: set[int]) -> set[int]:
        """The processes under ``serve`` once ``count`` of them are new (not in ``other_than``)."""
        deadline = time.monotonic() + START_SECONDS
        while len((found := _descendants(self.process.pid)) - other_than) < count:
            assert time.monotonic() < deadline, self.stderr()
            await asyncio.sleep(0.1)
        return found


async def _gone(pids: set[int]) -> list[int]:
    """Those of ``pids`` still running after a few seconds."""
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:  # noqa: ASYNC110 (a process's end is no event here)
        await asyncio.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


def _environment(database_urls, tmp_path: Path) -> dict[str, str]:
    return {
        "SCONET_DATABASE_URL": database_urls.admin,
        "SCONET_TS_DATABASE_URL": database_urls.teleservices,
        "SCONET_SECRET_KEY": TEST_SECRET_KEY,
        "SCONET_VAR_DIR": str(tmp_path / "var"),
        "SCONET_PUBLIC_URL": "https://sconet.example",
        # Plain http in the test: the session cookie must come back without TLS.
        "SCONET_COOKIE_SECURE": "false",
    }


async def _signed_in(staff: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=staff, timeout=10) as http:
        form = await http.get("/connexion")
        response = await http.post(
            "/connexion",
            data={
                "login": "principal_a",
                "password": PASSWORD,
                "csrf_token": csrf_of(form.text),
                "suivant": "/",
            },
        )
        assert response.status_code == 303, response.text
        return http.cookies


async def _home_pages(staff: str, cookies: httpx.Cookies, count: int) -> list[httpx.Response]:
    """``count`` home pages, eight at a time, each on a connection of its own: the kernel
    hands the connections to whichever worker accepts first."""
    limits = httpx.Limits(max_keepalive_connections=0)
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(
        base_url=staff, cookies=cookies, limits=limits, timeout=20
    ) as http:

        async def one() -> httpx.Response:
            async with gate:
                return await http.get("/")

        return await asyncio.gather(*(one() for _ in range(count)))


async def test_serve_with_two_workers(
    database_urls, engine_name, sessionmaker, smtp_server, tmp_path
):
    serve_log = tmp_path / "serve.log"
    env = _environment(database_urls, tmp_path) | {
        "SCONET_SMTP_HOST": smtp_server.host,
        "SCONET_SMTP_PORT": str(smtp_server.port),
        "SCONET_SMTP_SECURITY": "none",
    }
    if engine_name == "sqlite":
        refused = Serve(env, serve_log, "--workers", "2")
        try:
            assert refused.process.wait(timeout=START_SECONDS) == 1
        finally:
            refused.stop()
        assert "plusieurs processus demandent PostgreSQL" in refused.stderr()
        return

    await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        for n in range(10):
            enqueue(session, OutboxChannel.EMAIL, f"parent{n}@example.org", "x", subject="s")
    serve = Serve(env, serve_log, "--workers", "2", "--worker")
    try:
        await serve.wait_until_answering()
        workers = _descendants(serve.process.pid)
        # One sign-in, on whichever worker, then home pages on fresh connections: every one is
        # the signed-in page, whichever worker answered, and both workers answer some.
        cookies = await _signed_in(serve.staff)
        answering: set[int] = set()
        for _round in range(10):
            pages = await _home_pages(serve.staff, cookies, 40)
            assert all(page.status_code == 200 for page in pages), [p.status_code for p in pages]
            assert all("Principal A" in page.text for page in pages)
            answering = {int(pid) for pid in ACCESS_LINE.findall(serve.stderr())}
            if len(answering) >= 2:
                break
        assert len(answering) == 2, serve.stderr()
        assert answering <= workers

        # The outbox worker runs once, in the supervising process: each message sent once.
        deadline = time.monotonic() + START_SECONDS
        while True:
            async with sessionmaker() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status != OutboxStatus.SENT)
                )
            if pending == 0:
                break
            assert time.monotonic() < deadline, serve.stderr()
            await asyncio.sleep(0.2)
        recipients = sorted(str(message["To"]) for message in smtp_server.mailbox.messages)
        assert recipients == sorted(f"parent{n}@example.org" for n in range(10))

        # SIGTERM stops the supervisor and every process it started.
        serve.process.send_signal(signal.SIGTERM)
        output, _ = serve.process.communicate(timeout=STOP_SECONDS)
        assert serve.process.returncode == 0, serve.stderr()
        assert output.decode().count("Envoi des courriels et SMS") == 1
        assert "Processus serveurs : 2." in output.decode()
        assert await _gone(workers) == []
    finally:
        serve.stop()


async def test_a_dead_worker_is_replaced_and_ctrl_c_stops_them_all(postgresql_urls, tmp_path):
    """PostgreSQL only: several processes need it (SQLite's refusal is tested above)."""
    serve = Serve(
        _environment(postgresql_urls, tmp_path),
        tmp_path / "serve.log",
        "--workers",
        "2",
        own_group=True,
    )
    try:
        await serve.wait_until_answering()
        first = await serve.wait_for_processes(2, other_than=set())
        worker = max(pid for pid in first if "spawn_main" in _command_line(pid))
        os.kill(worker, signal.SIGKILL)
        everyone = await serve.wait_for_processes(1, other_than=first)
        assert f"Processus serveur {worker} arrêté" in serve.stderr()
        await serve.wait_until_answering()
        # Ctrl-C in the terminal: SIGINT to the whole group.
        os.killpg(serve.process.pid, signal.SIGINT)
        assert serve.process.wait(timeout=STOP_SECONDS) == 0, serve.stderr()
        assert await _gone(everyone) == []
    finally:
        serve.stop()


async def test_workers_stop_by_themselves_when_serve_is_killed(postgresql_urls, tmp_path):
    """PostgreSQL only: several processes need it (SQLite's refusal is tested above)."""
    serve = Serve(_environment(postgresql_urls, tmp_path), tmp_path / "serve.log", "--workers", "2")
    try:
        await serve.wait_until_answering()
        workers = await serve.wait_for_processes(2, other_than=set())
        serve.process.kill()
        serve.process.wait()
        # No orphan keeps the ports: every worker notices and stops.
        assert await _gone(workers) == []
    finally:
        serve.stop()


def _command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _accepted_nodelay(listening: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by an asyncio server on a rebuilt copy of
    ``listening`` (a worker process gets its copy through pickling, as here)."""
    copy: socket.socket = pickle.loads(ForkingPickler.dumps(listening))
    seen: list[int] = []

    async def accept_one() -> None:
        async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=copy)
        _reader, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        await _reader.read()
        writer.close()
        server.close()

    asyncio.run(accept_one())
    return seen[0]


def test_the_workers_answer_without_waiting_for_delayed_acknowledgements():
    """Without TCP_NODELAY, each small answer of a worker waited 40 ms for the client's
    delayed ACK (Nagle): asyncio sets it only on a socket declared as TCP."""
    listening = bind("127.0.0.1", 0)
    try:
        assert _accepted_nodelay(listening) == 1
    finally:
        listening.close()

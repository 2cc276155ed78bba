"""The students API side by side with PostGraphile 4 and raw SQL, over the same database.

A fresh database, ``sconet demo --scale N``, then three systems serve the same rows:

  sconet        the real server (``sconet serve`` in a subprocess), as the rectorat;
  postgraphile  PostGraphile 4 over the same PostgreSQL database (same user, no JWT), its
                npm package installed under benchmarks/postgraphile/ on first use (never in CI);
  sql           the same rows fetched by raw SQL through asyncpg in this process.

Three requests: (a) a division's list with its students' guardians, (b) a 500-student page
of a school, (c) the académie-wide ``students(first: 50)`` of the rectorat. Before timing,
every system's answer is checked to hold the same students (ids). Requests are interleaved:
bursts of each system in turn, so that the machine's noise is shared; with C concurrent
clients, C workers drain each burst. Reported: p50, p99 and requests per second per system,
and ratios (sconet / PostGraphile p50, PostGraphile rps / sconet rps, each against SQL).
Ratios, not seconds, are the result: they hold on a noisy machine.

The académie-wide page is measured again on a second database at ``--small-scale`` to show
how its cost grows with the académie when the page does not.

    python benchmarks/students_api.py --scale 20
    python benchmarks/students_api.py --scale 20 --requests 300 --clients 1,8
    python benchmarks/students_api.py --scale 2 --engine sqlite     # sconet and SQL only
    python benchmarks/students_api.py --scale 20 --profile /tmp/serve.prof   # cProfile the server
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
POSTGRAPHILE_DIR = ROOT / "benchmarks" / "postgraphile"
sys.path.insert(0, str(ROOT))

from api.demo import generate_demo  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402

SYSTEMS = ("sconet", "postgraphile", "sql")

# --- sconet ---------------------------------------------------------------------------------

SCONET_DIVISION = """
query($division: Int!) {
  students(filter: {divisionId: $division}, first: 100) {
    edges { node { id familyName firstName birthDate
      guardians { responsibility guardian { familyName firstName email phoneMobile address { line1 postalCode city } } } } }
  }
}
"""

SCONET_PAGE = """
query($school: Int!, $year: Int!) {
  students(filter: {schoolId: $school, schoolYearId: $year}, first: 500) {
    edges { node { id familyName firstName sex birthDate ine } }
  }
}
"""

SCONET_ACADEMIE = """
query { students(first: 50) { edges { node { id familyName firstName birthDate } } } }
"""

# --- PostGraphile 4, default inflection -----------------------------------------------------

# A division's enrolments lead to the students; plain PostGraphile cannot order a table by a
# related table's column, so the students come in enrolment order (the ids are compared as
# sets).
POSTGRAPHILE_DIVISION = """
query($division: Int!) {
  allEnrollments(condition: {divisionId: $division}, first: 100) {
    nodes { studentByStudentId { id familyName firstName birthDate
      guardianLinksByStudentId { nodes { legalRank
        guardianByGuardianId { familyName firstName email phoneMobile
          addressByAddressId { line1 postalCode city } } } } } }
  }
}
"""

# A school's students ordered by name is a filter through enrolments: PostGraphile's way is a
# SQL function (a "custom query"), created in the benchmark database in its own schema.
POSTGRAPHILE_FUNCTION = (
    "CREATE SCHEMA IF NOT EXISTS postgraphile_bench",
    """
CREATE OR REPLACE FUNCTION postgraphile_bench.school_students(school integer, year integer)
RETURNS SETOF public.students LANGUAGE sql STABLE AS $$
  SELECT s.* FROM public.students s
  WHERE EXISTS (SELECT 1 FROM public.enrollments e WHERE e.student_id = s.id
                AND e.school_id = school AND e.school_year_id = year)
  ORDER BY s.search_name, s.id
$$
""",
)

POSTGRAPHILE_PAGE = """
query($school: Int!, $year: Int!) {
  schoolStudents(school: $school, year: $year, first: 500) {
    nodes { id familyName firstName sex birthDate ine }
  }
}
"""

POSTGRAPHILE_ACADEMIE = """
query { allStudents(orderBy: [SEARCH_NAME_ASC, ID_ASC], first: 50) {
  nodes { id familyName firstName birthDate } } }
"""

# --- raw SQL --------------------------------------------------------------------------------

SQL_DIVISION = text(
    """
    SELECT s.id, s.family_name, s.first_name, s.birth_date, l.legal_rank, g.family_name, g.first_name,
           g.email, g.phone_mobile, a.line1, a.postal_code, a.city
    FROM students s
    JOIN enrollments e ON e.student_id = s.id
    LEFT JOIN guardian_links l ON l.student_id = s.id
    LEFT JOIN guardians g ON g.id = l.guardian_id
    LEFT JOIN addresses a ON a.id = g.address_id
    WHERE e.division_id = :division
    ORDER BY s.search_name, s.id
    """
)

SQL_PAGE = text(
    """
    SELECT s.id, s.family_name, s.first_name, s.sex, s.birth_date, s.ine
    FROM students s
    WHERE EXISTS (SELECT 1 FROM enrollments e WHERE e.student_id = s.id
                  AND e.school_id = :school AND e.school_year_id = :year)
    ORDER BY s.search_name, s.id
    LIMIT 500
    """
)

SQL_ACADEMIE = text(
    "SELECT s.id, s.family_name, s.first_name, s.birth_date FROM students s "
    "ORDER BY s.search_name, s.id LIMIT 50"
)

ACADEMIE = "académie students(first: 50)"
REQUESTS = {
    "division": "division list + guardians",
    "page": "500-student page",
    "academie": ACADEMIE,
}

# A call answers the students' ids it got, in order; its argument is the request's number.
Call = Callable[[int], Awaitable[list[int]]]
# What is timed: any request, numbered (the other benchmarks time their own against SQL).
Timed = Callable[[int], Awaitable[object]]


@dataclass
class Request:
    label: str
    calls: dict[str, Call]
    # Whether the systems must agree on the order too, not only on the set of students.
    ordered: bool
    # How many different parameters the calls cycle through (checked one by one).
    variants: int = 1


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    busy: float = 0.0
    # This process's CPU (HTTP client, JSON decoding; for SQL, the driver): when it nears the
    # wall time per request, the client and not the server bounds the requests per second.
    client_cpu: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 0.99)

    @property
    def rps(self) -> float:
        return len(self.samples) / self.busy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped:\n{log.read_text()}")
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{what} did not start:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- databases ------------------------------------------------------------------------------


@dataclass
class Databases:
    admin_url: str
    ts_url: str
    # The admin database for libpq clients (PostGraphile, psql), None on SQLite.
    libpq_url: str | None
    drop: Callable[[], None]


def create_databases(engine: str, workdir: Path, tag: str) -> Databases:
    if engine == "sqlite":
        return Databases(
            f"sqlite+aiosqlite:///{workdir}/admin-{tag}.sqlite3",
            f"sqlite+aiosqlite:///{workdir}/ts-{tag}.sqlite3",
            None,
            lambda: None,
        )
    base = os.environ.get("SCONET_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    name = f"sconet_bench_{os.getpid()}_{tag}"

    def psql(sql: str) -> None:
        subprocess.run(
            ["psql", f"{base}/postgres", "-q", "-c", sql], check=True, capture_output=True
        )

    for suffix in ("", "_ts"):
        psql(f"DROP DATABASE IF EXISTS {name}{suffix}")
        psql(f"CREATE DATABASE {name}{suffix}")

    def drop() -> None:
        for suffix in ("", "_ts"):
            psql(f"DROP DATABASE IF EXISTS {name}{suffix} WITH (FORCE)")

    async_base = base.replace("postgresql://", "postgresql+asyncpg://")
    return Databases(f"{async_base}/{name}", f"{async_base}/{name}_ts", f"{base}/{name}", drop)


@dataclass
class Demo:
    divisions: list[int]
    school: int
    year: int
    students: int


async def prepare(databases: Databases, scale: int) -> Demo:
    """Migrates and generates the demo académie; answers what the requests need."""
    await upgrade_from_loop("admin", databases.admin_url)
    await upgrade_from_loop("teleservices", databases.ts_url)
    engine = make_engine(databases.admin_url)
    try:
        started = time.perf_counter()
        await generate_demo(make_sessionmaker(engine), scale=scale)
        print(f"  demo --scale {scale}: {time.perf_counter() - started:.0f} s", flush=True)
        async with engine.begin() as conn:
            year = (
                await conn.execute(text("SELECT id FROM school_years WHERE state = 'current'"))
            ).scalar_one()
            school = (
                await conn.execute(
                    text(
                        "SELECT school_id FROM enrollments WHERE school_year_id = :y "
                        "GROUP BY school_id ORDER BY COUNT(*) DESC LIMIT 1"
                    ),
                    {"y": year},
                )
            ).scalar_one()
            divisions = list(
                (
                    await conn.execute(
                        text("SELECT id FROM divisions WHERE school_year_id = :y ORDER BY id"),
                        {"y": year},
                    )
                ).scalars()
            )
            students = (await conn.execute(text("SELECT COUNT(*) FROM students"))).scalar_one()
            if databases.libpq_url is not None:
                for statement in POSTGRAPHILE_FUNCTION:
                    await conn.exec_driver_sql(statement)
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return Demo(divisions, school, year, students)


# --- servers --------------------------------------------------------------------------------


def start_sconet(
    databases: Databases, workdir: Path, profile: Path | None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "SCONET_DATABASE_URL": databases.admin_url,
        "SCONET_TS_DATABASE_URL": databases.ts_url,
        "SCONET_SECRET_KEY": "benchmark-secret-key-benchmark-secret-key",
        # Required on PostgreSQL: the API's public address (the OAuth issuer).
        "SCONET_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SCONET_VAR_DIR": str(workdir),
    }
    # Profiled, the server records only between SIGUSR1 and SIGUSR2 (sent around the timed
    # requests), so that start-up (imports, the schema) does not weigh in the shares.
    profiler = ["-c", PROFILED_SERVE, str(profile)] if profile else ["-m", "api"]
    log = workdir / "serve.log"
    server = subprocess.Popen(
        [
            *(sys.executable, *profiler, "serve"),
            *("--port", str(port), "--familles-port", str(free_port())),
            # cProfile sees its own process only: the requests must be served there.
            *(("--workers", "1") if profile else ()),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: the access log would fill a pipe nobody reads and block the server.
        stderr=log.open("wb"),
    )
    wait_listening(port, server, log, "sconet serve")
    return server, f"http://127.0.0.1:{port}"


PROFILED_SERVE = """
import cProfile, runpy, signal, sys, time
# CPU time, not wall time: on a shared machine, time spent descheduled is not the server's.
profiler = cProfile.Profile(time.process_time)
output = sys.argv.pop(1)
def dump(*_):
    profiler.disable()
    profiler.dump_stats(output)
signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
signal.signal(signal.SIGUSR2, dump)
sys.argv[0] = "api"
runpy.run_module("api", run_name="__main__", alter_sys=True)
"""


def install_postgraphile() -> Path:
    """PostGraphile's command, installed from benchmarks/postgraphile/package.json on first use."""
    command = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"
    pinned = json.loads((POSTGRAPHILE_DIR / "package.json").read_text())["dependencies"]
    installed = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "package.json"
    if (
        not command.exists()
        or not installed.exists()
        or json.loads(installed.read_text())["version"] != pinned["postgraphile"]
    ):
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed for PostGraphile (or pass --skip-postgraphile)")
        print("  installing PostGraphile 4 (npm install, benchmark only)", flush=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-save"],
            cwd=POSTGRAPHILE_DIR,
            check=True,
        )
    return command


def start_postgraphile(libpq_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = install_postgraphile()
    port = free_port()
    log = workdir / "postgraphile.log"
    server = subprocess.Popen(
        [
            *(str(command), "--connection", libpq_url, "--schema", "public,postgraphile_bench"),
            *("--host", "127.0.0.1", "--port", str(port), "--disable-graphiql"),
            "--disable-query-log",
        ],
        env=os.environ | {"NODE_ENV": "production"},
        cwd=POSTGRAPHILE_DIR,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    wait_listening(port, server, log, "PostGraphile")
    return server, f"http://127.0.0.1:{port}"


# --- the requests ---------------------------------------------------------------------------


def graphql_call(
    http: httpx.AsyncClient, query: str, variables: Callable[[int], dict[str, Any]], path: str
) -> Call:
    """A GraphQL request answering the student ids found at ``path`` (dotted, ``*`` for a list)."""

    async def call(i: int) -> list[int]:
        response = await http.post("/graphql", json={"query": query, "variables": variables(i)})
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"{response.status_code} {str(body)[:500]}")
        return [int(found) for found in walk(body["data"], path.split("."))]

    return call


def walk(value: Any, steps: list[str]) -> list[Any]:
    if not steps:
        return [value]
    step, rest = steps[0], steps[1:]
    if step == "*":
        return [found for item in value for found in walk(item, rest)]
    return walk(value[step], rest)


def sql_call(engine: AsyncEngine, query: Any, variables: Callable[[int], dict[str, Any]]) -> Call:
    async def call(i: int) -> list[int]:
        async with engine.connect() as conn:
            rows = (await conn.execute(query, variables(i))).all()
        return list(dict.fromkeys(row[0] for row in rows))  # a row per guardian: ids once

    return call


def build_requests(
    demo: Demo,
    sconet: httpx.AsyncClient,
    postgraphile: httpx.AsyncClient | None,
    engine: AsyncEngine,
) -> list[Request]:
    def division(i: int) -> dict[str, Any]:
        return {"division": demo.divisions[i % len(demo.divisions)]}

    def page(_i: int) -> dict[str, Any]:
        return {"school": demo.school, "year": demo.year}

    def none(_i: int) -> dict[str, Any]:
        return {}

    specs: list[tuple[str, bool, int, tuple[str, Any, str], tuple[str, str], Any, Any]] = [
        (
            REQUESTS["division"],
            False,
            min(len(demo.divisions), 20),
            (SCONET_DIVISION, division, "students.edges.*.node.id"),
            (POSTGRAPHILE_DIVISION, "allEnrollments.nodes.*.studentByStudentId.id"),
            SQL_DIVISION,
            division,
        ),
        (
            REQUESTS["page"],
            True,
            1,
            (SCONET_PAGE, page, "students.edges.*.node.id"),
            (POSTGRAPHILE_PAGE, "schoolStudents.nodes.*.id"),
            SQL_PAGE,
            page,
        ),
        (
            ACADEMIE,
            True,
            1,
            (SCONET_ACADEMIE, none, "students.edges.*.node.id"),
            (POSTGRAPHILE_ACADEMIE, "allStudents.nodes.*.id"),
            SQL_ACADEMIE,
            none,
        ),
    ]
    requests = []
    for label, ordered, variants, (s_query, variables, s_path), (p_query, p_path), sql, _ in specs:
        calls: dict[str, Call] = {"sconet": graphql_call(sconet, s_query, variables, s_path)}
        if postgraphile is not None:
            calls["postgraphile"] = graphql_call(postgraphile, p_query, variables, p_path)
        calls["sql"] = sql_call(engine, sql, variables)
        requests.append(Request(label, calls, ordered, variants))
    return requests


async def check_same_rows(request: Request) -> int:
    """Raises unless every system answers the same students; answers the rows per request."""
    counts = []
    for i in range(request.variants):
        answers = {name: await call(i) for name, call in request.calls.items()}
        reference = answers["sql"]
        if not reference:
            raise RuntimeError(f"{request.label}: no rows")
        for name, ids in answers.items():
            same = ids == reference if request.ordered else sorted(ids) == sorted(reference)
            if not same:
                raise RuntimeError(
                    f"{request.label} #{i}: {name} answers {len(ids)} students, SQL "
                    f"{len(reference)}; first differing ids {ids[:5]} vs {reference[:5]}"
                )
        counts.append(len(reference))
    return round(statistics.mean(counts))


async def burst(call: Timed, first: int, count: int, clients: int, timing: Timing) -> None:
    """``count`` requests numbered from ``first``, by ``clients`` concurrent workers."""
    numbers = iter(range(first, first + count))

    async def worker() -> None:
        for i in numbers:
            start = time.perf_counter()
            await call(i)
            timing.samples.append(time.perf_counter() - start)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(clients)))
    timing.busy += time.perf_counter() - start
    timing.client_cpu += time.process_time() - cpu


async def interleaved(calls: Mapping[str, Timed], requests: int, clients: int) -> dict[str, Timing]:
    """``requests`` per system, in bursts of each system in turn (the order rotating)."""
    names = list(calls)
    for name in names:  # warm-up: caches, connection pools, the JIT
        await burst(calls[name], 0, clients * 5, clients, Timing())
    timings = {name: Timing() for name in names}
    size = clients * 4
    done = 0
    round_number = 0
    while done < requests:
        count = min(size, requests - done)
        for k in range(len(names)):
            name = names[(round_number + k) % len(names)]
            await burst(calls[name], done, count, clients, timings[name])
        done += count
        round_number += 1
    return timings


# --- the run --------------------------------------------------------------------------------


@dataclass
class Options:
    engine: str
    scale: int
    requests: int
    clients: list[int]
    postgraphile: bool
    profile: Path | None
    only: set[str] | None


Results = dict[tuple[str, int], dict[str, Timing]]


async def measure(options: Options, scale: int, labels: set[str] | None) -> Results:
    results: Results = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        databases = create_databases(options.engine, workdir, f"s{scale}")
        servers: list[subprocess.Popen[bytes]] = []
        try:
            demo = await prepare(databases, scale)
            print(
                f"  {demo.students} students, {len(demo.divisions)} divisions this year",
                flush=True,
            )
            server, sconet_url = start_sconet(databases, workdir, options.profile)
            servers.append(server)
            postgraphile_url = None
            if options.postgraphile and databases.libpq_url is not None:
                server, postgraphile_url = start_postgraphile(databases.libpq_url, workdir)
                servers.append(server)
            limits = httpx.Limits(max_connections=max(options.clients))
            engine = create_async_engine(
                databases.admin_url, pool_size=max(options.clients), max_overflow=0
            )
            try:
                async with (
                    httpx.AsyncClient(base_url=sconet_url, timeout=60, limits=limits) as sconet,
                    httpx.AsyncClient(
                        base_url=postgraphile_url or "http://unused", timeout=60, limits=limits
                    ) as postgraphile,
                ):
                    # The rectorat reaches every school's students.
                    session = await sconet.post(
                        "/api/session",
                        json={"login": "demo.rectorat", "password": "demo-sconet-2026"},
                    )
                    session.raise_for_status()
                    sconet.headers["Authorization"] = f"Bearer {session.json()['token']}"
                    requests = build_requests(
                        demo, sconet, postgraphile if postgraphile_url else None, engine
                    )
                    selected = [r for r in requests if labels is None or r.label in labels]
                    rows = [await check_same_rows(request) for request in selected]
                    if options.profile:
                        servers[0].send_signal(signal.SIGUSR1)
                    for request, count in zip(selected, rows, strict=True):
                        print(f"\n  {request.label} ({count} students, same ids everywhere)")
                        for clients in options.clients:
                            timings = await interleaved(request.calls, options.requests, clients)
                            print_timings(clients, timings)
                            results[request.label, clients] = timings
                    if options.profile:
                        servers[0].send_signal(signal.SIGUSR2)
                        wait_for_file(options.profile)
            finally:
                await engine.dispose()
        finally:
            for server in servers:
                stop(server)
            databases.drop()
    return results


def print_timings(clients: int, timings: dict[str, Timing]) -> None:
    print(
        f"    {clients} client{'s' if clients > 1 else ' '}    p50 ms   p99 ms    req/s"
        "   client CPU ms/req"
    )
    for name, timing in timings.items():
        print(
            f"      {name:<12}{timing.p50 * 1000:>8.2f}{timing.p99 * 1000:>9.2f}{timing.rps:>9.0f}"
            f"{timing.client_cpu / len(timing.samples) * 1000:>14.2f}"
        )
    sconet, sql = timings["sconet"], timings["sql"]
    ratios = [
        f"sconet/SQL p50 {sconet.p50 / sql.p50:.1f}x",
        f"SQL/sconet rps {sql.rps / sconet.rps:.1f}x",
    ]
    if "postgraphile" in timings:
        pg = timings["postgraphile"]
        ratios = [
            f"sconet/PostGraphile p50 {sconet.p50 / pg.p50:.1f}x",
            f"p99 {sconet.p99 / pg.p99:.1f}x",
            f"PostGraphile/sconet rps {pg.rps / sconet.rps:.1f}x",
            f"PostGraphile/SQL p50 {pg.p50 / sql.p50:.1f}x",
            *ratios,
        ]
    print("      " + "; ".join(ratios), flush=True)


def wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            time.sleep(1)  # let the writer finish
            return
        time.sleep(0.2)
    raise RuntimeError(f"the server wrote no profile to {path}")


def print_profile(path: Path) -> None:
    """The server's own CPU time (cProfile tottime) by package: where a request's CPU goes. A
    built-in (C) function's time goes to the package of the code that called it."""
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _line, _function), (_cc, _nc, tottime, _ct, callers) in raw.items():
        if filename != "~" or not callers:
            name = package_of(filename)
            groups[name] = groups.get(name, 0.0) + tottime
            continue
        for (caller_file, _l, _f), (_ccc, _cnc, caller_tottime, _cct) in callers.items():
            name = package_of(caller_file)
            groups[name] = groups.get(name, 0.0) + caller_tottime
    total = sum(groups.values())
    print(f"\n  server profile ({path}), own time by package, {total:.1f} s in all:")
    for name, seconds in sorted(groups.items(), key=lambda item: -item[1])[:16]:
        print(f"    {name:<32}{seconds / total * 100:>6.1f} %")
    print("  the functions with the most own time:")
    ranked = sorted(raw.items(), key=lambda item: -item[1][2])[:20]
    for (filename, line, function), (_cc, calls, tottime, _ct, _callers) in ranked:
        where = "built-in" if filename == "~" else f"{package_of(filename)}:{line}"
        print(f"    {tottime / total * 100:>5.1f} % {calls:>9} calls  {function[:60]}  ({where})")


def package_of(filename: str) -> str:
    if filename == "~":
        return "built-ins"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    if path.is_relative_to(ROOT):
        return f"sconet: {parts[len(ROOT.parts)]}"
    if "asyncio" in parts:
        return "asyncio"
    return "stdlib: " + path.stem


def print_goal(results: Results) -> None:
    """Issue 10's least: within 4x PostGraphile's p50 (one client) on the division list and
    the 500-student page, and within 3x its requests per second with 8 clients."""
    lines = []
    for key in ("division", "page"):
        label = REQUESTS[key]
        one, eight = results.get((label, 1)), results.get((label, 8))
        if one and "postgraphile" in one:
            ratio = one["sconet"].p50 / one["postgraphile"].p50
            lines.append(f"{key} p50 {ratio:.1f}x ({'met' if ratio <= 4 else 'not met'}, <= 4x)")
        if eight and "postgraphile" in eight:
            ratio = eight["postgraphile"].rps / eight["sconet"].rps
            lines.append(
                f"{key} rps at 8 clients {ratio:.1f}x ({'met' if ratio <= 3 else 'not met'}, <= 3x)"
            )
    if lines:
        print("\n  against PostGraphile (issue 10): " + "; ".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument(
        "--small-scale",
        type=int,
        default=2,
        help="a second académie for the académie-wide page's cost vs scale (0: none)",
    )
    parser.add_argument("--requests", type=int, default=200, help="per system, request, clients")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, comma-separated")
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--skip-postgraphile", action="store_true")
    parser.add_argument(
        "--only", help=f"some of the requests, comma-separated: {', '.join(REQUESTS)}"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="run sconet serve under cProfile into this file, and summarise it by package",
    )
    args = parser.parse_args()
    options = Options(
        engine=args.engine,
        scale=args.scale,
        requests=args.requests,
        clients=[int(c) for c in args.clients.split(",")],
        postgraphile=not args.skip_postgraphile and args.engine == "postgresql",
        profile=args.profile,
        only={REQUESTS[name] for name in args.only.split(",")} if args.only else None,
    )
    systems = ", ".join(s for s in SYSTEMS if s != "postgraphile" or options.postgraphile)
    print(
        f"students API benchmark on {args.engine}: {systems}; {args.requests} requests per "
        f"system, request and client count, interleaved"
    )
    print(f"\n[demo --scale {args.scale}]", flush=True)
    results = asyncio.run(measure(options, args.scale, options.only))
    print_goal(results)
    if args.profile:
        print_profile(args.profile)
    if args.small_scale and (options.only is None or ACADEMIE in options.only):
        print(f"\n[demo --scale {args.small_scale}: the académie-wide page only]", flush=True)
        small = Options(**{**options.__dict__, "profile": None})
        asyncio.run(measure(small, args.small_scale, {ACADEMIE}))


if __name__ == "__main__":
    main()

"""Latency of the students API over HTTP, as a ratio to raw SQL fetching the same rows.

For each engine: a fresh database, ``sconet demo --scale N``, the real server
(``sconet serve`` in a subprocess), then

  (a) a division's list with its students' guardians,
  (b) a 500-student page of a school,

each timed over HTTP (p50, p99) beside the time to fetch the same rows by
raw SQL through the same driver in this process. Ratios, not seconds, are the
result: they hold on a noisy machine.

    python benchmarks/students_api.py --scale 20 --engines sqlite,postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.demo import generate_demo  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402

DIVISION_QUERY = """
query($division: Int!) {
  students(filter: {divisionId: $division}, first: 100) {
    edges { node { id familyName firstName birthDate
      guardians { responsibility guardian { familyName firstName email phoneMobile addressLine1 postalCode city } } } }
  }
}
"""

PAGE_QUERY = """
query($school: Int!, $year: Int!) {
  students(filter: {schoolId: $school, schoolYearId: $year}, first: 500) {
    edges { node { id familyName firstName sex birthDate ine } }
  }
}
"""

DIVISION_SQL = text(
    """
    SELECT s.id, s.family_name, s.first_name, s.birth_date, l.legal_rank, g.family_name, g.first_name,
           g.email, g.phone_mobile, g.address_line1, g.postal_code, g.city
    FROM students s
    JOIN enrollments e ON e.student_id = s.id
    LEFT JOIN guardian_links l ON l.student_id = s.id
    LEFT JOIN guardians g ON g.id = l.guardian_id
    WHERE e.division_id = :division
    ORDER BY s.search_name, s.id
    """
)

PAGE_SQL = text(
    """
    SELECT s.id, s.family_name, s.first_name, s.sex, s.birth_date, s.ine
    FROM students s
    WHERE EXISTS (SELECT 1 FROM enrollments e WHERE e.student_id = s.id
                  AND e.school_id = :school AND e.school_year_id = :year)
    ORDER BY s.search_name, s.id
    LIMIT 500
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def timed(runs: int, call: Callable[[int], Awaitable[Any]]) -> list[float]:
    await call(0)  # warm-up: caches, connection pools
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - start)
    return samples


def database_urls(engine: str, workdir: Path) -> tuple[str, str, Callable[[], None]]:
    if engine == "sqlite":
        return (
            f"sqlite+aiosqlite:///{workdir}/admin.sqlite3",
            f"sqlite+aiosqlite:///{workdir}/ts.sqlite3",
            lambda: None,
        )
    base = os.environ.get("SCONET_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    name = f"sconet_bench_{os.getpid()}"

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
    return f"{async_base}/{name}", f"{async_base}/{name}_ts", drop


async def prepare(admin_url: str, scale: int) -> tuple[list[int], int, int]:
    """Generates the demo académie; returns the division ids, a school id and the current year."""
    engine = make_engine(admin_url)
    try:
        started = time.perf_counter()
        await generate_demo(make_sessionmaker(engine), scale=scale)
        print(f"  demo --scale {scale}: {time.perf_counter() - started:.1f} s", flush=True)
        async with engine.connect() as conn:
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
    finally:
        await engine.dispose()
    return divisions, school, year


def start_server(admin_url: str, ts_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "SCONET_DATABASE_URL": admin_url,
        "SCONET_TS_DATABASE_URL": ts_url,
        "SCONET_SECRET_KEY": "benchmark-secret-key-benchmark-secret-key",
        # Required on PostgreSQL: the API's public address (the OAuth issuer).
        "SCONET_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SCONET_VAR_DIR": str(workdir),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api",
            "serve",
            "--port",
            str(port),
            "--familles-port",
            str(free_port()),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: the access log would fill a pipe nobody reads and block the server.
        stderr=(workdir / "serve.log").open("wb"),
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{base_url}/api/session", json={}, timeout=1)
            return server, base_url
        except httpx.TransportError:
            if server.poll() is not None:
                raise RuntimeError((workdir / "serve.log").read_text()) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


async def measure(
    engine_name: str, scale: int, runs: int
) -> list[tuple[str, float, float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        admin_url, ts_url, drop = database_urls(engine_name, workdir)
        try:
            await upgrade_from_loop("admin", admin_url)
            await upgrade_from_loop("teleservices", ts_url)
            divisions, school, year = await prepare(admin_url, scale)
            server, base_url = start_server(admin_url, ts_url, workdir)
            engine = make_engine(admin_url)
            try:
                async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
                    # The rectorat reaches every school's divisions.
                    rectorat = await http.post(
                        "/api/session",
                        json={"login": "demo.rectorat", "password": "demo-sconet-2026"},
                    )
                    rectorat.raise_for_status()
                    http.headers["Authorization"] = f"Bearer {rectorat.json()['token']}"

                    async def api_division(i: int) -> None:
                        r = await http.post(
                            "/graphql",
                            json={
                                "query": DIVISION_QUERY,
                                "variables": {"division": divisions[i % len(divisions)]},
                            },
                        )
                        body = r.json()
                        assert "errors" not in body and body["data"]["students"]["edges"], body

                    async def api_page(_i: int) -> None:
                        r = await http.post(
                            "/graphql",
                            json={
                                "query": PAGE_QUERY,
                                "variables": {"school": school, "year": year},
                            },
                        )
                        body = r.json()
                        assert (
                            "errors" not in body and len(body["data"]["students"]["edges"]) == 500
                        ), body

                    async with engine.connect() as conn:

                        async def sql_division(i: int) -> None:
                            rows = (
                                await conn.execute(
                                    DIVISION_SQL, {"division": divisions[i % len(divisions)]}
                                )
                            ).all()
                            assert rows

                        async def sql_page(_i: int) -> None:
                            assert (
                                len(
                                    (
                                        await conn.execute(
                                            PAGE_SQL, {"school": school, "year": year}
                                        )
                                    ).all()
                                )
                                == 500
                            )

                        results = []
                        for label, api_call, sql_call in (
                            ("division list + guardians", api_division, sql_division),
                            ("500-student page", api_page, sql_page),
                        ):
                            api_times = await timed(runs, api_call)
                            sql_times = await timed(runs, sql_call)
                            results.append(
                                (
                                    label,
                                    statistics.median(api_times),
                                    percentile(api_times, 0.99),
                                    statistics.median(sql_times),
                                    percentile(sql_times, 0.99),
                                )
                            )
                        return results
            finally:
                await engine.dispose()
                server.terminate()
                server.wait(timeout=10)
        finally:
            drop()


def print_ratios(heading: str, results: list[tuple[str, float, float, float, float]]) -> None:
    """One line per measure: API and SQL p50/p99 in milliseconds, and their ratios."""
    width = max(28, *(len(label) + 2 for label, *_ in results))
    print(
        f"  {heading:<{width}}{'API p50':>10}{'API p99':>10}{'SQL p50':>10}{'SQL p99':>10}"
        f"{'ratio p50':>11}{'ratio p99':>11}"
    )
    for label, api50, api99, sql50, sql99 in results:
        print(
            f"  {label:<{width}}{api50 * 1000:>8.1f}ms{api99 * 1000:>8.1f}ms{sql50 * 1000:>8.1f}ms"
            f"{sql99 * 1000:>8.1f}ms{api50 / sql50:>10.1f}x{api99 / sql99:>10.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"students API benchmark: demo --scale {args.scale}, {args.runs} runs per measure")
    for engine_name in args.engines.split(","):
        print(f"\n[{engine_name}]", flush=True)
        results = asyncio.run(measure(engine_name, args.scale, args.runs))
        print_ratios("request", results)


if __name__ == "__main__":
    main()

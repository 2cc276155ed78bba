"""Absences at scale: statistics against raw SQL, and concurrent roll calls.

For each engine: a fresh database, ``sconet demo --scale N`` generated as of the end of
June (a whole school year of absences), the real server (``sconet serve``), then

  (a) the national monthly indicator for the whole académie (the rectorat, over GraphQL),
  (b) a school's statistics by division over the school year (over GraphQL),

each timed beside a raw SQL aggregate reading the same events through the same driver
(the lower bound), interleaved in bursts as ``students_api`` times its requests, as ratios
(p50 and requests per second); and

  (c) 50 roll calls sent at once (two slots of each of 20 classes of a school on one day,
      and second roll calls of 10 of those class-slots), then the events counted: lost or duplicated events must
      be zero, and every duplicate roll call refused.

    python benchmarks/absences.py --scale 20 --engines sqlite,postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.demo import current_start_year, generate_demo  # noqa: E402
from benchmarks.students_api import (  # noqa: E402
    Databases,
    Timing,
    create_databases,
    interleaved,
    print_timings,
    start_sconet,
    stop,
)
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402

INDICATOR_QUERY = """
query($year: Int!, $month: Int!) {
  monthlyAbsenceIndicator(year: $year, month: $month) {
    schools { uai students studentsOverThreshold share } total { students studentsOverThreshold }
  }
}
"""
STATISTICS_QUERY = """
query($school: Int!, $since: Date!, $until: Date!) {
  absenceStatistics(schoolId: $school, since: $since, until: $until, by: DIVISION) {
    label headcount halfDays unjustifiedHalfDays lateness absenceRate
  }
}
"""
ROLL_CALL = """
mutation($input: RollCallInput!) { takeRollCall(input: $input) { rollCall { id } errors { code } } }
"""

# What the indicator reads: the month's absences of every school, unjustified ones per student.
INDICATOR_SQL = text(
    """
    SELECT e.school_id, e.student_id, COUNT(*)
    FROM absence_events e
    LEFT JOIN absence_motives m ON m.id = e.motive_id
    LEFT JOIN generic_motives g ON g.id = m.generic_motive_id
    WHERE e.kind = 'absence' AND e.start_date <= :last AND e.end_date >= :first
      AND (g.legitimate IS NULL OR g.legitimate = false)
    GROUP BY e.school_id, e.student_id
    """
)
# What the statistics read: the school's events of the year, by division.
STATISTICS_SQL = text(
    """
    SELECT n.division_id, e.kind, COUNT(*), COUNT(DISTINCT e.student_id)
    FROM absence_events e
    JOIN enrollments n ON n.student_id = e.student_id AND n.school_id = e.school_id
    WHERE e.school_id = :school AND e.start_date <= :last AND e.end_date >= :first
    GROUP BY n.division_id, e.kind
    """
)


async def prepare(admin_url: str, scale: int, as_of: date) -> dict[str, Any]:
    engine = make_engine(admin_url)
    try:
        started = time.perf_counter()
        report = await generate_demo(make_sessionmaker(engine), scale=scale, today=as_of)
        print(
            f"  demo --scale {scale} as of {as_of}: {report.students} students, "
            f"{report.absence_events} events, {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        # Fresh planner statistics, as a database in service has: without them PostgreSQL
        # plans the SQL aggregates (the lower bound) blind.
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        async with engine.connect() as conn:
            school = (
                await conn.execute(
                    text(
                        "SELECT r.school_id FROM role_grants r JOIN staff_users u ON u.id = r.user_id "
                        "WHERE u.login = 'demo.principal'"
                    )
                )
            ).scalar_one()
            divisions = list(
                (
                    await conn.execute(
                        text(
                            "SELECT d.id FROM divisions d JOIN school_years y ON y.id = d.school_year_id "
                            "WHERE d.school_id = :s AND y.state = 'current' ORDER BY d.code"
                        ),
                        {"s": school},
                    )
                ).scalars()
            )
            slots = list(
                (
                    await conn.execute(
                        text("SELECT id FROM time_slots WHERE school_id = :s ORDER BY starts_at"),
                        {"s": school},
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    return {"school": school, "divisions": divisions, "slots": slots}


async def members(conn: Any, division_id: int, day: date) -> list[int]:
    return list(
        (
            await conn.execute(
                text(
                    "SELECT student_id FROM enrollments WHERE division_id = :d AND entry_date <= :day "
                    "AND (exit_date IS NULL OR exit_date >= :day) ORDER BY student_id"
                ),
                {"d": division_id, "day": day},
            )
        ).scalars()
    )


async def concurrent_roll_calls(
    http: httpx.AsyncClient, engine: Any, world: dict[str, Any], day: date
) -> tuple[int, int, int, int]:
    """(accepted, refused duplicates, lost events, duplicated events)."""
    rng = random.Random(50)
    divisions = world["divisions"][:20]
    m1, m2 = world["slots"][0], world["slots"][1]
    async with engine.begin() as conn:
        # The benchmark's day starts empty for this school, and so do the days around it (an
        # absence ending on the eve's last slot would take in the morning's by merging).
        await conn.execute(
            text(
                "DELETE FROM absence_events WHERE school_id = :s "
                "AND start_date <= :after AND end_date >= :before"
            ),
            {
                "s": world["school"],
                "before": day - timedelta(days=1),
                "after": day + timedelta(days=1),
            },
        )
        await conn.execute(
            text("DELETE FROM roll_calls WHERE school_id = :s AND day = :d"),
            {"s": world["school"], "d": day},
        )
        calls = []
        for division in divisions:
            students = await members(conn, division, day)
            for slot in (m1, m2):
                absent = [s for s in students if rng.random() < 0.15]
                calls.append((division, slot, absent))
    # The rest of the 50 are second roll calls of classes already called, with other absentees.
    duplicates = [
        (division, slot, [s for s in absent if rng.random() < 0.5])
        for division, slot, absent in rng.sample(calls, min(len(calls), 50 - len(calls)))
    ]
    everything = calls + duplicates
    rng.shuffle(everything)

    async def send(call: tuple[int, int, list[int]]) -> str:
        division, slot, absent = call
        response = await http.post(
            "/graphql",
            json={
                "query": ROLL_CALL,
                "variables": {
                    "input": {
                        "schoolId": world["school"],
                        "day": day.isoformat(),
                        "slotId": slot,
                        "divisionId": division,
                        "absentStudentIds": absent,
                    }
                },
            },
        )
        payload = response.json()["data"]["takeRollCall"]
        return "ok" if payload["rollCall"] else payload["errors"][0]["code"]

    outcomes = await asyncio.gather(*(send(call) for call in everything))
    # The first roll call of each (class, slot) wins; expected: one absence per absent
    # student covering exactly the slots where the accepted call marked them.
    expected: dict[int, set[int]] = {}
    for (_division, slot, absent), outcome in zip(everything, outcomes, strict=True):
        if outcome == "ok":
            for student in absent:
                expected.setdefault(student, set()).add(slot)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT student_id, start_slot_id, end_slot_id FROM absence_events "
                    "WHERE school_id = :s AND start_date = :d AND kind = 'absence'"
                ),
                {"s": world["school"], "d": day},
            )
        ).all()
    found: dict[int, list[tuple[int, int]]] = {}
    for student, start, end in rows:
        found.setdefault(student, []).append((start, end))
    lost = duplicated = 0
    for student, marked in expected.items():
        events = found.get(student, [])
        if len(events) > 1:
            duplicated += len(events) - 1
        wanted = (m1 if m1 in marked else m2, m2 if m2 in marked else m1)
        if not events or events[0] != wanted:
            lost += 1
    duplicated += sum(len(v) for k, v in found.items() if k not in expected)
    accepted = outcomes.count("ok")
    refused = outcomes.count("ALREADY_TAKEN")
    return accepted, refused, lost, duplicated


def roll_call_day(as_of: date) -> date:
    """A Tuesday of June before ``as_of`` (taught in every school, no holiday)."""
    day = date(as_of.year, 6, 1)
    while day.weekday() != 1:
        day = day.replace(day=day.day + 1)
    return day.replace(day=day.day + 7)


@dataclass
class Outcome:
    # Each measure's timings: "sconet" (the API) and "sql" (the lower bound), interleaved.
    timings: list[tuple[str, dict[str, Timing]]]
    # (accepted, refused duplicates, lost events, duplicated events)
    roll_calls: tuple[int, int, int, int]
    roll_call_seconds: float

    @property
    def failed(self) -> bool:
        accepted, refused, lost, duplicated = self.roll_calls
        return bool(lost or duplicated or accepted + refused != 50)


async def measure(engine_name: str, scale: int, runs: int) -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        databases = create_databases(engine_name, workdir, "absences")
        try:
            return await run(databases, workdir, scale, runs)
        finally:
            databases.drop()


async def run(databases: Databases, workdir: Path, scale: int, runs: int) -> Outcome:
    """The benchmark on empty databases (migrated here if they are not)."""
    as_of = date(current_start_year(date.today()) + 1, 6, 30)
    year, month = as_of.year, 3
    first, last = date(year, month, 1), date(year, month, 31)
    since, until = date(as_of.year - 1, 9, 1), as_of
    await upgrade_from_loop("admin", databases.admin_url)
    await upgrade_from_loop("teleservices", databases.ts_url)
    world = await prepare(databases.admin_url, scale, as_of)
    server, base_url = start_sconet(databases, workdir, None)
    engine = make_engine(databases.admin_url)
    try:
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=120) as rectorat,
            httpx.AsyncClient(base_url=base_url, timeout=120) as principal,
        ):
            for http, login in ((rectorat, "demo.rectorat"), (principal, "demo.principal")):
                session = await http.post(
                    "/api/session", json={"login": login, "password": "demo-sconet-2026"}
                )
                session.raise_for_status()
                http.headers["Authorization"] = f"Bearer {session.json()['token']}"

            async def api_indicator(_i: int) -> None:
                r = await rectorat.post(
                    "/graphql",
                    json={"query": INDICATOR_QUERY, "variables": {"year": year, "month": month}},
                )
                body = r.json()
                assert "errors" not in body, body
                assert len(body["data"]["monthlyAbsenceIndicator"]["schools"]) == scale

            async def api_statistics(_i: int) -> None:
                r = await principal.post(
                    "/graphql",
                    json={
                        "query": STATISTICS_QUERY,
                        "variables": {
                            "school": world["school"],
                            "since": since.isoformat(),
                            "until": until.isoformat(),
                        },
                    },
                )
                body = r.json()
                assert "errors" not in body and body["data"]["absenceStatistics"], body

            async with engine.connect() as conn:

                async def sql_indicator(_i: int) -> None:
                    (await conn.execute(INDICATOR_SQL, {"first": first, "last": last})).all()

                async def sql_statistics(_i: int) -> None:
                    (
                        await conn.execute(
                            STATISTICS_SQL,
                            {"school": world["school"], "first": since, "last": until},
                        )
                    ).all()

                timings = [
                    (label, await interleaved({"sconet": api, "sql": sql}, runs, 1))
                    for label, api, sql in (
                        ("monthly indicator, académie", api_indicator, sql_indicator),
                        ("school statistics, a year", api_statistics, sql_statistics),
                    )
                ]
            started = time.perf_counter()
            roll_calls = await concurrent_roll_calls(principal, engine, world, roll_call_day(as_of))
            elapsed = time.perf_counter() - started
        return Outcome(timings, roll_calls, elapsed)
    finally:
        await engine.dispose()
        stop(server)


def print_outcome(outcome: Outcome) -> None:
    for label, timings in outcome.timings:
        print(f"\n  {label}")
        print_timings(1, timings)
    accepted, refused, lost, duplicated = outcome.roll_calls
    print(
        f"\n  50 concurrent roll calls ({outcome.roll_call_seconds:.1f} s): {accepted} taken, "
        f"{refused} duplicates refused, {lost} events lost, {duplicated} duplicated",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"absences benchmark: demo --scale {args.scale}, {args.runs} runs per measure")
    failed = False
    for engine_name in args.engines.split(","):
        print(f"\n[{engine_name}]", flush=True)
        outcome = asyncio.run(measure(engine_name, args.scale, args.runs))
        print_outcome(outcome)
        failed = failed or outcome.failed
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

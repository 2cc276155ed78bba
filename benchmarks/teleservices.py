"""Télé-services at scale: generating activation codes, and replicating.

For each engine: fresh databases, ``sconet demo --scale N`` (a school year's absences), both
télé-services opened in every school, then

  (a) mass generation of every CAR and CAE of one school, and of the whole académie, each
      beside the time the same number of argon2id hashes takes alone on this machine (the
      lower bound: a code must be hashed);
  (b) a full replication into the empty télé-services database, beside a bulk copy of the
      same rows (reading the source tables with plain SQL and inserting the replicated rows
      in one transaction);
  (c) an incremental run after 1% of the absences changed, as a ratio to the full run.

    python benchmarks/teleservices.py --scale 20 --engines sqlite,postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.auth.identities import load_principal  # noqa: E402
from api.demo import current_start_year, generate_demo  # noqa: E402
from api.resolvers.teleservices.codes import Population, _hash_all, generate_codes  # noqa: E402
from benchmarks.students_api import Databases, create_databases  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402
from db.absences import AbsenceEvent  # noqa: E402
from db.accounts import Role, RoleGrant  # noqa: E402
from db.audit import AuditActor, set_actor  # noqa: E402
from db.schools import School  # noqa: E402
from db.teleservices import CodeKind, SchoolTeleservice, Teleservice  # noqa: E402
from replication.run import replicate  # noqa: E402
from replication.snapshot import TABLES  # noqa: E402
from tsdb.activation_codes import new_code  # noqa: E402
from tsdb.models import ReplicationState  # noqa: E402

SECRET = "benchmark-secret-key-benchmark-secret-key"
# What the replicated rows are read from, plainly (the lower bound's read).
SOURCE_SQL = {
    "schools": "SELECT id, uai, name, city FROM schools",
    "students": "SELECT e.id, e.student_id, e.school_id, s.family_name, s.first_name, s.birth_date, "
    "e.division_id FROM enrollments e JOIN students s ON s.id = e.student_id",
    "absences": "SELECT id, student_id, school_id, kind, start_date, start_slot_id, end_date, "
    "end_slot_id, minutes_late, motive_id FROM absence_events",
    "marks": "SELECT id, student_id, assessment_id, status, value FROM marks",
    "codes": "SELECT c.id, c.kind, c.school_id, c.student_id, c.guardian_id, s.birth_date, c.lookup, "
    "c.code_hash FROM activation_codes c JOIN students s ON s.id = c.student_id WHERE c.is_valid",
}


async def _principals(sessions: Any) -> dict[int, Any]:
    async with sessions() as session:
        grants = (
            await session.execute(
                select(RoleGrant.school_id, RoleGrant.user_id).where(
                    RoleGrant.role == Role.PRINCIPAL
                )
            )
        ).all()
        return {school: await load_principal(session, user) for school, user in grants}


async def _open_everything(sessions: Any) -> list[int]:
    async with sessions() as session, session.begin():
        schools = list(await session.scalars(select(School.id).order_by(School.id)))
        await session.execute(
            insert(SchoolTeleservice),
            [
                {"school_id": s, "service": service, "is_open": True}
                for s in schools
                for service in Teleservice
            ],
        )
    return schools


async def _generate(sessions: Any, principals: dict[int, Any], schools: list[int]) -> int:
    created = 0
    for school in schools:
        for kind in CodeKind:
            async with sessions() as session, session.begin():
                report = await generate_codes(
                    session, principals[school], kind, Population(school), SECRET
                )
                created += report.created
    return created


async def _bulk_copy(admin: Any, ts_sessions: Any) -> float:
    """Read the source tables plainly, then write the replicated rows back in one transaction."""
    async with ts_sessions() as ts:
        rows = {
            table.name: [
                dict(row._mapping)
                for row in await ts.execute(select(*table.model.__table__.columns))
            ]
            for table in TABLES
        }
    async with ts_sessions() as ts, ts.begin():
        for table in TABLES:
            await ts.execute(delete(table.model))
    started = time.perf_counter()
    async with admin.connect() as connection:
        for sql in SOURCE_SQL.values():
            (await connection.execute(text(sql))).all()
    async with ts_sessions() as ts, ts.begin():
        for table in TABLES:
            if rows[table.name]:
                await ts.execute(insert(table.model), rows[table.name])
    return time.perf_counter() - started


async def _change_one_percent(sessions: Any) -> int:
    async with sessions() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="benchmark"))
        events = list(await session.scalars(select(AbsenceEvent).where(AbsenceEvent.id % 100 == 0)))
        for event in events:
            event.comment = "Justificatif reçu (benchmark)"
    return len(events)


async def measure(engine_name: str, scale: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        databases = create_databases(engine_name, Path(tmp), "teleservices")
        try:
            return await run(databases, scale)
        finally:
            databases.drop()


async def run(databases: Databases, scale: int) -> dict[str, Any]:
    """The benchmark on empty databases (migrated here if they are not)."""
    today = date(current_start_year(date.today()) + 1, 3, 31)
    await upgrade_from_loop("admin", databases.admin_url)
    await upgrade_from_loop("teleservices", databases.ts_url)
    admin, ts_engine = make_engine(databases.admin_url), make_engine(databases.ts_url)
    try:
        sessions, ts_sessions = make_sessionmaker(admin), make_sessionmaker(ts_engine)
        report = await generate_demo(sessions, scale=scale, today=today)
        print(f"  demo --scale {scale}: {report.students} students", flush=True)
        schools = await _open_everything(sessions)
        principals = await _principals(sessions)
        results: dict[str, Any] = {}
        started = time.perf_counter()
        one = await _generate(sessions, principals, schools[:1])
        results["school"] = (one, time.perf_counter() - started)
        started = time.perf_counter()
        rest = await _generate(sessions, principals, schools[1:])
        results["academy"] = (
            one + rest,
            time.perf_counter() - started + results["school"][1],
        )
        for key in ("school", "academy"):
            count = results[key][0]
            started = time.perf_counter()
            await asyncio.to_thread(_hash_all, [new_code() for _ in range(count)])
            results[key] = (*results[key], time.perf_counter() - started)
        started = time.perf_counter()
        full = await replicate(sessions, ts_sessions, full=True, today=today)
        results["full"] = (full.copied, time.perf_counter() - started)
        results["bulk"] = await _bulk_copy(admin, ts_sessions)
        async with ts_sessions() as ts, ts.begin():
            await ts.execute(delete(ReplicationState))
        await replicate(sessions, ts_sessions, full=True, today=today)
        changed = await _change_one_percent(sessions)
        started = time.perf_counter()
        incremental = await replicate(sessions, ts_sessions, today=today)
        results["incremental"] = (
            changed,
            incremental.copied,
            time.perf_counter() - started,
        )
        return results
    finally:
        await admin.dispose()
        await ts_engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"télé-services benchmark: demo --scale {args.scale}")
    for engine_name in args.engines.split(","):
        print(f"\n[{engine_name}]", flush=True)
        print_results(asyncio.run(measure(engine_name, args.scale)))


def print_results(r: dict[str, Any]) -> None:
    for key, label in (("school", "one school"), ("academy", "the académie")):
        count, seconds, hashing = r[key]
        print(
            f"  codes for {label:<14}{count:>7} codes in {seconds:7.1f} s "
            f"({count / seconds:7.0f}/s); hashing alone {hashing:6.1f} s: {seconds / hashing:5.2f}x"
        )
    rows, seconds = r["full"]
    print(
        f"  full replication       {rows:>7} rows in {seconds:7.2f} s; bulk copy "
        f"{r['bulk']:6.2f} s: {seconds / r['bulk']:5.1f}x"
    )
    changed, copied, inc = r["incremental"]
    print(
        f"  incremental after {changed} changed absences (1%): {copied} rows in {inc:.2f} s, "
        f"{inc / seconds:.3f} of the full run"
    )


if __name__ == "__main__":
    main()

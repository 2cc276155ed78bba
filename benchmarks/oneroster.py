"""A OneRoster 1.2 client syncing the whole académie, fully then incrementally.

For each engine: fresh databases, ``sconet demo --scale N`` (without finances), one API
client registered for every school with the three OneRoster scopes, its token from the
token endpoint, then, through the staff application in this process (ASGI, no network):

  (a) full sync: every collection endpoint (orgs, academicSessions, courses, classes,
      users, enrollments, demographics), then for every school its own endpoints
      (``/schools/{id}/classes``, ``courses``, ``enrollments``, ``students``, ``teachers``,
      ``terms``), each read page by page (``limit`` 1000) to the end;
  (b) the lower bound: raw SQL reading the rows those records are built from (académie,
      schools, open years and grading periods, MEFs and subjects of the classes, divisions
      and groups, the enrolled students, their guardians, the teachers and assignments,
      the enrolments and group memberships), one statement per source, no check; then,
      for every school, the rows of its endpoints, one statement per source and school;
  (c) incremental sync: 1 % of the enrolled students change (their first name), then every
      endpoint read again with ``filter=dateLastModified>'<the full sync's start>'``.

Reported: (a) / (b), and (c) / (a).

    python benchmarks/oneroster.py --scale 20 --engines sqlite,postgresql

``--first-pages N`` reads only the first N pages of each collection in (a) and estimates the
whole sync from them (each collection's time per page times its number of pages): a quick
figure when every page costs the same (before the collections were kept between requests).
``--profile FILE`` writes cProfile's statistics of the full sync into FILE.ENGINE and of the
incremental one into FILE.ENGINE.incremental (read them with pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.auth.identities import load_principal  # noqa: E402
from api.demo import current_start_year, generate_demo  # noqa: E402
from api.resolvers.clients import ClientSettings, register_client  # noqa: E402
from api.settings import load_settings  # noqa: E402
from benchmarks.students_api import Databases, create_databases  # noqa: E402
from core import clock  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402
from db.accounts import Role, RoleGrant  # noqa: E402
from db.audit import AuditActor, set_actor  # noqa: E402
from db.enrollments import Enrollment  # noqa: E402
from db.schools import School, SchoolYear, SchoolYearState  # noqa: E402
from db.students import Student  # noqa: E402

BASE = "/ims/oneroster/rostering/v1p2"
COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "demographics",
)
# Each school's own endpoints, read for every school after the collections (a client that
# syncs school by school; pages of each, like the collections).
SCHOOL_ENDPOINTS = ("classes", "courses", "enrollments", "students", "teachers", "terms")
# The JSON key of an endpoint's answer, where it is not the endpoint's name.
ANSWER_KEYS = {"students": "users", "teachers": "users", "terms": "academicSessions"}
SCOPES = "roster-core.readonly roster.readonly roster-demographics.readonly"
PAGE = 1000

OPEN_YEARS = "SELECT id FROM school_years WHERE state <> 'closed'"
ENROLLED = f"""
    SELECT e.id, e.student_id, e.school_id, e.division_id FROM enrollments e
    WHERE e.school_year_id IN ({OPEN_YEARS}) AND (e.exit_date IS NULL OR e.exit_date >= :today)
"""
# The rows each collection is built from, read plainly.
RAW_SQL = (
    "SELECT code, name FROM academies",
    "SELECT id, uai, name, kind FROM schools",
    f"SELECT id, start_year, starts_on, ends_on, state FROM school_years WHERE id IN ({OPEN_YEARS})",
    f"SELECT id, school_id, school_year_id, label, first_day, last_day FROM grading_periods"
    f" WHERE school_year_id IN ({OPEN_YEARS})",
    f"SELECT d.school_id, d.school_year_id, m.code, m.long_label FROM divisions d"
    f" JOIN division_mefs dm ON dm.division_id = d.id JOIN mefs m ON m.id = dm.mef_id"
    f" WHERE d.school_year_id IN ({OPEN_YEARS})",
    f"SELECT g.school_id, g.school_year_id, s.code, s.long_label FROM groups g"
    f" JOIN subjects s ON s.id = g.subject_id WHERE g.school_year_id IN ({OPEN_YEARS})",
    f"SELECT id, school_id, school_year_id, code, label FROM divisions"
    f" WHERE school_year_id IN ({OPEN_YEARS})",
    f"SELECT id, school_id, school_year_id, code, label, subject_id FROM groups"
    f" WHERE school_year_id IN ({OPEN_YEARS})",
    f"SELECT s.id, s.ine, s.siecle_id, s.family_name, s.usage_name, s.first_name,"
    f" s.birth_date, s.sex, s.updated_at, e.school_id, e.division_id"
    f" FROM students s JOIN ({ENROLLED}) e ON e.student_id = s.id",
    f"SELECT g.id, g.siecle_id, g.family_name, g.first_name, g.email, l.student_id,"
    f" l.responsibility_level FROM guardians g JOIN guardian_links l ON l.guardian_id = g.id"
    f" JOIN ({ENROLLED}) e ON e.student_id = l.student_id",
    "SELECT u.id, u.sts_id, u.login, u.display_name, u.email, t.school_id, t.division_id,"
    " t.group_id, t.subject_id FROM staff_users u JOIN teaching_assignments t ON t.user_id = u.id",
    f"SELECT eg.enrollment_id, eg.group_id FROM enrollment_groups eg"
    f" JOIN ({ENROLLED}) e ON e.id = eg.enrollment_id",
)
# The rows of one school's endpoints (``:school``), read again for each school.
SCHOOL_ENROLLED = f"SELECT * FROM ({ENROLLED}) x WHERE x.school_id = :school"
SCHOOL_RAW_SQL = (
    f"SELECT id, code, label FROM divisions"
    f" WHERE school_id = :school AND school_year_id IN ({OPEN_YEARS})",
    f"SELECT id, code, label, subject_id FROM groups"
    f" WHERE school_id = :school AND school_year_id IN ({OPEN_YEARS})",
    f"SELECT DISTINCT m.code, m.long_label FROM divisions d"
    f" JOIN division_mefs dm ON dm.division_id = d.id JOIN mefs m ON m.id = dm.mef_id"
    f" WHERE d.school_id = :school AND d.school_year_id IN ({OPEN_YEARS})",
    f"SELECT DISTINCT s.code, s.long_label FROM groups g JOIN subjects s ON s.id = g.subject_id"
    f" WHERE g.school_id = :school AND g.school_year_id IN ({OPEN_YEARS})",
    SCHOOL_ENROLLED,
    f"SELECT eg.enrollment_id, eg.group_id FROM enrollment_groups eg"
    f" JOIN ({SCHOOL_ENROLLED}) e ON e.id = eg.enrollment_id",
    f"SELECT s.id, s.ine, s.siecle_id, s.family_name, s.usage_name, s.first_name,"
    f" s.birth_date, s.sex, s.updated_at, e.division_id"
    f" FROM students s JOIN ({SCHOOL_ENROLLED}) e ON e.student_id = s.id",
    "SELECT u.id, u.sts_id, u.login, u.display_name, u.email, t.division_id, t.group_id,"
    " t.subject_id FROM staff_users u JOIN teaching_assignments t ON t.user_id = u.id"
    " WHERE t.school_id = :school",
    f"SELECT id, start_year, starts_on, ends_on, state FROM school_years"
    f" WHERE id IN ({OPEN_YEARS})",
)


async def _admin_principal(sessions: Any) -> Any:
    async with sessions() as session:
        user_id = await session.scalar(
            select(RoleGrant.user_id).where(RoleGrant.role == Role.ACADEMY_ADMIN).limit(1)
        )
        assert user_id is not None, "the demo has an académie administrator"
        return await load_principal(session, user_id)


async def _client(sessions: Any) -> tuple[str, str]:
    admin = await _admin_principal(sessions)
    async with sessions() as session, session.begin():
        uais = list(await session.scalars(select(School.uai).order_by(School.uai)))
        registered = await register_client(
            session,
            admin,
            ClientSettings(
                name="Benchmark OneRoster",
                school_uais=uais,
                scopes=SCOPES.split(),
                requests_per_minute=100_000,
            ),
        )
    return registered.client.client_id, registered.secret


async def _token(http: httpx.AsyncClient, client_id: str, secret: str) -> str:
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "scope": SCOPES,
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def _read_pages(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    key: str,
    since: datetime | None,
    first_pages: int | None,
) -> tuple[int, list[dict[str, Any]], int]:
    """An endpoint read page by page to its last (to its ``first_pages`` when given):
    (records in all, those read, pages read)."""
    params: dict[str, Any] = {"limit": PAGE, "offset": 0}
    if since is not None:
        stamp = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
        params["filter"] = f"dateLastModified>'{stamp}'"
    read: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = await http.get(f"{BASE}{path}", params=params, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
        read += response.json()[key]
        pages += 1
        params["offset"] += PAGE
        total = int(response.headers["X-Total-Count"])
        if params["offset"] >= total or (first_pages is not None and pages >= first_pages):
            return total, read, pages


async def sync(
    http: httpx.AsyncClient,
    token: str,
    since: datetime | None,
    first_pages: int | None = None,
    estimate: dict[str, float] | None = None,
    schools: list[str] | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Every collection, then every school's endpoints, read to their last page (to their
    ``first_pages`` when given: then ``estimate`` gets each one's estimated seconds for all
    its pages). Returns the number of records of each (all of them, read or not; a school
    endpoint's summed over the schools, under ``schools/{id}/<endpoint>``) and the schools'
    sourcedIds: those of ``orgs``, or ``schools`` when given (a delta of orgs holds only the
    schools that changed)."""
    counts: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    school_ids = list(schools or [])
    for collection in COLLECTIONS:
        started = time.perf_counter()
        total, read, pages = await _read_pages(
            http, headers, f"/{collection}", collection, since, first_pages
        )
        counts[collection] = total
        if estimate is not None:
            estimate[collection] = (
                (time.perf_counter() - started) * max(1, -(-total // PAGE)) / pages
            )
        if collection == "orgs" and schools is None:
            school_ids = [o["sourcedId"] for o in read if o.get("type") == "school"]
    for endpoint in SCHOOL_ENDPOINTS:
        name = f"schools/{{id}}/{endpoint}"
        counts[name] = 0
        for school in school_ids:
            started = time.perf_counter()
            total, _read, pages = await _read_pages(
                http,
                headers,
                f"/schools/{school}/{endpoint}",
                ANSWER_KEYS.get(endpoint, endpoint),
                since,
                first_pages,
            )
            counts[name] += total
            if estimate is not None:
                estimate[f"{name} {school}"] = (
                    (time.perf_counter() - started) * max(1, -(-total // PAGE)) / pages
                )
    return counts, school_ids


async def _raw(admin_engine: Any, today: date) -> tuple[int, float]:
    """The source rows in plain SQL: (rows, seconds)."""
    async with admin_engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        school_ids = (await connection.execute(text("SELECT id FROM schools"))).scalars().all()
        started = time.perf_counter()
        rows = 0
        for sql in RAW_SQL:
            rows += len((await connection.execute(text(sql), {"today": today})).all())
        for school_id in school_ids:
            for sql in SCHOOL_RAW_SQL:
                values = {"today": today, "school": school_id}
                rows += len((await connection.execute(text(sql), values)).all())
        return rows, time.perf_counter() - started


async def _change_one_percent(sessions: Any, today: date) -> int:
    """The first name of one enrolled student in a hundred (the domain's audit log sees it)."""
    async with sessions() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="benchmark"))
        current = select(SchoolYear.id).where(SchoolYear.state == SchoolYearState.CURRENT)
        students = list(
            await session.scalars(
                select(Student)
                .join(Enrollment, Enrollment.student_id == Student.id)
                .where(Enrollment.school_year_id.in_(current), Student.id % 100 == 0)
            )
        )
        for student in students:
            student.first_name = student.first_name[:50] + "-Marie"
    return len(students)


async def run(
    databases: Databases,
    scale: int,
    first_pages: int | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """The benchmark on empty databases (migrated here if they are not)."""
    today = date(current_start_year(date.today()) + 1, 3, 31)
    await upgrade_from_loop("admin", databases.admin_url)
    await upgrade_from_loop("teleservices", databases.ts_url)
    admin_engine = make_engine(databases.admin_url)
    with tempfile.TemporaryDirectory() as var_dir:
        settings = load_settings(
            {
                "SCONET_DATABASE_URL": databases.admin_url,
                "SCONET_TS_DATABASE_URL": databases.ts_url,
                "SCONET_SECRET_KEY": "clé-du-banc-d-essai-" + "x" * 24,
                "SCONET_VAR_DIR": var_dir,
                "SCONET_PUBLIC_URL": "https://benchmark.invalid",
            }
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        try:
            sessions = make_sessionmaker(admin_engine)
            report = await generate_demo(sessions, scale=scale, today=today, finances=False)
            print(f"  demo --scale {scale}: {report.students} students", flush=True)
            client_id, secret = await _client(sessions)
            async with httpx.AsyncClient(
                transport=transport, base_url="https://benchmark.invalid", timeout=600
            ) as http:
                token = await _token(http, client_id, secret)
                rows, raw_seconds = await _raw(admin_engine, today)
                synced_at = clock.now()
                profiler = cProfile.Profile() if profile else None
                if profiler is not None:
                    profiler.enable()
                estimate: dict[str, float] = {}
                started = time.perf_counter()
                full, schools = await sync(http, token, None, first_pages, estimate)
                full_seconds = time.perf_counter() - started
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(profile)
                if first_pages is not None:
                    full_seconds = sum(estimate.values())
                changed = await _change_one_percent(sessions, today)
                profiler = cProfile.Profile() if profile else None
                if profiler is not None:
                    profiler.enable()
                started = time.perf_counter()
                incremental, _schools = await sync(http, token, synced_at, schools=schools)
                incremental_seconds = time.perf_counter() - started
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(f"{profile}.incremental")
        finally:
            await app.state.services.engine.dispose()
            await admin_engine.dispose()
    return {
        "students": report.students,
        "full": (full, full_seconds),
        "estimated": first_pages is not None,
        "raw": (rows, raw_seconds),
        "changed": changed,
        "incremental": (incremental, incremental_seconds),
    }


async def measure(
    engine_name: str, scale: int, first_pages: int | None, profile: str | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        databases = create_databases(engine_name, Path(tmp), "oneroster")
        try:
            return await run(databases, scale, first_pages, profile)
        finally:
            databases.drop()


def print_results(r: dict[str, Any]) -> None:
    full, full_seconds = r["full"]
    rows, raw_seconds = r["raw"]
    incremental, incremental_seconds = r["incremental"]
    print("  records: " + ", ".join(f"{c} {n}" for c, n in full.items()))
    how = " estimated from its first pages" if r.get("estimated") else ""
    print(
        f"  full sync ({sum(full.values())} records, pages of {PAGE}){how}"
        f"  {full_seconds:8.2f} s;"
        f" raw SQL of {rows} source rows {raw_seconds:6.3f} s: {full_seconds / raw_seconds:6.0f}x"
    )
    print(
        f"  incremental sync after {r['changed']} students changed"
        f" ({sum(incremental.values())} records)  {incremental_seconds:8.2f} s:"
        f" {incremental_seconds / full_seconds:6.2f} of the full sync"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--first-pages",
        type=int,
        default=None,
        help="read the first N pages of each collection and estimate the full sync",
    )
    parser.add_argument(
        "--profile", default=None, help="cProfile statistics of the full sync into this file"
    )
    args = parser.parse_args()
    print(f"OneRoster benchmark: demo --scale {args.scale}, a client of every school")
    for engine_name in args.engines.split(","):
        print(f"\n[{engine_name}]", flush=True)
        profile = f"{args.profile}.{engine_name}" if args.profile else None
        print_results(asyncio.run(measure(engine_name, args.scale, args.first_pages, profile)))


if __name__ == "__main__":
    main()

"""The school year's cycle at scale: passage, placement, rentrée switch, and the families'
database following.

For each engine: fresh databases, ``sconet demo --scale N`` (the académie in its current year,
the next one in preparation), both télé-services opened in every school and replicated, then

  (a) through the domain, as each school's principal and the académie: the académie opens the
      year in preparation (``open_next_year``), each school copies its structures into it
      (``copy_structures``), decides every division's passage (``decide_division``: promoted,
      one student in 25 repeating, leaving where his MEF leads nowhere), places every staying
      student in a division of next year taking his new MEF (``place``), then the académie
      switches every school (``switch_academy_rentree``); beside the lower bound, a raw SQL
      copy of the same enrolments into next year (one INSERT ... SELECT) and the closing of
      the old ones (one UPDATE), in a transaction rolled back;
  (b) after the switch, the ordinary (incremental) replication runs until the families'
      database shows the new divisions, as a ratio to a full replication of the same data.

    python benchmarks/year_cycle.py --scale 20 --engines sqlite,postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.auth.identities import load_principal  # noqa: E402
from api.demo import current_start_year, generate_demo  # noqa: E402
from api.resolvers.nomenclatures import entries, exit_reason_of  # noqa: E402
from api.resolvers.passage import decide_division, division_passage, place  # noqa: E402
from api.resolvers.rentree import SchoolSwitch, switch_academy_rentree  # noqa: E402
from api.resolvers.schools import open_next_year  # noqa: E402
from api.resolvers.structures import copy_structures  # noqa: E402
from api.resolvers.work import Work  # noqa: E402
from benchmarks.students_api import Databases, create_databases  # noqa: E402
from benchmarks.teleservices import _open_everything, _principals  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402
from db.accounts import Role, RoleGrant  # noqa: E402
from db.base import utcnow  # noqa: E402
from db.enrollments import Enrollment, ExitReason  # noqa: E402
from db.nomenclatures import NomenclatureList, SchoolMef  # noqa: E402
from db.passage import PassageOutcome  # noqa: E402
from db.schools import SchoolYear, SchoolYearState  # noqa: E402
from db.structures import Division, DivisionMef  # noqa: E402
from replication.run import replicate  # noqa: E402
from tsdb.models import ReplicationState, TsStudent  # noqa: E402

REPLICATED = ("ts_codes", "ts_marks", "ts_absences", "ts_students", "ts_schools")
# One student in this many repeats his year (the others go on, or leave after a last MEF).
REPEATING_EVERY = 25

# The lower bound: the staying students' enrolments copied into next year (the MEF that
# follows, where the school offers it; the division of the same code there), then last
# year's closed, in plain SQL.
COPY_SQL = """
INSERT INTO enrollments (student_id, school_id, school_year_id, mef_id, division_id, regime,
    regime_code, status_code, elenoet, entry_date, repeating, version, created_at, updated_at)
SELECT e.student_id, e.school_id, :next_year, m.next_mef_id, nd.id, e.regime, e.regime_code,
    e.status_code, e.elenoet, :starts_on, :repeating, 1, :now, :now
FROM enrollments e
JOIN mefs m ON m.id = e.mef_id
LEFT JOIN divisions d ON d.id = e.division_id
LEFT JOIN divisions nd ON nd.school_id = e.school_id AND nd.school_year_id = :next_year
    AND nd.code = d.code
WHERE e.school_year_id = :year AND e.exit_date IS NULL AND EXISTS (
    SELECT 1 FROM school_mefs sm WHERE sm.school_id = e.school_id
    AND sm.school_year_id = :next_year AND sm.mef_id = m.next_mef_id)
"""
CLOSE_SQL = """
UPDATE enrollments SET exit_date = :ends_on, exit_reason = :end_of_year, version = version + 1
WHERE school_year_id = :year AND exit_date IS NULL
"""


async def _academy_admin(sessions: Any) -> Any:
    async with sessions() as session:
        user = await session.scalar(
            select(RoleGrant.user_id).where(RoleGrant.role == Role.ACADEMY_ADMIN).limit(1)
        )
        return await load_principal(session, user)


async def _years(sessions: Any) -> tuple[SchoolYear, SchoolYear]:
    async with sessions() as session:
        current = await session.scalar(
            select(SchoolYear).where(SchoolYear.state == SchoolYearState.CURRENT)
        )
        assert current is not None
        following = await session.scalar(
            select(SchoolYear).where(SchoolYear.start_year == current.start_year + 1)
        )
        assert following is not None
        return current, following


async def _leaving(sessions: Any, year: SchoolYear) -> dict[str, Any]:
    """A leaver's decision after a last MEF: end of cycle, as the year's list codes it."""
    async with sessions() as session:
        listed = await entries(session, NomenclatureList.EXIT_MOTIVE, year.start_year)
    codes = [e.code for e in listed]
    ended = [c for c in codes if exit_reason_of(c) is ExitReason.END_OF_CYCLE]
    if ended or codes:
        return {"outcome": PassageOutcome.LEAVING.value, "exit_motive_code": (ended or codes)[0]}
    return {"outcome": PassageOutcome.LEAVING.value, "exit_reason": ExitReason.END_OF_CYCLE.value}


async def _divisions(sessions: Any, year_id: int) -> dict[int, list[int]]:
    """Each school's divisions of a year."""
    async with sessions() as session:
        rows = await session.execute(
            select(Division.school_id, Division.id)
            .where(Division.school_year_id == year_id)
            .order_by(Division.school_id, Division.code)
        )
        found: dict[int, list[int]] = defaultdict(list)
        for school_id, division_id in rows:
            found[school_id].append(division_id)
        return found


async def _taking(sessions: Any, school_id: int, year_id: int) -> dict[int, list[int]]:
    """The school's divisions of a year taking each MEF."""
    async with sessions() as session:
        rows = await session.execute(
            select(DivisionMef.mef_id, Division.id)
            .join(Division, Division.id == DivisionMef.division_id)
            .where(Division.school_id == school_id, Division.school_year_id == year_id)
            .order_by(Division.code)
        )
        found: dict[int, list[int]] = defaultdict(list)
        for mef_id, division_id in rows:
            found[mef_id].append(division_id)
        return found


async def _offered(sessions: Any, school_id: int, year_id: int) -> set[int]:
    """The MEFs of the school's profile of a year."""
    async with sessions() as session:
        return set(
            await session.scalars(
                select(SchoolMef.mef_id).where(
                    SchoolMef.school_id == school_id, SchoolMef.school_year_id == year_id
                )
            )
        )


async def _decide(
    sessions: Any, principal: Any, division_id: int, leaving: dict[str, Any], offered: set[int]
) -> Any:
    """The division's grid read, then decided at once: promoted by default, the exceptions
    (leaving where the MEF that follows is not offered by the school next year, e.g. 3e)."""
    async with sessions() as session, session.begin():
        grid = await division_passage(session, principal, division_id)
        exceptions: dict[int, dict[str, Any]] = {}
        for i, row in enumerate(grid.rows):
            if row.proposed_next_mef is None or row.proposed_next_mef.id not in offered:
                exceptions[row.enrollment.id] = leaving
            elif i % REPEATING_EVERY == REPEATING_EVERY - 1:
                exceptions[row.enrollment.id] = {"outcome": PassageOutcome.REPEATING.value}
        counts = await decide_division(
            session, principal, division_id, {"outcome": PassageOutcome.PROMOTED.value}, exceptions
        )
        staying: dict[int, list[int]] = defaultdict(list)
        for decision in counts.decisions:
            if decision.outcome is not PassageOutcome.LEAVING:
                assert decision.next_mef_id is not None
                staying[decision.next_mef_id].append(decision.enrollment_id)
        return counts.created + counts.updated, staying


async def _place(
    sessions: Any, principal: Any, staying: dict[int, list[int]], taking: dict[int, list[int]]
) -> int:
    """Each MEF's students shared out among next year's divisions taking it (out of any
    division where none does), one ``place`` per division."""
    placed = 0
    for mef_id, enrollment_ids in sorted(staying.items()):
        divisions: list[int | None] = list(taking.get(mef_id, [])) or [None]
        for i, division_id in enumerate(divisions):
            share = enrollment_ids[i :: len(divisions)]
            if not share:
                continue
            async with sessions() as session, session.begin():
                placed += len(await place(session, principal, share, division_id))
    return placed


async def _cycle(
    sessions: Any, admin_engine: Any, admin: Any, principals: dict[int, Any], year: SchoolYear
) -> dict[str, Any]:
    """Passage, placement and rentrée through the domain, each step timed."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        opening = await open_next_year(session, admin)
    next_year_id = opening.school_year.id
    for school_id, principal in sorted(principals.items()):
        async with sessions() as session, session.begin():
            await copy_structures(session, principal, school_id, year.id, next_year_id)
    timings["open"] = time.perf_counter() - started
    # Out of the timings: the lower bound, on the same enrolments, next year's divisions there.
    async with sessions() as session:
        next_year = await session.get(SchoolYear, next_year_id)
        assert next_year is not None
    raw = await _raw_copy(admin_engine, year, next_year)

    leaving = await _leaving(sessions, year)
    current_divisions = await _divisions(sessions, year.id)
    decisions = placed = 0
    decide_seconds = place_seconds = 0.0
    for school_id, principal in sorted(principals.items()):
        taking = await _taking(sessions, school_id, next_year_id)
        offered = await _offered(sessions, school_id, next_year_id)
        staying: dict[int, list[int]] = defaultdict(list)
        started = time.perf_counter()
        for division_id in current_divisions.get(school_id, []):
            decided, division_staying = await _decide(
                sessions, principal, division_id, leaving, offered
            )
            decisions += decided
            for mef_id, ids in division_staying.items():
                staying[mef_id].extend(ids)
        decide_seconds += time.perf_counter() - started
        started = time.perf_counter()
        placed += await _place(sessions, principal, staying, taking)
        place_seconds += time.perf_counter() - started
    timings["decide"], timings["place"] = decide_seconds, place_seconds

    started = time.perf_counter()
    report = await switch_academy_rentree(Work(sessions, admin))
    timings["switch"] = time.perf_counter() - started
    switched = [s for s in report.schools if s.outcome is SchoolSwitch.SWITCHED]
    refused = [s for s in report.schools if s.outcome is SchoolSwitch.REFUSED]
    return {
        "timings": timings,
        "decisions": decisions,
        "planned": placed,
        "switched": len(switched),
        "refused": [f"{s.uai}: {' '.join(s.reasons)}" for s in refused],
        "closed": sum(s.rentree.closed_enrollments for s in switched if s.rentree),
        "new_current_year": report.new_current_year is not None,
        "next_year_id": next_year_id,
        "raw": raw,
    }


async def _raw_copy(
    admin_engine: Any, year: SchoolYear, next_year: SchoolYear
) -> tuple[int, float]:
    """The same enrolments copied and closed in plain SQL, then rolled back: (copied, s)."""
    values = _copy_values(year, next_year)
    async with admin_engine.connect() as connection:
        transaction = await connection.begin()
        started = time.perf_counter()
        copied = (await connection.execute(text(COPY_SQL), values)).rowcount
        await connection.execute(text(CLOSE_SQL), values)
        seconds = time.perf_counter() - started
        await transaction.rollback()
    return copied, seconds


async def _shown(sessions: Any, ts_sessions: Any, next_year_id: int) -> tuple[int, int]:
    """Next year's enrolments in a division, and how many the families' database shows in
    it (by enrolment id, with its division's code)."""
    async with sessions() as session:
        expected = dict(
            (
                await session.execute(
                    select(Enrollment.id, Division.code)
                    .join(Division, Division.id == Enrollment.division_id)
                    .where(Enrollment.school_year_id == next_year_id)
                )
            ).all()
        )
    async with ts_sessions() as ts:
        shown = dict((await ts.execute(select(TsStudent.id, TsStudent.division_code))).all())
    return len(expected), sum(1 for k, code in expected.items() if shown.get(k) == code)


async def measure(engine_name: str, scale: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        databases = create_databases(engine_name, Path(tmp), "year_cycle")
        try:
            return await run(databases, scale)
        finally:
            databases.drop()


async def _keep_divisions(sessions: Any, year: SchoolYear, today: date, count: int) -> None:
    """A smaller académie (the smoke test's): in each school, the students of the first
    division of ``count`` MEFs stay; the others moved away ``today``, before the cycle."""
    async with sessions() as session, session.begin():
        rows = await session.execute(
            select(Division.school_id, DivisionMef.mef_id, Division.id)
            .join(DivisionMef, DivisionMef.division_id == Division.id)
            .where(Division.school_year_id == year.id)
            .order_by(Division.school_id, Division.code)
        )
        kept: dict[int, dict[int, int]] = defaultdict(dict)
        for school_id, mef_id, division_id in rows:
            if len(kept[school_id]) < count:
                kept[school_id].setdefault(mef_id, division_id)
        await session.execute(
            update(Enrollment)
            .where(
                Enrollment.school_year_id == year.id,
                Enrollment.exit_date.is_(None),
                or_(
                    Enrollment.division_id.is_(None),
                    Enrollment.division_id.not_in(
                        [d for by_mef in kept.values() for d in by_mef.values()]
                    ),
                ),
            )
            .values(exit_date=today, exit_reason=ExitReason.MOVE)
        )


async def run(databases: Databases, scale: int, divisions: int | None = None) -> dict[str, Any]:
    """The benchmark on empty databases (migrated here if they are not); with ``divisions``,
    on that many divisions of each school (see ``_keep_divisions``)."""
    today = date(current_start_year(date.today()) + 1, 3, 31)
    await upgrade_from_loop("admin", databases.admin_url)
    await upgrade_from_loop("teleservices", databases.ts_url)
    admin_engine, ts_engine = make_engine(databases.admin_url), make_engine(databases.ts_url)
    try:
        sessions, ts_sessions = make_sessionmaker(admin_engine), make_sessionmaker(ts_engine)
        report = await generate_demo(sessions, scale=scale, today=today)
        print(f"  demo --scale {scale}: {report.students} students", flush=True)
        await _open_everything(sessions)
        principals = await _principals(sessions)
        admin = await _academy_admin(sessions)
        year, next_year = await _years(sessions)
        if divisions is not None:
            await _keep_divisions(sessions, year, today, divisions)
        june = year.ends_on - timedelta(days=70)
        await replicate(sessions, ts_sessions, full=True, today=june)
        async with sessions() as session:
            students = await session.scalar(
                select(func.count(Enrollment.id)).where(
                    Enrollment.school_year_id == year.id, Enrollment.exit_date.is_(None)
                )
            )

        results = await _cycle(sessions, admin_engine, admin, principals, year)
        results["students"] = students
        results["schools"] = len(principals)

        september = next_year.starts_on + timedelta(days=1)
        runs, started = 0, time.perf_counter()
        expected = shown = 0
        while runs < 5:
            summary = await replicate(sessions, ts_sessions, today=september)
            assert not summary.full
            runs += 1
            expected, shown = await _shown(sessions, ts_sessions, results["next_year_id"])
            if shown == expected:
                break
        results["ordinary"] = (runs, time.perf_counter() - started, shown, expected)
        async with ts_sessions() as ts, ts.begin():
            for table in REPLICATED:
                await ts.execute(text(f"DELETE FROM {table}"))
            await ts.execute(delete(ReplicationState))
        started = time.perf_counter()
        full = await replicate(sessions, ts_sessions, full=True, today=september)
        results["full"] = (full.copied, time.perf_counter() - started)
        return results
    finally:
        await admin_engine.dispose()
        await ts_engine.dispose()


def _copy_values(year: SchoolYear, next_year: SchoolYear) -> dict[str, Any]:
    return {
        "year": year.id,
        "next_year": next_year.id,
        "starts_on": next_year.starts_on,
        "ends_on": year.ends_on,
        "repeating": False,
        "end_of_year": ExitReason.END_OF_YEAR.value,
        "now": utcnow(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"year cycle benchmark: demo --scale {args.scale}")
    for engine_name in args.engines.split(","):
        print(f"\n[{engine_name}]", flush=True)
        print_results(asyncio.run(measure(engine_name, args.scale)))


def print_results(r: dict[str, Any]) -> None:
    t = r["timings"]
    domain = sum(t.values())
    copied, raw = r["raw"]
    print(
        f"  {r['schools']} schools, {r['students']} students: {r['decisions']} decisions, "
        f"{r['planned']} planned enrolments, {r['switched']} schools switched "
        f"({r['closed']} enrolments closed)"
    )
    for key, label in (
        ("open", "year opened, structures copied"),
        ("decide", "passage decisions"),
        ("place", "placement"),
        ("switch", "rentrée switch"),
    ):
        print(f"    {label:<32}{t[key]:8.2f} s")
    print(
        f"  through the domain          {domain:8.2f} s; raw SQL copy of {copied} enrolments "
        f"{raw:6.3f} s: {domain / raw:7.0f}x"
    )
    runs, seconds, shown, expected = r["ordinary"]
    rows, full = r["full"]
    print(
        f"  families' database: {runs} ordinary run(s), {seconds:.2f} s until {shown}/{expected} "
        f"new divisions shown; full replication {rows} rows in {full:.2f} s: "
        f"{seconds / full:.2f} of the full run"
    )
    if r["refused"]:
        print(f"  refused: {r['refused']}")


if __name__ == "__main__":
    main()

"""A term's charges (droits constatés) at scale.

For each engine: fresh databases, ``sconet demo --scale N``, then each school's principal
sets the default terms of the current year and its tariffs (DP 220,00 €, interne 660,00 € a
term, flat rate), and

  (a) through the domain: the first term's charges applied in every school
      (``apply_charges``: régimes in force, days enrolled, payers and their accounts, the
      remise de principe, one transaction per school);
  (b) the lower bound: the same charge rows written by one raw ``INSERT ... SELECT`` (the
      full-term flat rate of the enrolment's régime for each half-boarder and boarder of
      the term, charged to the account of the guardian who pays the fees, no check), in a
      transaction rolled back;

and reports the ratio (a) / (b).

    python benchmarks/finances.py --scale 20 --engines sqlite,postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.demo import current_start_year, generate_demo  # noqa: E402
from api.resolvers.finances.charges import apply_charges  # noqa: E402
from api.resolvers.finances.tariffs import TariffInput, set_tariffs  # noqa: E402
from api.resolvers.finances.terms import set_terms  # noqa: E402
from benchmarks.students_api import Databases, create_databases  # noqa: E402
from benchmarks.teleservices import _principals  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402
from db.base import utcnow  # noqa: E402
from db.finances import Charge  # noqa: E402
from db.schools import SchoolYear, SchoolYearState  # noqa: E402

TARIFFS = {"2": "220.00", "3": "660.00"}

# The lower bound: one charge per half-boarder and boarder enrolled some day of the first
# term, at the full term's flat rate of his régime, to his fee payer's account there.
RAW_SQL = """
INSERT INTO charges (school_id, term_id, concerns_term_id, account_id, student_id,
    enrollment_id, kind, origin, regime_code, basis, amount, created_at, actor_label)
SELECT e.school_id, t.id, t.id, a.id, e.student_id, e.id,
    CASE e.regime WHEN 'interne' THEN 'boarding' ELSE 'half_board' END, 'generation',
    CASE e.regime WHEN 'interne' THEN '3' ELSE '2' END, 'trimestre complet',
    CASE e.regime WHEN 'interne' THEN 660.00 ELSE 220.00 END, :now, 'benchmark'
FROM enrollments e
JOIN finance_terms t ON t.school_id = e.school_id AND t.school_year_id = e.school_year_id
    AND t.rank = 1
JOIN guardian_links g ON g.student_id = e.student_id AND g.pays_fees = :yes
JOIN family_accounts a ON a.school_id = e.school_id AND a.guardian_id = g.guardian_id
WHERE e.school_year_id = :year AND e.regime IN ('demi_pensionnaire', 'interne')
    AND e.entry_date <= t.last_day AND (e.exit_date IS NULL OR e.exit_date >= t.first_day)
"""


async def _current_year(sessions: Any) -> SchoolYear:
    async with sessions() as session:
        year = await session.scalar(
            select(SchoolYear).where(SchoolYear.state == SchoolYearState.CURRENT)
        )
        assert year is not None
        return year


async def _prepare(sessions: Any, principals: dict[int, Any], year: SchoolYear) -> dict[int, int]:
    """Each school's default terms and tariffs: its first term's id."""
    firsts: dict[int, int] = {}
    for school_id, principal in sorted(principals.items()):
        async with sessions() as session, session.begin():
            terms = await set_terms(session, principal, school_id, year.id)
            await set_tariffs(
                session,
                principal,
                school_id,
                year.id,
                [
                    TariffInput(term_id=t.id, regime_code=code, basis="flat_term", amount=amount)
                    for t in terms
                    for code, amount in TARIFFS.items()
                ],
            )
        firsts[school_id] = terms[0].id
    return firsts


async def _raw(admin_engine: Any, year: SchoolYear) -> tuple[int, float]:
    """The same rows in plain SQL, then rolled back: (rows, seconds)."""
    async with admin_engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The accounts were created by the run just before: without statistics the
            # planner scans them once per enrolment (12 s instead of a tenth).
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        transaction = await connection.begin()
        started = time.perf_counter()
        rows = (
            await connection.execute(text(RAW_SQL), {"now": utcnow(), "yes": True, "year": year.id})
        ).rowcount
        seconds = time.perf_counter() - started
        await transaction.rollback()
    return rows, seconds


async def run(databases: Databases, scale: int) -> dict[str, Any]:
    """The benchmark on empty databases (migrated here if they are not)."""
    today = date(current_start_year(date.today()) + 1, 3, 31)
    await upgrade_from_loop("admin", databases.admin_url)
    await upgrade_from_loop("teleservices", databases.ts_url)
    admin_engine = make_engine(databases.admin_url)
    try:
        sessions = make_sessionmaker(admin_engine)
        # Without the demo's own first term: this benchmark generates it.
        report = await generate_demo(sessions, scale=scale, today=today, finances=False)
        print(f"  demo --scale {scale}: {report.students} students", flush=True)
        principals = await _principals(sessions)
        year = await _current_year(sessions)
        firsts = await _prepare(sessions, principals, year)
        charges = reductions = 0
        started = time.perf_counter()
        for school_id, principal in sorted(principals.items()):
            async with sessions() as session, session.begin():
                applied = await apply_charges(session, principal, firsts[school_id])
            charges += applied.charges
            reductions += applied.reductions
        seconds = time.perf_counter() - started
        async with sessions() as session:
            full_rate = await session.scalar(
                select(func.count(Charge.id)).where(
                    Charge.amount.in_([Decimal(a) for a in TARIFFS.values()])
                )
            )
        rows, raw_seconds = await _raw(admin_engine, year)
        return {
            "schools": len(principals),
            "students": report.students,
            "charges": charges,
            "full_rate": full_rate,
            "reductions": reductions,
            "seconds": seconds,
            "raw": (rows, raw_seconds),
        }
    finally:
        await admin_engine.dispose()


async def measure(engine_name: str, scale: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        databases = create_databases(engine_name, Path(tmp), "finances")
        try:
            return await run(databases, scale)
        finally:
            databases.drop()


def print_results(r: dict[str, Any]) -> None:
    rows, raw = r["raw"]
    print(
        f"  {r['schools']} schools, {r['students']} students: {r['charges']} charges "
        f"({r['full_rate']} at the full term's rate), {r['reductions']} remises de principe"
    )
    print(
        f"  through the domain (apply_charges)  {r['seconds']:8.2f} s; raw INSERT ... SELECT "
        f"of {rows} rows {raw:6.3f} s: {r['seconds'] / raw:7.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"finances benchmark: demo --scale {args.scale}, the first term's charges")
    for engine_name in args.engines.split(","):
        print(f"\n[{engine_name}]", flush=True)
        print_results(asyncio.run(measure(engine_name, args.scale)))


if __name__ == "__main__":
    main()

"""The year cycle benchmark on the smallest académie, kept to two divisions (a 3e, whose
students leave the collège, and a 4e, promoted or repeating), so that it keeps running on
both engines: passage, placement and rentrée through the domain beside a raw SQL copy, then
the families' database following. Its timings are not asserted: they are the benchmark's to
report."""

from __future__ import annotations

from sqlalchemy import func, select

from benchmarks.students_api import Databases
from benchmarks.year_cycle import print_results, run
from databases.engines import make_engine, make_sessionmaker
from db.enrollments import Enrollment
from db.passage import PassageDecision, PassageOutcome
from db.rentree import Rentree
from db.schools import SchoolYear, SchoolYearState


async def test_the_benchmark_decides_places_switches_then_replicates(database_urls, capsys) -> None:
    databases = Databases(database_urls.admin, database_urls.teleservices, None, lambda: None)

    results = await run(databases, scale=1, divisions=2)

    assert results["schools"] == 1 and results["refused"] == []
    # Every student of the two divisions decided; the 4e's stay, the 3e's leave.
    assert results["decisions"] == results["students"] > 0
    assert 0 < results["planned"] < results["decisions"]
    assert results["switched"] == 1 and results["new_current_year"]
    assert results["closed"] == results["students"]
    copied, _seconds = results["raw"]
    assert copied == results["planned"]
    runs, _seconds, shown, expected = results["ordinary"]
    assert runs == 1 and shown == expected == results["planned"]
    rows, _seconds = results["full"]
    assert rows > shown

    engine = make_engine(database_urls.admin)
    try:
        async with make_sessionmaker(engine)() as session:
            outcomes = dict(
                (
                    await session.execute(
                        select(PassageDecision.outcome, func.count()).group_by(
                            PassageDecision.outcome
                        )
                    )
                ).all()
            )
            assert set(outcomes) == set(PassageOutcome)
            assert outcomes[PassageOutcome.LEAVING] == results["decisions"] - results["planned"]
            current = await session.scalar(
                select(SchoolYear).where(SchoolYear.state == SchoolYearState.CURRENT)
            )
            assert current is not None and current.id == results["next_year_id"]
            assert await session.scalar(select(func.count(Rentree.id))) == 1
            assert (
                await session.scalar(
                    select(func.count(Enrollment.id)).where(
                        Enrollment.school_year_id == current.id,
                        Enrollment.division_id.is_not(None),
                    )
                )
                == results["planned"]
            )
    finally:
        await engine.dispose()

    print_results(results)
    table = capsys.readouterr().out
    assert "raw SQL copy" in table and "of the full run" in table

"""The finances benchmark on the smallest académie, so that it keeps running on both engines:
the first term's charges of every school through the domain beside a raw INSERT ... SELECT
of the same rows. Its timings are not asserted: they are the benchmark's to report."""

from __future__ import annotations

from sqlalchemy import func, select

from benchmarks.finances import print_results, run
from benchmarks.students_api import Databases
from databases.engines import make_engine, make_sessionmaker
from db.finances import Charge, ChargeGeneration


async def test_the_benchmark_applies_the_first_term_beside_raw_sql(database_urls, capsys) -> None:
    databases = Databases(database_urls.admin, database_urls.teleservices, None, lambda: None)

    results = await run(databases, scale=1)

    assert results["schools"] >= 1 and results["charges"] > 0
    rows, _seconds = results["raw"]
    # The raw rows are the students charged at the full term's rate; the domain also
    # prorates those who arrived or left during the term.
    assert 0 < results["full_rate"] <= rows <= results["charges"]
    engine = make_engine(database_urls.admin)
    try:
        async with make_sessionmaker(engine)() as session:
            # The raw rows were rolled back: only the domain's remain.
            assert await session.scalar(select(func.count(Charge.id))) == results["charges"]
            assert (
                await session.scalar(select(func.count(ChargeGeneration.id)))
                == (results["schools"])
            )
    finally:
        await engine.dispose()

    print_results(results)
    assert "raw INSERT ... SELECT" in capsys.readouterr().out

"""The OneRoster benchmark on the smallest académie, so that it keeps running on both engines:
a full sync of every collection and every school's endpoints through the REST binding beside raw SQL of the source rows,
then an incremental sync after 1 % of the students changed. Its timings are not asserted:
they are the benchmark's to report."""

from __future__ import annotations

from benchmarks.oneroster import COLLECTIONS, SCHOOL_ENDPOINTS, print_results, run
from benchmarks.students_api import Databases


async def test_the_benchmark_syncs_fully_then_incrementally(database_urls, capsys) -> None:
    databases = Databases(database_urls.admin, database_urls.teleservices, None, lambda: None)

    results = await run(databases, scale=1)

    full, _seconds = results["full"]
    assert set(full) == set(COLLECTIONS) | {f"schools/{{id}}/{e}" for e in SCHOOL_ENDPOINTS}
    # Every school's endpoints hold together what the collections hold.
    assert full["schools/{id}/classes"] == full["classes"]
    assert full["schools/{id}/enrollments"] == full["enrollments"]
    assert full["schools/{id}/students"] >= full["demographics"]
    assert full["orgs"] >= 2 and full["classes"] > 0 and full["enrollments"] > 0
    # Every enrolled student has his user and his demographics record.
    assert full["demographics"] > 0 and full["users"] > full["demographics"]
    rows, _raw_seconds = results["raw"]
    assert rows > 0
    incremental, _seconds = results["incremental"]
    # Each changed student comes back as a user and as demographics, nothing else changed
    # but what derives from him.
    assert results["changed"] > 0
    assert incremental["users"] >= results["changed"]
    assert sum(incremental.values()) < sum(full.values())

    print_results(results)
    assert "incremental sync after" in capsys.readouterr().out

"""The absences benchmark on the smallest académie, so that it keeps running: the real server
over the test's databases (both engines), the indicator and the statistics timed beside their
SQL, then the 50 concurrent roll calls counted. Its timings are not asserted: they are the
benchmark's to report; the roll calls' counts are its verdict."""

from __future__ import annotations

from pathlib import Path

from benchmarks.absences import print_outcome, run
from benchmarks.students_api import Databases


async def test_the_benchmark_times_both_measures_and_loses_no_roll_call(
    database_urls, tmp_path: Path, capsys
) -> None:
    databases = Databases(database_urls.admin, database_urls.teleservices, None, lambda: None)

    outcome = await run(databases, tmp_path, scale=1, runs=1)

    assert [label for label, _ in outcome.timings] == [
        "monthly indicator, académie",
        "school statistics, a year",
    ]
    for _label, timings in outcome.timings:
        assert {name: len(t.samples) for name, t in timings.items()} == {"sconet": 1, "sql": 1}
    # 40 first roll calls (two slots of 20 classes) and 10 second ones, refused.
    accepted, refused, lost, duplicated = outcome.roll_calls
    assert (accepted, refused, lost, duplicated) == (40, 10, 0, 0)
    assert not outcome.failed

    print_outcome(outcome)
    table = capsys.readouterr().out
    assert "sconet/SQL p50" in table
    assert "40 taken, 10 duplicates refused, 0 events lost, 0 duplicated" in table

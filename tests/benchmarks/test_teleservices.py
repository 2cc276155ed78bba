"""The télé-services benchmark on the smallest académie, so that it keeps running: codes
generated beside hashing alone, a full replication beside a bulk copy, an incremental run
after 1% of the absences changed, on both engines. Its timings are not asserted: they are the
benchmark's to report."""

from __future__ import annotations

from argon2 import PasswordHasher

from benchmarks.students_api import Databases
from benchmarks.teleservices import print_results, run
from tsdb import activation_codes


async def test_the_benchmark_generates_replicates_then_copies_only_the_changes(
    database_urls, monkeypatch, capsys
) -> None:
    # The cheapest argon2id: what is measured does not change, only how long a hash takes.
    monkeypatch.setattr(
        activation_codes, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    databases = Databases(database_urls.admin, database_urls.teleservices, None, lambda: None)

    results = await run(databases, scale=1)

    codes, _seconds, _hashing = results["school"]
    # One school: the académie's codes are the school's.
    assert codes > 0 and results["academy"][0] == codes
    copied, _seconds = results["full"]
    assert copied > codes
    changed, incremental, _seconds = results["incremental"]
    assert changed > 0 and incremental == changed

    print_results(results)
    table = capsys.readouterr().out
    assert "hashing alone" in table and "bulk copy" in table and "of the full run" in table

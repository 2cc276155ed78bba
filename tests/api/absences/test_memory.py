"""Statistics requests keep nothing once answered: memory measured over repeated calls.

SHOW_MEMORY=1 (with pytest -s) prints where the memory kept was allocated."""

from __future__ import annotations

import gc
import os
import tracemalloc

import pytest

from tests.api.absences.scenario import november

STATISTICS = """
query($s: Int!) {
  absenceStatistics(schoolId: $s, since: "2026-11-01", until: "2026-11-30", by: DIVISION) {
    label halfDays
  }
}
"""
# Enough warm-up calls for the bounded caches (SQLAlchemy statements, parsed documents) to
# fill, so that what remains is what each request keeps.
WARM_UP = 60
CALLS = 100
INDICATOR = """
query { monthlyAbsenceIndicator(year: 2026, month: 11) { total { studentsOverThreshold } } }
"""


async def _growth(gql, school_id: int, query: str, calls: int) -> int:
    async def call() -> None:
        body = await gql("cpe_a", query, {"s": school_id} if "$s" in query else {})
        assert "errors" not in body, body

    for _ in range(WARM_UP):
        await call()
    gc.collect()
    tracemalloc.start(80 if os.environ.get("SHOW_MEMORY") else 1)
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(calls):
            await call()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    if os.environ.get("SHOW_MEMORY"):
        for stat in after.compare_to(before, "traceback")[:8]:
            print(stat)
            for line in stat.traceback.format():
                print("   ", line)
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))


@pytest.mark.parametrize("query", [STATISTICS, INDICATOR], ids=["statistics", "indicator"])
async def test_statistics_requests_keep_nothing(gql, world, desk, query):
    await november(world, desk)
    growth = await _growth(gql, world.school_a, query, CALLS)
    # Each request used to keep about 8 kB here (800 kB over the calls): validation rules
    # made anew per request missed the validation cache, and a per-call alias of the
    # enrolments stayed registered. What remains is bounded caches settling.
    assert growth < 200 * 1024, growth

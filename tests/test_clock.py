"""The product reads the time through ``core.clock`` only, so that tests set the day."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core import clock
from core.clock import SetClock

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "db", "tsdb", "portals", "replication")
# Reading the machine's time directly: the day would then depend on when the tests run.
DIRECT_READS = re.compile(
    r"\bdate\.today\(|\bdatetime\.(?:now|utcnow|today)\(|\btime\.time\(|\bdatetime\.date\.today\("
)
# One-time passwords are computed by the user's phone from real time: so is their check.
ALLOWED = {("api/auth/second_factor.py", "time.time(")}


def test_no_product_code_reads_the_machine_clock() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for match in DIRECT_READS.finditer(line):
                    if (relative, match.group(0)) not in ALLOWED:
                        offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "read the time through core.clock:\n" + "\n".join(offenders)


def test_the_test_day_is_in_the_test_worlds_school_year() -> None:
    assert date(2026, 9, 1) <= clock.today() <= date(2027, 8, 31)


def test_today_is_the_date_in_france() -> None:
    clock.use_clock(SetClock(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), frozen=True))
    assert clock.today() == date(2027, 1, 1)  # 00:30 in Paris
    clock.use_clock(SetClock(datetime(2027, 7, 1, 21, 59, tzinfo=UTC), frozen=True))
    assert clock.today() == date(2027, 7, 1)  # 23:59 in Paris (summer time)
    clock.use_clock(SetClock(datetime(2027, 7, 1, 22, 0, tzinfo=UTC), frozen=True))
    assert clock.today() == date(2027, 7, 2)


def test_a_set_clock_runs_unless_frozen_and_moves_forward_on_demand() -> None:
    start = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    frozen = SetClock(start, frozen=True)
    assert frozen.now() == start == frozen.now()
    frozen.advance(timedelta(minutes=15))
    assert frozen.now() == start + timedelta(minutes=15)
    running = SetClock(start)
    first = running.now()
    assert start <= first <= running.now() < start + timedelta(seconds=30)
    with pytest.raises(ValueError):
        SetClock(datetime(2027, 3, 1, 8, 0))

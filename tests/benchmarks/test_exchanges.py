"""The exchanges benchmark on a small school, so that it keeps running: its scenario (a
collège set up from its STS-WEB file, the SIECLE files imported, then again with 1% of the
students changed) on both engines, its table, and the memory measure in a process of its own.
Its timings are not asserted: they are the benchmark's to report."""

from __future__ import annotations

from pathlib import Path

from benchmarks.exchanges import (
    SCHOOL_UAI,
    SCHOOL_YEAR,
    print_results,
    reading_memory_apart,
    run_scenario,
)
from exchanges.sample_school import sample_school
from exchanges.siecle_writing import students_bytes


async def test_the_scenario_imports_the_school_then_finds_one_percent_changed(
    sessionmaker, capsys
) -> None:
    # 250 students: three divisions a level, so that a changed student has one to move to.
    scenario = await run_scenario(sessionmaker, 250)

    assert scenario.changed_students == 2
    assert scenario.first_counts["student"]["created"] == 250
    assert scenario.first_counts["enrollment"]["created"] == 250
    assert scenario.first_counts["guardian"]["created"] > 250
    again = scenario.second_counts
    assert again["student"] == {**again["student"], "created": 0, "updated": 0, "unchanged": 250}
    # Each changed student moved division; the family's home and the legal guardians' phones
    # changed with it (siblings share a home, so there may be fewer homes than students).
    assert again["enrollment"]["updated"] == 2
    assert 1 <= again["address"]["updated"] <= 2
    assert 2 <= again["guardian"]["updated"] <= 4
    assert again["guardian_link"]["updated"] == again["guardian_link"]["created"] == 0

    print_results("test", [scenario], None)
    table = capsys.readouterr().out
    assert "import (preview + apply, both files)" in table
    assert "re-import, 2 students changed (1%)" in table


def test_the_memory_of_reading_is_measured_in_a_process_of_its_own(tmp_path: Path) -> None:
    school = sample_school(SCHOOL_UAI, SCHOOL_YEAR, students=30, seed=1)
    path = tmp_path / "ElevesAvecAdresses.xml"
    path.write_bytes(
        students_bytes(
            school.header,
            school.students,
            school.options,
            school.structures,
            school.student_addresses,
        )
    )
    figures = reading_memory_apart(path)
    # Every student, options, structures and address record was read.
    assert figures["records"] == 30 * 3 + len(school.student_addresses)
    assert figures["rss"] >= 0 and figures["traced"] > 0

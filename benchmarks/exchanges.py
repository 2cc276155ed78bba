"""SIECLE imports at scale: a school's students and guardians against reading their files alone.

For each engine: a fresh database, migrated, with an académie, its school year, the national
references (MEFs, subjects, coded lists) and an empty collège whose structures (divisions,
groups, teachers) come from the generated STS_EDT file, imported as the CLI does. Then, with
the files of a generated school (``exchanges.sample_school``: BEE_ELEVES with addresses, then
BEE_RESPONSABLES, in the real format, zipped as SIECLE serves them):

  (a) the import of both files through ``import_file`` (preview and apply in one transaction,
      as ``sconet import --apply`` does: the file is read and planned once), beside the lower
      bound, reading the same bytes alone (iterating the readers over every record), as a
      ratio;
  (b) the same files again with 1% of the students changed (their division, their home's
      address line, their legal guardians' mobile phones), as a ratio to the first import,
      with the counts of what the second import found changed;
  (c) the peak memory of reading a 10,000-student file (the reader's iteration, in a process
      of its own: its resident memory high-water mark, and tracemalloc's peak of Python
      objects), and of planning its import (tracemalloc), in MB and as a ratio to the XML.

Each repetition (``--repeat``) starts from a fresh database of its own: a first import needs
an empty school. Ratios, not seconds, are the result (medians over the repetitions).

    python benchmarks/exchanges.py                      # 1,500 students, both engines
    python benchmarks/exchanges.py --engine sqlite --students 1500 --repeat 3
    python benchmarks/exchanges.py --engine postgresql --profile /tmp/import.prof
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import api.resolvers.exchanges.registry  # noqa: E402, F401  (registers the formats)
from api.auth.principal import Principal  # noqa: E402
from api.resolvers.administration import command_line_operator  # noqa: E402
from api.resolvers.exchanges.runs import import_file  # noqa: E402
from api.resolvers.exchanges.siecle import plan_students_import  # noqa: E402
from api.resolvers.work import Work  # noqa: E402
from benchmarks.students_api import create_databases  # noqa: E402
from databases.engines import make_engine, make_sessionmaker  # noqa: E402
from databases.migrations import upgrade_from_loop  # noqa: E402
from db.audit import AuditActor, set_actor  # noqa: E402
from db.exchanges import ExchangeFormat, ExchangeRun, ExchangeState  # noqa: E402
from db.reference import load_reference_nomenclatures  # noqa: E402
from db.schools import (  # noqa: E402
    Academy,
    School,
    SchoolKind,
    SchoolYear,
    SchoolYearState,
    uai_check_letter,
)
from exchanges.sample_school import SampleSchool, sample_school  # noqa: E402
from exchanges.siecle_reading import read_guardians, read_students  # noqa: E402
from exchanges.siecle_writing import guardians_bytes, students_bytes  # noqa: E402
from exchanges.sts_writing import structures_bytes  # noqa: E402
from exchanges.xml_writing import (  # noqa: E402
    GUARDIANS_WITH_ADDRESSES,
    STUDENTS_WITH_ADDRESSES,
    structures_file_name,
    zipped,
)

SCHOOL_UAI = "0931234" + uai_check_letter("0931234")
SCHOOL_YEAR = 2026
# One student in a hundred is changed for the second import.
CHANGED_EVERY = 100
MB = 1024 * 1024


@dataclass(frozen=True)
class SchoolFiles:
    """A generated school's files, as SIECLE and STS-WEB serve them: (name, bytes)."""

    structures: tuple[str, bytes]
    students: tuple[str, bytes]
    guardians: tuple[str, bytes]
    # Uncompressed XML sizes of the students' and guardians' files.
    xml_bytes: int


def school_files(school: SampleSchool) -> SchoolFiles:
    header = school.header
    students_xml = students_bytes(
        header, school.students, school.options, school.structures, school.student_addresses
    )
    guardians_xml = guardians_bytes(
        header, school.persons, school.responsibilities, school.guardian_addresses
    )
    assert header.uai is not None and header.school_year is not None
    return SchoolFiles(
        structures=(
            structures_file_name(header.uai, header.school_year),
            structures_bytes(header, school.divisions, school.groups, school.teachers),
        ),
        students=zipped(STUDENTS_WITH_ADDRESSES, students_xml),
        guardians=zipped(GUARDIANS_WITH_ADDRESSES, guardians_xml),
        xml_bytes=len(students_xml) + len(guardians_xml),
    )


def changed_school(school: SampleSchool) -> tuple[SampleSchool, int]:
    """The school with one student in a hundred changed, as a family's news reaches SIECLE
    between two exports: the student moves to the next division of the level, the family's
    home gets another address line (students and guardians share it), and the student's legal
    guardians another mobile phone. Answers the school and how many students changed."""
    chosen = [s for i, s in enumerate(school.students) if i % CHANGED_EVERY == CHANGED_EVERY // 2]
    chosen_ids = {s.siecle_id for s in chosen}
    homes = {s.address_siecle_id for s in chosen if s.address_siecle_id}
    guardians = {
        r.person_siecle_id
        for r in school.responsibilities
        if r.student_siecle_id in chosen_ids and r.level == 1
    }
    levels: dict[str, list[str]] = {}
    for division in school.divisions:
        levels.setdefault(division.code[0], []).append(division.code)

    def moved(code: str) -> str:
        codes = levels[code[0]]
        return codes[(codes.index(code) + 1) % len(codes)]

    def readdressed(address: Any) -> Any:
        if address.siecle_id not in homes:
            return address
        return replace(address, line1=f"{address.line1} bis")

    structures = tuple(
        replace(
            placed,
            memberships=tuple(
                replace(m, code=moved(m.code)) if m.kind == "D" else m for m in placed.memberships
            ),
        )
        if placed.student_siecle_id in chosen_ids
        else placed
        for placed in school.structures
    )
    persons = tuple(
        replace(p, phone_mobile="+33699" + p.siecle_id[-6:].rjust(6, "0"))
        if p.siecle_id in guardians
        else p
        for p in school.persons
    )
    return (
        replace(
            school,
            structures=structures,
            persons=persons,
            student_addresses=tuple(readdressed(a) for a in school.student_addresses),
            guardian_addresses=tuple(readdressed(a) for a in school.guardian_addresses),
        ),
        len(chosen),
    )


# --- the database --------------------------------------------------------------------------


async def empty_college(sessions: async_sessionmaker[AsyncSession], uai: str, year: int) -> int:
    """An académie with its school year and the national references, and an empty collège;
    answers the collège's id."""
    async with sessions() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="benchmark"))
        academy = Academy(code="24", name="Créteil")
        session.add(academy)
        await session.flush()
        session.add(
            SchoolYear(academy_id=academy.id, start_year=year, state=SchoolYearState.CURRENT)
        )
        school = School(
            academy_id=academy.id,
            uai=uai,
            kind=SchoolKind.COLLEGE,
            name="Collège du banc d'essai",
            city="Montreuil",
            postal_code="93100",
        )
        session.add(school)
        await load_reference_nomenclatures(session)
        await session.flush()
        return school.id


async def operator(sessions: async_sessionmaker[AsyncSession], uai: str) -> Principal:
    async with sessions() as session:
        principal = await command_line_operator(session, uai)
    assert principal is not None
    return principal


async def import_as_cli(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    school_id: int,
    format: ExchangeFormat,
    file: tuple[str, bytes],
) -> ExchangeRun:
    """``sconet import ... --apply``: preview and apply in one transaction."""
    async with Work(sessions, principal).writing(school_id) as transaction:
        run = await transaction.run(import_file, format, school_id, *file)
    refused = sum(numbers.get("refused", 0) for numbers in run.counts.values())
    if run.state != ExchangeState.APPLIED or refused:
        problems = run.report.get("problems") or [run.report.get("refusal")]
        raise RuntimeError(f"{file[0]}: {run.state}, {refused} refused: {problems[:3]}")
    return run


def parse_alone(files: SchoolFiles) -> int:
    """The lower bound: every record of both files read, nothing else; answers how many."""
    count = 0
    for read, (name, content) in (
        (read_students, files.students),
        (read_guardians, files.guardians),
    ):
        reading = read(content, name)
        try:
            for _ in reading:
                count += 1
        finally:
            reading.close()
    return count


@dataclass
class Scenario:
    """One repetition's figures (seconds) and what the imports counted."""

    students: int
    records: int
    xml_bytes: int
    zip_bytes: int
    parse: float
    first: float
    second: float
    changed_students: int
    first_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    second_counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _merged(*runs: ExchangeRun) -> dict[str, dict[str, int]]:
    """Counts of several runs by kind of row (the students' and the guardians' files both
    count addresses)."""
    merged: dict[str, dict[str, int]] = {}
    for run in runs:
        for kind, numbers in run.counts.items():
            into = merged.setdefault(kind, {})
            for key, value in numbers.items():
                into[key] = into.get(key, 0) + value
    return merged


async def run_scenario(
    sessions: async_sessionmaker[AsyncSession],
    students: int,
    *,
    profile: cProfile.Profile | None = None,
) -> Scenario:
    """In an empty migrated database: the collège and its structures, then (a) and (b)."""
    school = sample_school(SCHOOL_UAI, SCHOOL_YEAR, students=students, seed=0)
    files = school_files(school)
    changed, changed_students = changed_school(school)
    changed_files = school_files(changed)
    school_id = await empty_college(sessions, SCHOOL_UAI, SCHOOL_YEAR)
    principal = await operator(sessions, SCHOOL_UAI)
    await import_as_cli(sessions, principal, school_id, ExchangeFormat.STRUCTURES, files.structures)

    parse_alone(files)  # once untimed: the first reading pays for lxml's and the codecs' set-up
    started = time.perf_counter()
    records = parse_alone(files)
    parse = time.perf_counter() - started

    if profile is not None:
        profile.enable()
    started = time.perf_counter()
    first_runs = [
        await import_as_cli(
            sessions, principal, school_id, ExchangeFormat.STUDENTS, files.students
        ),
        await import_as_cli(
            sessions, principal, school_id, ExchangeFormat.GUARDIANS, files.guardians
        ),
    ]
    first = time.perf_counter() - started
    if profile is not None:
        profile.disable()

    started = time.perf_counter()
    second_runs = [
        await import_as_cli(
            sessions, principal, school_id, ExchangeFormat.STUDENTS, changed_files.students
        ),
        await import_as_cli(
            sessions, principal, school_id, ExchangeFormat.GUARDIANS, changed_files.guardians
        ),
    ]
    second = time.perf_counter() - started
    return Scenario(
        students=students,
        records=records,
        xml_bytes=files.xml_bytes,
        zip_bytes=len(files.students[1]) + len(files.guardians[1]),
        parse=parse,
        first=first,
        second=second,
        changed_students=changed_students,
        first_counts=_merged(*first_runs),
        second_counts=_merged(*second_runs),
    )


# --- memory --------------------------------------------------------------------------------


def _status(name: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {name} in /proc/self/status")


def reading_memory(path: Path) -> dict[str, float]:
    """Read the students' file at ``path`` once for its resident memory (the high-water mark,
    reset first, above the resident memory before), once under tracemalloc (Python objects
    only: lxml's own buffers are not traced)."""
    content = path.read_bytes()
    # Writing 5 resets the high-water mark to the current resident size (Linux 4.0 and on).
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    records = sum(1 for _ in read_students(content, path.name))
    rss = _status("VmHWM") - before
    tracemalloc.start()
    sum(1 for _ in read_students(content, path.name))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"records": records, "rss": rss, "traced": peak}


def reading_memory_apart(path: Path) -> dict[str, float]:
    """``reading_memory`` in a fresh Python process, so that its high-water mark is the
    reader's and not the benchmark's."""
    result = subprocess.run(
        [sys.executable, __file__, "--reading-memory", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


async def planning_memory(
    sessions: async_sessionmaker[AsyncSession], file: tuple[str, bytes]
) -> float:
    """tracemalloc's peak while the students' file is planned into the benchmark's school
    (read and compared with the database, nothing written)."""
    principal = await operator(sessions, SCHOOL_UAI)
    school_id = next(s for s, _ in principal.grants if s is not None)
    async with sessions() as session:
        year = await session.scalar(
            select(SchoolYear.id).where(SchoolYear.start_year == SCHOOL_YEAR)
        )
        assert year is not None
        reading = read_students(file[1], file[0])
        tracemalloc.start()
        try:
            records: Iterable[Any] = reading
            await plan_students_import(session, principal, school_id, year, records)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            reading.close()
            await session.rollback()
    return float(peak)


@dataclass
class Memory:
    students: int
    xml_bytes: int
    zip_bytes: int
    reading: dict[str, float]
    planning: float | None


def memory_file(students: int, workdir: Path) -> tuple[Path, tuple[str, bytes], int]:
    school = sample_school(SCHOOL_UAI, SCHOOL_YEAR, students=students, seed=1)
    xml = students_bytes(
        school.header, school.students, school.options, school.structures, school.student_addresses
    )
    path = workdir / STUDENTS_WITH_ADDRESSES
    path.write_bytes(xml)
    return path, zipped(STUDENTS_WITH_ADDRESSES, xml), len(xml)


# --- one engine ----------------------------------------------------------------------------


async def measure(
    engine_name: str,
    students: int,
    repeat: int,
    memory_students: int,
    profile_path: Path | None = None,
) -> tuple[list[Scenario], Memory | None]:
    scenarios: list[Scenario] = []
    memory: Memory | None = None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for index in range(repeat):
            databases = create_databases(engine_name, workdir, f"exchanges{index}")
            try:
                await upgrade_from_loop("admin", databases.admin_url)
                engine = make_engine(databases.admin_url)
                try:
                    sessions = make_sessionmaker(engine)
                    profile = cProfile.Profile() if profile_path and index == 0 else None
                    scenario = await run_scenario(sessions, students, profile=profile)
                    scenarios.append(scenario)
                    print(
                        f"  repetition {index + 1}: parse {scenario.parse:.2f} s, import "
                        f"{scenario.first:.2f} s, re-import {scenario.second:.2f} s",
                        flush=True,
                    )
                    if profile is not None and profile_path is not None:
                        profile.dump_stats(profile_path)
                        print_profile(profile_path)
                    if memory_students and index == repeat - 1:
                        path, zipped_file, xml_bytes = memory_file(memory_students, workdir)
                        reading = reading_memory_apart(path)
                        planning = await planning_memory(sessions, zipped_file)
                        memory = Memory(
                            memory_students, xml_bytes, len(zipped_file[1]), reading, planning
                        )
                finally:
                    await engine.dispose()
            finally:
                databases.drop()
    return scenarios, memory


def print_profile(path: Path, lines: int = 25) -> None:
    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)


# --- the table -----------------------------------------------------------------------------

KINDS = ("student", "enrollment", "enrollment_group", "address", "guardian", "guardian_link")


def print_results(engine_name: str, scenarios: list[Scenario], memory: Memory | None) -> None:
    first = scenarios[0]
    parse = statistics.median(s.parse for s in scenarios)
    imported = statistics.median(s.first for s in scenarios)
    again = statistics.median(s.second for s in scenarios)
    print(
        f"\n  {first.students} students, {first.records} records, XML {first.xml_bytes / MB:.1f} MB "
        f"(zipped {first.zip_bytes / MB:.2f} MB); medians of {len(scenarios)} run(s), {engine_name}"
    )
    print(f"  {'measure':<44}{'seconds':>9}{'ratio':>10}  to")
    print(f"  {'parsing both files alone (lower bound)':<44}{parse:>9.2f}")
    print(
        f"  {'import (preview + apply, both files)':<44}{imported:>9.2f}{imported / parse:>9.1f}x  parse"
    )
    print(
        f"  {f're-import, {first.changed_students} students changed (1%)':<44}"
        f"{again:>9.2f}{again / imported:>10.3f}  first import"
    )
    print(
        f"\n  {'rows':<18}{'first: created':>15}{'again: updated':>16}{'unchanged':>11}{'share':>8}"
    )
    for kind in KINDS:
        created = first.first_counts.get(kind, {}).get("created", 0)
        numbers = first.second_counts.get(kind, {})
        updated = numbers.get("updated", 0) + numbers.get("created", 0) + numbers.get("removed", 0)
        total = updated + numbers.get("unchanged", 0)
        share = f"{100 * updated / total:.1f}%" if total else "-"
        print(f"  {kind:<18}{created:>15}{updated:>16}{numbers.get('unchanged', 0):>11}{share:>8}")
    if memory is not None:
        xml = memory.xml_bytes
        print(
            f"\n  reading a {memory.students}-student BEE_ELEVES (XML {xml / MB:.1f} MB, zipped "
            f"{memory.zip_bytes / MB:.2f} MB, {memory.reading['records']:.0f} records)"
        )
        for label, value in (
            ("reader, resident memory high-water delta", memory.reading["rss"]),
            ("reader, tracemalloc peak", memory.reading["traced"]),
            ("plan of its import, tracemalloc peak", memory.planning),
        ):
            if value is not None:
                print(f"  {label:<44}{value / MB:>7.1f} MB{value / xml:>8.2f}x the XML")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-students", type=int, default=10_000, help="0: no memory measure")
    parser.add_argument("--profile", type=Path, help="cProfile the first import into this file")
    parser.add_argument("--reading-memory", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reading_memory:
        print(json.dumps(reading_memory(args.reading_memory)))
        return
    engines = args.engine.split(",")
    for engine_name in engines:
        if engine_name not in ("sqlite", "postgresql"):
            parser.error(f"unknown engine {engine_name!r}")
    print(
        f"exchanges benchmark: a {args.students}-student school, {args.repeat} repetition(s), "
        f"memory at {args.memory_students} students"
    )
    for engine_name in engines:
        print(f"\n[{engine_name}]", flush=True)
        scenarios, memory = asyncio.run(
            measure(engine_name, args.students, args.repeat, args.memory_students, args.profile)
        )
        print_results(engine_name, scenarios, memory)


if __name__ == "__main__":
    main()

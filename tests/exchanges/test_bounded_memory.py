"""A 10,000-student export is written record by record: its peak memory stays far below the
size of the file (which a whole tree would exceed many times)."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

from exchanges.siecle_writing import write_students
from tests.exchanges.records import HEADER, address, options, structures, student

STUDENTS = 10_000


class Sink:
    """A file that counts what it is given and keeps nothing."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def test_a_ten_thousand_student_export_is_written_in_bounded_memory() -> None:
    # The records are made before measuring: what is measured is the writing alone.
    ids = [str(1_000_000 + n) for n in range(STUDENTS)]
    model, elected, placed, home = student(), options(), structures(), address()
    students = [replace(model, siecle_id=i, elenoet=i[1:], ine=f"{i[1:]:0>10}A") for i in ids]
    chosen = [replace(elected, student_siecle_id=i) for i in ids]
    seated = [replace(placed, student_siecle_id=i) for i in ids]
    homes = [replace(home, siecle_id=i) for i in ids]
    sink = Sink()
    tracemalloc.start()
    try:
        write_students(sink, HEADER, students, chosen, seated, homes)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.size > 20_000_000
    # The ELENOETs kept for OPTIONS and STRUCTURES are the only thing that grows.
    assert peak < 2_000_000, peak

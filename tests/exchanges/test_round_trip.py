"""What the writers write, the readers read back the same: a generated school through every
SIECLE and STS-WEB format, zipped as SIECLE serves them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from exchanges.records import FileHeader, RecordProblem
from exchanges.sample_school import SampleSchool, sample_school
from exchanges.siecle_reading import read_guardians, read_nomenclatures, read_students
from exchanges.siecle_writing import guardians_bytes, nomenclatures_bytes, students_bytes
from exchanges.sts_reading import read_structures
from exchanges.sts_writing import structures_bytes
from exchanges.xml_writing import zipped


@pytest.fixture(scope="module")
def school() -> SampleSchool:
    return sample_school("0930001W", 2026, students=120, seed=7)


def _read(reader: Any, name: str, data: bytes) -> tuple[FileHeader, list[Any]]:
    file_name, content = zipped(name, data)
    with reader(content, file_name) as reading:
        header = reading.header
        items = list(reading)
    assert not [i for i in items if isinstance(i, RecordProblem)]
    return header, items


def _without_lines(records: list[Any], kind: type) -> list[Any]:
    return [replace(r, line=0) for r in records if isinstance(r, kind)]


def test_students_with_addresses(school: SampleSchool) -> None:
    data = students_bytes(
        school.header,
        school.students,
        school.options,
        school.structures,
        school.student_addresses,
    )
    header, items = _read(read_students, "ElevesAvecAdresses.xml", data)
    assert (header.root, header.uai, header.school_year) == ("BEE_ELEVES", "0930001W", 2026)
    for section in ("students", "options", "structures", "student_addresses"):
        expected = list(getattr(school, section))
        assert _without_lines(items, type(expected[0])) == expected, section


def test_students_without_addresses_keep_everything_else(school: SampleSchool) -> None:
    data = students_bytes(school.header, school.students, school.options, school.structures)
    _header, items = _read(read_students, "ElevesSansAdresses.xml", data)
    expected = [replace(s, address_siecle_id=None) for s in school.students]
    assert _without_lines(items, type(expected[0])) == expected


def test_guardians(school: SampleSchool) -> None:
    data = guardians_bytes(
        school.header, school.persons, school.responsibilities, school.guardian_addresses
    )
    _header, items = _read(read_guardians, "ResponsablesAvecAdresses.xml", data)
    for section in ("persons", "responsibilities", "guardian_addresses"):
        expected = list(getattr(school, section))
        assert _without_lines(items, type(expected[0])) == expected, section


def test_nomenclatures(school: SampleSchool) -> None:
    data = nomenclatures_bytes(school.header, school.mefs, school.subjects)
    _header, items = _read(read_nomenclatures, "Nomenclature.xml", data)
    assert _without_lines(items, type(school.mefs[0])) == list(school.mefs)
    assert _without_lines(items, type(school.subjects[0])) == list(school.subjects)


def test_structures(school: SampleSchool) -> None:
    data = structures_bytes(school.header, school.divisions, school.groups, school.teachers)
    header, items = _read(read_structures, "sts_emp_0930001W_2026.xml", data)
    assert (header.root, header.uai, header.school_year) == ("STS_EDT", "0930001W", 2026)
    for section in ("divisions", "groups", "teachers"):
        expected = list(getattr(school, section))
        assert _without_lines(items, type(expected[0])) == expected, section

"""The import privé (IMPORT_ELEVES 3.1): what we write is valid against the national schema,
and the validation names the line of what is not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from exchanges.private_import import private_import_bytes, validate_private_import
from exchanges.xml_writing import UnwritableRecord
from tests.exchanges.records import (
    HEADER,
    address,
    options,
    person,
    responsibility,
    structures,
    student,
)

FILES = Path(__file__).parent / "files"


def written(**changes: object) -> bytes:
    return private_import_bytes(
        HEADER,
        [student("20191", **changes)],
        [person("301"), person("302", civility="M.", first_name="Jean", address_siecle_id=None)],
        [
            responsibility(student_siecle_id="20191", person_siecle_id="301"),
            responsibility(
                student_siecle_id="20191", person_siecle_id="302", level=3, kinship_code="90"
            ),
        ],
        [address()],
        [options("20191")],
        [structures("20191")],
    )


def test_what_we_write_is_valid_and_carries_the_student_and_guardians() -> None:
    data = written(first_name="Łukasz")
    assert validate_private_import(data) == ()
    root = etree.fromstring(data)
    assert root.get("VERSION") == "3.1"
    assert root.findtext("PARAMETRES/UAJ") == "0931234X"
    eleve = root.find("DONNEES/ELEVES/ELEVE")
    assert eleve.findtext("ID_PRV_ELE") == "20191"
    assert eleve.findtext("PRENOM") == "Łukasz"
    assert eleve.findtext("DATE_NAISS") == "2012-12-22"
    assert eleve.findtext("CODE_COMMUNE_INSEE_NAISS") == "93066"
    assert eleve.findtext("SCOLARITE_ACTIVE/CODE_MEF") == "10310019110"
    assert eleve.findtext("SCOLARITE_ACTIVE/CODE_DIVISION") == "3A"
    assert [
        o.findtext("CODE_MATIERE") for o in eleve.findall("SCOLARITE_ACTIVE/OPTIONS/OPTION")
    ] == ["030201", "020300"]
    assert eleve.findtext("RESPONSABLES_ELEVE/LEGAL/ID_PRV_PER") == "301"
    assert eleve.findtext("RESPONSABLES_ELEVE/CONTACT/ID_PRV_PER") == "302"
    assert eleve.findtext("ETABLISSEMENT_AN_DERNIER/CODE_RNE") == "0752387M"
    assert eleve.findtext("ADRESSE/LL_POSTAL") == "MONTREUIL"
    personnes = root.findall("DONNEES/PERSONNES/PERSONNE")
    assert [p.findtext("ID_PRV_PER") for p in personnes] == ["301", "302"]
    assert personnes[0].findtext("ADRESSE/CODE_POSTAL") == "93100"


def test_a_student_who_left_is_written_with_his_exit() -> None:
    from datetime import date

    data = written(exit_date=date(2025, 12, 19), exit_motive_code="40")
    assert validate_private_import(data) == ()
    eleve = etree.fromstring(data).find("DONNEES/ELEVES/ELEVE")
    assert [c.tag for c in eleve][:3] == ["CODE_MOTIF_SORTIE", "DATE_SORTIE", "ID_PRV_ELE"]


def test_our_example_in_the_national_examples_shape_is_valid() -> None:
    assert validate_private_import((FILES / "import_prive_exemple.xml").read_bytes()) == ()


def test_a_broken_file_fails_with_its_line() -> None:
    data = (FILES / "import_prive_exemple.xml").read_bytes()
    broken = data.replace(b"<CODE_SEXE>2</CODE_SEXE>", b"<CODE_SEXE>22</CODE_SEXE>")
    problems = validate_private_import(broken)
    assert problems
    line = data[: data.index(b"<CODE_SEXE>")].count(b"\n") + 1
    assert problems[0].line == line
    assert problems[0].element == "CODE_SEXE"
    assert problems[0].message.startswith(f"Ligne {line} : ")
    assert "CODE_SEXE" in problems[0].message

    missing = data.replace(b"<CODE_REGIME>2</CODE_REGIME>", b"")
    (problem,) = validate_private_import(missing)
    assert "CODE_REGIME" in problem.message and problem.line > 0


def test_a_file_that_is_not_xml_names_its_line() -> None:
    (problem,) = validate_private_import(b"<IMPORT_ELEVES>\n<PARAMETRES>\n</IMPORT_ELEVES>")
    assert problem.line == 3
    assert problem.message.startswith("Ligne 3 : ")


def test_a_file_with_entities_is_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<IMPORT_ELEVES>&b;</IMPORT_ELEVES>"
    )
    (problem,) = validate_private_import(bomb)  # refused, without expanding &b;
    assert "DTD" in problem.message


@pytest.mark.parametrize(
    ("students", "field"),
    [
        ([student("1826500")], "ID_PRV_ELE"),
        ([student("20191", mef_code=None)], "CODE_MEF"),
    ],
)
def test_a_student_the_format_cannot_carry_is_refused(students: list, field: str) -> None:
    with pytest.raises(UnwritableRecord) as refused:
        private_import_bytes(
            HEADER,
            students,
            [person("301")],
            [
                responsibility(student_siecle_id=s.siecle_id, person_siecle_id="301")
                for s in students
            ],
        )
    assert refused.value.field == field


def test_a_student_without_a_legal_guardian_is_refused() -> None:
    with pytest.raises(UnwritableRecord) as refused:
        private_import_bytes(HEADER, [student("20191")], [person("301")], [])
    assert refused.value.field == "RESPONSABLES_ELEVE"


def test_a_generated_school_renumbered_is_valid() -> None:
    from exchanges.sample_school import sample_school

    school = sample_school("0931234X", 2025, students=60, seed=5)
    ids = {s.siecle_id: str(n) for n, s in enumerate(school.students, 1)}
    people = {p.siecle_id: str(n) for n, p in enumerate(school.persons, 1)}
    data = private_import_bytes(
        school.header,
        [replace(s, siecle_id=ids[s.siecle_id]) for s in school.students],
        [replace(p, siecle_id=people[p.siecle_id]) for p in school.persons],
        [
            replace(
                r,
                student_siecle_id=ids[r.student_siecle_id],
                person_siecle_id=people[r.person_siecle_id],
            )
            for r in school.responsibilities
        ],
        school.guardian_addresses,
        [replace(o, student_siecle_id=ids[o.student_siecle_id]) for o in school.options],
        [replace(s, student_siecle_id=ids[s.student_siecle_id]) for s in school.structures],
    )
    assert validate_private_import(data) == ()

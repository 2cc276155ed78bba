"""STS-WEB's structures export (STS_EDT) read into teachers, divisions and groups."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exchanges.records import (
    DivisionRecord,
    FileHeader,
    GroupRecord,
    RecordProblem,
    ServiceRecord,
    TeacherRecord,
)
from exchanges.sts_reading import read_structures

FILES = Path(__file__).parent / "files"


def test_the_structures_export_gives_teachers_divisions_and_groups() -> None:
    with read_structures(
        (FILES / "sts_emp_0750001A_2025.xml").read_bytes(), "sts_emp_0750001A_2025.xml"
    ) as reading:
        header = reading.header
        items = list(reading)

    # STS-WEB writes its parameters as attributes.
    assert header == FileHeader(
        root="STS_EDT",
        version=None,
        uai="0750001A",
        school_year=2025,
        exported_on=date(2025, 6, 27),
    )
    assert items == [
        # The usage name first, the birth name when there is none.
        TeacherRecord(
            sts_id="8001",
            kind="epp",
            civility="Mme",
            family_name="BÉRANGER",
            first_name="Sévérine",
            discipline_codes=("L0422",),
            line=27,
        ),
        TeacherRecord(
            sts_id="8002",
            kind="epp",
            civility="M.",
            family_name="FAURÉ",
            first_name="Gérald",
            discipline_codes=("L0202", "L0201"),
            line=43,
        ),
        TeacherRecord(
            sts_id="L12",
            kind="local",
            civility=None,
            family_name="REMPLAÇANT",
            first_name="Joël",
            line=58,
        ),
        DivisionRecord(
            code="6 A",
            label="6ème A",
            planned_headcount=28,
            mef_codes=("10010012110",),
            services=(
                ServiceRecord(subject_code="030201", teacher_ids=("8001",)),
                ServiceRecord(subject_code="020100", teacher_ids=("8002", "L12")),
            ),
            line=65,
        ),
        # No label: the code is the label.
        DivisionRecord(
            code="3 B",
            label="3 B",
            planned_headcount=None,
            mef_codes=("10310019110", "10310019112"),
            services=(),
            line=85,
        ),
        RecordProblem(
            element="DIVISION",
            record_id="5 C",
            field="EFFECTIF_PREVU",
            message="EFFECTIF_PREVU : « vingt » n'est pas un nombre entier.",
            line=92,
        ),
        GroupRecord(
            code="6 LAT",
            label="Latin 6ème",
            division_codes=("6 A", "6 B"),
            services=(ServiceRecord(subject_code="020300", teacher_ids=("8002",)),),
            line=98,
        ),
    ]


def test_a_teacher_without_any_name_is_reported() -> None:
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-15"?>\n'
        '<STS_EDT><PARAMETRES><UAJ CODE="0750001A"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES>\n'
        "<DONNEES><INDIVIDUS>\n"
        '<INDIVIDU ID="9" TYPE="epp"><PRENOM>Anonyme</PRENOM></INDIVIDU>\n'
        "</INDIVIDUS></DONNEES></STS_EDT>\n"
    ).encode("iso-8859-15")
    assert list(read_structures(xml, "sts.xml")) == [
        RecordProblem(
            element="INDIVIDU",
            record_id="9",
            field="NOM_USAGE",
            message="NOM_USAGE et NOM_PATRONYMIQUE sont absents ou vides.",
            line=4,
        )
    ]

"""STS-WEB's structures export as we write it, read back as GEPI and SACoche read it."""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from exchanges.records import (
    DivisionRecord,
    FileHeader,
    GroupRecord,
    ServiceRecord,
    SubjectRecord,
    TeacherRecord,
)
from exchanges.sts_writing import structures_bytes
from exchanges.xml_writing import structures_file_name, zipped

HEADER = FileHeader("STS_EDT", None, "0931234X", 2025, date(2025, 9, 1))


def test_structures_are_written_as_sts_web_writes_them() -> None:
    teachers = [
        TeacherRecord(
            "20048", "epp", "Mme", "CURIE", "Marie", "marie.curie@ac-creteil.fr", ("061300",)
        ),
        TeacherRecord("20049", "epp", "M.", "HUGO", "Victor"),
    ]
    divisions = [
        DivisionRecord(
            "6A",
            "6E A",
            28,
            ("10010012110",),
            (ServiceRecord("061300", ("20048",)), ServiceRecord("020700", ("20049",))),
        ),
    ]
    groups = [
        GroupRecord("6LCALA1", "6E LATIN 1", ("6A", "6B"), (ServiceRecord("020300", ("20049",)),))
    ]
    subjects = [SubjectRecord("061300", "MATHS", "MATHEMATIQUES", "MATHEMATIQUES", None)]
    data = structures_bytes(
        HEADER, divisions, groups, teachers, subjects, exported_at=datetime(2025, 9, 1, 8, 0)
    )
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    root = etree.fromstring(data)
    assert root.tag == "STS_EDT"
    assert [c.tag for c in root] == ["PARAMETRES", "NOMENCLATURES", "DONNEES"]
    # STS-WEB's readers take the UAI and the year from attributes, SIECLE's from the text.
    uaj = root.find("PARAMETRES/UAJ")
    assert uaj.get("CODE") == "0931234X" and uaj.text == "0931234X"
    year = root.find("PARAMETRES/ANNEE_SCOLAIRE")
    assert year.get("ANNEE") == "2025" and year.text == "2025"
    assert root.findtext("PARAMETRES/DATE_EXPORT") == "01/09/2025"
    matiere = root.find("NOMENCLATURES/MATIERES/MATIERE")
    assert matiere.get("CODE") == "061300" and matiere.findtext("CODE_GESTION") == "MATHS"

    assert [c.tag for c in root.find("DONNEES")] == ["INDIVIDUS", "STRUCTURE"]
    curie, hugo = root.findall("DONNEES/INDIVIDUS/INDIVIDU")
    assert curie.attrib == {"ID": "20048", "TYPE": "epp"}
    assert [(c.tag, c.text) for c in curie if c.tag != "DISCIPLINES"] == [
        ("NOM_USAGE", "CURIE"),
        ("PRENOM", "Marie"),
        ("CIVILITE", "2"),
        ("MEL", "marie.curie@ac-creteil.fr"),
        ("FONCTION", "ENS"),
    ]
    assert [d.get("CODE") for d in curie.findall("DISCIPLINES/DISCIPLINE")] == ["061300"]
    assert hugo.findtext("CIVILITE") == "1" and hugo.find("MEL") is None

    division = root.find("DONNEES/STRUCTURE/DIVISIONS/DIVISION")
    assert division.get("CODE") == "6A"
    assert [c.tag for c in division] == [
        "LIBELLE_LONG",
        "EFFECTIF_PREVU",
        "MEFS_APPARTENANCE",
        "SERVICES",
    ]
    assert division.findtext("LIBELLE_LONG") == "6E A"
    assert division.findtext("EFFECTIF_PREVU") == "28"
    assert [m.get("CODE") for m in division.findall("MEFS_APPARTENANCE/MEF_APPARTENANCE")] == [
        "10010012110"
    ]
    services = division.findall("SERVICES/SERVICE")
    assert [s.get("CODE_MATIERE") for s in services] == ["061300", "020700"]
    assert [
        (e.get("ID"), e.get("TYPE")) for e in services[0].findall("ENSEIGNANTS/ENSEIGNANT")
    ] == [("20048", "epp")]

    group = root.find("DONNEES/STRUCTURE/GROUPES/GROUPE")
    assert group.get("CODE") == "6LCALA1" and group.findtext("LIBELLE_LONG") == "6E LATIN 1"
    assert [
        d.get("CODE") for d in group.findall("DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE")
    ] == ["6A", "6B"]
    assert group.find("SERVICES/SERVICE").get("CODE_MATIERE") == "020300"
    assert group.find("SERVICES/SERVICE/ENSEIGNANTS/ENSEIGNANT").get("ID") == "20049"


def test_the_structures_file_is_named_and_zipped_as_sts_web_names_it() -> None:
    name = structures_file_name("0931234X", 2025)
    assert name == "sts_emp_0931234X_2025.xml"
    assert zipped(name, b"<STS_EDT/>")[0] == "sts_emp_0931234X_2025.zip"

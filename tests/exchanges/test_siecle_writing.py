"""SIECLE's exports as we write them: parsed back and checked element by element against the
structure of SIECLE's own files (the orders below are those of SIECLE's samples) and against
what the real clients rely on."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from lxml import etree

from exchanges.records import (
    CodedEntryRecord,
    FileHeader,
    MefRecord,
    ProgrammeRecord,
    SubjectRecord,
)
from exchanges.siecle_writing import (
    guardians_bytes,
    nomenclatures_bytes,
    students_bytes,
)
from exchanges.xml_writing import (
    GUARDIANS_WITH_ADDRESSES,
    STUDENTS_WITH_ADDRESSES,
    UnwritableRecord,
    zipped,
)
from tests.exchanges.records import (
    HEADER,
    address,
    options,
    person,
    responsibility,
    structures,
    student,
)

AT = datetime(2025, 9, 15, 19, 1, 46)
DECLARATION = b'<?xml version="1.0" encoding="ISO-8859-15"?>\n'
PARAMETRES = ["UAJ", "ANNEE_SCOLAIRE", "DATE_EXPORT", "HORODATAGE"]
# ELEVE's children in the order of SIECLE's ElevesAvecAdresses (NOM_USAGE, DATE_SORTIE,
# CODE_MOTIF_SORTIE and ADRESSE_ID, absent from the sample, where SIECLE puts them).
ELEVE_ORDER = [
    "ID_NATIONAL",
    "INE_RNIE",
    "ELENOET",
    "ID_ELEVE_ETAB",
    "NOM_DE_FAMILLE",
    "NOM_USAGE",
    "PRENOM",
    "PRENOM2",
    "PRENOM3",
    "DATE_NAISS",
    "DOUBLEMENT",
    "CODE_PAYS",
    "ACCEPTE_SMS",
    "DATE_MODIFICATION",
    "CODE_REGIME",
    "DATE_ENTREE",
    "DATE_SORTIE",
    "CODE_MOTIF_SORTIE",
    "VILLE_NAISS",
    "CODE_SEXE",
    "CODE_PAYS_NAT",
    "CODE_STATUT",
    "CODE_MEF",
    "CODE_DEPARTEMENT_NAISS",
    "CODE_COMMUNE_INSEE_NAISS",
    "ADHESION_TRANSPORT",
    "CODE_PROVENANCE",
    "ADRESSE_ID",
    "SCOLARITE_AN_DERNIER",
]
SCOLARITE_ORDER = [
    "CODE_MEF",
    "CODE_STRUCTURE",
    "CODE_RNE",
    "CODE_NATURE",
    "SIGLE",
    "DENOM_PRINC",
    "DENOM_COMPL",
    "LIGNE1_ADRESSE",
    "BOITE_POSTALE",
    "MEL",
    "TELEPHONE",
    "CODE_COMMUNE_INSEE",
    "LL_COMMUNE_INSEE",
]
ADRESSE_ORDER = [
    "LIGNE1_ADRESSE",
    "LIGNE2_ADRESSE",
    "LIGNE3_ADRESSE",
    "LIGNE4_ADRESSE",
    "COMMUNE_ETRANGERE",
    "CODE_POSTAL",
    "CODE_PAYS",
    "CODE_COMMUNE_INSEE",
    "LL_PAYS",
    "CODE_DEPARTEMENT",
    "LIBELLE_POSTAL",
]
PERSONNE_ORDER = [
    "LC_CIVILITE",
    "LL_CIVILITE",
    "NOM_DE_FAMILLE",
    "NOM_USAGE",
    "PRENOM",
    "TEL_PERSONNEL",
    "TEL_PORTABLE",
    "ACCEPTE_SMS",
    "TEL_PROFESSIONNEL",
    "MEL",
    "COMMUNICATION_ADRESSE",
    "ADRESSE_ID",
    "CODE_PROFESSION",
]
RESPONSABLE_ORDER = [
    "ELEVE_ID",
    "PERSONNE_ID",
    "NIVEAU_RESPONSABILITE",
    "CODE_PARENTE",
    "PAIE_FRAIS_SCOLAIRES",
    "PERCOIT_LES_AIDES",
    "HEBERGE_ELEVE",
    "A_CONTACTER_EN_PRIORITE",
]


def tags(element: etree._Element) -> list[str]:
    return [str(c.tag) for c in element if isinstance(c.tag, str)]


def in_order(written: list[str], reference: list[str]) -> bool:
    """Every written child is a child SIECLE writes, in SIECLE's order."""
    positions = [reference.index(tag) for tag in written if tag in reference]
    return len(positions) == len(written) and positions == sorted(positions)


def parse(data: bytes) -> etree._Element:
    assert data.startswith(DECLARATION)
    return etree.fromstring(data)


def test_students_with_addresses_are_written_as_siecle_writes_them() -> None:
    gone = student(
        "1559191",
        elenoet="8194",
        ine="060375611AC",
        exit_date=date(2025, 12, 19),
        exit_motive_code="40",
        address_siecle_id=None,
    )
    data = students_bytes(
        HEADER,
        [student(), gone],
        [options()],
        [structures()],
        [address()],
        exported_at=AT,
    )
    root = parse(data)
    assert root.tag == "BEE_ELEVES" and root.get("VERSION") == "3.0"
    assert tags(root) == ["PARAMETRES", "DONNEES"]
    assert tags(root[0]) == PARAMETRES
    assert root.findtext("PARAMETRES/UAJ") == "0931234X"
    assert root.findtext("PARAMETRES/ANNEE_SCOLAIRE") == "2025"
    assert root.findtext("PARAMETRES/DATE_EXPORT") == "15/09/2025"
    assert root.findtext("PARAMETRES/HORODATAGE") == "15/09/2025 19:01:46"
    assert tags(root[1]) == ["ELEVES", "OPTIONS", "STRUCTURES", "BOURSES", "ADRESSES"]

    present, left = root.findall("DONNEES/ELEVES/ELEVE")
    assert in_order(tags(present), ELEVE_ORDER)
    assert in_order(tags(present.find("SCOLARITE_AN_DERNIER")), SCOLARITE_ORDER)
    assert present.attrib == {"ELEVE_ID": "1826500", "ELENOET": "5496"}
    expected = {
        "ID_NATIONAL": "070832327JA",
        "ELENOET": "5496",
        "NOM_DE_FAMILLE": "ISSOLIHA",
        "NOM_USAGE": "ISSO",
        "PRENOM": "Farid",
        "PRENOM2": "Keita",
        "PRENOM3": "Omar",
        "DATE_NAISS": "22/12/2012",
        "DOUBLEMENT": "1",
        "CODE_PAYS": "100",
        "ACCEPTE_SMS": "1",
        "DATE_MODIFICATION": "02/06/2025",
        "CODE_REGIME": "2",
        "DATE_ENTREE": "01/09/2022",
        "CODE_SEXE": "1",
        "CODE_PAYS_NAT": "335",
        "CODE_STATUT": "ST",
        "CODE_MEF": "10310019110",
        "CODE_DEPARTEMENT_NAISS": "093",
        "CODE_COMMUNE_INSEE_NAISS": "93066",
        "ADRESSE_ID": "1851082",
        "SCOLARITE_AN_DERNIER/CODE_MEF": "10210001110",
        "SCOLARITE_AN_DERNIER/CODE_STRUCTURE": "4 D",
        "SCOLARITE_AN_DERNIER/CODE_RNE": "0752387M",
        "SCOLARITE_AN_DERNIER/DENOM_PRINC": "COLLEGE ANDRE MALRAUX",
        "SCOLARITE_AN_DERNIER/CODE_COMMUNE_INSEE": "75117",
    }
    assert {path: present.findtext(path) for path in expected} == expected
    # A student present has an empty DATE_SORTIE (the clients keep those), one who left has his.
    assert present.find("DATE_SORTIE") is not None and present.findtext("DATE_SORTIE") == ""
    assert present.find("CODE_MOTIF_SORTIE") is None
    assert left.findtext("DATE_SORTIE") == "19/12/2025"
    assert left.findtext("CODE_MOTIF_SORTIE") == "40"
    assert left.find("ADRESSE_ID") is None

    option = root.find("DONNEES/OPTIONS/OPTION")
    assert option.attrib == {"ELEVE_ID": "1826500", "ELENOET": "5496"}
    assert [tags(o) for o in option] == [["NUM_OPTION", "CODE_MODALITE_ELECT", "CODE_MATIERE"]] * 2
    assert [
        (o.findtext("NUM_OPTION"), o.findtext("CODE_MODALITE_ELECT"), o.findtext("CODE_MATIERE"))
        for o in option
    ] == [("1", "O", "030201"), ("2", "F", "020300")]

    placed = root.find("DONNEES/STRUCTURES/STRUCTURES_ELEVE")
    assert placed.attrib == {"ELEVE_ID": "1826500", "ELENOET": "5496"}
    assert [(s.findtext("CODE_STRUCTURE"), s.findtext("TYPE_STRUCTURE")) for s in placed] == [
        ("3A", "D"),
        ("3LCALA1", "G"),
    ]

    home = root.find("DONNEES/ADRESSES/ADRESSE")
    assert home.get("ADRESSE_ID") == "1851082"
    assert tags(home) == ADRESSE_ORDER
    assert [home.findtext(tag) for tag in ADRESSE_ORDER] == [
        "5 bis rue Saint-Ferdinand",
        "Bâtiment B",
        "Escalier 2",
        "Porte 12",
        "",
        "93100",
        "100",
        "93048",
        "FRANCE",
        "093",
        "MONTREUIL",
    ]


def test_students_without_addresses_carry_no_address() -> None:
    root = parse(students_bytes(HEADER, [student()], [options()], [structures()]))
    assert tags(root[1]) == ["ELEVES", "OPTIONS", "STRUCTURES", "BOURSES"]
    assert root.find("DONNEES/ELEVES/ELEVE/ADRESSE_ID") is None


def test_the_real_clients_rules_hold_for_a_generated_school() -> None:
    from exchanges.sample_school import sample_school

    school = sample_school("0931234X", 2025, students=200, seed=3)
    root = parse(
        students_bytes(
            school.header,
            school.students,
            school.options,
            school.structures,
            school.student_addresses,
        )
    )
    assert root.findtext("PARAMETRES/UAJ") == "0931234X"
    students = root.findall("DONNEES/ELEVES/ELEVE")
    assert len(students) == 200
    for element, record in zip(students, school.students, strict=True):
        assert element.findtext("ID_NATIONAL") == record.ine
        assert element.find("DATE_SORTIE") is not None and not element.findtext("DATE_SORTIE")
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", element.findtext("DATE_NAISS") or "")
        assert element.findtext("CODE_SEXE") in ("1", "2")
        if element.findtext("CODE_PAYS") == "100":
            assert re.fullmatch(
                r"\d[\dAB]\d{3}", element.findtext("CODE_COMMUNE_INSEE_NAISS") or ""
            )
    for placed in root.findall("DONNEES/STRUCTURES/STRUCTURES_ELEVE"):
        kinds = [s.findtext("TYPE_STRUCTURE") for s in placed]
        assert kinds.count("D") == 1
    assert len(root.findall("DONNEES/STRUCTURES/STRUCTURES_ELEVE")) == 200


def test_characters_iso_8859_15_cannot_hold_become_character_references() -> None:
    data = students_bytes(
        HEADER, [student(first_name="Łukasz", family_name="Nguyễn", first_name_2="Zoé €")]
    )
    assert b"&#321;ukasz" in data and b"Nguy&#7877;n" in data
    assert "Zoé €".encode("iso-8859-15") in data  # é and € are ISO-8859-15 characters
    eleve = parse(data).find("DONNEES/ELEVES/ELEVE")
    assert (eleve.findtext("PRENOM"), eleve.findtext("NOM_DE_FAMILLE")) == ("Łukasz", "Nguyễn")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"birth_commune_code": None}, "CODE_COMMUNE_INSEE_NAISS"),
        ({"sex": None}, "CODE_SEXE"),
        ({"birth_date": None}, "DATE_NAISS"),
    ],
)
def test_a_student_the_clients_would_misread_is_refused(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(UnwritableRecord) as refused:
        students_bytes(HEADER, [student("1826500", **changes)])
    assert refused.value.field == field
    assert refused.value.record_id == "1826500"
    assert "1826500" in refused.value.message


def test_a_student_born_abroad_needs_no_commune() -> None:
    abroad = student(
        birth_commune_code=None,
        birth_department_code=None,
        birth_country_code="350",
        birth_city="CASABLANCA",
    )
    eleve = parse(students_bytes(HEADER, [abroad])).find("DONNEES/ELEVES/ELEVE")
    assert eleve.findtext("CODE_PAYS") == "350"
    assert eleve.findtext("VILLE_NAISS") == "CASABLANCA"
    assert eleve.find("CODE_COMMUNE_INSEE_NAISS") is None


def test_guardians_are_written_as_siecle_writes_them() -> None:
    father = person(
        "209406",
        civility="M.",
        family_name="ROCK",
        usage_name=None,
        first_name="Jean",
        phone_home=None,
        phone_work=None,
        email=None,
        accepts_sms=False,
        profession_code=None,
    )
    data = guardians_bytes(
        HEADER,
        [person(), father],
        [
            responsibility(),
            responsibility(
                person_siecle_id="209406",
                kinship_code="20",
                pays_fees=False,
                receives_aid=False,
                lives_with=False,
                contact_first=True,
            ),
        ],
        [address()],
        exported_at=AT,
    )
    root = parse(data)
    assert root.tag == "BEE_RESPONSABLES" and root.get("VERSION") == "2.1"
    assert tags(root[0]) == PARAMETRES and root.findtext("PARAMETRES/UAJ") == "0931234X"
    assert tags(root[1]) == ["PERSONNES", "RESPONSABLES", "ADRESSES"]
    mother, dad = root.findall("DONNEES/PERSONNES/PERSONNE")
    assert mother.get("PERSONNE_ID") == "209401"
    assert in_order(tags(mother), PERSONNE_ORDER) and in_order(tags(dad), PERSONNE_ORDER)
    assert {tag: mother.findtext(tag) for tag in tags(mother)} == {
        "LC_CIVILITE": "MME",
        "LL_CIVILITE": "MADAME",
        "NOM_DE_FAMILLE": "ROCK",
        "NOM_USAGE": "ROCHE",
        "PRENOM": "Maryline",
        "TEL_PERSONNEL": "+33231204444",
        "TEL_PORTABLE": "+33764444288",
        "ACCEPTE_SMS": "1",
        "TEL_PROFESSIONNEL": "+33231200000",
        "MEL": "maryline.rock@example.org",
        "ADRESSE_ID": "1851082",
        "CODE_PROFESSION": "75",
    }
    assert (dad.findtext("LC_CIVILITE"), dad.findtext("LL_CIVILITE")) == ("M.", "MONSIEUR")
    assert dad.findtext("MEL") == "" and dad.findtext("ACCEPTE_SMS") == "0"
    first, second = root.findall("DONNEES/RESPONSABLES/RESPONSABLE_ELEVE")
    assert tags(first) == RESPONSABLE_ORDER
    assert [first.findtext(tag) for tag in RESPONSABLE_ORDER] == [
        "1826500",
        "209401",
        "1",
        "10",
        "1",
        "true",
        "true",
        "false",
    ]
    assert [second.findtext(tag) for tag in RESPONSABLE_ORDER] == [
        "1826500",
        "209406",
        "1",
        "20",
        "0",
        "false",
        "false",
        "true",
    ]
    assert tags(root.find("DONNEES/ADRESSES/ADRESSE")) == ADRESSE_ORDER


def test_a_foreign_address_has_its_foreign_city() -> None:
    abroad = address(
        "77",
        postal_code=None,
        commune_code=None,
        city=None,
        foreign_city="CASABLANCA",
        country_code="350",
    )
    element = parse(guardians_bytes(HEADER, [], [], [abroad])).find("DONNEES/ADRESSES/ADRESSE")
    assert element.findtext("COMMUNE_ETRANGERE") == "CASABLANCA"
    assert element.findtext("CODE_PAYS") == "350"
    assert element.findtext("LL_PAYS") == "" and element.findtext("CODE_DEPARTEMENT") == ""


NOMENCLATURE_HEADER = FileHeader("BEE_NOMENCLATURES", "3.1", "0750680G", 2019, date(2019, 7, 8))


def test_nomenclatures_are_written_as_siecle_writes_them() -> None:
    mef = MefRecord(
        "20010018110",
        "2-GT",
        "2NDE GENERALE ET TECHNOLOGIQUE",
        "2nde générale et technologique",
        "20010018110",
        "22111410018",
        date(2019, 9, 1),
        date(9999, 12, 31),
    )
    subject = SubjectRecord(
        "003000",
        "PR-SC",
        "PRATIQ.SOC.& CULTUR.",
        "PRATIQUES SOCIALES ET CULTURELLES",
        "Pratiques sociales et culturelles",
    )
    programme = ProgrammeRecord("20010018110", "003000", "F", Decimal("3"))
    entries = [
        CodedEntryRecord("kinship", "10", "MERE", "MERE", "Mère", sort_order=1),
        CodedEntryRecord("regime", "2", "DP DAN", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT"),
        CodedEntryRecord("exit_motive", "43", "DECES", "DECES"),
        CodedEntryRecord("scholarship_type", "1", "NAT.", "BOURSE NATIONALE", national=True),
        CodedEntryRecord(
            "profession",
            "56",
            "Services directs aux particuliers",
            "Personnels des services directs aux particuliers",
        ),
        CodedEntryRecord("student_status", "ST", "SCOLAIRE", "SCOLAIRE"),
        CodedEntryRecord(
            "election_modality", "O", "OBLIGATOIR", "MATIERE ENSEIGNEE OPTION OBLIGATOIRE"
        ),
        CodedEntryRecord(
            "responsibility_level", "1", "LEGAL", "REPRESENTANT LEGAL", "Représentant légal"
        ),
        CodedEntryRecord("course_modality", "CG", "COURS", "COURS GENERAL"),
    ]
    root = parse(
        nomenclatures_bytes(
            NOMENCLATURE_HEADER, [mef], [subject], [programme], entries, exported_at=AT
        )
    )
    assert root.tag == "BEE_NOMENCLATURES" and root.get("VERSION") == "3.1"
    assert root.findtext("PARAMETRES/UAJ") == "0750680G"
    assert root.findtext("PARAMETRES/DATE_EXPORT") == "08/07/2019"
    # SIECLE's order of the sections (the lists without entries are left out).
    assert tags(root[1]) == [
        "MEFS",
        "MATIERES",
        "PROGRAMMES",
        "MODALITES_ELECTION",
        "REGIMES",
        "LIENS_PARENTE",
        "NIVEAUX_RESPONSABILITE",
        "BOURSES",
        "PROFESSIONS",
        "MOTIFS_SORTIE",
        "STATUTS_ELEVE",
        "MODALITES_COURS",
    ]
    element = root.find("DONNEES/MEFS/MEF[@CODE_MEF='20010018110']")
    assert [(c.tag, c.text) for c in element] == [
        ("FORMATION", "2-GT"),
        ("LIBELLE_LONG", "2NDE GENERALE ET TECHNOLOGIQUE"),
        ("LIBELLE_EDITION", "2nde générale et technologique"),
        ("MEF_RATTACHEMENT", "20010018110"),
        ("CODE_MEFSTAT", "22111410018"),
        ("DATE_OUVERTURE", "01/09/2019"),
        ("DATE_FERMETURE", "31/12/9999"),
    ]
    element = root.find("DONNEES/MATIERES/MATIERE[@CODE_MATIERE='003000']")
    assert [(c.tag, c.text) for c in element] == [
        ("CODE_GESTION", "PR-SC"),
        ("LIBELLE_COURT", "PRATIQ.SOC.& CULTUR."),
        ("LIBELLE_LONG", "PRATIQUES SOCIALES ET CULTURELLES"),
        ("LIBELLE_EDITION", "Pratiques sociales et culturelles"),
    ]
    element = root.find("DONNEES/PROGRAMMES/PROGRAMME")
    assert [(c.tag, c.text) for c in element] == [
        ("CODE_MEF", "20010018110"),
        ("CODE_MATIERE", "003000"),
        ("CODE_MODALITE_ELECT", "F"),
        ("HORAIRE", "3.00"),
    ]
    mother = root.find("DONNEES/LIENS_PARENTE/LIEN_PARENTE[@CODE_PARENTE='10']")
    assert [(c.tag, c.text) for c in mother] == [
        ("LIBELLE_COURT", "MERE"),
        ("LIBELLE_LONG", "MERE"),
        ("LIBELLE_EDITION", "Mère"),
        ("TRI", "1"),
    ]
    assert root.find("DONNEES/REGIMES/REGIME[@CODE_REGIME='2']") is not None
    assert root.find("DONNEES/MOTIFS_SORTIE/MOTIF_SORTIE[@CODE_MOTIF_SORTIE='43']") is not None
    assert root.find("DONNEES/STATUTS_ELEVE/STATUT_ELEVE[@CODE_STATUT='ST']") is not None
    assert (
        root.find("DONNEES/MODALITES_ELECTION/MODALITE_ELECTION[@CODE_MODALITE_ELECT='O']")
        is not None
    )
    assert (
        root.find(
            "DONNEES/NIVEAUX_RESPONSABILITE/N_NIVEAU_RESPONSABILITE[@NIVEAU_RESPONSABILITE='1']"
        )
        is not None
    )
    assert (
        root.find("DONNEES/MODALITES_COURS/MODALITE_COURS[@CODE_MODALITE_COURS='CG']") is not None
    )
    bourse = root.find("DONNEES/BOURSES/BOURSE[@CODE_BOURSE='1']")
    assert bourse.findtext("BOURSE_NATIONALE") == "1"
    profession = root.find("DONNEES/PROFESSIONS/PROFESSION[@CODE_PROFESSION='56']")
    assert tags(profession) == ["LIBELLE_COURT_PCS", "LIBELLE_LONG_PCS"]


def test_an_entry_of_an_unknown_list_is_refused() -> None:
    with pytest.raises(UnwritableRecord) as refused:
        nomenclatures_bytes(
            NOMENCLATURE_HEADER, [], [], [], [CodedEntryRecord("colours", "1", "R", "ROUGE")]
        )
    assert "colours" in refused.value.message


def test_an_export_is_zipped_as_siecle_serves_it() -> None:
    data = students_bytes(HEADER, [student()], addresses=[address()])
    name, archive = zipped(STUDENTS_WITH_ADDRESSES, data)
    assert name == "ElevesAvecAdresses.zip"
    with zipfile.ZipFile(BytesIO(archive)) as opened:
        assert opened.namelist() == ["ElevesAvecAdresses.xml"]
        assert opened.read("ElevesAvecAdresses.xml") == data
    assert zipped(GUARDIANS_WITH_ADDRESSES, b"<x/>")[0] == "ResponsablesAvecAdresses.zip"

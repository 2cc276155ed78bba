"""SIECLE's exports read into records: BEE_NOMENCLATURES, BEE_ELEVES, BEE_RESPONSABLES.

The files under ``files/`` are written in SIECLE's formats, ISO-8859-15 encoded with accents
(and Œ, which ISO-8859-1 lacks).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from exchanges.records import (
    AddressRecord,
    CodedEntryRecord,
    FileHeader,
    MefRecord,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ProgrammeRecord,
    RecordProblem,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
    SubjectRecord,
)
from exchanges.siecle_reading import read_guardians, read_nomenclatures, read_students

FILES = Path(__file__).parent / "files"


def _coded(
    list_name: str,
    code: str,
    short: str,
    long: str,
    line: int,
    *,
    edition_label: str | None = None,
    sort_order: int | None = None,
    national: bool | None = None,
) -> CodedEntryRecord:
    return CodedEntryRecord(
        list=list_name,
        code=code,
        short_label=short,
        long_label=long,
        edition_label=edition_label,
        sort_order=sort_order,
        national=national,
        line=line,
    )


def test_the_nomenclatures_are_read_in_file_order_with_the_problems_in_place() -> None:
    with read_nomenclatures(
        (FILES / "nomenclatures.xml").read_bytes(), "Nomenclature.xml"
    ) as reading:
        header = reading.header
        items = list(reading)

    assert header == FileHeader(
        root="BEE_NOMENCLATURES",
        version="3.1",
        uai="0750001A",
        school_year=2025,
        exported_on=date(2025, 6, 27),
    )
    assert items == [
        MefRecord(
            code="10010012110",
            formation="6EME",
            long_label="6EME",
            edition_label="6ème",
            attachment_code="10010012110",
            statistics_code="21110010012",
            opens_on=date(2016, 9, 1),
            closes_on=date(9999, 12, 31),
            line=11,
        ),
        MefRecord(
            code="10310019110",
            formation="3EME",
            long_label="3EME",
            edition_label=None,
            attachment_code=None,
            statistics_code=None,
            opens_on=date(2016, 9, 1),
            closes_on=None,
            line=22,
        ),
        RecordProblem(
            element="MEF",
            record_id="10210001110",
            field="DATE_OUVERTURE",
            message="DATE_OUVERTURE : date illisible « 31/02/2016 » (attendu JJ/MM/AAAA).",
            line=29,
        ),
        SubjectRecord(
            code="030201",
            management_code="AGL1",
            short_label="ANGLAIS LV1",
            long_label="ANGLAIS LV1",
            edition_label="Anglais LV1",
            line=36,
        ),
        SubjectRecord(
            code="020300",
            management_code="LCALA",
            short_label="LCA LATIN",
            long_label="LANGUES ET CULTURES DE L'ANTIQUITE LATIN",
            edition_label="Langues et cultures de l'Antiquité latin",
            line=43,
        ),
        ProgrammeRecord(
            mef_code="10010012110",
            subject_code="030201",
            election_modality="S",
            weekly_hours=Decimal("4.00"),
            line=51,
        ),
        ProgrammeRecord(
            mef_code="10310019110",
            subject_code="020300",
            election_modality="F",
            weekly_hours=Decimal("1.50"),
            line=57,
        ),
        # OPTIONS_OBLIGATOIRES is not read.
        _coded("election_modality", "S", "TRONC COMM", "MATIERE ENSEIGNEE EN TRONC COMMUN", 72),
        _coded("regime", "2", "DP DAN", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT", 78),
        _coded("kinship", "10", "MERE", "MERE", 84, edition_label="Mère", sort_order=1),
        _coded(
            "responsibility_level",
            "1",
            "LEGAL",
            "REPRESENTANT LEGAL",
            92,
            edition_label="Représentant légal",
        ),
        _coded("scholarship_type", "1", "NAT.", "BOURSE NATIONALE", 99, national=True),
        _coded("scholarship_type", "2", "DEP.", "BOURSE DEPARTEMENTALE", 104, national=False),
        _coded(
            "profession",
            "56",
            "Services directs aux particuliers",
            "Personnels des services directs aux particuliers",
            111,
        ),
        _coded("provenance", "1", "PU ACA", "ETAB. PUBLIC DE L ACADEMIE", 117),
        _coded("exit_motive", "43", "DECES", "DECES", 123),
        _coded("student_status", "ST", "SCOLAIRE", "SCOLAIRE", 129),
        _coded("contract", "3", "CTR ASSOC", "SOUS CONTRAT D'ASSOCIATION", 135),
        _coded("school_type", "CLG", "COLLEGE", "COLLEGE", 141),
        _coded("civility", "2", "MME", "MADAME", 147),
        _coded("course_modality", "CG", "COURS GEN.", "COURS GENERAL", 153),
        # Only a long label: it is the short one too.
        _coded("course_modality", "TP", "TRAVAUX PRATIQUES", "TRAVAUX PRATIQUES", 158),
        RecordProblem(
            element="MODALITE_COURS",
            record_id=None,
            field="CODE_MODALITE_COURS",
            message="L'attribut CODE_MODALITE_COURS est absent ou vide.",
            line=161,
        ),
    ]


def test_the_students_file_with_addresses_gives_students_options_structures_and_addresses() -> None:
    with read_students(
        (FILES / "eleves_avec_adresses.xml").read_bytes(), "ElevesAvecAdresses.xml"
    ) as reading:
        header = reading.header
        items = list(reading)

    assert header == FileHeader(
        root="BEE_ELEVES",
        version="3.0",
        uai="0750001A",
        school_year=2025,
        exported_on=date(2025, 9, 1),
    )
    assert items == [
        StudentRecord(
            siecle_id="3001",
            elenoet="1201",
            ine="123456789AB",
            family_name="LEFÈVRE",
            usage_name="LEFÈVRE-ŒUVRARD",
            first_name="Chloé",
            first_name_2="Maëlle",
            first_name_3=None,
            sex="F",
            birth_date=date(2014, 3, 14),
            birth_commune_code="75114",
            birth_department_code="075",
            birth_city=None,
            birth_country_code="100",
            nationality_code="100",
            mef_code="10010012110",
            regime_code="2",
            status_code="ST",
            repeating=False,
            entry_date=date(2025, 9, 1),
            exit_date=None,
            exit_motive_code=None,
            accepts_sms=True,
            address_siecle_id="9001",
            previous=PreviousSchoolingRecord(
                mef_code="10000000000",
                division_code="CM2 B",
                uai="0751234X",
                name="EEPU ECOLE ELEMENTAIRE PUBLIQUE ÉMILE-ZOLA",
                commune_code="75114",
            ),
            modified_on=date(2025, 8, 28),
            line=11,
        ),
        StudentRecord(
            siecle_id="3002",
            elenoet="1202",
            ine="223456789CD",
            family_name="NGUYEN",
            usage_name=None,
            first_name="Théo",
            first_name_2=None,
            first_name_3=None,
            sex="M",
            birth_date=date(2011, 11, 2),
            birth_commune_code=None,
            birth_department_code=None,
            birth_city="Montréal",
            birth_country_code="401",
            nationality_code="401",
            mef_code="10310019110",
            regime_code="0",
            status_code="ST",
            repeating=True,
            entry_date=date(2024, 9, 2),
            exit_date=date(2025, 6, 15),
            exit_motive_code="42",
            accepts_sms=False,
            address_siecle_id="9002",
            previous=None,
            line=44,
        ),
        # Sex and birth date missing: None, for the domain to refuse.
        StudentRecord(
            siecle_id="3003",
            elenoet="1203",
            ine=None,
            family_name="MARTIN",
            usage_name=None,
            first_name="Inès",
            first_name_2=None,
            first_name_3=None,
            sex=None,
            birth_date=None,
            birth_commune_code=None,
            birth_department_code=None,
            birth_city=None,
            birth_country_code=None,
            nationality_code=None,
            mef_code="10010012110",
            regime_code=None,
            status_code=None,
            repeating=False,
            entry_date=None,
            exit_date=None,
            exit_motive_code=None,
            accepts_sms=False,
            address_siecle_id=None,
            previous=None,
            line=62,
        ),
        StudentOptionsRecord(
            student_siecle_id="3001",
            options=(
                OptionRecord(rank=1, election_modality="O", subject_code="030201"),
                OptionRecord(rank=2, election_modality="F", subject_code="020300"),
            ),
            line=69,
        ),
        StudentStructuresRecord(
            student_siecle_id="3001",
            memberships=(
                MembershipRecord(code="6 A", kind="D"),
                MembershipRecord(code="6 LAT", kind="G"),
            ),
            line=83,
        ),
        StudentStructuresRecord(
            student_siecle_id="3002",
            memberships=(MembershipRecord(code="3 B", kind="D"),),
            line=93,
        ),
        AddressRecord(
            siecle_id="9001",
            line1="12 RUE DU BŒUF COURONNÉ",
            line2="BÂTIMENT B",
            postal_code="75014",
            commune_code="75114",
            city="PARIS",
            country_code="100",
            line=102,
        ),
        AddressRecord(
            siecle_id="9002",
            line1="4500 RUE SAINT-DENIS",
            foreign_city="MONTRÉAL (QUÉBEC)",
            country_code="401",
            line=115,
        ),
    ]


def test_a_record_that_cannot_be_read_is_reported_and_the_reading_goes_on() -> None:
    with read_students((FILES / "eleves_avec_problemes.xml").read_bytes(), "eleves.xml") as reading:
        items = list(reading)

    problems = [item for item in items if isinstance(item, RecordProblem)]
    assert problems == [
        RecordProblem(
            element="ELEVE",
            record_id="4001",
            field="DATE_NAISS",
            message="DATE_NAISS : date illisible « 31/02/2019 » (attendu JJ/MM/AAAA).",
            line=10,
        ),
        RecordProblem(
            element="ELEVE",
            record_id=None,
            field="ELEVE_ID",
            message="L'attribut ELEVE_ID est absent ou vide.",
            line=16,
        ),
        RecordProblem(
            element="ELEVE",
            record_id="4003",
            field="CODE_SEXE",
            message="CODE_SEXE : « 3 » n'est ni 1 (masculin) ni 2 (féminin).",
            line=20,
        ),
        RecordProblem(
            element="ELEVE",
            record_id="4004",
            field="DOUBLEMENT",
            message="DOUBLEMENT : valeur « peut-être » illisible (attendu 0, 1, true ou false).",
            line=25,
        ),
        RecordProblem(
            element="OPTION",
            record_id="4005",
            field="OPTIONS_ELEVE/NUM_OPTION",
            message="OPTIONS_ELEVE/NUM_OPTION : « premier » n'est pas un nombre entier.",
            line=37,
        ),
    ]
    # The student after the bad ones is read, in its place.
    assert [type(item).__name__ for item in items] == [
        "RecordProblem",
        "RecordProblem",
        "RecordProblem",
        "RecordProblem",
        "StudentRecord",
        "RecordProblem",
    ]
    student = items[4]
    assert isinstance(student, StudentRecord)
    assert (student.siecle_id, student.first_name, student.birth_date, student.line) == (
        "4005",
        "Jérôme",
        date(2013, 5, 5),
        30,
    )


def test_the_guardians_file_gives_people_responsibilities_and_addresses() -> None:
    with read_guardians(
        (FILES / "responsables_avec_adresses.xml").read_bytes(), "ResponsablesAvecAdresses.xml"
    ) as reading:
        header = reading.header
        items = list(reading)

    assert header == FileHeader(
        root="BEE_RESPONSABLES",
        version="2.1",
        uai="0750001A",
        school_year=2025,
        exported_on=date(2025, 9, 1),
    )
    assert items == [
        PersonRecord(
            siecle_id="5001",
            civility="Mme",
            family_name="LEFÈVRE",
            usage_name=None,
            first_name="Hélène",
            phone_home="0145454545",
            phone_mobile="0612345678",
            phone_work=None,
            email="helene.lefevre@example.fr",
            accepts_sms=True,
            profession_code="56",
            address_siecle_id="9001",
            line=11,
        ),
        PersonRecord(
            siecle_id="5002",
            civility="M.",
            family_name="ŒUVRARD",
            usage_name="ŒUVRARD-LEFÈVRE",
            first_name="François",
            phone_home=None,
            phone_mobile=None,
            phone_work="0199999999",
            email=None,
            accepts_sms=False,
            profession_code="38",
            address_siecle_id="9001",
            line=25,
        ),
        PersonRecord(
            siecle_id="5003",
            civility=None,
            family_name="ROUSSEAU",
            usage_name=None,
            first_name="Gaëlle",
            phone_home=None,
            phone_mobile=None,
            phone_work=None,
            email=None,
            accepts_sms=False,
            profession_code=None,
            address_siecle_id=None,
            line=36,
        ),
        ResponsibilityRecord(
            student_siecle_id="3001",
            person_siecle_id="5001",
            level=1,
            kinship_code="10",
            pays_fees=True,
            receives_aid=True,
            lives_with=True,
            contact_first=True,
            line=42,
        ),
        ResponsibilityRecord(
            student_siecle_id="3001",
            person_siecle_id="5002",
            level=1,
            kinship_code="20",
            pays_fees=False,
            receives_aid=False,
            lives_with=True,
            contact_first=False,
            line=52,
        ),
        RecordProblem(
            element="RESPONSABLE_ELEVE",
            record_id="3001/5003",
            field="NIVEAU_RESPONSABILITE",
            message="NIVEAU_RESPONSABILITE : « contact » n'est pas un nombre entier.",
            line=62,
        ),
        ResponsibilityRecord(
            student_siecle_id="3002",
            person_siecle_id="5003",
            level=3,
            kinship_code="39",
            pays_fees=False,
            receives_aid=False,
            lives_with=False,
            contact_first=False,
            line=68,
        ),
        AddressRecord(
            siecle_id="9001",
            line1="12 RUE DU BŒUF COURONNÉ",
            line2="BÂTIMENT B",
            postal_code="75014",
            commune_code="75114",
            city="PARIS",
            country_code="100",
            line=76,
        ),
    ]


def test_the_files_are_iso_8859_15_with_accents_and_the_oe_ligature() -> None:
    # The test files are what SIECLE writes: ISO-8859-15, where Œ is one byte (0xBC).
    raw = (FILES / "responsables_avec_adresses.xml").read_bytes()
    assert b'encoding="ISO-8859-15"' in raw
    assert "ŒUVRARD".encode("iso-8859-15") in raw
    assert "ŒUVRARD".encode() not in raw

"""The "import privé" (IMPORT_ELEVES 3.1) read into records: people, then each student with
the address, responsibilities, division and options it nests.

``files/import_prive.xml`` is UTF-8, as the sending software's files often are: the reader
honours the encoding its declaration gives.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exchanges.private_import_reading import read_private_import
from exchanges.records import (
    AddressRecord,
    FileHeader,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    RecordProblem,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
)

FILES = Path(__file__).parent / "files"


def test_the_private_import_gives_people_then_students_with_what_they_carry() -> None:
    raw = (FILES / "import_prive.xml").read_bytes()
    assert b'encoding="UTF-8"' in raw and "CŒURDEROY".encode() in raw

    with read_private_import(raw, "import_prive.xml") as reading:
        header = reading.header
        items = list(reading)

    assert header == FileHeader(
        root="IMPORT_ELEVES",
        version="3.1",
        uai="0750001A",
        school_year=2025,
        exported_on=date(2025, 9, 2),
    )
    home = dict(line1="3 PLACE DE L'ÉGLISE", postal_code="69002", city="LYON", country_code="100")
    assert items == [
        AddressRecord(siecle_id="personne:701", line=17, **home),
        PersonRecord(
            siecle_id="701",
            civility="Mme",
            family_name="CŒURDEROY",
            usage_name=None,
            first_name="Bérénice",
            phone_home=None,
            phone_mobile="0611223344",
            phone_work=None,
            email="berenice@example.fr",
            accepts_sms=True,
            profession_code="33",
            address_siecle_id="personne:701",
            line=12,
        ),
        PersonRecord(
            siecle_id="702",
            civility="M.",
            family_name="CŒURDEROY",
            usage_name=None,
            first_name="Loïc",
            phone_home=None,
            phone_mobile=None,
            phone_work=None,
            email=None,
            accepts_sms=False,
            profession_code="48",
            address_siecle_id=None,
            line=30,
        ),
        AddressRecord(siecle_id="eleve:801", line=50, **home),
        StudentRecord(
            siecle_id="801",
            elenoet=None,
            ine="323456789EF",
            family_name="CŒURDEROY",
            usage_name=None,
            first_name="Maël",
            first_name_2=None,
            first_name_3=None,
            sex="M",
            birth_date=date(2012, 7, 21),
            birth_commune_code="69382",
            birth_department_code=None,
            birth_city=None,
            birth_country_code="100",
            nationality_code="100",
            mef_code="10110001110",
            regime_code="2",
            status_code="ST",
            repeating=False,
            entry_date=date(2025, 9, 1),
            exit_date=None,
            exit_motive_code=None,
            accepts_sms=False,
            address_siecle_id="eleve:801",
            previous=PreviousSchoolingRecord(
                mef_code="10010012110", division_code="6 C", uai="0691234K"
            ),
            line=39,
        ),
        ResponsibilityRecord(
            student_siecle_id="801",
            person_siecle_id="701",
            level=1,
            kinship_code="10",
            pays_fees=True,
            receives_aid=True,
            lives_with=True,
            contact_first=True,
            line=60,
        ),
        ResponsibilityRecord(
            student_siecle_id="801",
            person_siecle_id="702",
            level=1,
            kinship_code="20",
            pays_fees=False,
            receives_aid=False,
            lives_with=False,
            contact_first=False,
            line=68,
        ),
        StudentStructuresRecord(
            student_siecle_id="801",
            memberships=(MembershipRecord(code="5 A", kind="D"),),
            line=74,
        ),
        StudentOptionsRecord(
            student_siecle_id="801",
            options=(
                OptionRecord(rank=1, election_modality="S", subject_code="030201"),
                OptionRecord(rank=2, election_modality="F", subject_code="020300"),
            ),
            line=74,
        ),
    ]


def test_a_student_that_fails_gives_no_record_at_all_only_its_problem() -> None:
    # Its address and responsibilities are not given without it.
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<IMPORT_ELEVES VERSION="3.1"><PARAMETRES><UAJ>0750001A</UAJ></PARAMETRES>\n'
        b"<DONNEES><PERSONNES/><ELEVES>\n"
        b"<ELEVE><ID_PRV_ELE>9</ID_PRV_ELE><NOM_DE_FAMILLE>X</NOM_DE_FAMILLE>"
        b"<PRENOM>Y</PRENOM><DATE_NAISS>21/07/2012</DATE_NAISS>"
        b"<ADRESSE><CODE_POSTAL>69002</CODE_POSTAL></ADRESSE>"
        b"<RESPONSABLES_ELEVE><LEGAL><ID_PRV_PER>1</ID_PRV_PER></LEGAL></RESPONSABLES_ELEVE>"
        b"</ELEVE>\n</ELEVES></DONNEES></IMPORT_ELEVES>\n"
    )
    assert list(read_private_import(xml, "import.xml")) == [
        RecordProblem(
            element="ELEVE",
            record_id="9",
            field="DATE_NAISS",
            message="DATE_NAISS : date illisible « 21/07/2012 » (attendu AAAA-MM-JJ).",
            line=4,
        )
    ]

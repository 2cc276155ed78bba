"""Reading the "import privé" (IMPORT_ELEVES, schema 3.1): what a school's own software sends
SIECLE, its people (PERSONNES) then its students (ELEVES).

The format nests what BEE_ELEVES and BEE_RESPONSABLES keep apart, so one element gives
several records, in this order: a person's address then the person; a student's address, the
student, the responsibilities (LEGAL level 1, PERSONNE_EN_CHARGE 2, CONTACT 3), the division
(SCOLARITE_ACTIVE/CODE_DIVISION) and the options. Ids are the sending software's
(ID_PRV_PER, ID_PRV_ELE); the addresses, inline, get the ids ``personne:<ID_PRV_PER>`` and
``eleve:<ID_PRV_ELE>``. Dates are ``xs:date`` (YYYY-MM-DD), except DATE_IMPORT.
"""

from __future__ import annotations

from lxml import etree

from exchanges.records import (
    AddressRecord,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
)
from exchanges.siecle_reading import address_record
from exchanges.xml_reading import (
    MAX_XML_BYTES,
    ExchangeReading,
    Fields,
    RecordElement,
    Source,
    by_child,
)

PrivateImportItem = (
    PersonRecord
    | AddressRecord
    | StudentRecord
    | ResponsibilityRecord
    | StudentStructuresRecord
    | StudentOptionsRecord
)

# CODE_CIVILITE of the import privé (SIECLE's CIVILITES nomenclature).
CIVILITIES = {"1": "M.", "2": "Mme"}
# The responsibility levels, by element of RESPONSABLES_ELEVE.
RESPONSIBILITY_LEVELS = (("LEGAL", 1), ("PERSONNE_EN_CHARGE", 2), ("CONTACT", 3))


def _person(element: etree._Element) -> list[PrivateImportItem]:
    fields = Fields(element, None)
    person_id = fields.required_text("ID_PRV_PER")
    fields.record_id = person_id
    civility_code = fields.text("CODE_CIVILITE")
    civility = None
    if civility_code is not None:
        civility = CIVILITIES.get(civility_code)
        if civility is None:
            raise fields.problem(
                "CODE_CIVILITE", f"CODE_CIVILITE : « {civility_code} » n'est ni 1 (M.) ni 2 (Mme)."
            )
    items: list[PrivateImportItem] = []
    address = fields.child("ADRESSE")
    address_id = None
    if address is not None:
        address_id = f"personne:{person_id}"
        items.append(address_record(address, address_id, address.element.sourceline or 0))
    items.append(
        PersonRecord(
            siecle_id=person_id,
            civility=civility,
            family_name=fields.required_text("NOM_DE_FAMILLE"),
            usage_name=fields.text("NOM_USAGE"),
            first_name=fields.required_text("PRENOM"),
            phone_home=fields.text("TEL_PERSONNEL"),
            phone_mobile=fields.text("TEL_PORTABLE"),
            phone_work=fields.text("TEL_PROFESSIONNEL"),
            email=fields.text("EMAIL"),
            accepts_sms=fields.boolean("ACCEPTE_SMS"),
            profession_code=fields.text("CODE_PROFESSION"),
            address_siecle_id=address_id,
            line=element.sourceline or 0,
        )
    )
    return items


def _student(element: etree._Element) -> list[PrivateImportItem]:
    fields = Fields(element, None)
    student_id = fields.required_text("ID_PRV_ELE")
    fields.record_id = student_id
    line = element.sourceline or 0
    items: list[PrivateImportItem] = []
    address = fields.child("ADRESSE")
    address_id = None
    if address is not None:
        address_id = f"eleve:{student_id}"
        items.append(address_record(address, address_id, address.element.sourceline or 0))
    active = fields.child("SCOLARITE_ACTIVE")
    last_year = fields.child("ETABLISSEMENT_AN_DERNIER")
    previous = None
    if last_year is not None:
        previous = PreviousSchoolingRecord(
            mef_code=last_year.text("CODE_MEF"),
            division_code=last_year.text("CODE_DIVISION"),
            uai=last_year.text("CODE_RNE"),
        )
    items.append(
        StudentRecord(
            siecle_id=student_id,
            elenoet=None,
            ine=fields.text("ID_NATIONAL"),
            family_name=fields.required_text("NOM_DE_FAMILLE"),
            usage_name=fields.text("NOM_USAGE"),
            first_name=fields.required_text("PRENOM"),
            first_name_2=fields.text("PRENOM2"),
            first_name_3=fields.text("PRENOM3"),
            sex=fields.sex("CODE_SEXE"),
            birth_date=fields.iso_date("DATE_NAISS"),
            birth_commune_code=fields.text("CODE_COMMUNE_INSEE_NAISS"),
            birth_department_code=None,
            birth_city=fields.text("VILLE_NAISS"),
            birth_country_code=fields.text("CODE_PAYS"),
            nationality_code=fields.text("CODE_PAYS_NAT"),
            mef_code=active.text("CODE_MEF") if active else None,
            regime_code=fields.text("CODE_REGIME"),
            status_code=active.text("CODE_STATUT") if active else None,
            repeating=fields.boolean("DOUBLEMENT"),
            entry_date=fields.iso_date("DATE_ENTREE"),
            exit_date=fields.iso_date("DATE_SORTIE"),
            exit_motive_code=fields.text("CODE_MOTIF_SORTIE"),
            accepts_sms=fields.boolean("ACCEPTE_SMS"),
            address_siecle_id=address_id,
            previous=previous,
            line=line,
        )
    )
    for tag, level in RESPONSIBILITY_LEVELS:
        for responsible in fields.children(f"RESPONSABLES_ELEVE/{tag}"):
            items.append(
                ResponsibilityRecord(
                    student_siecle_id=student_id,
                    person_siecle_id=responsible.required_text("ID_PRV_PER"),
                    level=level,
                    kinship_code=responsible.text("CODE_PARENTE"),
                    pays_fees=responsible.boolean("PAIE_FRAIS_SCOLAIRES"),
                    receives_aid=responsible.boolean("PERCOIT_LES_AIDES"),
                    lives_with=responsible.boolean("HEBERGE_ELEVE"),
                    contact_first=responsible.boolean("A_CONTACTER_EN_PRIORITE"),
                    line=responsible.element.sourceline or 0,
                )
            )
    if active is not None:
        division = active.text("CODE_DIVISION")
        if division is not None:
            items.append(
                StudentStructuresRecord(
                    student_siecle_id=student_id,
                    memberships=(MembershipRecord(code=division, kind="D"),),
                    line=active.element.sourceline or 0,
                )
            )
        options = active.children("OPTIONS/OPTION")
        if options:
            items.append(
                StudentOptionsRecord(
                    student_siecle_id=student_id,
                    # The format has no rank: the order of the options is theirs.
                    options=tuple(
                        OptionRecord(
                            rank=rank,
                            election_modality=option.required_text("CODE_MODALITE_ELECT"),
                            subject_code=option.required_text("CODE_MATIERE"),
                        )
                        for rank, option in enumerate(options, start=1)
                    ),
                    line=active.element.sourceline or 0,
                )
            )
    return items


PRIVATE_IMPORT_RECORDS: dict[tuple[str, ...], RecordElement[PrivateImportItem]] = {
    ("DONNEES", "PERSONNES", "PERSONNE"): RecordElement(_person, by_child("ID_PRV_PER")),
    ("DONNEES", "ELEVES", "ELEVE"): RecordElement(_student, by_child("ID_PRV_ELE")),
}


def read_private_import(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[PrivateImportItem]:
    """IMPORT_ELEVES: people, then students with what they carry."""
    return ExchangeReading(
        source, file_name, "IMPORT_ELEVES", PRIVATE_IMPORT_RECORDS, max_bytes=max_bytes
    )

"""Reading SIECLE's exports: BEE_NOMENCLATURES, BEE_ELEVES (with or without addresses) and
BEE_RESPONSABLES, into the records of ``exchanges.records``.

Each reader gives an ``ExchangeReading``: the file's ``header`` (PARAMETRES), then its records
in file order, with a ``RecordProblem`` in place of a record that cannot be read. Codes stay
as SIECLE gives them; what they mean, and whether a record is acceptable (a missing sex, an
unknown MEF...), is the domain's to say.
"""

from __future__ import annotations

from lxml import etree

from exchanges.records import (
    AddressRecord,
    CodedEntryRecord,
    GuardiansFileItem,
    MefRecord,
    MembershipRecord,
    NomenclatureFileItem,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ProgrammeRecord,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentsFileItem,
    StudentStructuresRecord,
    SubjectRecord,
)
from exchanges.xml_reading import (
    MAX_XML_BYTES,
    Builder,
    ExchangeReading,
    Fields,
    RecordElement,
    Source,
    by_attribute,
    by_child,
)

# BEE_NOMENCLATURES


def _mef(element: etree._Element) -> list[NomenclatureFileItem]:
    fields = Fields(element, element.get("CODE_MEF"))
    return [
        MefRecord(
            code=fields.required_attribute("CODE_MEF"),
            formation=fields.required_text("FORMATION"),
            long_label=fields.required_text("LIBELLE_LONG"),
            edition_label=fields.text("LIBELLE_EDITION"),
            attachment_code=fields.text("MEF_RATTACHEMENT"),
            statistics_code=fields.text("CODE_MEFSTAT"),
            opens_on=fields.french_date("DATE_OUVERTURE"),
            closes_on=fields.french_date("DATE_FERMETURE"),
            line=element.sourceline or 0,
        )
    ]


def _subject(element: etree._Element) -> list[NomenclatureFileItem]:
    fields = Fields(element, element.get("CODE_MATIERE"))
    return [
        SubjectRecord(
            code=fields.required_attribute("CODE_MATIERE"),
            management_code=fields.required_text("CODE_GESTION"),
            short_label=fields.required_text("LIBELLE_COURT"),
            long_label=fields.required_text("LIBELLE_LONG"),
            edition_label=fields.text("LIBELLE_EDITION"),
            line=element.sourceline or 0,
        )
    ]


def _programme(element: etree._Element) -> list[NomenclatureFileItem]:
    fields = Fields(element, None)
    mef_code = fields.required_text("CODE_MEF")
    fields.record_id = mef_code
    return [
        ProgrammeRecord(
            mef_code=mef_code,
            subject_code=fields.required_text("CODE_MATIERE"),
            election_modality=fields.required_text("CODE_MODALITE_ELECT"),
            weekly_hours=fields.decimal("HORAIRE"),
            line=element.sourceline or 0,
        )
    ]


def _coded_entry(
    list_name: str, code_attribute: str, label_suffix: str = ""
) -> Builder[NomenclatureFileItem]:
    """A coded list's entry: its code in ``code_attribute``, its labels in LIBELLE_COURT and
    LIBELLE_LONG (PROFESSIONS: LIBELLE_COURT_PCS...). A list that gives only one of the two
    labels has it for both."""

    def build(element: etree._Element) -> list[NomenclatureFileItem]:
        fields = Fields(element, element.get(code_attribute))
        code = fields.required_attribute(code_attribute)
        short_label = fields.text("LIBELLE_COURT" + label_suffix)
        long_label = fields.text("LIBELLE_LONG" + label_suffix)
        if short_label is None and long_label is None:
            fields.required_text("LIBELLE_LONG" + label_suffix)
        national = None
        if list_name == "scholarship_type":
            national = fields.boolean("BOURSE_NATIONALE")
        return [
            CodedEntryRecord(
                list=list_name,
                code=code,
                short_label=short_label or long_label or "",
                long_label=long_label or short_label or "",
                edition_label=fields.text("LIBELLE_EDITION"),
                sort_order=fields.integer("TRI"),
                national=national,
                line=element.sourceline or 0,
            )
        ]

    return build


# (container, element, code attribute, list, label suffix): the coded lists of
# BEE_NOMENCLATURES, by ``db.nomenclatures.NomenclatureList`` value.
CODED_LISTS = (
    ("REGIMES", "REGIME", "CODE_REGIME", "regime", ""),
    ("MOTIFS_SORTIE", "MOTIF_SORTIE", "CODE_MOTIF_SORTIE", "exit_motive", ""),
    ("LIENS_PARENTE", "LIEN_PARENTE", "CODE_PARENTE", "kinship", ""),
    ("PROFESSIONS", "PROFESSION", "CODE_PROFESSION", "profession", "_PCS"),
    ("STATUTS_ELEVE", "STATUT_ELEVE", "CODE_STATUT", "student_status", ""),
    ("BOURSES", "BOURSE", "CODE_BOURSE", "scholarship_type", ""),
    ("MODALITES_ELECTION", "MODALITE_ELECTION", "CODE_MODALITE_ELECT", "election_modality", ""),
    ("MODALITES_COURS", "MODALITE_COURS", "CODE_MODALITE_COURS", "course_modality", ""),
    ("PROVENANCES", "PROVENANCE", "CODE_PROVENANCE", "provenance", ""),
    (
        "NIVEAUX_RESPONSABILITE",
        "N_NIVEAU_RESPONSABILITE",
        "NIVEAU_RESPONSABILITE",
        "responsibility_level",
        "",
    ),
    ("CIVILITES", "CIVILITE", "CODE_CIVILITE", "civility", ""),
    ("CONTRATS", "CONTRAT", "CODE_CONTRAT", "contract", ""),
    ("TYPES_ETABLISSEMENT", "TYPE_ETABLISSEMENT", "CODE_TYPE_ETAB", "school_type", ""),
)

NOMENCLATURE_RECORDS: dict[tuple[str, ...], RecordElement[NomenclatureFileItem]] = {
    ("DONNEES", "MEFS", "MEF"): RecordElement(_mef, by_attribute("CODE_MEF")),
    ("DONNEES", "MATIERES", "MATIERE"): RecordElement(_subject, by_attribute("CODE_MATIERE")),
    ("DONNEES", "PROGRAMMES", "PROGRAMME"): RecordElement(_programme, by_child("CODE_MEF")),
    **{
        ("DONNEES", container, element): RecordElement(
            _coded_entry(list_name, attribute, suffix), by_attribute(attribute)
        )
        for container, element, attribute, list_name, suffix in CODED_LISTS
    },
}


def read_nomenclatures(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[NomenclatureFileItem]:
    """BEE_NOMENCLATURES: MEFs, subjects, programmes, then the coded lists (options
    obligatoires are not read: the programmes carry what the product uses)."""
    return ExchangeReading(
        source, file_name, "BEE_NOMENCLATURES", NOMENCLATURE_RECORDS, max_bytes=max_bytes
    )


# BEE_ELEVES


def _previous_schooling(fields: Fields | None) -> PreviousSchoolingRecord | None:
    if fields is None:
        return None
    name = " ".join(
        part
        for part in (fields.text("SIGLE"), fields.text("DENOM_PRINC"), fields.text("DENOM_COMPL"))
        if part
    )
    return PreviousSchoolingRecord(
        mef_code=fields.text("CODE_MEF"),
        division_code=fields.text("CODE_STRUCTURE"),
        uai=fields.text("CODE_RNE"),
        name=name or None,
        commune_code=fields.text("CODE_COMMUNE_INSEE"),
    )


def _student(element: etree._Element) -> list[StudentsFileItem]:
    fields = Fields(element, element.get("ELEVE_ID"))
    return [
        StudentRecord(
            siecle_id=fields.required_attribute("ELEVE_ID"),
            # The attribute is the id OPTIONS and STRUCTURES refer to; the element repeats it.
            elenoet=fields.attribute("ELENOET") or fields.text("ELENOET"),
            ine=fields.text("ID_NATIONAL"),
            family_name=fields.required_text("NOM_DE_FAMILLE"),
            usage_name=fields.text("NOM_USAGE"),
            first_name=fields.required_text("PRENOM"),
            first_name_2=fields.text("PRENOM2"),
            first_name_3=fields.text("PRENOM3"),
            sex=fields.sex("CODE_SEXE"),
            birth_date=fields.french_date("DATE_NAISS"),
            birth_commune_code=fields.text("CODE_COMMUNE_INSEE_NAISS"),
            birth_department_code=fields.text("CODE_DEPARTEMENT_NAISS"),
            birth_city=fields.text("VILLE_NAISS"),
            birth_country_code=fields.text("CODE_PAYS"),
            nationality_code=fields.text("CODE_PAYS_NAT"),
            mef_code=fields.text("CODE_MEF"),
            regime_code=fields.text("CODE_REGIME"),
            status_code=fields.text("CODE_STATUT"),
            repeating=fields.boolean("DOUBLEMENT"),
            entry_date=fields.french_date("DATE_ENTREE"),
            exit_date=fields.french_date("DATE_SORTIE"),
            exit_motive_code=fields.text("CODE_MOTIF_SORTIE"),
            accepts_sms=fields.boolean("ACCEPTE_SMS"),
            address_siecle_id=fields.text("ADRESSE_ID"),
            previous=_previous_schooling(fields.child("SCOLARITE_AN_DERNIER")),
            modified_on=fields.french_date("DATE_MODIFICATION"),
            line=element.sourceline or 0,
        )
    ]


def _student_options(element: etree._Element) -> list[StudentsFileItem]:
    fields = Fields(element, element.get("ELEVE_ID"))
    return [
        StudentOptionsRecord(
            student_siecle_id=fields.required_attribute("ELEVE_ID"),
            options=tuple(
                OptionRecord(
                    rank=option.required_integer("NUM_OPTION"),
                    election_modality=option.required_text("CODE_MODALITE_ELECT"),
                    subject_code=option.required_text("CODE_MATIERE"),
                )
                for option in fields.children("OPTIONS_ELEVE")
            ),
            line=element.sourceline or 0,
        )
    ]


def _student_structures(element: etree._Element) -> list[StudentsFileItem]:
    fields = Fields(element, element.get("ELEVE_ID"))
    return [
        StudentStructuresRecord(
            student_siecle_id=fields.required_attribute("ELEVE_ID"),
            memberships=tuple(
                MembershipRecord(
                    code=structure.required_text("CODE_STRUCTURE"),
                    kind=structure.required_text("TYPE_STRUCTURE"),
                )
                for structure in fields.children("STRUCTURE")
            ),
            line=element.sourceline or 0,
        )
    ]


def address_record(fields: Fields, siecle_id: str, line: int) -> AddressRecord:
    """An address as SIECLE writes it (ADRESSES/ADRESSE, or inline in the import privé, whose
    city is LL_POSTAL); no country means France (100)."""
    return AddressRecord(
        siecle_id=siecle_id,
        line1=fields.text("LIGNE1_ADRESSE"),
        line2=fields.text("LIGNE2_ADRESSE"),
        line3=fields.text("LIGNE3_ADRESSE"),
        line4=fields.text("LIGNE4_ADRESSE"),
        postal_code=fields.text("CODE_POSTAL"),
        commune_code=fields.text("CODE_COMMUNE_INSEE"),
        city=fields.text("LIBELLE_POSTAL") or fields.text("LL_POSTAL"),
        foreign_city=fields.text("COMMUNE_ETRANGERE"),
        country_code=fields.text("CODE_PAYS") or "100",
        line=line,
    )


def _address(element: etree._Element) -> list[AddressRecord]:
    fields = Fields(element, element.get("ADRESSE_ID"))
    return [
        address_record(fields, fields.required_attribute("ADRESSE_ID"), element.sourceline or 0)
    ]


STUDENT_RECORDS: dict[tuple[str, ...], RecordElement[StudentsFileItem]] = {
    ("DONNEES", "ELEVES", "ELEVE"): RecordElement(_student, by_attribute("ELEVE_ID")),
    ("DONNEES", "OPTIONS", "OPTION"): RecordElement(_student_options, by_attribute("ELEVE_ID")),
    ("DONNEES", "STRUCTURES", "STRUCTURES_ELEVE"): RecordElement(
        _student_structures, by_attribute("ELEVE_ID")
    ),
    ("DONNEES", "ADRESSES", "ADRESSE"): RecordElement(_address, by_attribute("ADRESSE_ID")),
}


def read_students(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[StudentsFileItem]:
    """BEE_ELEVES (ElevesSansAdresses or ElevesAvecAdresses): students, their options, their
    structures, and the addresses when the file has them."""
    return ExchangeReading(source, file_name, "BEE_ELEVES", STUDENT_RECORDS, max_bytes=max_bytes)


# BEE_RESPONSABLES

# LC_CIVILITE as SIECLE writes it, to the civilities of ``PersonRecord``.
CIVILITIES = {"M": "M.", "M.": "M.", "MME": "Mme", "MLLE": "Mme", "MLE": "Mme"}


def _person(element: etree._Element) -> list[GuardiansFileItem]:
    fields = Fields(element, element.get("PERSONNE_ID"))
    civility_code = fields.text("LC_CIVILITE")
    civility = None
    if civility_code is not None:
        civility = CIVILITIES.get(civility_code.upper())
        if civility is None:
            raise fields.problem(
                "LC_CIVILITE", f"LC_CIVILITE : civilité « {civility_code} » inconnue (M ou MME)."
            )
    return [
        PersonRecord(
            siecle_id=fields.required_attribute("PERSONNE_ID"),
            civility=civility,
            family_name=fields.required_text("NOM_DE_FAMILLE"),
            usage_name=fields.text("NOM_USAGE"),
            first_name=fields.required_text("PRENOM"),
            phone_home=fields.text("TEL_PERSONNEL"),
            phone_mobile=fields.text("TEL_PORTABLE"),
            phone_work=fields.text("TEL_PROFESSIONNEL"),
            email=fields.text("MEL"),
            accepts_sms=fields.boolean("ACCEPTE_SMS"),
            profession_code=fields.text("CODE_PROFESSION"),
            address_siecle_id=fields.text("ADRESSE_ID"),
            line=element.sourceline or 0,
        )
    ]


def _responsibility_id(element: etree._Element) -> str | None:
    """A responsibility has no id of its own: the student's and the person's name it."""
    fields = Fields(element, None)
    student, person = fields.text("ELEVE_ID"), fields.text("PERSONNE_ID")
    if student is None and person is None:
        return None
    return f"{student or '?'}/{person or '?'}"


def _responsibility(element: etree._Element) -> list[GuardiansFileItem]:
    fields = Fields(element, _responsibility_id(element))
    return [
        ResponsibilityRecord(
            student_siecle_id=fields.required_text("ELEVE_ID"),
            person_siecle_id=fields.required_text("PERSONNE_ID"),
            level=fields.required_integer("NIVEAU_RESPONSABILITE"),
            kinship_code=fields.text("CODE_PARENTE"),
            pays_fees=fields.boolean("PAIE_FRAIS_SCOLAIRES"),
            receives_aid=fields.boolean("PERCOIT_LES_AIDES"),
            lives_with=fields.boolean("HEBERGE_ELEVE"),
            contact_first=fields.boolean("A_CONTACTER_EN_PRIORITE"),
            line=element.sourceline or 0,
        )
    ]


GUARDIAN_RECORDS: dict[tuple[str, ...], RecordElement[GuardiansFileItem]] = {
    ("DONNEES", "PERSONNES", "PERSONNE"): RecordElement(_person, by_attribute("PERSONNE_ID")),
    ("DONNEES", "RESPONSABLES", "RESPONSABLE_ELEVE"): RecordElement(
        _responsibility, _responsibility_id
    ),
    ("DONNEES", "ADRESSES", "ADRESSE"): RecordElement(_address, by_attribute("ADRESSE_ID")),
}


def read_guardians(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[GuardiansFileItem]:
    """BEE_RESPONSABLES (ResponsablesAvecAdresses): people, their responsibilities for
    students, and the addresses."""
    return ExchangeReading(
        source, file_name, "BEE_RESPONSABLES", GUARDIAN_RECORDS, max_bytes=max_bytes
    )

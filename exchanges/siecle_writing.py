"""SIECLE's exports written from records: BEE_ELEVES (ElevesSansAdresses, ElevesAvecAdresses),
BEE_RESPONSABLES (ResponsablesAvecAdresses) and BEE_NOMENCLATURES.

Element names and order follow SIECLE's own files, and what the real clients rely on holds for
every record (GEPI, SACoche, DossierSCO, ENT providers): UAJ in PARAMETRES, ID_NATIONAL for
every student with an INE, an empty DATE_SORTIE for a student present (clients test whether
it is empty to keep the student), the division in STRUCTURES_ELEVE with TYPE_STRUCTURE D,
DATE_NAISS as DD/MM/YYYY, CODE_SEXE 1 or 2, CODE_COMMUNE_INSEE_NAISS for every student born in
France. A record that cannot meet them is refused (``UnwritableRecord``), not written wrong.

Each section is its own iterable, read once in the file's order: a 10,000-student export holds
one student's tree at a time (and the students' ELENOET, which OPTIONS and STRUCTURES repeat).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import IO

from lxml import etree

from exchanges.records import (
    AddressRecord,
    CodedEntryRecord,
    FileHeader,
    MefRecord,
    PersonRecord,
    ProgrammeRecord,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
    SubjectRecord,
)
from exchanges.xml_writing import (
    FRANCE,
    UnwritableRecord,
    Writer,
    as_bytes,
    boolean,
    child,
    department_of,
    flag,
    french_date,
    write_document,
)

STUDENTS_VERSION = "3.0"
GUARDIANS_VERSION = "2.1"
NOMENCLATURES_VERSION = "3.1"

SEX_CODES = {"M": "1", "F": "2"}
CIVILITIES = {"M.": ("M.", "MONSIEUR"), "Mme": ("MME", "MADAME")}


def header_for(header: FileHeader, root: str, version: str) -> FileHeader:
    """The header with the root and version of the format written (a caller may pass the
    header of another file of the same school and year)."""
    return FileHeader(
        root=root,
        version=header.version if header.root == root and header.version else version,
        uai=header.uai,
        school_year=header.school_year,
        exported_on=header.exported_on,
    )


# BEE_ELEVES


def _check_student(student: StudentRecord) -> None:
    def refuse(field: str, message: str) -> UnwritableRecord:
        return UnwritableRecord("ELEVE", student.siecle_id, field, message)

    name = f"{student.family_name} {student.first_name}"
    if student.sex not in SEX_CODES:
        raise refuse("CODE_SEXE", f"Élève {student.siecle_id} ({name}) : le sexe manque.")
    if student.birth_date is None:
        raise refuse(
            "DATE_NAISS", f"Élève {student.siecle_id} ({name}) : la date de naissance manque."
        )
    if student.birth_country_code == FRANCE and not student.birth_commune_code:
        raise refuse(
            "CODE_COMMUNE_INSEE_NAISS",
            f"Élève {student.siecle_id} ({name}) : né en France sans commune de naissance (code INSEE).",
        )


def student_element(student: StudentRecord, *, with_address: bool) -> etree._Element:
    _check_student(student)
    attributes = {"ELEVE_ID": student.siecle_id}
    if student.elenoet:
        attributes["ELENOET"] = student.elenoet
    element = etree.Element("ELEVE", attributes)
    if student.ine:
        child(element, "ID_NATIONAL", student.ine)
    if student.elenoet:
        child(element, "ELENOET", student.elenoet)
    child(element, "NOM_DE_FAMILLE", student.family_name)
    if student.usage_name:
        child(element, "NOM_USAGE", student.usage_name)
    child(element, "PRENOM", student.first_name)
    if student.first_name_2:
        child(element, "PRENOM2", student.first_name_2)
    if student.first_name_3:
        child(element, "PRENOM3", student.first_name_3)
    child(element, "DATE_NAISS", french_date(student.birth_date))
    child(element, "DOUBLEMENT", flag(student.repeating))
    child(element, "CODE_PAYS", student.birth_country_code)
    child(element, "ACCEPTE_SMS", flag(student.accepts_sms))
    if student.modified_on is not None:
        child(element, "DATE_MODIFICATION", french_date(student.modified_on))
    child(element, "CODE_REGIME", student.regime_code)
    child(element, "DATE_ENTREE", french_date(student.entry_date))
    # Empty for a student present: the clients keep the students whose DATE_SORTIE is empty.
    child(element, "DATE_SORTIE", french_date(student.exit_date))
    if student.exit_motive_code:
        child(element, "CODE_MOTIF_SORTIE", student.exit_motive_code)
    child(element, "VILLE_NAISS", student.birth_city)
    child(element, "CODE_SEXE", SEX_CODES[student.sex or ""])
    child(element, "CODE_PAYS_NAT", student.nationality_code)
    child(element, "CODE_STATUT", student.status_code)
    child(element, "CODE_MEF", student.mef_code)
    if student.birth_department_code:
        child(element, "CODE_DEPARTEMENT_NAISS", student.birth_department_code)
    if student.birth_commune_code:
        child(element, "CODE_COMMUNE_INSEE_NAISS", student.birth_commune_code)
    if with_address and student.address_siecle_id:
        child(element, "ADRESSE_ID", student.address_siecle_id)
    previous = student.previous
    if previous is not None:
        schooling = child(element, "SCOLARITE_AN_DERNIER")
        if previous.mef_code:
            child(schooling, "CODE_MEF", previous.mef_code)
        if previous.division_code:
            child(schooling, "CODE_STRUCTURE", previous.division_code)
        if previous.uai:
            child(schooling, "CODE_RNE", previous.uai)
        if previous.name:
            child(schooling, "DENOM_PRINC", previous.name)
        if previous.commune_code:
            child(schooling, "CODE_COMMUNE_INSEE", previous.commune_code)
    return element


def address_element(address: AddressRecord) -> etree._Element:
    element = etree.Element("ADRESSE", ADRESSE_ID=address.siecle_id)
    child(element, "LIGNE1_ADRESSE", address.line1)
    child(element, "LIGNE2_ADRESSE", address.line2)
    child(element, "LIGNE3_ADRESSE", address.line3)
    child(element, "LIGNE4_ADRESSE", address.line4)
    child(element, "COMMUNE_ETRANGERE", address.foreign_city)
    child(element, "CODE_POSTAL", address.postal_code)
    child(element, "CODE_PAYS", address.country_code)
    child(element, "CODE_COMMUNE_INSEE", address.commune_code)
    child(element, "LL_PAYS", "FRANCE" if address.country_code == FRANCE else None)
    child(element, "CODE_DEPARTEMENT", department_of(address.commune_code))
    child(element, "LIBELLE_POSTAL", address.city)
    return element


def write_students(
    target: IO[bytes],
    header: FileHeader,
    students: Iterable[StudentRecord],
    options: Iterable[StudentOptionsRecord] = (),
    structures: Iterable[StudentStructuresRecord] = (),
    addresses: Iterable[AddressRecord] | None = None,
    *,
    exported_at: datetime | None = None,
) -> None:
    """BEE_ELEVES: ElevesAvecAdresses when ``addresses`` is given (even empty), else
    ElevesSansAdresses (no ADRESSE_ID, no ADRESSES)."""
    with_addresses = addresses is not None
    elenoets: dict[str, str] = {}

    def owner(tag: str, student_id: str) -> etree._Element:
        attributes = {"ELEVE_ID": student_id}
        if student_id in elenoets:
            attributes["ELENOET"] = elenoets[student_id]
        return etree.Element(tag, attributes)

    def body(writer: Writer) -> None:
        with writer.section("ELEVES"):
            for student in students:
                writer.record(student_element(student, with_address=with_addresses))
                if student.elenoet:
                    elenoets[student.siecle_id] = student.elenoet
        with writer.section("OPTIONS"):
            for elected in options:
                element = owner("OPTION", elected.student_siecle_id)
                for option in elected.options:
                    entry = child(element, "OPTIONS_ELEVE")
                    child(entry, "NUM_OPTION", str(option.rank))
                    child(entry, "CODE_MODALITE_ELECT", option.election_modality)
                    child(entry, "CODE_MATIERE", option.subject_code)
                writer.record(element)
        with writer.section("STRUCTURES"):
            for placed in structures:
                element = owner("STRUCTURES_ELEVE", placed.student_siecle_id)
                for membership in placed.memberships:
                    entry = child(element, "STRUCTURE")
                    child(entry, "CODE_STRUCTURE", membership.code)
                    child(entry, "TYPE_STRUCTURE", membership.kind)
                writer.record(element)
        writer.empty("BOURSES")
        if addresses is not None:
            with writer.section("ADRESSES"):
                for address in addresses:
                    writer.record(address_element(address))

    write_document(
        target,
        header_for(header, "BEE_ELEVES", STUDENTS_VERSION),
        body,
        exported_at=exported_at,
    )


def students_bytes(
    header: FileHeader,
    students: Iterable[StudentRecord],
    options: Iterable[StudentOptionsRecord] = (),
    structures: Iterable[StudentStructuresRecord] = (),
    addresses: Iterable[AddressRecord] | None = None,
    *,
    exported_at: datetime | None = None,
) -> bytes:
    return as_bytes(
        lambda target: write_students(
            target, header, students, options, structures, addresses, exported_at=exported_at
        )
    )


# BEE_RESPONSABLES


def person_element(person: PersonRecord) -> etree._Element:
    element = etree.Element("PERSONNE", PERSONNE_ID=person.siecle_id)
    if person.civility in CIVILITIES:
        short, long = CIVILITIES[person.civility]
        child(element, "LC_CIVILITE", short)
        child(element, "LL_CIVILITE", long)
    child(element, "NOM_DE_FAMILLE", person.family_name)
    if person.usage_name:
        child(element, "NOM_USAGE", person.usage_name)
    child(element, "PRENOM", person.first_name)
    child(element, "TEL_PERSONNEL", person.phone_home)
    child(element, "TEL_PORTABLE", person.phone_mobile)
    child(element, "ACCEPTE_SMS", flag(person.accepts_sms))
    child(element, "TEL_PROFESSIONNEL", person.phone_work)
    child(element, "MEL", person.email)
    if person.address_siecle_id:
        child(element, "ADRESSE_ID", person.address_siecle_id)
    child(element, "CODE_PROFESSION", person.profession_code)
    return element


def responsibility_element(responsibility: ResponsibilityRecord) -> etree._Element:
    element = etree.Element("RESPONSABLE_ELEVE")
    child(element, "ELEVE_ID", responsibility.student_siecle_id)
    child(element, "PERSONNE_ID", responsibility.person_siecle_id)
    child(element, "NIVEAU_RESPONSABILITE", str(responsibility.level))
    child(element, "CODE_PARENTE", responsibility.kinship_code)
    # SIECLE writes this one 0/1 and the next three true/false.
    child(element, "PAIE_FRAIS_SCOLAIRES", flag(responsibility.pays_fees))
    child(element, "PERCOIT_LES_AIDES", boolean(responsibility.receives_aid))
    child(element, "HEBERGE_ELEVE", boolean(responsibility.lives_with))
    child(element, "A_CONTACTER_EN_PRIORITE", boolean(responsibility.contact_first))
    return element


def write_guardians(
    target: IO[bytes],
    header: FileHeader,
    persons: Iterable[PersonRecord],
    responsibilities: Iterable[ResponsibilityRecord],
    addresses: Iterable[AddressRecord],
    *,
    exported_at: datetime | None = None,
) -> None:
    """BEE_RESPONSABLES (ResponsablesAvecAdresses): PERSONNES, RESPONSABLES, ADRESSES."""

    def body(writer: Writer) -> None:
        with writer.section("PERSONNES"):
            for person in persons:
                writer.record(person_element(person))
        with writer.section("RESPONSABLES"):
            for responsibility in responsibilities:
                writer.record(responsibility_element(responsibility))
        with writer.section("ADRESSES"):
            for address in addresses:
                writer.record(address_element(address))

    write_document(
        target,
        header_for(header, "BEE_RESPONSABLES", GUARDIANS_VERSION),
        body,
        exported_at=exported_at,
    )


def guardians_bytes(
    header: FileHeader,
    persons: Iterable[PersonRecord],
    responsibilities: Iterable[ResponsibilityRecord],
    addresses: Iterable[AddressRecord],
    *,
    exported_at: datetime | None = None,
) -> bytes:
    return as_bytes(
        lambda target: write_guardians(
            target, header, persons, responsibilities, addresses, exported_at=exported_at
        )
    )


# BEE_NOMENCLATURES


# The coded lists in the order of SIECLE's file: (list, container, element, code attribute,
# short and long label elements).
CODED_LISTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("election_modality", "MODALITES_ELECTION", "MODALITE_ELECTION", "CODE_MODALITE_ELECT", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("regime", "REGIMES", "REGIME", "CODE_REGIME", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("kinship", "LIENS_PARENTE", "LIEN_PARENTE", "CODE_PARENTE", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("responsibility_level", "NIVEAUX_RESPONSABILITE", "N_NIVEAU_RESPONSABILITE", "NIVEAU_RESPONSABILITE", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("scholarship_type", "BOURSES", "BOURSE", "CODE_BOURSE", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("profession", "PROFESSIONS", "PROFESSION", "CODE_PROFESSION", "LIBELLE_COURT_PCS", "LIBELLE_LONG_PCS"),
    ("provenance", "PROVENANCES", "PROVENANCE", "CODE_PROVENANCE", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("exit_motive", "MOTIFS_SORTIE", "MOTIF_SORTIE", "CODE_MOTIF_SORTIE", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("student_status", "STATUTS_ELEVE", "STATUT_ELEVE", "CODE_STATUT", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("contract", "CONTRATS", "CONTRAT", "CODE_CONTRAT", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("school_type", "TYPES_ETABLISSEMENT", "TYPE_ETABLISSEMENT", "CODE_TYPE_ETAB", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("civility", "CIVILITES", "CIVILITE", "CODE_CIVILITE", "LIBELLE_COURT", "LIBELLE_LONG"),
    ("course_modality", "MODALITES_COURS", "MODALITE_COURS", "CODE_MODALITE_COURS", "LIBELLE_COURT", "LIBELLE_LONG"),
)  # fmt: skip


def mef_element(mef: MefRecord) -> etree._Element:
    element = etree.Element("MEF", CODE_MEF=mef.code)
    child(element, "FORMATION", mef.formation)
    child(element, "LIBELLE_LONG", mef.long_label)
    child(element, "LIBELLE_EDITION", mef.edition_label)
    if mef.attachment_code:
        child(element, "MEF_RATTACHEMENT", mef.attachment_code)
    if mef.statistics_code:
        child(element, "CODE_MEFSTAT", mef.statistics_code)
    if mef.opens_on is not None:
        child(element, "DATE_OUVERTURE", french_date(mef.opens_on))
    if mef.closes_on is not None:
        child(element, "DATE_FERMETURE", french_date(mef.closes_on))
    return element


def subject_element(subject: SubjectRecord) -> etree._Element:
    element = etree.Element("MATIERE", CODE_MATIERE=subject.code)
    child(element, "CODE_GESTION", subject.management_code)
    child(element, "LIBELLE_COURT", subject.short_label)
    child(element, "LIBELLE_LONG", subject.long_label)
    child(element, "LIBELLE_EDITION", subject.edition_label)
    return element


def hours(value: Decimal) -> str:
    return f"{value:.2f}"


def programme_element(programme: ProgrammeRecord) -> etree._Element:
    element = etree.Element("PROGRAMME")
    child(element, "CODE_MEF", programme.mef_code)
    child(element, "CODE_MATIERE", programme.subject_code)
    child(element, "CODE_MODALITE_ELECT", programme.election_modality)
    if programme.weekly_hours is not None:
        child(element, "HORAIRE", hours(programme.weekly_hours))
    return element


def coded_entry_element(
    entry: CodedEntryRecord, tag: str, code_attribute: str, short_tag: str, long_tag: str
) -> etree._Element:
    element = etree.Element(tag, {code_attribute: entry.code})
    child(element, short_tag, entry.short_label)
    child(element, long_tag, entry.long_label)
    if entry.edition_label is not None:
        child(element, "LIBELLE_EDITION", entry.edition_label)
    if entry.sort_order is not None:
        child(element, "TRI", str(entry.sort_order))
    if entry.national is not None:
        child(element, "BOURSE_NATIONALE", flag(entry.national))
    return element


def write_nomenclatures(
    target: IO[bytes],
    header: FileHeader,
    mefs: Iterable[MefRecord],
    subjects: Iterable[SubjectRecord],
    programmes: Iterable[ProgrammeRecord] = (),
    coded_entries: Iterable[CodedEntryRecord] = (),
    *,
    exported_at: datetime | None = None,
) -> None:
    """BEE_NOMENCLATURES: MEFS, MATIERES, PROGRAMMES, then each coded list given (a list with
    no entry is left out), in SIECLE's order. An entry of a list the format does not know is
    refused."""
    by_list: dict[str, list[CodedEntryRecord]] = defaultdict(list)
    known = {spec[0] for spec in CODED_LISTS}
    for entry in coded_entries:
        if entry.list not in known:
            raise UnwritableRecord(
                "NOMENCLATURE", entry.code, "list", f"Liste de codes inconnue : {entry.list}."
            )
        by_list[entry.list].append(entry)

    def body(writer: Writer) -> None:
        with writer.section("MEFS"):
            for mef in mefs:
                writer.record(mef_element(mef))
        with writer.section("MATIERES"):
            for subject in subjects:
                writer.record(subject_element(subject))
        with writer.section("PROGRAMMES"):
            for programme in programmes:
                writer.record(programme_element(programme))
        for name, container, tag, code_attribute, short_tag, long_tag in CODED_LISTS:
            if not by_list.get(name):
                continue
            with writer.section(container):
                for entry in by_list[name]:
                    writer.record(
                        coded_entry_element(entry, tag, code_attribute, short_tag, long_tag)
                    )

    write_document(
        target,
        header_for(header, "BEE_NOMENCLATURES", NOMENCLATURES_VERSION),
        body,
        exported_at=exported_at,
    )


def nomenclatures_bytes(
    header: FileHeader,
    mefs: Iterable[MefRecord],
    subjects: Iterable[SubjectRecord],
    programmes: Iterable[ProgrammeRecord] = (),
    coded_entries: Iterable[CodedEntryRecord] = (),
    *,
    exported_at: datetime | None = None,
) -> bytes:
    return as_bytes(
        lambda target: write_nomenclatures(
            target, header, mefs, subjects, programmes, coded_entries, exported_at=exported_at
        )
    )

"""STS-WEB's structures export (STS_EDT, ``sts_emp_<UAI>_<YEAR>.xml``) written from records.

Shaped as the timetable and vie-scolaire software read STS-WEB's file (GEPI, SACoche):
PARAMETRES/UAJ carries the UAI in its CODE attribute and ANNEE_SCOLAIRE the year in its ANNEE
attribute, as STS-WEB writes them, and both also as text, as SIECLE's files carry them, so that
a reader of either habit finds them; NOMENCLATURES/MATIERES/MATIERE[@CODE] explains the
services' CODE_MATIERE (SACoche maps a service to a subject through it); DONNEES/INDIVIDUS comes
before DONNEES/STRUCTURE (DIVISIONS, GROUPES), whose services name their teachers by ID and
TYPE.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO

from lxml import etree

from exchanges.records import (
    DivisionRecord,
    FileHeader,
    GroupRecord,
    ServiceRecord,
    SubjectRecord,
    TeacherRecord,
)
from exchanges.xml_writing import (
    Writer,
    as_bytes,
    child,
    french_date,
    write_document,
)

STRUCTURES_VERSION = None  # STS-WEB's root carries no VERSION
TEACHER_FUNCTION = "ENS"  # FONCTION: the clients take the individuals whose function is ENS
DEFAULT_TEACHER_TYPE = "epp"
CIVILITY_CODES = {"M.": "1", "Mme": "2"}
# STS-WEB's modalité de cours for a service: "cours général".
GENERAL_COURSE = "CG"


def sts_parameters(header: FileHeader, exported_at: datetime) -> etree._Element:
    element = etree.Element("PARAMETRES")
    uai = child(element, "UAJ", header.uai)
    if header.uai:
        uai.set("CODE", header.uai)
    year = str(header.school_year) if header.school_year else None
    annee = child(element, "ANNEE_SCOLAIRE", year)
    if year:
        annee.set("ANNEE", year)
    child(element, "DATE_EXPORT", french_date(header.exported_on or exported_at.date()))
    child(element, "HORODATAGE", exported_at.strftime("%d/%m/%Y %H:%M:%S"))
    return element


def teacher_element(teacher: TeacherRecord) -> etree._Element:
    element = etree.Element("INDIVIDU", ID=teacher.sts_id, TYPE=teacher.kind)
    child(element, "NOM_USAGE", teacher.family_name)
    child(element, "PRENOM", teacher.first_name)
    if teacher.civility in CIVILITY_CODES:
        child(element, "CIVILITE", CIVILITY_CODES[teacher.civility])
    if teacher.email:
        child(element, "MEL", teacher.email)
    child(element, "FONCTION", TEACHER_FUNCTION)
    if teacher.discipline_codes:
        disciplines = child(element, "DISCIPLINES")
        for code in teacher.discipline_codes:
            etree.SubElement(disciplines, "DISCIPLINE", CODE=code)
    return element


def services_element(
    parent: etree._Element, services: Iterable[ServiceRecord], teacher_types: dict[str, str]
) -> None:
    container = child(parent, "SERVICES")
    for service in services:
        entry = etree.SubElement(
            container,
            "SERVICE",
            CODE_MATIERE=service.subject_code,
            CODE_MOD_COURS=GENERAL_COURSE,
        )
        teachers = child(entry, "ENSEIGNANTS")
        for teacher_id in service.teacher_ids:
            etree.SubElement(
                teachers,
                "ENSEIGNANT",
                ID=teacher_id,
                TYPE=teacher_types.get(teacher_id, DEFAULT_TEACHER_TYPE),
            )


def division_element(division: DivisionRecord, teacher_types: dict[str, str]) -> etree._Element:
    element = etree.Element("DIVISION", CODE=division.code)
    child(element, "LIBELLE_LONG", division.label)
    if division.planned_headcount is not None:
        child(element, "EFFECTIF_PREVU", str(division.planned_headcount))
    mefs = child(element, "MEFS_APPARTENANCE")
    for code in division.mef_codes:
        etree.SubElement(mefs, "MEF_APPARTENANCE", CODE=code)
    services_element(element, division.services, teacher_types)
    return element


def group_element(group: GroupRecord, teacher_types: dict[str, str]) -> etree._Element:
    element = etree.Element("GROUPE", CODE=group.code)
    child(element, "LIBELLE_LONG", group.label)
    divisions = child(element, "DIVISIONS_APPARTENANCE")
    for code in group.division_codes:
        etree.SubElement(divisions, "DIVISION_APPARTENANCE", CODE=code)
    services_element(element, group.services, teacher_types)
    return element


def subject_element(subject: SubjectRecord) -> etree._Element:
    element = etree.Element("MATIERE", CODE=subject.code)
    child(element, "CODE_GESTION", subject.management_code)
    child(element, "LIBELLE_COURT", subject.short_label)
    child(element, "LIBELLE_LONG", subject.long_label)
    child(element, "LIBELLE_EDITION", subject.edition_label)
    return element


def write_structures(
    target: IO[bytes],
    header: FileHeader,
    divisions: Iterable[DivisionRecord],
    groups: Iterable[GroupRecord],
    teachers: Iterable[TeacherRecord],
    subjects: Iterable[SubjectRecord] = (),
    *,
    exported_at: datetime | None = None,
) -> None:
    """STS_EDT: NOMENCLATURES (the subjects the services name), then DONNEES with INDIVIDUS
    and STRUCTURE (DIVISIONS, GROUPES)."""
    teacher_types: dict[str, str] = {}

    def preamble(writer: Writer) -> None:
        with writer.section("NOMENCLATURES"), writer.section("MATIERES"):
            for subject in subjects:
                writer.record(subject_element(subject))

    def body(writer: Writer) -> None:
        with writer.section("INDIVIDUS"):
            for teacher in teachers:
                teacher_types[teacher.sts_id] = teacher.kind
                writer.record(teacher_element(teacher))
        with writer.section("STRUCTURE"):
            with writer.section("DIVISIONS"):
                for division in divisions:
                    writer.record(division_element(division, teacher_types))
            with writer.section("GROUPES"):
                for group in groups:
                    writer.record(group_element(group, teacher_types))

    write_document(
        target,
        FileHeader(
            root="STS_EDT",
            version=header.version if header.root == "STS_EDT" else STRUCTURES_VERSION,
            uai=header.uai,
            school_year=header.school_year,
            exported_on=header.exported_on,
        ),
        body,
        exported_at=exported_at,
        head=sts_parameters,
        preamble=preamble,
    )


def structures_bytes(
    header: FileHeader,
    divisions: Iterable[DivisionRecord],
    groups: Iterable[GroupRecord],
    teachers: Iterable[TeacherRecord],
    subjects: Iterable[SubjectRecord] = (),
    *,
    exported_at: datetime | None = None,
) -> bytes:
    return as_bytes(
        lambda target: write_structures(
            target, header, divisions, groups, teachers, subjects, exported_at=exported_at
        )
    )

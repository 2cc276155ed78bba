"""Reading STS-WEB's structures export, STS_EDT (``sts_emp_<UAI>_<YEAR>.xml``): the school's
teachers (DONNEES/INDIVIDUS), divisions and groups with their services (DONNEES/STRUCTURE).

STS-WEB writes its parameters as attributes (``<UAJ CODE="..."/>``,
``<ANNEE_SCOLAIRE ANNEE="2025"/>``); the reading base reads both forms. The NOMENCLATURES
STS-WEB repeats are not read: BEE_NOMENCLATURES is the reference.
"""

from __future__ import annotations

from lxml import etree

from exchanges.records import (
    DivisionRecord,
    GroupRecord,
    ServiceRecord,
    StructuresFileItem,
    TeacherRecord,
)
from exchanges.xml_reading import (
    MAX_XML_BYTES,
    ExchangeReading,
    Fields,
    RecordElement,
    Source,
    by_attribute,
)

# STS-WEB's CIVILITE codes: 1 Monsieur, 2 Madame, 3 Mademoiselle (no longer used, read as
# Madame like SIECLE's MLLE).
CIVILITIES = {"1": "M.", "2": "Mme", "3": "Mme"}


def _teacher(element: etree._Element) -> list[StructuresFileItem]:
    fields = Fields(element, element.get("ID"))
    civility_code = fields.text("CIVILITE")
    civility = None
    if civility_code is not None:
        civility = CIVILITIES.get(civility_code)
        if civility is None:
            raise fields.problem(
                "CIVILITE", f"CIVILITE : « {civility_code} » n'est ni 1 (M.) ni 2 (Mme)."
            )
    # The name a teacher is known by at school is the usage name; the birth name otherwise.
    family_name = fields.text("NOM_USAGE") or fields.text("NOM_PATRONYMIQUE")
    if family_name is None:
        raise fields.problem("NOM_USAGE", "NOM_USAGE et NOM_PATRONYMIQUE sont absents ou vides.")
    return [
        TeacherRecord(
            sts_id=fields.required_attribute("ID"),
            kind=fields.required_attribute("TYPE"),
            civility=civility,
            family_name=family_name,
            first_name=fields.required_text("PRENOM"),
            email=fields.text("MEL"),
            # STS-WEB's discipline codes (DISCIPLINES/DISCIPLINE[@CODE]), as given.
            discipline_codes=tuple(
                discipline.required_attribute("CODE")
                for discipline in fields.children("DISCIPLINES/DISCIPLINE")
            ),
            line=element.sourceline or 0,
        )
    ]


def _services(fields: Fields) -> tuple[ServiceRecord, ...]:
    return tuple(
        ServiceRecord(
            subject_code=service.required_attribute("CODE_MATIERE"),
            teacher_ids=tuple(
                teacher.required_attribute("ID")
                for teacher in service.children("ENSEIGNANTS/ENSEIGNANT")
            ),
        )
        for service in fields.children("SERVICES/SERVICE")
    )


def _division(element: etree._Element) -> list[StructuresFileItem]:
    fields = Fields(element, element.get("CODE"))
    code = fields.required_attribute("CODE")
    return [
        DivisionRecord(
            code=code,
            label=fields.text("LIBELLE_LONG") or fields.text("LIBELLE_COURT") or code,
            planned_headcount=fields.integer("EFFECTIF_PREVU"),
            mef_codes=tuple(
                mef.required_attribute("CODE")
                for mef in fields.children("MEFS_APPARTENANCE/MEF_APPARTENANCE")
            ),
            services=_services(fields),
            line=element.sourceline or 0,
        )
    ]


def _group(element: etree._Element) -> list[StructuresFileItem]:
    fields = Fields(element, element.get("CODE"))
    code = fields.required_attribute("CODE")
    return [
        GroupRecord(
            code=code,
            label=fields.text("LIBELLE_LONG") or fields.text("LIBELLE_COURT") or code,
            division_codes=tuple(
                division.required_attribute("CODE")
                for division in fields.children("DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE")
            ),
            services=_services(fields),
            line=element.sourceline or 0,
        )
    ]


STRUCTURE_RECORDS: dict[tuple[str, ...], RecordElement[StructuresFileItem]] = {
    ("DONNEES", "INDIVIDUS", "INDIVIDU"): RecordElement(_teacher, by_attribute("ID")),
    ("DONNEES", "STRUCTURE", "DIVISIONS", "DIVISION"): RecordElement(
        _division, by_attribute("CODE")
    ),
    ("DONNEES", "STRUCTURE", "GROUPES", "GROUPE"): RecordElement(_group, by_attribute("CODE")),
}


def read_structures(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[StructuresFileItem]:
    """STS_EDT: every INDIVIDU (the domain keeps the teachers, TYPE "epp" and local staff),
    then the divisions and groups, in file order."""
    return ExchangeReading(source, file_name, "STS_EDT", STRUCTURE_RECORDS, max_bytes=max_bytes)

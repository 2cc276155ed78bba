"""The "import privé" (IMPORT_ELEVES 3.1): a school's own software sending its students, with
their guardians, to SIECLE. Written from records, and validated against the national schema
shipped in ``exchanges/schemas`` (schema_Import_3.1.xsd) with messages in French that name the
line.

Unlike SIECLE's exports, the format nests: each student carries its address, its
responsibilities (LEGAL, PERSONNE_EN_CHARGE, CONTACT), its current schooling with its options
and last year's school, and the guardians come first in PERSONNES with their own address. So
the guardians, the responsibilities, the addresses, the options and the divisions are gathered
by student before writing (they are a few records a student); the students themselves stream.

The format's identifiers are the sending software's numbers of at most five digits (ID_PRV_ELE,
ID_PRV_PER): a record whose SIECLE id does not fit is refused, not renumbered, so that a second
sending updates the same students.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import IO

from lxml import etree

from exchanges.records import (
    AddressRecord,
    FileHeader,
    OptionRecord,
    PersonRecord,
    RecordProblem,
    ResponsibilityRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
)
from exchanges.xml_writing import (
    FRANCE,
    UnwritableRecord,
    Writer,
    as_bytes,
    boolean,
    child,
    department_of,
    french_date,
    write_document,
)

SCHEMA_FILE = "schema_Import_3.1.xsd"
VERSION = "3.1"
MAX_ID = 99_999
SEX_CODES = {"M": "1", "F": "2"}
CIVILITY_CODES = {"M.": "1", "Mme": "2"}
# CODE_PROVENANCE of last year's school: 2 a private school of the académie (the sending
# school itself), 8 another.
PROVENANCE_SAME_SCHOOL = "2"
PROVENANCE_OTHER = "8"
ADDRESS_LINE = 38
CITY = 32


def _identifier(element: str, record_id: str, field: str) -> str:
    if not record_id.isdigit() or int(record_id) > MAX_ID:
        raise UnwritableRecord(
            element,
            record_id,
            field,
            f"{element} {record_id} : l'identifiant doit être un nombre d'au plus cinq chiffres "
            f"pour l'import privé ({field}).",
        )
    return str(int(record_id))


def _iso(value: date) -> str:
    return value.isoformat()


def _text(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def address_element(address: AddressRecord) -> etree._Element:
    element = etree.Element("ADRESSE")
    for tag, line in (
        ("LIGNE1_ADRESSE", address.line1),
        ("LIGNE2_ADRESSE", address.line2),
        ("LIGNE3_ADRESSE", address.line3),
        ("LIGNE4_ADRESSE", address.line4),
    ):
        if line:
            child(element, tag, _text(line, ADDRESS_LINE))
    if address.country_code == FRANCE or address.postal_code:
        child(element, "CODE_POSTAL", address.postal_code)
        child(element, "LL_POSTAL", _text(address.city, CITY))
    else:
        child(element, "COMMUNE_ETRANGERE", _text(address.foreign_city or address.city, CITY))
    child(element, "CODE_PAYS", address.country_code)
    return element


def person_element(person: PersonRecord, address: AddressRecord | None) -> etree._Element:
    def refuse(field: str, message: str) -> UnwritableRecord:
        return UnwritableRecord("PERSONNE", person.siecle_id, field, message)

    name = f"{person.family_name} {person.first_name}"
    if person.civility not in CIVILITY_CODES:
        raise refuse(
            "CODE_CIVILITE", f"Responsable {person.siecle_id} ({name}) : la civilité manque."
        )
    if not person.profession_code:
        raise refuse(
            "CODE_PROFESSION", f"Responsable {person.siecle_id} ({name}) : la profession manque."
        )
    element = etree.Element("PERSONNE")
    child(element, "ID_PRV_PER", _identifier("PERSONNE", person.siecle_id, "ID_PRV_PER"))
    child(element, "CODE_CIVILITE", CIVILITY_CODES[person.civility or ""])
    child(element, "NOM_DE_FAMILLE", person.family_name)
    if person.usage_name:
        child(element, "NOM_USAGE", person.usage_name)
    child(element, "PRENOM", person.first_name)
    if address is not None:
        element.append(address_element(address))
    child(element, "CODE_PROFESSION", person.profession_code)
    if person.phone_home:
        child(element, "TEL_PERSONNEL", person.phone_home)
    if person.phone_work:
        child(element, "TEL_PROFESSIONNEL", person.phone_work)
    if person.phone_mobile:
        child(element, "TEL_PORTABLE", person.phone_mobile)
    child(element, "ACCEPTE_SMS", boolean(person.accepts_sms))
    if person.email:
        child(element, "EMAIL", person.email)
    return element


def _responsibilities_element(
    student: StudentRecord, links: list[ResponsibilityRecord]
) -> etree._Element:
    element = etree.Element("RESPONSABLES_ELEVE")
    legal = [link for link in links if link.level == 1]
    in_charge = [link for link in links if link.level == 2]
    contacts = [link for link in links if link.level not in (1, 2)]
    if not 1 <= len(legal) <= 2:
        raise UnwritableRecord(
            "ELEVE",
            student.siecle_id,
            "RESPONSABLES_ELEVE",
            f"Élève {student.siecle_id} ({student.family_name} {student.first_name}) : "
            "il faut un ou deux représentants légaux pour l'import privé.",
        )
    for tag, group in (("LEGAL", legal), ("PERSONNE_EN_CHARGE", in_charge)):
        for link in group:
            entry = child(element, tag)
            child(entry, "ID_PRV_PER", _identifier("PERSONNE", link.person_siecle_id, "ID_PRV_PER"))
            child(entry, "CODE_PARENTE", link.kinship_code)
            child(entry, "PAIE_FRAIS_SCOLAIRES", boolean(link.pays_fees))
            child(entry, "HEBERGE_ELEVE", boolean(link.lives_with))
            if tag == "LEGAL":
                child(entry, "PERCOIT_LES_AIDES", boolean(link.receives_aid))
            child(entry, "A_CONTACTER_EN_PRIORITE", boolean(link.contact_first))
    for link in contacts:
        entry = child(element, "CONTACT")
        child(entry, "ID_PRV_PER", _identifier("PERSONNE", link.person_siecle_id, "ID_PRV_PER"))
        child(entry, "CODE_PARENTE", link.kinship_code)
    return element


def student_element(
    student: StudentRecord,
    header: FileHeader,
    *,
    address: AddressRecord | None,
    links: list[ResponsibilityRecord],
    options: tuple[OptionRecord, ...],
    division: str | None,
) -> etree._Element:
    def refuse(field: str, message: str) -> UnwritableRecord:
        return UnwritableRecord("ELEVE", student.siecle_id, field, message)

    name = f"{student.family_name} {student.first_name}"
    label = f"Élève {student.siecle_id} ({name})"
    leaving = student.exit_date is not None
    if student.birth_date is None:
        raise refuse("DATE_NAISS", f"{label} : la date de naissance manque.")
    if not student.birth_country_code:
        raise refuse("CODE_PAYS", f"{label} : le pays de naissance manque.")
    if not leaving:
        for field, value, what in (
            ("CODE_SEXE", student.sex in SEX_CODES, "le sexe"),
            ("CODE_PAYS_NAT", student.nationality_code, "la nationalité"),
            ("CODE_MEF", student.mef_code, "le MEF"),
            ("CODE_REGIME", student.regime_code, "le régime"),
            ("CODE_STATUT", student.status_code, "le statut"),
        ):
            if not value:
                raise refuse(field, f"{label} : {what} manque.")
        if not (student.birth_commune_code or student.birth_city):
            raise refuse("CODE_COMMUNE_INSEE_NAISS", f"{label} : le lieu de naissance manque.")
    if leaving and not student.exit_motive_code:
        raise refuse("CODE_MOTIF_SORTIE", f"{label} : le motif de sortie manque.")
    if student.birth_country_code == FRANCE and not student.birth_commune_code:
        raise refuse(
            "CODE_COMMUNE_INSEE_NAISS",
            f"{label} : né en France sans commune de naissance (code INSEE).",
        )

    element = etree.Element("ELEVE")
    if leaving:
        child(element, "CODE_MOTIF_SORTIE", student.exit_motive_code)
        child(element, "DATE_SORTIE", _iso(student.exit_date))  # type: ignore[arg-type]
    child(element, "ID_PRV_ELE", _identifier("ELEVE", student.siecle_id, "ID_PRV_ELE"))
    if student.ine:
        child(element, "ID_NATIONAL", student.ine)
    child(element, "NOM_DE_FAMILLE", student.family_name)
    if student.usage_name:
        child(element, "NOM_USAGE", student.usage_name)
    child(element, "PRENOM", student.first_name)
    if student.first_name_2:
        child(element, "PRENOM2", student.first_name_2)
    if student.first_name_3:
        child(element, "PRENOM3", student.first_name_3)
    if student.nationality_code:
        child(element, "CODE_PAYS_NAT", student.nationality_code)
    child(element, "DATE_NAISS", _iso(student.birth_date))
    if student.sex in SEX_CODES:
        child(element, "CODE_SEXE", SEX_CODES[student.sex or ""])
    child(element, "CODE_PAYS", student.birth_country_code)
    if student.birth_commune_code:
        child(element, "CODE_COMMUNE_INSEE_NAISS", student.birth_commune_code)
    elif student.birth_city:
        child(element, "VILLE_NAISS", _text(student.birth_city, CITY))
    if student.entry_date is not None:
        child(element, "DATE_ENTREE", _iso(student.entry_date))
    if address is not None:
        element.append(address_element(address))
    child(element, "ACCEPTE_SMS", boolean(student.accepts_sms))
    child(element, "ADHESION_TRANSPORT", boolean(False))
    child(element, "CODE_REGIME", student.regime_code)
    child(element, "DOUBLEMENT", boolean(student.repeating))
    if links or not leaving:
        element.append(_responsibilities_element(student, links))
    if student.mef_code and student.status_code:
        schooling = child(element, "SCOLARITE_ACTIVE")
        child(schooling, "CODE_MEF", student.mef_code)
        if division:
            child(schooling, "CODE_DIVISION", division)
        child(schooling, "CODE_STATUT", student.status_code)
        start = student.entry_date or date(header.school_year or date.today().year, 9, 1)
        child(schooling, "DATE_DEB_SCO", _iso(start))
        elected = child(schooling, "OPTIONS")
        for option in sorted(options, key=lambda o: o.rank)[:12]:
            entry = child(elected, "OPTION")
            child(entry, "CODE_MATIERE", option.subject_code)
            child(entry, "CODE_MODALITE_ELECT", option.election_modality)
    if not leaving or student.previous is not None:
        element.append(_previous_element(student, header))
    return element


def _previous_element(student: StudentRecord, header: FileHeader) -> etree._Element:
    previous = student.previous
    element = etree.Element("ETABLISSEMENT_AN_DERNIER")
    if previous is not None and previous.uai:
        child(element, "CODE_RNE", previous.uai)
    else:
        # The format wants last year's school or at least its département: the commune's, else
        # the sending school's (an UAI starts with its département).
        commune = previous.commune_code if previous is not None else None
        child(element, "CODE_DEPARTEMENT", department_of(commune) or (header.uai or "")[:3])
    same = previous is not None and previous.uai is not None and previous.uai == header.uai
    child(element, "CODE_PROVENANCE", PROVENANCE_SAME_SCHOOL if same else PROVENANCE_OTHER)
    if previous is not None and previous.mef_code:
        child(element, "CODE_MEF", previous.mef_code)
    if previous is not None and previous.division_code:
        child(element, "CODE_DIVISION", previous.division_code[:8])
    child(element, "OPTIONS_AN_DERNIER")
    return element


def _private_parameters(
    software: str, sending_number: int
) -> Callable[[FileHeader, datetime], etree._Element]:
    def head(header: FileHeader, at: datetime) -> etree._Element:
        element = etree.Element("PARAMETRES")
        child(element, "UAJ", header.uai)
        child(element, "ANNEE_SCOLAIRE", str(header.school_year) if header.school_year else None)
        child(element, "DATE_IMPORT", french_date(header.exported_on or at.date()))
        child(element, "NUM_ENVOI", str(sending_number))
        child(element, "LOGICIEL", software[:10])
        return element

    return head


def write_private_import(
    target: IO[bytes],
    header: FileHeader,
    students: Iterable[StudentRecord],
    persons: Iterable[PersonRecord],
    responsibilities: Iterable[ResponsibilityRecord],
    addresses: Iterable[AddressRecord] = (),
    options: Iterable[StudentOptionsRecord] = (),
    structures: Iterable[StudentStructuresRecord] = (),
    *,
    software: str = "SCONET",
    sending_number: int = 1,
    exported_at: datetime | None = None,
) -> None:
    """IMPORT_ELEVES 3.1: PERSONNES (each with its address), then ELEVES (each with its address,
    responsibilities, current schooling and options, last year's school)."""
    by_address = {address.siecle_id: address for address in addresses}
    links: dict[str, list[ResponsibilityRecord]] = defaultdict(list)
    for link in responsibilities:
        links[link.student_siecle_id].append(link)
    elected = {record.student_siecle_id: record.options for record in options}
    divisions = {
        record.student_siecle_id: membership.code
        for record in structures
        for membership in record.memberships
        if membership.kind == "D"
    }

    def body(writer: Writer) -> None:
        with writer.section("PERSONNES"):
            for person in persons:
                address = by_address.get(person.address_siecle_id or "")
                writer.record(person_element(person, address))
        with writer.section("ELEVES"):
            for student in students:
                writer.record(
                    student_element(
                        student,
                        header,
                        address=by_address.get(student.address_siecle_id or ""),
                        links=links.get(student.siecle_id, []),
                        options=elected.get(student.siecle_id, ()),
                        division=divisions.get(student.siecle_id),
                    )
                )

    write_document(
        target,
        FileHeader(
            root="IMPORT_ELEVES",
            version=VERSION,
            uai=header.uai,
            school_year=header.school_year,
            exported_on=header.exported_on,
        ),
        body,
        exported_at=exported_at,
        head=_private_parameters(software, sending_number),
    )


def private_import_bytes(
    header: FileHeader,
    students: Iterable[StudentRecord],
    persons: Iterable[PersonRecord],
    responsibilities: Iterable[ResponsibilityRecord],
    addresses: Iterable[AddressRecord] = (),
    options: Iterable[StudentOptionsRecord] = (),
    structures: Iterable[StudentStructuresRecord] = (),
    *,
    software: str = "SCONET",
    sending_number: int = 1,
    exported_at: datetime | None = None,
) -> bytes:
    return as_bytes(
        lambda target: write_private_import(
            target,
            header,
            students,
            persons,
            responsibilities,
            addresses,
            options,
            structures,
            software=software,
            sending_number=sending_number,
            exported_at=exported_at,
        )
    )


# Validation against the national schema


@cache
def schema() -> etree.XMLSchema:
    data = resources.files("exchanges.schemas").joinpath(SCHEMA_FILE).read_bytes()
    return etree.XMLSchema(etree.fromstring(data, _safe_parser()))


def _safe_parser() -> etree.XMLParser:
    # A file from outside: no entity expansion, no DTD or network fetched.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"This element is not expected\. Expected is(?: one of)? \( (?P<x>.+?) \)"),
        "l'élément {element} n'est pas attendu ici (attendu : {x}).",
    ),
    (re.compile(r"This element is not expected"), "l'élément {element} n'est pas attendu ici."),
    (
        re.compile(r"Missing child element\(s\)\. Expected is(?: one of)? \( (?P<x>.+?) \)"),
        "il manque dans {element} l'élément {x}.",
    ),
    (
        re.compile(r"The attribute '(?P<x>[^']+)' is required but missing"),
        "l'attribut {x} manque dans {element}.",
    ),
    (
        re.compile(r"\[facet '(?:pattern|length|minLength|maxLength)'\]"),
        "la valeur de {element} n'a pas le format ou la longueur attendus.",
    ),
    (
        re.compile(r"\[facet '(?:minInclusive|maxInclusive)'\]"),
        "la valeur de {element} est hors des limites permises.",
    ),
    (
        re.compile(r"'(?P<x>[^']*)' is not a valid value of the (?:atomic|local atomic) type"),
        "la valeur « {x} » de {element} n'est pas valide.",
    ),
    (
        re.compile(r"Duplicate key-sequence \[(?P<x>[^\]]*)\]"),
        "identifiant en double dans {element} : {x}.",
    ),
    (
        re.compile(r"No match found for key-sequence \[(?P<x>[^\]]*)\]"),
        "{element} renvoie à un responsable absent de PERSONNES : {x}.",
    ),
)
_ELEMENT = re.compile(r"^Element '(?P<element>[^']+)'")


def _french(message: str) -> tuple[str, str]:
    found = _ELEMENT.search(message)
    element = found.group("element") if found else ""
    for pattern, template in _PATTERNS:
        match = pattern.search(message)
        if match:
            return element, template.format(
                element=element, x=match.group("x") if "x" in pattern.groupindex else ""
            )
    return element, f"{element or 'le fichier'} n'est pas conforme au schéma IMPORT_ELEVES 3.1."


def validate_private_import(data: bytes) -> tuple[RecordProblem, ...]:
    """What keeps an IMPORT_ELEVES file from SIECLE: each problem with its line and a message
    in French. Empty when the file is valid against schema_Import_3.1.xsd."""
    try:
        document = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as error:
        line = error.position[0] if error.position else 0
        return (
            RecordProblem(
                element="",
                record_id=None,
                field=None,
                message=f"Ligne {line} : le fichier n'est pas un XML bien formé.",
                line=line,
            ),
        )
    if document.getroottree().docinfo.internalDTD is not None:
        # The format has no DTD: a declared one only serves entity tricks (and trips the
        # schema validation), so the file is refused whole.
        return (
            RecordProblem(
                element="",
                record_id=None,
                field=None,
                message="Ligne 1 : le fichier déclare une DTD, ce que le format ne permet pas.",
                line=1,
            ),
        )
    checker = schema()
    if checker.validate(document):
        return ()
    problems = []
    for entry in checker.error_log:
        element, message = _french(entry.message)
        problems.append(
            RecordProblem(
                element=element,
                record_id=None,
                field=None,
                message=f"Ligne {entry.line} : {message}",
                line=entry.line,
            )
        )
    return tuple(problems)

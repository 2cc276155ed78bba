"""The immatriculation files exchanged with the académie base (BEA), in the style of SIECLE's
own files (ISO-8859-15, PARAMETRES with UAJ and ANNEE_SCOLAIRE, DONNEES, French dates, one
zipped XML): the requests a school sends (BEE_DEMANDES_INE), the base's answers
(BEA_IMMATRICULATIONS) and the school's accusé de réception (BEE_ACCUSES_INE).

The national specification of these files is not public (seed 002 names the exchanges,
events F and G, not their layout): the layout here is the project's, documented in
docs/immatriculation.md, and every answer names the request it answers by DEMANDE_ID.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lxml import etree

from exchanges.records import (
    FileHeader,
    IneAcknowledgementRecord,
    IneRequestRecord,
    IneReturnRecord,
)
from exchanges.siecle_writing import SEX_CODES, header_for
from exchanges.xml_reading import (
    MAX_XML_BYTES,
    ExchangeReading,
    Fields,
    RecordElement,
    Source,
    by_attribute,
)
from exchanges.xml_writing import (
    FRANCE,
    Writer,
    as_bytes,
    child,
    department_of,
    french_date,
    write_document,
)

REQUESTS_ROOT = "BEE_DEMANDES_INE"
RETURNS_ROOT = "BEA_IMMATRICULATIONS"
ACKNOWLEDGEMENTS_ROOT = "BEE_ACCUSES_INE"
VERSION = "1.0"

# RESULTAT of an answer.
ASSIGNED = "ATTRIBUE"
ALREADY_KNOWN = "DEJA_CONNU"
REJECTED = "REJETE"
RESULTS = (ASSIGNED, ALREADY_KNOWN, REJECTED)
# ETAT of an acknowledgement.
TAKEN = "PRIS_EN_COMPTE"
REFUSED = "REFUSE"
ALREADY_DONE = "DEJA_TRAITE"


def requests_file_name(uai: str, school_year: int) -> str:
    return f"DemandesINE_{uai}_{school_year}.xml"


def acknowledgements_file_name(uai: str, school_year: int, return_run_id: int) -> str:
    return f"AccusesReceptionINE_{uai}_{school_year}_{return_run_id}.xml"


def _request_element(request: IneRequestRecord) -> etree._Element:
    attributes = {"DEMANDE_ID": request.request_id}
    if request.student_siecle_id:
        attributes["ELEVE_ID"] = request.student_siecle_id
    element = etree.Element("DEMANDE", attributes)
    child(element, "NOM_DE_FAMILLE", request.family_name)
    if request.usage_name:
        child(element, "NOM_USAGE", request.usage_name)
    child(element, "PRENOM", request.first_name)
    if request.first_name_2:
        child(element, "PRENOM2", request.first_name_2)
    if request.first_name_3:
        child(element, "PRENOM3", request.first_name_3)
    child(element, "CODE_SEXE", SEX_CODES.get(request.sex))
    child(element, "DATE_NAISS", french_date(request.birth_date))
    child(element, "CODE_PAYS", request.birth_country_code)
    if request.birth_country_code == FRANCE:
        child(element, "CODE_COMMUNE_INSEE_NAISS", request.birth_commune_code)
        child(element, "CODE_DEPARTEMENT_NAISS", department_of(request.birth_commune_code))
    child(element, "VILLE_NAISS", request.birth_city)
    child(element, "CODE_MEF", request.mef_code)
    return element


def requests_bytes(
    header: FileHeader,
    requests: Iterable[IneRequestRecord],
    *,
    exported_at: datetime | None = None,
) -> bytes:
    """BEE_DEMANDES_INE: the school (UAJ) and year in PARAMETRES, one DEMANDE per student."""

    def body(writer: Writer) -> None:
        with writer.section("DEMANDES"):
            for request in requests:
                writer.record(_request_element(request))

    return as_bytes(
        lambda target: write_document(
            target,
            header_for(header, REQUESTS_ROOT, VERSION),
            body,
            exported_at=exported_at,
        )
    )


def returns_bytes(
    header: FileHeader,
    answers: Iterable[IneReturnRecord],
    *,
    exported_at: datetime | None = None,
) -> bytes:
    """BEA_IMMATRICULATIONS, as the base answers a school's requests (the tests and the demo
    play the base)."""

    def body(writer: Writer) -> None:
        with writer.section("IMMATRICULATIONS"):
            for answer in answers:
                element = etree.Element("IMMATRICULATION", {"DEMANDE_ID": answer.request_id})
                child(element, "RESULTAT", answer.result)
                if answer.ine:
                    child(element, "ID_NATIONAL", answer.ine)
                if answer.message:
                    child(element, "MESSAGE", answer.message)
                writer.record(element)

    return as_bytes(
        lambda target: write_document(
            target,
            header_for(header, RETURNS_ROOT, VERSION),
            body,
            exported_at=exported_at,
        )
    )


def acknowledgements_bytes(
    header: FileHeader,
    acknowledgements: Iterable[IneAcknowledgementRecord],
    *,
    exported_at: datetime | None = None,
) -> bytes:
    """BEE_ACCUSES_INE: for each answer read, whether the school took it."""

    def body(writer: Writer) -> None:
        with writer.section("ACCUSES"):
            for acknowledgement in acknowledgements:
                element = etree.Element("ACCUSE", {"DEMANDE_ID": acknowledgement.request_id})
                child(element, "ETAT", acknowledgement.state)
                if acknowledgement.ine:
                    child(element, "ID_NATIONAL", acknowledgement.ine)
                if acknowledgement.message:
                    child(element, "MESSAGE", acknowledgement.message[:200])
                writer.record(element)

    return as_bytes(
        lambda target: write_document(
            target,
            header_for(header, ACKNOWLEDGEMENTS_ROOT, VERSION),
            body,
            exported_at=exported_at,
        )
    )


def _return(element: etree._Element) -> list[IneReturnRecord]:
    fields = Fields(element, element.get("DEMANDE_ID"))
    result = fields.required_text("RESULTAT").upper()
    if result not in RESULTS:
        raise fields.problem(
            "RESULTAT",
            f"RESULTAT : « {result} » n'est ni {ASSIGNED}, ni {ALREADY_KNOWN}, ni {REJECTED}.",
        )
    return [
        IneReturnRecord(
            request_id=fields.required_attribute("DEMANDE_ID"),
            result=result,
            ine=fields.text("ID_NATIONAL"),
            message=fields.text("MESSAGE"),
            line=element.sourceline or 0,
        )
    ]


RETURN_RECORDS: dict[tuple[str, ...], RecordElement[IneReturnRecord]] = {
    ("DONNEES", "IMMATRICULATIONS", "IMMATRICULATION"): RecordElement(
        _return, by_attribute("DEMANDE_ID")
    ),
}


def read_returns(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[IneReturnRecord]:
    """BEA_IMMATRICULATIONS: the base's answers, one per request."""
    return ExchangeReading(source, file_name, RETURNS_ROOT, RETURN_RECORDS, max_bytes=max_bytes)


def _request(element: etree._Element) -> list[IneRequestRecord]:
    fields = Fields(element, element.get("DEMANDE_ID"))
    birth_date = fields.french_date("DATE_NAISS")
    if birth_date is None:
        raise fields.problem("DATE_NAISS", "DATE_NAISS est absent ou vide.")
    return [
        IneRequestRecord(
            request_id=fields.required_attribute("DEMANDE_ID"),
            student_siecle_id=fields.attribute("ELEVE_ID"),
            family_name=fields.required_text("NOM_DE_FAMILLE"),
            usage_name=fields.text("NOM_USAGE"),
            first_name=fields.required_text("PRENOM"),
            first_name_2=fields.text("PRENOM2"),
            first_name_3=fields.text("PRENOM3"),
            sex=fields.sex("CODE_SEXE") or "",
            birth_date=birth_date,
            birth_commune_code=fields.text("CODE_COMMUNE_INSEE_NAISS"),
            birth_city=fields.text("VILLE_NAISS"),
            birth_country_code=fields.text("CODE_PAYS") or FRANCE,
            mef_code=fields.text("CODE_MEF"),
            line=element.sourceline or 0,
        )
    ]


REQUEST_RECORDS: dict[tuple[str, ...], RecordElement[IneRequestRecord]] = {
    ("DONNEES", "DEMANDES", "DEMANDE"): RecordElement(_request, by_attribute("DEMANDE_ID")),
}


def read_requests(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[IneRequestRecord]:
    """BEE_DEMANDES_INE, as the base reads a school's file (the tests and the demo)."""
    return ExchangeReading(source, file_name, REQUESTS_ROOT, REQUEST_RECORDS, max_bytes=max_bytes)


def _acknowledgement(element: etree._Element) -> list[IneAcknowledgementRecord]:
    fields = Fields(element, element.get("DEMANDE_ID"))
    return [
        IneAcknowledgementRecord(
            request_id=fields.required_attribute("DEMANDE_ID"),
            state=fields.required_text("ETAT"),
            ine=fields.text("ID_NATIONAL"),
            message=fields.text("MESSAGE"),
            line=element.sourceline or 0,
        )
    ]


ACKNOWLEDGEMENT_RECORDS: dict[tuple[str, ...], RecordElement[IneAcknowledgementRecord]] = {
    ("DONNEES", "ACCUSES", "ACCUSE"): RecordElement(_acknowledgement, by_attribute("DEMANDE_ID")),
}


def read_acknowledgements(
    source: Source, file_name: str, *, max_bytes: int = MAX_XML_BYTES
) -> ExchangeReading[IneAcknowledgementRecord]:
    """BEE_ACCUSES_INE, as the base reads the school's accusé de réception."""
    return ExchangeReading(
        source, file_name, ACKNOWLEDGEMENTS_ROOT, ACKNOWLEDGEMENT_RECORDS, max_bytes=max_bytes
    )

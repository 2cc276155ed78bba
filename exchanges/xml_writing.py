"""What every exchange file we write shares: ISO-8859-15 with SIECLE's XML declaration,
PARAMETRES first, one small tree per record written as it comes (never the whole document in
memory), French dates, and the zip SIECLE serves each file in.

The writers stream into a binary file object (``target``); the ``*_bytes`` forms of the
writers gather the output for callers that want it whole (tests, small exports).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import IO, Any

from lxml import etree

from exchanges.records import FileHeader

ENCODING = "ISO-8859-15"
# SIECLE writes its declaration with double quotes; lxml's own uses single ones.
DECLARATION = b'<?xml version="1.0" encoding="ISO-8859-15"?>\n'
FRANCE = "100"


class UnwritableRecord(ValueError):
    """A record the format cannot carry as the real clients read it (a student born in France
    without an INSEE commune, without a sex...): which element, which id, which field, and why
    in French, for the secretariat to correct before exporting again."""

    def __init__(self, element: str, record_id: str | None, field: str, message: str) -> None:
        super().__init__(message)
        self.element = element
        self.record_id = record_id
        self.field = field
        self.message = message


def french_date(value: date | None) -> str | None:
    """DD/MM/YYYY, as SIECLE writes every date (DATE_NAISS, DATE_ENTREE...)."""
    return value.strftime("%d/%m/%Y") if value is not None else None


def flag(value: bool) -> str:
    return "1" if value else "0"


def boolean(value: bool) -> str:
    return "true" if value else "false"


def department_of(commune_code: str | None) -> str | None:
    """The three-character département of an INSEE commune code (075 for 75117, 02A for 2A004,
    971 for 97101), as SIECLE writes CODE_DEPARTEMENT."""
    if not commune_code or len(commune_code) != 5:
        return None
    if commune_code.startswith("97") or commune_code.startswith("98"):
        return commune_code[:3]
    return "0" + commune_code[:2]


def child(parent: etree._Element, tag: str, text: str | None = None) -> Any:
    """A child element; ``None`` text writes the empty element SIECLE writes for a blank field."""
    element = etree.SubElement(parent, tag)
    element.text = text or ""
    return element


class Writer:
    """An open exchange document: containers opened as the file goes, records written one
    small tree at a time, indented like SIECLE's files."""

    def __init__(self, xf: Any) -> None:
        self._xf = xf
        self._depth = 1

    @contextmanager
    def section(self, tag: str, **attributes: str) -> Iterator[None]:
        self._xf.write("\n" + "  " * self._depth)
        with self._xf.element(tag, attributes):
            self._depth += 1
            yield
            self._depth -= 1
            self._xf.write("\n" + "  " * self._depth)

    def record(self, element: etree._Element) -> None:
        etree.indent(element, space="  ", level=self._depth)
        self._xf.write("\n" + "  " * self._depth)
        self._xf.write(element)

    def empty(self, tag: str) -> None:
        self._xf.write("\n" + "  " * self._depth)
        self._xf.write(etree.Element(tag))


def parameters(header: FileHeader, exported_at: datetime) -> etree._Element:
    """PARAMETRES as SIECLE writes it: UAJ, ANNEE_SCOLAIRE, DATE_EXPORT, HORODATAGE."""
    element = etree.Element("PARAMETRES")
    child(element, "UAJ", header.uai)
    child(element, "ANNEE_SCOLAIRE", str(header.school_year) if header.school_year else None)
    child(element, "DATE_EXPORT", french_date(header.exported_on or exported_at.date()))
    child(element, "HORODATAGE", exported_at.strftime("%d/%m/%Y %H:%M:%S"))
    return element


def write_document(
    target: IO[bytes],
    header: FileHeader,
    body: Callable[[Writer], None],
    *,
    exported_at: datetime | None = None,
    head: Callable[[FileHeader, datetime], etree._Element] = parameters,
    preamble: Callable[[Writer], None] | None = None,
) -> None:
    """The declaration, the root (``header.root`` with its VERSION), PARAMETRES, what
    ``preamble`` writes (STS-WEB's NOMENCLATURES), then DONNEES filled by ``body``. Characters
    ISO-8859-15 cannot hold become character references."""
    at = exported_at or datetime.now().replace(microsecond=0)
    target.write(DECLARATION)
    with etree.xmlfile(target, encoding=ENCODING) as xf:
        root_attributes = {"VERSION": header.version} if header.version is not None else {}
        with xf.element(header.root, root_attributes):
            writer = Writer(xf)
            writer.record(head(header, at))
            if preamble is not None:
                preamble(writer)
            with writer.section("DONNEES"):
                body(writer)
            xf.write("\n")
    target.write(b"\n")


def as_bytes(write: Callable[[IO[bytes]], None]) -> bytes:
    buffer = io.BytesIO()
    write(buffer)
    return buffer.getvalue()


# The names SIECLE gives the files inside its zips (and the zips themselves).
STUDENTS_WITHOUT_ADDRESSES = "ElevesSansAdresses.xml"
STUDENTS_WITH_ADDRESSES = "ElevesAvecAdresses.xml"
GUARDIANS_WITH_ADDRESSES = "ResponsablesAvecAdresses.xml"
NOMENCLATURES = "Nomenclature.xml"


def structures_file_name(uai: str, school_year: int) -> str:
    """STS-WEB's name for its structures export: sts_emp_<UAI>_<YEAR>.xml."""
    return f"sts_emp_{uai}_{school_year}.xml"


def zipped(xml_name: str, data: bytes) -> tuple[str, bytes]:
    """One XML file in one zip, as SIECLE serves its exports: (``Name.zip``, the zip's bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(xml_name, data)
    stem = xml_name[:-4] if xml_name.lower().endswith(".xml") else xml_name
    return stem + ".zip", buffer.getvalue()

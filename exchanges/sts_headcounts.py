"""The headcounts per structure SCONET sends to STS-WEB (seed 002, event E: "Export effectif
par structure vers STS-WEB"; STS-WEB shows them as the structures' "effectifs calculés").

No published schema describes this file: it is written in STS-WEB's own style, the one of its
structures export STS_EDT (``exchanges.sts_writing``), so that whoever reads STS_EDT reads it
with the same paths:

- the root is ``STS_EFFECTIFS`` (no VERSION, like STS_EDT), then PARAMETRES exactly as
  STS_EDT writes them (UAJ and ANNEE_SCOLAIRE as attributes and as text);
- DONNEES/STRUCTURE/DIVISIONS/DIVISION[@CODE] and DONNEES/STRUCTURE/GROUPES/GROUPE[@CODE],
  with LIBELLE_LONG, MEFS_APPARTENANCE/MEF_APPARTENANCE[@CODE] and
  DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE[@CODE] as in STS_EDT;
- the counts are ``EFFECTIF_CALCULE`` elements, named after what STS-WEB shows and beside
  STS_EDT's own ``EFFECTIF_PREVU``: one per division and group, and one inside each
  MEF_APPARTENANCE of a division (its students following that MEF).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO

from lxml import etree

from exchanges.records import DivisionHeadcountRecord, FileHeader, GroupHeadcountRecord
from exchanges.sts_writing import sts_parameters
from exchanges.xml_writing import Writer, as_bytes, child, write_document

HEADCOUNTS_ROOT = "STS_EFFECTIFS"


def headcounts_file_name(uai: str, school_year: int) -> str:
    """Named like STS-WEB's structures export (sts_emp_<UAI>_<YEAR>.xml)."""
    return f"sts_effectifs_{uai}_{school_year}.xml"


def division_headcount_element(division: DivisionHeadcountRecord) -> etree._Element:
    element = etree.Element("DIVISION", CODE=division.code)
    child(element, "LIBELLE_LONG", division.label)
    child(element, "EFFECTIF_CALCULE", str(division.headcount))
    mefs = child(element, "MEFS_APPARTENANCE")
    for code, headcount in division.mef_headcounts:
        mef = etree.SubElement(mefs, "MEF_APPARTENANCE", CODE=code)
        child(mef, "EFFECTIF_CALCULE", str(headcount))
    return element


def group_headcount_element(group: GroupHeadcountRecord) -> etree._Element:
    element = etree.Element("GROUPE", CODE=group.code)
    child(element, "LIBELLE_LONG", group.label)
    child(element, "EFFECTIF_CALCULE", str(group.headcount))
    divisions = child(element, "DIVISIONS_APPARTENANCE")
    for code in group.division_codes:
        etree.SubElement(divisions, "DIVISION_APPARTENANCE", CODE=code)
    return element


def write_headcounts(
    target: IO[bytes],
    header: FileHeader,
    divisions: Iterable[DivisionHeadcountRecord],
    groups: Iterable[GroupHeadcountRecord],
    *,
    exported_at: datetime | None = None,
) -> None:
    def body(writer: Writer) -> None:
        with writer.section("STRUCTURE"):
            with writer.section("DIVISIONS"):
                for division in divisions:
                    writer.record(division_headcount_element(division))
            with writer.section("GROUPES"):
                for group in groups:
                    writer.record(group_headcount_element(group))

    write_document(
        target,
        FileHeader(
            root=HEADCOUNTS_ROOT,
            version=None,
            uai=header.uai,
            school_year=header.school_year,
            exported_on=header.exported_on,
        ),
        body,
        exported_at=exported_at,
        head=sts_parameters,
    )


def headcounts_bytes(
    header: FileHeader,
    divisions: Iterable[DivisionHeadcountRecord],
    groups: Iterable[GroupHeadcountRecord],
    *,
    exported_at: datetime | None = None,
) -> bytes:
    return as_bytes(
        lambda target: write_headcounts(target, header, divisions, groups, exported_at=exported_at)
    )

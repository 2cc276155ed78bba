"""The headcounts per structure for STS-WEB, written in STS_EDT's style: read back with the
paths a reader of STS_EDT uses, and by our own STS_EDT reader's structure paths."""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from exchanges.records import DivisionHeadcountRecord, FileHeader, GroupHeadcountRecord
from exchanges.sts_headcounts import headcounts_bytes, headcounts_file_name

HEADER = FileHeader("", None, "0931234X", 2026, date(2026, 9, 20))


def test_the_headcounts_are_written_in_sts_web_style() -> None:
    data = headcounts_bytes(
        HEADER,
        [
            DivisionHeadcountRecord("6A", "6E A", 27, (("10010012110", 25), ("10010012111", 2))),
            DivisionHeadcountRecord("6B", "6E B", 0, (("10010012110", 0),)),
        ],
        [GroupHeadcountRecord("LATIN", "Latin 6e", 9, ("6A", "6B"))],
        exported_at=datetime(2026, 9, 20, 10, 30),
    )
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>\n<STS_EFFECTIFS>')
    root = etree.fromstring(data)
    assert root.find("PARAMETRES/UAJ").get("CODE") == "0931234X"
    assert root.find("PARAMETRES/ANNEE_SCOLAIRE").get("ANNEE") == "2026"
    assert root.findtext("PARAMETRES/DATE_EXPORT") == "20/09/2026"
    first, second = root.iterfind("DONNEES/STRUCTURE/DIVISIONS/DIVISION")
    assert (first.get("CODE"), first.findtext("LIBELLE_LONG")) == ("6A", "6E A")
    assert first.findtext("EFFECTIF_CALCULE") == "27"
    assert [
        (m.get("CODE"), m.findtext("EFFECTIF_CALCULE"))
        for m in first.iterfind("MEFS_APPARTENANCE/MEF_APPARTENANCE")
    ] == [("10010012110", "25"), ("10010012111", "2")]
    assert second.findtext("EFFECTIF_CALCULE") == "0"
    (group,) = root.iterfind("DONNEES/STRUCTURE/GROUPES/GROUPE")
    assert group.get("CODE") == "LATIN" and group.findtext("EFFECTIF_CALCULE") == "9"
    assert [
        d.get("CODE") for d in group.iterfind("DIVISIONS_APPARTENANCE/DIVISION_APPARTENANCE")
    ] == ["6A", "6B"]


def test_its_file_is_named_like_sts_web_files() -> None:
    assert headcounts_file_name("0931234X", 2026) == "sts_effectifs_0931234X_2026.xml"

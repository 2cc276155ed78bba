"""The constat de rentrée as a PDF (A4): the school (name, UAI), the year, the counting day and
who froze it, its total, one table per breakdown (label, boys, girls, total) and the
anomalies found that day."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from documents.print_style import BLUE_FRANCE, HEADER_GREY, RULE, TEXT_GREY, printable

MARGIN = 1.8 * cm

_school = ParagraphStyle("constat_school", fontName="Helvetica-Bold", fontSize=12, leading=15)
_detail = ParagraphStyle(
    "constat_detail", fontName="Helvetica", fontSize=9.5, leading=12.5, textColor=TEXT_GREY
)
_title = ParagraphStyle(
    "constat_title",
    fontName="Helvetica-Bold",
    fontSize=16,
    leading=20,
    textColor=BLUE_FRANCE,
    spaceBefore=0.6 * cm,
    spaceAfter=0.4 * cm,
)
_heading = ParagraphStyle(
    "constat_heading", fontName="Helvetica-Bold", fontSize=11.5, leading=14, spaceBefore=12
)
_body = ParagraphStyle("constat_body", fontName="Helvetica", fontSize=10, leading=13)


@dataclass(frozen=True)
class ConstatTable:
    title: str
    # (label, boys, girls, total)
    rows: Sequence[tuple[str, int, int, int]]


@dataclass(frozen=True)
class ConstatDocument:
    school_name: str
    uai: str
    year_label: str
    counted_on: date
    taken_at: datetime
    actor_label: str
    total: int
    tables: Sequence[ConstatTable]
    # (kind, who)
    anomalies: Sequence[tuple[str, str]]


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _table(data: list[list[str]], widths: list[float], *, counts: bool = True) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ]
    if counts:
        style.append(("ALIGN", (1, 0), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def _breakdown(table: ConstatTable) -> list[Flowable]:
    data = [["", "Garçons", "Filles", "Total"]]
    data += [[printable(label), str(b), str(g), str(t)] for label, b, g, t in table.rows]
    data.append(
        [
            "Total",
            str(sum(r[1] for r in table.rows)),
            str(sum(r[2] for r in table.rows)),
            str(sum(r[3] for r in table.rows)),
        ]
    )
    return [
        KeepTogether(
            [
                _paragraph(table.title, _heading),
                _table(data, [8 * cm, 2.5 * cm, 2.5 * cm, 2.5 * cm]),
            ]
        )
    ]


def write_constat(constat: ConstatDocument) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.5 * cm,
        bottomMargin=MARGIN,
        title=f"Constat de rentrée {constat.year_label} — {constat.uai}",
        author="SCONET",
    )
    story: list[Flowable] = [
        _paragraph(constat.school_name, _school),
        _paragraph(f"UAI {constat.uai}", _detail),
        _paragraph(f"Constat de rentrée {constat.year_label}", _title),
        _paragraph(
            f"Élèves présents le {constat.counted_on:%d/%m/%Y} : {constat.total}. "
            f"Constat figé le {constat.taken_at:%d/%m/%Y à %H:%M} par {constat.actor_label}.",
            _body,
        ),
    ]
    for table in constat.tables:
        story += _breakdown(table)
    story.append(_paragraph(f"Anomalies ({len(constat.anomalies)})", _heading))
    if constat.anomalies:
        data = [["Anomalie", "Élève"]] + [
            [printable(kind), printable(who)] for kind, who in constat.anomalies
        ]
        story.append(_table(data, [8 * cm, 7.5 * cm], counts=False))
    else:
        story += [Spacer(1, 0.2 * cm), _paragraph("Aucune anomalie.", _body)]
    document.build(story)
    return buffer.getvalue()

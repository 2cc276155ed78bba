"""Fiches de renseignements as PDF (A4): what the school holds about a student (identity,
address, schooling, guardians with their contacts), handed to the family to check, with a
blank space for their corrections and their signature.

Several sheets go in one file (a whole division, printed in one go): one page each (a long
one runs over, and the next sheet starts on a new page).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from documents.print_style import BLUE_FRANCE, HEADER_GREY, RULE, TEXT_GREY, printable

MARGIN = 1.8 * cm
WIDTH = A4[0] - 2 * MARGIN

_school = ParagraphStyle("sheet_school", fontName="Helvetica-Bold", fontSize=11, leading=14)
_detail = ParagraphStyle(
    "sheet_detail", fontName="Helvetica", fontSize=9, leading=11.5, textColor=TEXT_GREY
)
_title = ParagraphStyle(
    "sheet_title",
    fontName="Helvetica-Bold",
    fontSize=15,
    leading=19,
    alignment=1,
    textColor=BLUE_FRANCE,
    spaceBefore=0.5 * cm,
    spaceAfter=0.2 * cm,
)
_subtitle = ParagraphStyle("sheet_subtitle", parent=_detail, alignment=1, spaceAfter=0.4 * cm)
_heading = ParagraphStyle(
    "sheet_heading",
    fontName="Helvetica-Bold",
    fontSize=10.5,
    leading=13,
    textColor=BLUE_FRANCE,
    spaceBefore=8,
    spaceAfter=3,
)
_label = ParagraphStyle("sheet_label", fontName="Helvetica", fontSize=8.5, leading=10.5)
_value = ParagraphStyle("sheet_value", fontName="Helvetica-Bold", fontSize=9, leading=11)


@dataclass(frozen=True)
class SheetPart:
    """A block of the sheet: its heading and (label, value) rows."""

    heading: str
    rows: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class InformationSheet:
    school_lines: Sequence[str]
    year_label: str
    student: SheetPart
    schooling: SheetPart
    guardians: Sequence[SheetPart] = field(default_factory=list)
    place_and_date: str = ""


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    # Line breaks of a postal address are kept.
    return Paragraph("<br/>".join(escape(printable(t)) for t in text.split("\n")), style)


def _part(part: SheetPart) -> Flowable:
    rows = [
        [_paragraph(label, _label), _paragraph(value or "—", _value)] for label, value in part.rows
    ]
    table = Table(rows, colWidths=[4.6 * cm, WIDTH - 4.6 * cm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (0, -1), HEADER_GREY),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return KeepTogether([_paragraph(part.heading, _heading), table])


def _blank(label: str, height: float) -> Flowable:
    box = Table([[_paragraph(label, _label)], [""]], colWidths=[WIDTH], rowHeights=[None, height])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, RULE)]))
    return box


def _story(sheet: InformationSheet) -> list[Flowable]:
    first, *others = sheet.school_lines or [""]
    story: list[Flowable] = [_paragraph(first, _school)]
    story += [_paragraph(line, _detail) for line in others]
    story += [
        _paragraph("FICHE DE RENSEIGNEMENTS", _title),
        _paragraph(
            f"Année scolaire {sheet.year_label} — à vérifier par la famille, à corriger si "
            "besoin et à rendre signée à l'établissement",
            _subtitle,
        ),
        _part(sheet.student),
        _part(sheet.schooling),
    ]
    story += [_part(part) for part in sheet.guardians]
    if not sheet.guardians:
        story.append(_paragraph("Aucun responsable n'est enregistré.", _label))
    story += [
        Spacer(1, 8),
        KeepTogether(
            [
                _paragraph("Corrections à apporter", _heading),
                _blank("Indiquez ici ce qui est inexact ou manquant.", 3.2 * cm),
                Spacer(1, 6),
                _blank(
                    "Date et signature du ou des responsables légaux"
                    + (f" — {sheet.place_and_date}" if sheet.place_and_date else ""),
                    2.2 * cm,
                ),
            ]
        ),
    ]
    return story


def write_information_sheets(
    sheets: Sequence[InformationSheet], title: str = "Fiches de renseignements"
) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.3 * cm,
        bottomMargin=1.3 * cm,
        title=title,
        author="SCONET",
    )
    story: list[Flowable] = []
    for n, sheet in enumerate(sheets):
        if n:
            story.append(PageBreak())
        story += _story(sheet)
    if not story:
        story.append(_paragraph("Aucun élève.", _label))
    document.build(story)
    return buffer.getvalue()

"""The printable class list (PDF, A4): a numbered table of the students, with headcounts.

Every page carries the school (name and UAI), the population and school
year, the printing date and "page X / Y"; the table's header row repeats
on each page. The standard Helvetica fonts encode WinAnsi, which covers
French (accents, œ, «»).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from api.exports.columns import CellValue, Column
from api.exports.rows import ExportTable
from core import clock
from documents.print_style import (
    BLUE_FRANCE,
    HEADER_GREY,
    RULE,
    STRIPE,
    TEXT_GREY,
    printable,
)

MARGIN = 1.5 * cm

# Columns of a known, short content get a fixed width (cm); the others share the rest.
FIXED_WIDTHS = {
    "sexe": 1.3,
    "division": 1.7,
    "mef": 1.9,
    "code_mef": 2.4,
    "ine": 2.5,
    "regime": 3.3,
    "telephone_responsable1": 2.8,
}
DATE_WIDTH = 2.2
FLEXIBLE_WEIGHTS = {
    "nom": 4.0,
    "nom_usage": 3.5,
    "prenom": 3.5,
    "prenoms": 5.0,
    "groupes": 3.0,
    "lieu_naissance": 4.0,
    "responsable1": 5.0,
    "responsable2": 5.0,
    "email_responsable1": 5.5,
}
NUMBER_WIDTH = 0.9 * cm
# A flexible column is never narrower than this (cm) unless the whole table must shrink.
MIN_FLEXIBLE = 2.5
# Reportlab's frames pad their content by 6 points on each side.
FRAME_PADDING = 6
# More columns than this and the list is printed in landscape.
PORTRAIT_MAX_COLUMNS = 7

HEADINGS = {
    "division": "Liste de classe",
    "group": "Liste de groupe",
    "mef": "Liste des élèves",
    "school": "Liste des élèves de l'établissement",
}

_cell = ParagraphStyle("cell", fontName="Helvetica", fontSize=9, leading=11)
_cell_right = ParagraphStyle("cell_right", parent=_cell, alignment=TA_RIGHT)
# E-mail addresses have no spaces: let them break anywhere.
_cell_anywhere = ParagraphStyle("cell_anywhere", parent=_cell, wordWrap="CJK")
_head = ParagraphStyle("head", parent=_cell, fontName="Helvetica-Bold")
_school = ParagraphStyle("school", fontName="Helvetica-Bold", fontSize=12, leading=15)
_school_detail = ParagraphStyle(
    "school_detail", fontName="Helvetica", fontSize=9, leading=12, textColor=TEXT_GREY
)
_title = ParagraphStyle(
    "title", fontName="Helvetica-Bold", fontSize=16, leading=20, textColor=BLUE_FRANCE
)
_subtitle = ParagraphStyle("subtitle", fontName="Helvetica", fontSize=10.5, leading=14)
_count = ParagraphStyle("count", fontName="Helvetica-Bold", fontSize=10.5, leading=14)


# Letters with no decomposition that Helvetica (WinAnsi) cannot draw.


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return printable(value)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count <= 1 else plural}"


def headcount_line(table: ExportTable) -> str:
    """ "Effectif : 28 élèves — 13 garçons, 15 filles"."""
    return (
        f"Effectif : {_plural(len(table.rows), 'élève', 'élèves')} — "
        f"{_plural(table.boys, 'garçon', 'garçons')}, {_plural(table.girls, 'fille', 'filles')}"
    )


def _widths(columns: list[Column], available: float) -> list[float]:
    """N° first; fixed widths for short contents, the remaining width shared by weight."""
    fixed = {
        i: (DATE_WIDTH if c.is_date else FIXED_WIDTHS[c.key]) * cm
        for i, c in enumerate(columns)
        if c.is_date or c.key in FIXED_WIDTHS
    }
    weights = {i: FLEXIBLE_WEIGHTS.get(c.key, 3.0) for i, c in enumerate(columns) if i not in fixed}
    room = available - NUMBER_WIDTH - sum(fixed.values())
    total_weight = sum(weights.values())
    widths = dict(fixed)
    if weights:
        unit = room / total_weight
        widths |= {i: max(weight * unit, MIN_FLEXIBLE * cm) for i, weight in weights.items()}
    # Too many columns for the page: shrink them all alike.
    scale = min(1.0, (available - NUMBER_WIDTH) / sum(widths.values()))
    return [NUMBER_WIDTH, *(widths[i] * scale for i in range(len(columns)))]


def _table(table: ExportTable, available: float) -> Table:
    header = [Paragraph("N°", _head)] + [
        Paragraph(escape(c.short_header or c.header), _head) for c in table.columns
    ]
    styles = [_cell_anywhere if c.key.startswith("email") else _cell for c in table.columns]
    data: list[list[Any]] = [header]
    for number, row in enumerate(table.rows, start=1):
        data.append(
            [Paragraph(str(number), _cell_right)]
            + [
                Paragraph(escape(_text(value)), style)
                for value, style in zip(row.values, styles, strict=True)
            ]
        )
    grid = Table(data, colWidths=_widths(table.columns, available), repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, BLUE_FRANCE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), STRIPE) for i in range(2, len(data), 2)]
    grid.setStyle(TableStyle(style))
    return grid


def _numbered_canvas(table: ExportTable, printed_on: date) -> type[Canvas]:
    """A canvas that draws the running header and "page X / Y" once the page count is known."""
    left = printable(f"{table.school_name} — UAI {table.school_uai}")
    right = printable(f"{table.label} — {table.year_label}")
    printed = f"Édité le {printed_on.strftime('%d/%m/%Y')}"

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = self._pagesize
            x_left, x_right = MARGIN + FRAME_PADDING, width - MARGIN - FRAME_PADDING
            self.saveState()
            self.setFont("Helvetica", 8)
            self.setFillColor(TEXT_GREY)
            top = height - MARGIN + 0.6 * cm
            self.drawString(x_left, top, left)
            self.drawRightString(x_right, top, right)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            self.line(x_left, top - 0.15 * cm, x_right, top - 0.15 * cm)
            bottom = MARGIN - 0.8 * cm
            self.line(x_left, bottom + 0.35 * cm, x_right, bottom + 0.35 * cm)
            self.drawString(x_left, bottom, printed)
            self.drawRightString(x_right, bottom, f"page {number} / {total}")
            self.restoreState()

    return NumberedCanvas


def write_class_list(table: ExportTable, printed_on: date | None = None) -> bytes:
    printed_on = printed_on or clock.today()
    pagesize = A4 if len(table.columns) <= PORTRAIT_MAX_COLUMNS else landscape(A4)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 0.4 * cm,
        bottomMargin=MARGIN,
        title=table.title,
        author="SCONET",
        subject=HEADINGS[table.kind],
        creator="SCONET",
    )
    place = f"UAI {table.school_uai}"
    if table.school_city:
        place += f" — {table.school_city}"
    heading = HEADINGS[table.kind]
    if table.kind != "school":
        heading += f" — {table.label}"
    story: list[Flowable] = [
        Paragraph(escape(printable(table.school_name)), _school),
        Paragraph(escape(printable(place)), _school_detail),
        Spacer(1, 0.5 * cm),
        Paragraph(escape(printable(heading)), _title),
        Paragraph(
            escape(
                f"Année scolaire {table.year_label} — édité le {printed_on.strftime('%d/%m/%Y')}"
            ),
            _subtitle,
        ),
        Spacer(1, 0.4 * cm),
    ]
    if table.rows:
        story.append(_table(table, document.width - 2 * FRAME_PADDING))
    else:
        story.append(Paragraph("Aucun élève dans cette liste.", _subtitle))
    story.append(KeepTogether([Spacer(1, 0.4 * cm), Paragraph(headcount_line(table), _count)]))
    document.build(story, canvasmaker=_numbered_canvas(table, printed_on))
    return buffer.getvalue()

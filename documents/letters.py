"""Letters to families as PDF (A4): the school's logo and address, the recipient's address
where a window envelope shows it, place and date, subject, the text, a table, the signature.

Several letters go in one file to print them in one go; each starts on a new page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from documents.print_style import BLUE_FRANCE, HEADER_GREY, RULE, STRIPE, TEXT_GREY, printable

MARGIN = 2 * cm
LOGO_MAX = (4 * cm, 2.5 * cm)

_school = ParagraphStyle("letter_school", fontName="Helvetica-Bold", fontSize=11, leading=14)
_school_detail = ParagraphStyle(
    "letter_school_detail", fontName="Helvetica", fontSize=9, leading=12, textColor=TEXT_GREY
)
_recipient = ParagraphStyle("letter_recipient", fontName="Helvetica", fontSize=11, leading=14)
_date = ParagraphStyle("letter_date", fontName="Helvetica", fontSize=10.5, leading=14)
_subject = ParagraphStyle(
    "letter_subject", fontName="Helvetica-Bold", fontSize=11, leading=14, textColor=BLUE_FRANCE
)
_body = ParagraphStyle(
    "letter_body", fontName="Helvetica", fontSize=10.5, leading=14.5, spaceAfter=8
)
_cell = ParagraphStyle("letter_cell", fontName="Helvetica", fontSize=9, leading=11)
_head = ParagraphStyle("letter_head", parent=_cell, fontName="Helvetica-Bold")
_signature = ParagraphStyle("letter_signature", parent=_body, leftIndent=9.5 * cm, spaceBefore=18)


@dataclass(frozen=True)
class LetterTable:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Letter:
    school_lines: Sequence[str]
    recipient_lines: Sequence[str]
    place_and_date: str
    subject: str
    # Paragraphs separated by blank lines; a paragraph equal to ``table_mark`` is the table.
    body: str
    table_mark: str
    table: LetterTable
    signature: str = ""
    logo: bytes | None = None


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)).replace("\n", "<br/>"), style)


def _logo(content: bytes) -> Flowable | None:
    try:
        reader = ImageReader(io.BytesIO(content))
        width, height = reader.getSize()
    except Exception:
        return None
    scale = min(LOGO_MAX[0] / width, LOGO_MAX[1] / height, 1.0)
    return Image(io.BytesIO(content), width=width * scale, height=height * scale)


def _heading(letter: Letter) -> Table:
    school: list[Flowable] = []
    if letter.logo:
        logo = _logo(letter.logo)
        if logo is not None:
            school += [logo, Spacer(1, 4)]
    first, *others = letter.school_lines or [""]
    school.append(_paragraph(first, _school))
    school += [_paragraph(line, _school_detail) for line in others]
    recipient = [Spacer(1, 1.6 * cm)] + [
        _paragraph(line, _recipient) for line in letter.recipient_lines
    ]
    table = Table([[school, recipient]], colWidths=[8.5 * cm, 8.5 * cm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 1.5 * cm),
            ]
        )
    )
    return table


def _table(table: LetterTable) -> Table:
    data = [[_paragraph(h, _head) for h in table.headers]]
    data += [[_paragraph(value, _cell) for value in row] for row in table.rows]
    flowable = Table(data, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    style += [("BACKGROUND", (0, n), (-1, n), STRIPE) for n in range(2, len(data), 2)]
    flowable.setStyle(TableStyle(style))
    return flowable


def _story(letter: Letter) -> list[Flowable]:
    story: list[Flowable] = [
        _heading(letter),
        Spacer(1, 1 * cm),
        _paragraph(letter.place_and_date, _date),
        Spacer(1, 0.4 * cm),
    ]
    if letter.subject:
        story += [_paragraph(f"Objet : {letter.subject}", _subject), Spacer(1, 0.4 * cm)]
    for paragraph in letter.body.split("\n\n"):
        if paragraph.strip() == letter.table_mark:
            story += [_table(letter.table), Spacer(1, 8)]
        elif paragraph.strip():
            story.append(_paragraph(paragraph.strip(), _body))
    if letter.signature:
        story.append(_paragraph(letter.signature, _signature))
    return story


def write_letters(letters: Sequence[Letter], title: str = "Courriers aux familles") -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.5 * cm,
        bottomMargin=MARGIN,
        title=title,
        author="SCONET",
    )
    story: list[Flowable] = []
    for n, letter in enumerate(letters):
        if n:
            story.append(PageBreak())
        story += _story(letter)
    if not story:
        story.append(Paragraph("Aucun courrier.", _body))
    document.build(story)
    return buffer.getvalue()

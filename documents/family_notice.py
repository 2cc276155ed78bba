"""The term's notice to a family (avis aux familles) as a PDF (A4): the school (name, UAI,
address), the payer's address where a window envelope shows it, the term, then per child the
charges with how they were reached, the reductions and the scholarship deducted, the
payments of the term, and the summary: previous balance, the term's figures, the balance
due and its due date.

Several notices go in one file to print them in one go; each starts on a new page. The
amounts arrive as text already written the French way (the domain formats them).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
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

_school = ParagraphStyle("notice_school", fontName="Helvetica-Bold", fontSize=11, leading=14)
_detail = ParagraphStyle(
    "notice_detail", fontName="Helvetica", fontSize=9, leading=12, textColor=TEXT_GREY
)
_recipient = ParagraphStyle("notice_recipient", fontName="Helvetica", fontSize=10.5, leading=14)
_title = ParagraphStyle(
    "notice_title",
    fontName="Helvetica-Bold",
    fontSize=14,
    leading=18,
    textColor=BLUE_FRANCE,
    spaceBefore=0.5 * cm,
    spaceAfter=0.15 * cm,
)
_heading = ParagraphStyle(
    "notice_heading", fontName="Helvetica-Bold", fontSize=10.5, leading=13, spaceBefore=8
)
_body = ParagraphStyle("notice_body", fontName="Helvetica", fontSize=9.5, leading=12.5)
_cell = ParagraphStyle("notice_cell", fontName="Helvetica", fontSize=8.5, leading=10.5)
_head = ParagraphStyle("notice_head", parent=_cell, fontName="Helvetica-Bold")
_strong = ParagraphStyle("notice_strong", parent=_body, fontName="Helvetica-Bold", fontSize=10.5)


@dataclass(frozen=True)
class NoticeRow:
    label: str
    detail: str
    amount: str


@dataclass(frozen=True)
class NoticeChild:
    name: str
    rows: Sequence[NoticeRow]
    total: str


@dataclass(frozen=True)
class NoticeDocument:
    school_lines: Sequence[str]
    recipient_lines: Sequence[str]
    title: str
    reference: str
    children: Sequence[NoticeChild]
    # (date, nature, reference, amount)
    payments: Sequence[tuple[str, str, str, str]]
    # (label, amount); the last is the balance due.
    summary: Sequence[tuple[str, str]]
    closing: str


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)).replace("\n", "<br/>"), style)


def _heading_block(notice: NoticeDocument) -> Table:
    first, *others = notice.school_lines or [""]
    school = [_paragraph(first, _school)] + [_paragraph(line, _detail) for line in others]
    recipient: list[Flowable] = [Spacer(1, 1.2 * cm)]
    recipient += [_paragraph(line, _recipient) for line in notice.recipient_lines]
    table = Table([[school, recipient]], colWidths=[WIDTH / 2, WIDTH / 2])
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


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: list[float]) -> Table:
    data = [[_paragraph(h, _head) for h in headers]]
    data += [[_paragraph(value, _cell) for value in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _child(child: NoticeChild) -> Flowable:
    rows = [[row.label, row.detail, row.amount] for row in child.rows]
    rows.append(["Total de l'élève", "", child.total])
    return KeepTogether(
        [
            _paragraph(child.name, _heading),
            _table(("Nature", "Détail", "Montant"), rows, [5 * cm, WIDTH - 8 * cm, 3 * cm]),
        ]
    )


def _summary(notice: NoticeDocument) -> Table:
    data = [
        [_paragraph(label, _body), _paragraph(amount, _body)]
        for label, amount in notice.summary[:-1]
    ]
    label, amount = notice.summary[-1]
    data.append([_paragraph(label, _strong), _paragraph(amount, _strong)])
    table = Table(data, colWidths=[WIDTH - 4 * cm, 4 * cm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 1, BLUE_FRANCE),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _story(notice: NoticeDocument) -> list[Flowable]:
    story: list[Flowable] = [
        _heading_block(notice),
        _paragraph(notice.title, _title),
        _paragraph(notice.reference, _detail),
    ]
    for child in notice.children:
        story.append(_child(child))
    story.append(_paragraph("Paiements du trimestre", _heading))
    if notice.payments:
        story.append(
            _table(
                ("Date", "Nature", "Référence", "Montant"),
                [list(p) for p in notice.payments],
                [2.5 * cm, 5 * cm, WIDTH - 10.5 * cm, 3 * cm],
            )
        )
    else:
        story.append(_paragraph("Aucun paiement enregistré au cours du trimestre.", _body))
    story += [Spacer(1, 0.3 * cm), _summary(notice), Spacer(1, 0.3 * cm)]
    story.append(_paragraph(notice.closing, _body))
    return story


def write_notices(notices: Sequence[NoticeDocument], title: str = "Avis aux familles") -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=1.5 * cm,
        bottomMargin=MARGIN,
        title=printable(title),
        author="SCONET",
    )
    story: list[Flowable] = []
    for n, notice in enumerate(notices):
        if n:
            story.append(PageBreak())
        story += _story(notice)
    if not story:
        story.append(_paragraph("Aucun avis.", _body))
    document.build(story)
    return buffer.getvalue()

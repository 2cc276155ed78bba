"""Certificats de scolarité as PDF (A4): the school's header (name, address, UAI), the
principal's statement that the student is enrolled, place and date, the signature line.

Several certificates go in one file (a whole division, printed in one go): one page each.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from documents.print_style import BLUE_FRANCE, TEXT_GREY, printable

MARGIN = 2 * cm

_school = ParagraphStyle("certificate_school", fontName="Helvetica-Bold", fontSize=12, leading=15)
_school_detail = ParagraphStyle(
    "certificate_school_detail",
    fontName="Helvetica",
    fontSize=9.5,
    leading=12.5,
    textColor=TEXT_GREY,
)
_title = ParagraphStyle(
    "certificate_title",
    fontName="Helvetica-Bold",
    fontSize=17,
    leading=21,
    alignment=1,
    textColor=BLUE_FRANCE,
    spaceBefore=1.2 * cm,
    spaceAfter=1 * cm,
)
_body = ParagraphStyle(
    "certificate_body", fontName="Helvetica", fontSize=11.5, leading=17, spaceAfter=10
)
_place = ParagraphStyle("certificate_place", parent=_body, leftIndent=9.5 * cm, spaceBefore=24)
_signature = ParagraphStyle("certificate_signature", parent=_body, leftIndent=9.5 * cm)
_note = ParagraphStyle(
    "certificate_note", fontName="Helvetica", fontSize=8.5, leading=11, textColor=TEXT_GREY
)


@dataclass(frozen=True)
class Certificate:
    """One certificate, its sentences already written in French."""

    school_lines: Sequence[str]
    statement: Sequence[str]
    place_and_date: str
    signatory: str = "Le chef d'établissement"
    note: str = ""


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _story(certificate: Certificate) -> list[Flowable]:
    first, *others = certificate.school_lines or [""]
    story: list[Flowable] = [_paragraph(first, _school)]
    story += [_paragraph(line, _school_detail) for line in others]
    story.append(_paragraph("CERTIFICAT DE SCOLARITÉ", _title))
    story += [_paragraph(sentence, _body) for sentence in certificate.statement]
    story += [
        _paragraph(certificate.place_and_date, _place),
        _paragraph(certificate.signatory, _signature),
        Spacer(1, 2.2 * cm),
        _paragraph("Signature et cachet de l'établissement", _signature),
    ]
    if certificate.note:
        story += [Spacer(1, 1.5 * cm), _paragraph(certificate.note, _note)]
    return story


def write_certificates(
    certificates: Sequence[Certificate], title: str = "Certificats de scolarité"
) -> bytes:
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
    for n, certificate in enumerate(certificates):
        if n:
            story.append(PageBreak())
        story += _story(certificate)
    if not story:
        story.append(_paragraph("Aucun élève.", _body))
    document.build(story)
    return buffer.getvalue()

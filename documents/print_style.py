"""What every printed document of the product shares: the State's palette (DSFR) and text as
the PDF's standard fonts can draw it."""

from __future__ import annotations

import unicodedata

from reportlab.lib import colors

HEADER_GREY = colors.HexColor("#e3e3fd")  # DSFR blue-france 925
STRIPE = colors.HexColor("#f6f6f6")
RULE = colors.HexColor("#929292")
TEXT_GREY = colors.HexColor("#3a3a3a")
BLUE_FRANCE = colors.HexColor("#000091")


_FALLBACK = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h"}


def _winansi_char(char: str) -> str:
    try:
        char.encode("cp1252")
        return char
    except UnicodeEncodeError:
        pass
    if char in _FALLBACK:
        return _FALLBACK[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    try:
        base.encode("cp1252")
        return base or "?"
    except UnicodeEncodeError:
        return "?"


def printable(text: str) -> str:
    """The text as Helvetica draws it: French is kept whole (é, œ, «»); a letter it
    has no glyph for loses its diacritic ("Şahin" -> "Sahin") instead of printing a box."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        return "".join(_winansi_char(char) for char in text)

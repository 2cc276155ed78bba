"""Motive colours that can be read: contrast after WCAG 2.1 (success criteria 1.4.3 and 1.4.11).

A motive's colour fills its cells on the absence grid and its swatch in the legend, with the
motive's code written on it. The colour must stand out from the white page (3:1, the contrast
of a graphical object) and its code must be readable on it (4.5:1, the contrast of text):
``text_colour`` picks the letters' colour that reaches 4.5:1 on any colour a school may
choose. The national defaults also have luminances far enough apart to be told apart in grey.
"""

from __future__ import annotations

import re

from core.errors import FieldError

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
WHITE = "#ffffff"
# DSFR's text grey (grey-50-1000), then pure black for the few mid colours on which neither
# white nor that grey reaches 4.5:1.
DARK_TEXT = "#161616"
BLACK = "#000000"
# WCAG 2.1: 1.4.11 (non-text contrast) for the colour against the page, 1.4.3 for the code.
MIN_AGAINST_PAGE = 3.0
MIN_FOR_TEXT = 4.5


def _channel(value: int) -> float:
    """An sRGB channel (0-255) made linear, as the WCAG definition of relative luminance."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``: 0 for black, 1 for white."""
    if not COLOUR.match(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour(background: str) -> str:
    """The colour of letters written on ``background``: white if it reaches 4.5:1, else the
    DSFR text grey, else black; the most contrasted of them for a colour on which none does
    (only a very light one, which a school can no longer choose)."""
    candidates = (WHITE, DARK_TEXT, BLACK)
    for candidate in candidates:
        if contrast_ratio(candidate, background) >= MIN_FOR_TEXT:
            return candidate
    return max(candidates, key=lambda candidate: contrast_ratio(candidate, background))


def _refused_ratio_fr(ratio: float) -> str:
    # Rounded to two decimals, but a refused 2.996:1 is not shown as 3,00:1.
    return f"{min(round(ratio, 2), MIN_AGAINST_PAGE - 0.01):.2f}".replace(".", ",")


def check_motive_colour(colour: str, field: str = "colour") -> list[FieldError]:
    """The errors of a colour a school chooses for a motive (none when it may be saved)."""
    if not COLOUR.match(colour):
        return [FieldError(field, "INVALID", "Couleur au format #rrggbb.")]
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_AGAINST_PAGE:
        return [
            FieldError(
                field,
                "LOW_CONTRAST",
                f"Couleur trop claire : son contraste avec le fond blanc est de "
                f"{_refused_ratio_fr(ratio)}:1, il faut au moins 3:1. Choisissez une couleur plus foncée.",
            )
        ]
    return []

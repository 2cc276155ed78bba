"""The INE (identifiant national élève) as the académie base issues it: the one definition the
student record, the inscription, the SIECLE and import privé files, the BEA's returns and
GraphQL all check against.

Three shapes, 11 characters each:

- 10 digits and a letter: the INE-RNIE, and the BEA's before 2018;
- 9 digits and 2 letters: the BEA's since 2018;
- an apprentice's: 4 digits, the letter A, 5 digits and a letter.

The last letter is a check letter, but none of the project's sources (seeds 001 and 002)
documents how it is computed: only the shape is checked, never the letter's value.
"""

from __future__ import annotations

import re

INE_LENGTH = 11
INE_SHAPES = re.compile(r"^(\d{10}[A-Z]|\d{9}[A-Z]{2}|\d{4}A\d{5}[A-Z])$")
INE_HINT = (
    "10 chiffres et une lettre, 9 chiffres et 2 lettres, ou pour un apprenti 4 chiffres, "
    "la lettre A, 5 chiffres et une lettre"
)


def normalized_ine(value: str) -> str:
    """As entered or read: spaces dropped, upper case (the files and people write either)."""
    return "".join(value.split()).upper()


def ine_problem(value: str, label: str = "L'INE") -> str | None:
    """Why ``value`` (normalized) is not an INE, in French naming the field, or ``None``."""
    if INE_SHAPES.match(value):
        return None
    return f"{label} n'est pas valide : attendu {INE_HINT}."


def is_ine(value: str) -> bool:
    return INE_SHAPES.match(value) is not None

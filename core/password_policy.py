"""What a password chosen by a person must not be, as NIST SP 800-63B (5.1.1.2) asks of a
verifier: too short, one of the commonly used passwords, repetitive or sequential characters,
or words of the context (the login, the e-mail address). No composition rule (a digit, a
capital...): length and unpredictability are what resist guessing.

In ``core`` because it is a rule without storage, for every portal where people choose a
password. The list of common passwords ships beside this module (``common_passwords.txt``).
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"
# Runs people type for a "password": alphabet, digits and keyboard rows (French and English).
_SEQUENCES = (
    string.ascii_lowercase,
    "01234567890123456789",
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
)
# The shortest stem still worth comparing once the digits and signs people append are removed.
_STEM = 6


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _stem(lowered: str) -> str:
    """The password without the digits and signs appended to it ("soleil2024!" -> "soleil")."""
    return lowered.rstrip(string.digits + string.punctuation + " ")


def _repetitive(text: str) -> bool:
    """A character or a pattern repeated: "aaaaaaaaaa", "ababababab", "bonjourbonjour"."""
    if len(set(text)) < 4:
        return True
    for period in range(1, len(text) // 2 + 1):
        if all(text[i] == text[i % period] for i in range(len(text))):
            return True
    return False


def _sequential(text: str) -> bool:
    """A run of an alphabet, of the digits or of a keyboard row, forwards or backwards."""
    return any(text in run or text in run[::-1] for run in _SEQUENCES)


def password_problem(password: str, *, login: str = "", email: str = "") -> str | None:
    """Why ``password`` is refused, in French and naming the field, or None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe compte au moins {MIN_LENGTH} caractères."
    lowered = password.lower()
    stem = _stem(lowered)
    candidates = [lowered] + ([stem] if len(stem) >= _STEM and stem != lowered else [])
    if any(candidate in common_passwords() for candidate in candidates):
        return (
            "Ce mot de passe fait partie des plus courants, que l'on essaie en premier : "
            "choisissez-en un autre."
        )
    if any(_repetitive(candidate) for candidate in candidates):
        return (
            "Le mot de passe répète un même caractère ou un même motif : "
            "choisissez-en un moins prévisible."
        )
    if any(_sequential(candidate) for candidate in candidates):
        return (
            "Le mot de passe est une suite de caractères (123456…, abcdef…, azerty…) : "
            "choisissez-en un moins prévisible."
        )
    login = login.strip().lower()
    if len(login) >= 3 and login in lowered:
        return "Le mot de passe ne doit pas contenir votre identifiant."
    local_part = email.strip().lower().partition("@")[0]
    if len(local_part) >= 3 and local_part in lowered:
        return "Le mot de passe ne doit pas contenir votre adresse électronique."
    return None

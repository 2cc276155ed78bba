"""Activation codes as families type them: ``XXXX-XXX-XXX-XXX``, 13 characters drawn by the
operating system's cryptographic generator from an alphabet without look-alikes (no 0/O,
1/I/L, 2/Z, 5/S, 8/B: both sides of each pair are left out, so a code read aloud or copied
by hand is never ambiguous), about 60 bits. Case, spaces and dashes do not matter."""

from __future__ import annotations

import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GROUPS = (4, 3, 3, 3)
LENGTH = sum(GROUPS)


def new_code() -> str:
    """A fresh code, grouped for reading."""
    return grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def grouped(raw: str) -> str:
    parts, start = [], 0
    for size in GROUPS:
        parts.append(raw[start : start + size])
        start += size
    return "-".join(parts)


def normalised(typed: str) -> str | None:
    """The code a family typed, grouped, or None when it cannot be one."""
    compact = "".join(ch for ch in typed.upper() if ch not in " -\t.")
    if len(compact) != LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return grouped(compact)

"""Activation codes as families type them and as the télé-services database keeps them.

Format: ``XXXX-XXX-XXX-XXX``, 13 characters drawn by the operating system's cryptographic
generator from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B: both sides of
each pair are left out, so a code read aloud or copied by hand is never ambiguous), about 60
bits. Case, spaces and dashes do not matter when typed.

Storage: argon2id (salted, deliberately slow) so that a copy of the télé-services database
does not give the codes away, and a 16-bit lookup key (from SHA-256) so that a login checks
the one or two codes of the same birth date and key instead of every code. 16 bits told
leave 44 unknown: far beyond guessing at argon2id's cost.

Here, apart from ``api/``, because both sides use it: the staff side makes codes, the
families portal (which never loads ``api.resolvers``) checks them.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
GROUPS = (4, 3, 3, 3)
LENGTH = sum(GROUPS)
# Light enough for mass generation (about 5 ms a code), far too slow for guessing 2^44.
HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


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


def lookup_key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:4]


def hash_code(code: str) -> str:
    return HASHER.hash(code)


def code_matches(code_hash: str, code: str) -> bool:
    try:
        return HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False

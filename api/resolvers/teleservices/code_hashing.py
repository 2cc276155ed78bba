"""How an activation code is kept where families log in: argon2id (salted, deliberately slow)
so that a copy of the télé-services database does not give the codes away, and a 16-bit
lookup key (from SHA-256) so that a login only checks the one or two codes of the same birth
date and key instead of every code. 16 bits told leaves 44 unknown: far beyond guessing at
argon2id's cost."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Light enough for mass generation (about 5 ms a code), far too slow for guessing 2^44.
HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def lookup_key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:4]


def hash_code(code: str) -> str:
    return HASHER.hash(code)


def code_matches(code_hash: str, code: str) -> bool:
    try:
        return HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False

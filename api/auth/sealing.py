"""Encryption at rest of the few secrets the application must read back.

TOTP secrets, token-signing private keys and (télé-services) activation codes
are sealed with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
``SCONET_SECRET_KEY`` for one purpose, so a key for one use never opens
another's data. A database dump without the secret key reveals none of them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SealBroken(Exception):
    """The sealed value was altered, or sealed under another secret key."""


class Sealer:
    def __init__(self, secret_key: str, purpose: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"sconet:{purpose}".encode()
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise SealBroken("sealed value cannot be opened with this key") from exc

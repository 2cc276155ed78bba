"""TOTP (RFC 6238) second factor and one-time recovery codes for staff.

The shared secret is sealed at rest (``api.auth.sealing``); a code is
accepted once (the time step of the last accepted code is kept) within one
step of clock drift. Recovery codes come from a cryptographic source, are
shown once and kept as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import throttling
from api.auth.sealing import Sealer
from api.auth.throttling import GuessPolicy, Key
from core import clock
from db.accounts import RecoveryCode, StaffUser

STEP_SECONDS = 30
RECOVERY_CODES = 10
# No look-alike characters (0/O, 1/l/I) in codes people copy from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def sealer(secret_key: str) -> Sealer:
    return Sealer(secret_key, "totp-secrets")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, login: str, academy_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=f"SCONET {academy_name}")


def qr_code_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG (no script, no style element: fits the page's CSP)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, title="Code QR d'enrôlement")
    return svg


def normalised_code(text: str) -> str:
    return "".join(text.split()).replace("-", "").lower()


def matching_step(
    secret: str, code: str, after_step: int | None, now: float | None = None
) -> int | None:
    """The time step the 6-digit code belongs to (±1 step), if later than ``after_step``."""
    code = normalised_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if after_step is not None and step <= after_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalised_code(code).encode()).hexdigest()


async def new_recovery_codes(session: AsyncSession, user_id: int) -> list[str]:
    """Replace the user's recovery codes; the clear codes are returned once."""
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        session.add(RecoveryCode(user_id=user_id, code_hash=_code_hash(code)))
    await session.flush()
    return codes


async def use_recovery_code(session: AsyncSession, user_id: int, code: str) -> bool:
    """True, and the code is spent, when it is one of the user's unused codes."""
    row = await session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = clock.now()
    return True


def enrolled(user: StaffUser) -> bool:
    return user.totp_enrolled_at is not None and user.totp_secret_encrypted is not None


def check_totp(user: StaffUser, secret_key: str, code: str, now: float | None = None) -> bool:
    """True, and the step is recorded (no replay), when the code is right for the user's secret."""
    if user.totp_secret_encrypted is None:
        return False
    secret = sealer(secret_key).open(user.totp_secret_encrypted)
    step = matching_step(secret, code, user.totp_last_step, now)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def code_keys(user_id: int) -> list[tuple[Key, GuessPolicy]]:
    """What second-factor guesses are counted against: the account."""
    return [(Key("otp", str(user_id)), throttling.ACCOUNT_POLICY)]

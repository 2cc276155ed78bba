"""The key pairs that sign API clients' access tokens (ES256).

The private key is sealed at rest under the application key; the public
halves of the current and recently retired keys are published as a JWKS so
that anyone can check a token without asking the server.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.sealing import Sealer
from core import clock
from db.clients import SigningKey

ALGORITHM = "ES256"
# A retired key stays published longer than any token it signed can live.
PUBLISHED_AFTER_RETIREMENT = timedelta(days=1)


def _sealer(secret_key: str) -> Sealer:
    return Sealer(secret_key, "token-signing-keys")


# Any constant shared by every process creating the first key of the same database.
FIRST_KEY_LOCK = 0x5C0E75


async def _current_row(session: AsyncSession) -> SigningKey | None:
    row: SigningKey | None = await session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )
    return row


async def current_signing_key(session: AsyncSession, secret_key: str) -> ECKey:
    """The key signing new tokens, created on first need (in the caller's transaction)."""
    row = await _current_row(session)
    if row is None and session.get_bind().dialect.name == "postgresql":
        # Server processes started together meet their first clients together: one creates
        # the key, the others wait for its commit (the lock is the transaction's) and use it,
        # instead of each publishing a key of its own. SQLite is served by one process.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRST_KEY_LOCK})
        row = await _current_row(session)
    if row is None:
        kid = secrets.token_urlsafe(12)
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
        row = SigningKey(
            kid=kid,
            algorithm=ALGORITHM,
            private_key_encrypted=_sealer(secret_key).seal(key.as_pem(private=True).decode()),
            public_jwk=json.dumps(key.as_dict(private=False)),
        )
        session.add(row)
        await session.flush()
        return key
    pem = _sealer(secret_key).open(row.private_key_encrypted)
    return ECKey.import_key(pem, parameters={"kid": row.kid, "use": "sig", "alg": ALGORITHM})


async def published_keys(session: AsyncSession) -> KeySet:
    """Public keys a token may be checked against: current ones and recently retired ones."""
    recent = clock.now() - PUBLISHED_AFTER_RETIREMENT
    rows = await session.scalars(
        select(SigningKey.public_jwk).where(
            or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > recent)
        )
    )
    return KeySet([ECKey.import_key(json.loads(jwk)) for jwk in rows])

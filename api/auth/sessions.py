"""Server-side staff sessions.

The browser (or an API caller, as a bearer token) holds a random token; the
database holds only its SHA-256, the user, a CSRF token and the expiry. A
session ends after a period of inactivity or an absolute lifetime, whichever
comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from api.auth.read_audit import record_access
from api.settings import Settings
from core import clock
from db.accounts import SessionStage, StaffSession

COOKIE_NAME = "sconet_session"
# last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OpenSession:
    token: str
    user_id: int
    csrf_token: str
    stage: SessionStage = SessionStage.ACTIVE

    @property
    def active(self) -> bool:
        return self.stage is SessionStage.ACTIVE


async def open_session(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    remote_addr: str | None,
    stage: SessionStage = SessionStage.ACTIVE,
) -> OpenSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        StaffSession(
            token_hash=_hash(token),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            remote_addr=remote_addr,
            stage=stage,
        )
    )
    return OpenSession(token=token, user_id=user_id, csrf_token=csrf, stage=stage)


async def resume_session(
    session: AsyncSession, settings: Settings, token: str | None
) -> OpenSession | None:
    """The live session for this token, refreshed; None when unknown or expired."""
    if not token:
        return None
    row = await session.get(StaffSession, _hash(token))
    if row is None:
        return None
    now = clock.now()
    idle_limit = _aware(row.last_seen_at) + timedelta(minutes=settings.session_idle_minutes)
    if now >= _aware(row.expires_at) or now >= idle_limit:
        await session.delete(row)
        return None
    if now - _aware(row.last_seen_at) > TOUCH_INTERVAL:
        row.last_seen_at = now
    return OpenSession(token=token, user_id=row.user_id, csrf_token=row.csrf_token, stage=row.stage)


async def activate_session(
    session: AsyncSession, settings: Settings, pending: OpenSession, remote_addr: str | None
) -> OpenSession:
    """The second factor passed: the pending session is replaced by an active one under a new
    token, so a token seen before this point is worth nothing."""
    await close_session(session, pending.token)
    return await open_session(session, settings, pending.user_id, remote_addr)


async def close_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


async def close_all_sessions(session: AsyncSession, user_id: int) -> int:
    """End every session of a staff member (every browser and API token); returns how many."""
    count = await session.scalar(
        select(func.count()).select_from(StaffSession).where(StaffSession.user_id == user_id)
    )
    await session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    return count or 0


async def log_out_everywhere(session: AsyncSession, principal: Principal) -> int:
    """The signed-in staff member ends all their sessions (a lost device, a doubt); audited."""
    closed = await close_all_sessions(session, principal.id or 0)
    record_access(
        session, principal, "logout_all", "staff_users", principal.id, None, {"sessions": closed}
    )
    return closed

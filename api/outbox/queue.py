"""The outbox as a queue: messages are added in the caller's transaction and claimed by
workers, several at once, without two workers ever holding the same message. The same
functions serve the families portal's mails (``tsdb.models.FamilyMail``, same columns), in
the télé-services database: ``model`` says which table.

A claim is a lease: a worker that dies mid-send leaves its messages to be claimed again when
the lease ends, so a message is delivered at least once. The claim is one UPDATE whose
subquery picks the due messages (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent
workers take different ones; SQLite has one writer at a time anyway).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.base import utcnow
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus

LEASE = timedelta(minutes=5)
# Delay before each retry; after the last one the message has failed.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


def enqueue(
    session: AsyncSession,
    channel: OutboxChannel,
    recipient: str,
    body: str,
    *,
    subject: str = "",
    attachment: Attachment | None = None,
    school_id: int | None = None,
) -> OutboxMessage:
    """Add a message to send once the caller's transaction commits (flush to get its id)."""
    message = OutboxMessage(
        school_id=school_id,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        attachment_name=attachment.filename if attachment else None,
        attachment=attachment.content if attachment else None,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return message


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: str,
    limit: int = 20,
    model: Any = OutboxMessage,
) -> list[Any]:
    """Claim up to ``limit`` due messages for ``worker``; they are its own until the lease ends."""
    token = f"{worker[:60]}:{uuid.uuid4().hex[:16]}"
    now = utcnow()
    async with sessionmaker() as session, session.begin():
        due = (
            select(model.id)
            .where(
                model.status == OutboxStatus.PENDING,
                model.next_attempt_at <= now,
                or_(model.claimed_until.is_(None), model.claimed_until < now),
            )
            .order_by(model.next_attempt_at, model.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        await session.execute(
            update(model)
            .where(
                model.id.in_(due),
                or_(model.claimed_until.is_(None), model.claimed_until < now),
            )
            .values(claimed_by=token, claimed_until=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        claimed = await session.scalars(
            select(model).where(model.claimed_by == token).order_by(model.id)
        )
        return list(claimed)


async def mark_sent(
    sessionmaker: async_sessionmaker[AsyncSession],
    message: Any,
    delivered_by: str,
    reference: str | None,
    model: Any = OutboxMessage,
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(model)
            .where(model.id == message.id, model.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.SENT,
                attempts=model.attempts + 1,
                sent_at=utcnow(),
                delivered_by=delivered_by,
                provider_reference=(reference or "")[:120] or None,
                last_error=None,
                claimed_by=None,
                claimed_until=None,
            )
        )


def next_attempt(attempts_made: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts_made`` failed attempts; None: give up."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[attempts_made - 1]


async def mark_failed(
    sessionmaker: async_sessionmaker[AsyncSession],
    message: Any,
    error: str,
    permanent: bool,
    model: Any = OutboxMessage,
) -> OutboxStatus:
    """Record a failed attempt: retried later, or failed for good. Returns the new status."""
    attempts = message.attempts + 1
    now = utcnow()
    retry_at = None if permanent else next_attempt(attempts, now)
    status = OutboxStatus.PENDING if retry_at else OutboxStatus.FAILED
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(model)
            .where(model.id == message.id, model.status == OutboxStatus.PENDING)
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=retry_at or now,
                last_error=error[:500],
                claimed_by=None,
                claimed_until=None,
            )
        )
    return status

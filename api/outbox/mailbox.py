"""The development mailbox (``sconet mailbox``): the e-mails and SMS that the development
transports "delivered" without SMTP or SMS gateway, read back from both queues (the staff
side's outbox and the families portal's mails), so that whoever tries the product can follow
an address confirmation or a password reset link.

Only messages delivered by "development" are shown: they never left the machine. A message
is named by its queue's letter and its number: ``E12`` (établissement), ``F3`` (familles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox.transports import DEVELOPMENT
from core.clock import PARIS
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from tsdb.models import FamilyMail

LINK = re.compile(r"https?://[^\s<>\"']+")
REFERENCE = re.compile(r"^([EF])(\d{1,18})$")


@dataclass(frozen=True)
class MailboxEntry:
    reference: str
    channel: OutboxChannel
    recipient: str
    subject: str
    body: str
    sent_at: datetime
    attachment_name: str | None

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.body)

    @property
    def sent_in_paris(self) -> datetime:
        # SQLite gives back naive datetimes; every stored instant is UTC.
        sent = self.sent_at if self.sent_at.tzinfo else self.sent_at.replace(tzinfo=UTC)
        return sent.astimezone(PARIS)


@dataclass(frozen=True)
class Mailbox:
    entries: list[MailboxEntry]
    # Messages queued but not yet handed to a transport (no worker has run since).
    waiting: int


Queue = tuple[str, async_sessionmaker[AsyncSession], Any]


def _queues(
    admin: async_sessionmaker[AsyncSession], teleservices: async_sessionmaker[AsyncSession]
) -> list[Queue]:
    return [("E", admin, OutboxMessage), ("F", teleservices, FamilyMail)]


def _entry(letter: str, message: Any) -> MailboxEntry:
    return MailboxEntry(
        reference=f"{letter}{message.id}",
        channel=OutboxChannel(message.channel),
        recipient=message.recipient,
        subject=message.subject or "",
        body=message.body,
        sent_at=message.sent_at or message.created_at,
        attachment_name=message.attachment_name,
    )


async def development_mailbox(
    admin: async_sessionmaker[AsyncSession],
    teleservices: async_sessionmaker[AsyncSession],
    latest: int,
) -> Mailbox:
    """The ``latest`` messages delivered by the development transports, newest first."""
    entries: list[MailboxEntry] = []
    waiting = 0
    for letter, sessionmaker, model in _queues(admin, teleservices):
        async with sessionmaker() as session:
            delivered = await session.scalars(
                select(model)
                .where(model.status == OutboxStatus.SENT, model.delivered_by == DEVELOPMENT)
                .order_by(model.sent_at.desc(), model.id.desc())
                .limit(latest)
            )
            entries += [_entry(letter, message) for message in delivered]
            waiting += (
                await session.scalar(
                    select(func.count())
                    .select_from(model)
                    .where(model.status == OutboxStatus.PENDING)
                )
                or 0
            )
    entries.sort(key=lambda entry: entry.sent_in_paris, reverse=True)
    return Mailbox(entries[:latest], waiting)


async def mailbox_message(
    admin: async_sessionmaker[AsyncSession],
    teleservices: async_sessionmaker[AsyncSession],
    reference: str,
) -> MailboxEntry | None:
    """One message of the development mailbox by its name (``E12``, ``F3``), or None."""
    matched = REFERENCE.match(reference.strip().upper())
    if matched is None:
        return None
    letter, number = matched.group(1), int(matched.group(2))
    for queue_letter, sessionmaker, model in _queues(admin, teleservices):
        if queue_letter != letter:
            continue
        async with sessionmaker() as session:
            message = await session.scalar(
                select(model).where(
                    model.id == number,
                    model.status == OutboxStatus.SENT,
                    model.delivered_by == DEVELOPMENT,
                )
            )
            return _entry(letter, message) if message is not None else None
    return None

"""The outbox worker (``sconet worker``): claims due messages (the staff side's outbox and the
families portal's mails), delivers each through its channel's transport, records the
outcome; once, or every few seconds until stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.outbox.queue import claim, mark_failed, mark_sent
from api.outbox.transports import DeliveryFailed, Transport, email_transport, sms_transport
from api.settings import MessagingSettings
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from tsdb.models import FamilyMail

logger = logging.getLogger("sconet.outbox")


@dataclass
class WorkerReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # Queues whose pass failed (database unreachable...).
    errors: int = 0

    def __iadd__(self, other: WorkerReport) -> WorkerReport:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.errors += other.errors
        return self


def transports_for(settings: MessagingSettings) -> dict[OutboxChannel, Transport]:
    return {
        OutboxChannel.EMAIL: email_transport(settings),
        OutboxChannel.SMS: sms_transport(settings),
    }


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    transports: Mapping[OutboxChannel, Transport],
    worker: str | None = None,
    batch: int = 20,
    model: Any = OutboxMessage,
) -> WorkerReport:
    """Deliver every message due now, batch after batch, and report what happened."""
    report = WorkerReport()
    name = worker or worker_name()
    while messages := await claim(sessionmaker, name, batch, model):
        for message in messages:
            transport = transports[message.channel]
            try:
                reference = await transport.deliver(message)
            except DeliveryFailed as exc:
                status = await mark_failed(sessionmaker, message, str(exc), exc.permanent, model)
                if status is OutboxStatus.FAILED:
                    report.failed += 1
                else:
                    report.retried += 1
                logger.warning("outbox message %s not delivered: %s", message.id, exc)
                continue
            await mark_sent(sessionmaker, message, transport.name, reference, model)
            report.sent += 1
    return report


Queue = tuple[async_sessionmaker[AsyncSession], Any]


def queues(
    admin: async_sessionmaker[AsyncSession], teleservices: async_sessionmaker[AsyncSession]
) -> list[Queue]:
    """The staff side's outbox and the families portal's mails."""
    return [(admin, OutboxMessage), (teleservices, FamilyMail)]


async def run_all(
    every: list[Queue], transports: Mapping[OutboxChannel, Transport], worker: str | None = None
) -> WorkerReport:
    report = WorkerReport()
    for sessionmaker, model in every:
        try:
            report += await run_once(sessionmaker, transports, worker, model=model)
        except Exception:
            # One unreachable database must not stop the other queue, nor the worker: the
            # messages wait in their table for the next pass.
            logger.exception("outbox %s: pass failed", model.__tablename__)
            report.errors += 1
    return report


async def run_forever(
    every: list[Queue],
    transports: Mapping[OutboxChannel, Transport],
    interval: float,
) -> None:
    name = worker_name()
    while True:
        report = await run_all(every, transports, name)
        if report.sent or report.retried or report.failed:
            logger.info(
                "outbox: %s sent, %s to retry, %s failed",
                report.sent,
                report.retried,
                report.failed,
            )
        await asyncio.sleep(interval)

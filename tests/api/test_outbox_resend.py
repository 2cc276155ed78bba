"""A worker that dies after sending and before marking the message sent makes the next worker
send it again: the resend must be recognisable as the same message (same Message-ID, same
SMS reference), and two different messages must never share one."""

from __future__ import annotations

import json

import httpx

from api.outbox.queue import LEASE, claim, enqueue
from api.outbox.transports import HttpSmsProvider, SmtpTransport
from api.outbox.worker import run_once
from api.settings import MessagingSettings, load_settings
from db.outbox import OutboxChannel
from tests.mail_server import SmtpServer
from tsdb.models import FamilyMail

KEY = "clé des références de test"


def _smtp(server: SmtpServer, key: str = KEY) -> SmtpTransport:
    return SmtpTransport(
        MessagingSettings(
            smtp_host=server.host,
            smtp_port=server.port,
            smtp_security="none",
            mail_from="vie-scolaire@jean-moulin.example.fr",
            reference_key=key,
        )
    )


async def _queue_two(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        for recipient in ("claire.martin@example.fr", "sophie.elan@example.fr"):
            enqueue(session, OutboxChannel.EMAIL, recipient, "Bonjour", subject="Absences")


async def test_a_resend_after_a_crash_carries_the_same_message_id(
    sessionmaker, smtp_server: SmtpServer, clock
):
    await _queue_two(sessionmaker)
    transport = _smtp(smtp_server)
    # The crash: the worker claims the messages, sends the first, dies before marking it.
    claimed = await claim(sessionmaker, "dying-worker")
    await transport.deliver(claimed[0])
    # Until the lease ends nobody touches them; then another worker sends both.
    assert (await run_once(sessionmaker, {OutboxChannel.EMAIL: transport}, "next")).sent == 0
    clock.advance(LEASE + LEASE / 5)
    assert (await run_once(sessionmaker, {OutboxChannel.EMAIL: transport}, "next")).sent == 2

    first, again = smtp_server.mailbox.to("claire.martin@example.fr")
    [other] = smtp_server.mailbox.to("sophie.elan@example.fr")
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@jean-moulin.example.fr>")
    assert other["Message-ID"] != first["Message-ID"]
    # The id is keyed, not the message's number in the table for anyone to read.
    assert f"{claimed[0].id}@" not in first["Message-ID"]


async def test_the_families_mail_n_and_the_outbox_message_n_have_different_ids(
    sessionmaker, ts_sessionmaker, smtp_server: SmtpServer
):
    async with sessionmaker() as session, session.begin():
        enqueue(session, OutboxChannel.EMAIL, "claire.martin@example.fr", "Absences")
    async with ts_sessionmaker() as session, session.begin():
        session.add(
            FamilyMail(
                channel=OutboxChannel.EMAIL,
                recipient="claire.martin@example.fr",
                subject="Confirmez votre adresse",
                body="Lien",
            )
        )
    transports = {OutboxChannel.EMAIL: _smtp(smtp_server)}
    assert (await run_once(sessionmaker, transports, "w")).sent == 1
    assert (await run_once(ts_sessionmaker, transports, "w", model=FamilyMail)).sent == 1
    staff, family = smtp_server.mailbox.to("claire.martin@example.fr")
    assert staff["Message-ID"] != family["Message-ID"]


async def test_an_sms_sent_twice_carries_the_same_reference(sessionmaker, clock):
    posted: list[dict] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200, json={"id": f"gw-{len(posted)}"})

    async with sessionmaker() as session, session.begin():
        for number in ("+33612345678", "+33698765432"):
            enqueue(session, OutboxChannel.SMS, number, "Absence de Lina ce matin.")
    settings = MessagingSettings(
        sms_provider="http", sms_http_url="https://sms.example.fr/send", reference_key=KEY
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as client:
        provider = HttpSmsProvider(settings, client)
        [sms, _other] = await claim(sessionmaker, "dying-worker")
        await provider.deliver(sms)
        clock.advance(LEASE + LEASE / 5)
        assert (await run_once(sessionmaker, {OutboxChannel.SMS: provider}, "next")).sent == 2
    first, again, other = posted
    assert first["to"] == again["to"] == "+33612345678"
    assert first["reference"] == again["reference"]
    assert other["reference"] != first["reference"]
    assert first["reference"] != f"sconet-{sms.id}"


def test_the_reference_key_comes_from_the_secret_key_without_being_it(tmp_path):
    def key(secret: str) -> str:
        env = {"SCONET_VAR_DIR": str(tmp_path), "SCONET_SECRET_KEY": secret}
        return load_settings(env).messaging.reference_key

    first = key("a" * 40)
    assert first == key("a" * 40) and len(first) == 64
    assert "a" * 40 not in first
    assert key("b" * 40) != first

"""Family communication: letters read back from the PDF, e-mails through a real SMTP server,
SMS through the development and HTTP providers, the outbox worker's retries, phone calls."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from api.auth.principal import PermissionDenied
from api.outbox.transports import DevelopmentTransport, SmtpTransport
from api.outbox.worker import run_once
from api.resolvers.absences.family_contacts import (
    ContactRequest,
    contact_families,
    mobile_number,
    phone_call_guardians,
    record_phone_call,
    student_contacts,
)
from api.resolvers.absences.follow_up import students_to_contact
from api.resolvers.absences.letters import school_templates
from api.settings import MessagingSettings
from db.absences import AbsenceEvent, ContactChannel, FamilyContact
from db.audit import AuditEntry
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from tests.api.absences.scenario import NOVEMBER, november
from tests.servers import start_within


async def _templates(sessionmaker, principal, school_id):
    async with sessionmaker() as session, session.begin():
        return {t.code: t for t in await school_templates(session, principal, school_id)}


async def _contact(sessionmaker, principal, request):
    async with sessionmaker() as session, session.begin():
        return await contact_families(session, principal, request)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _smtp(server) -> dict:
    return {
        OutboxChannel.EMAIL: SmtpTransport(
            MessagingSettings(
                smtp_host=server.host,
                smtp_port=server.port,
                smtp_security="none",
                mail_from="vie-scolaire@jean-moulin.example.fr",
            )
        ),
        OutboxChannel.SMS: DevelopmentTransport(),
    }


async def test_letters_to_both_legal_guardians_read_back(world, desk, sessionmaker):
    await november(world, desk)
    templates = await _templates(sessionmaker, desk.principal, world.school_a)
    assert {t.channel for t in templates.values()} == {
        ContactChannel.LETTER,
        ContactChannel.EMAIL,
        ContactChannel.SMS,
    }
    lina = world.students["lina"]
    outcome = await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(world.school_a, templates["LETABS"].id, [lina], *NOVEMBER),
    )
    # Lina has two legal guardians with a postal address: one letter each.
    assert len(outcome.contacts) == 2 and not outcome.unreached
    text = _pdf_text(outcome.letters_pdf)
    assert text.count("Objet : Absences de Lina Martin") == 2
    assert "Mme Claire Martin" in text and "M. Paul Martin" in text
    assert "93100 MONTREUIL" in text
    assert "Madame," in text and "Monsieur," in text
    assert "lundi 16/11/2026 (M1)" in text and "mardi 17/11/2026 (S4)" in text
    assert "Retard de 10 min" in text
    assert "Soit 4 demi-journée(s)" in text
    assert "Collège Jean Moulin" in text
    assert len(PdfReader(io.BytesIO(outcome.letters_pdf)).pages) == 2
    for contact in outcome.contacts:
        assert "Lina Martin" in _pdf_text(contact.document)
    async with sessionmaker() as session, session.begin():
        due = await students_to_contact(session, desk.principal, world.school_a, *NOVEMBER)
        assert "Martin Lina" not in [d.student_name for d in due]
        lines = await student_contacts(session, desk.principal, lina)
    assert [line.contact.channel for line in lines] == [ContactChannel.LETTER] * 2
    assert len(lines[0].event_ids) == 2
    again = await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(world.school_a, templates["LETABS"].id, [lina], *NOVEMBER),
    )
    assert again.contacts == [] and again.unreached[0].reason == "aucun événement à communiquer"


async def test_emails_go_through_a_real_smtp_server(world, desk, sessionmaker, smtp_server):
    await november(world, desk)
    templates = await _templates(sessionmaker, desk.principal, world.school_a)
    students = [world.students[k] for k in ("lina", "noah", "eloise")]
    outcome = await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(world.school_a, templates["MELABS"].id, students, *NOVEMBER),
    )
    # Claire Martin (Lina's and Noah's mother) and Sophie Élan have e-mail addresses; Paul
    # Martin has none: he gets nothing, and each student is still reached.
    assert sorted(c.recipient for c in outcome.contacts) == [
        "claire.martin@example.fr",
        "claire.martin@example.fr",
        "sophie.elan@example.fr",
    ]
    assert outcome.letters_pdf is None and not outcome.unreached
    report = await run_once(sessionmaker, _smtp(smtp_server), "test-worker")
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    [elan] = smtp_server.mailbox.to("sophie.elan@example.fr")
    assert elan["Subject"] == "Collège Jean Moulin : absences de Éloïse"
    assert elan["From"] == "vie-scolaire@jean-moulin.example.fr"
    body = elan.get_content()
    assert body.startswith("Madame,")
    assert (
        "- Absence du lundi 09/11/2026 (M1) au mercredi 11/11/2026 (S4) : motif non valable" in body
    )
    assert len(smtp_server.mailbox.to("claire.martin@example.fr")) == 2
    async with sessionmaker() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
        assert statuses == {OutboxStatus.SENT}
        lines = await student_contacts(session, desk.principal, world.students["eloise"])
    assert lines[0].delivery is OutboxStatus.SENT
    # Nothing is due any more: a second pass sends nothing.
    assert (await run_once(sessionmaker, _smtp(smtp_server), "test-worker")).sent == 0


async def test_refused_and_unreachable_mail(world, desk, sessionmaker, smtp_server):
    await november(world, desk)
    templates = await _templates(sessionmaker, desk.principal, world.school_a)
    smtp_server.mailbox.refused.add("sophie.elan@example.fr")
    await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(
            world.school_a,
            templates["MELABS"].id,
            [world.students["eloise"], world.students["lina"]],
            *NOVEMBER,
        ),
    )
    report = await run_once(sessionmaker, _smtp(smtp_server), "test-worker")
    assert (report.sent, report.failed) == (1, 1)
    async with sessionmaker() as session:
        refused = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == "sophie.elan@example.fr")
        )
    assert refused.status is OutboxStatus.FAILED and "refusée" in refused.last_error
    # A server that does not answer: the message waits for a later attempt.
    await desk.absence(world.students["lina"], date(2026, 11, 23), "M1", date(2026, 11, 23), "M2")
    await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(world.school_a, templates["MELABS"].id, [world.students["lina"]]),
    )
    down = _smtp(smtp_server)
    down[OutboxChannel.EMAIL] = SmtpTransport(
        replace(down[OutboxChannel.EMAIL].settings, smtp_port=1)
    )
    report = await run_once(sessionmaker, down, "test-worker")
    assert (report.sent, report.retried) == (0, 1)
    async with sessionmaker() as session:
        waiting = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
    assert waiting.attempts == 1 and waiting.next_attempt_at > waiting.created_at
    assert waiting.claimed_by is None


async def test_sms_through_development_and_http_providers(world, desk, sessionmaker):
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from api.outbox.transports import HttpSmsProvider

    received = []

    async def gateway(request: Request) -> JSONResponse:
        assert request.headers["authorization"] == "Bearer jeton-passerelle"
        received.append(await request.json())
        return JSONResponse({"id": f"gw-{len(received)}"}, status_code=201)

    await november(world, desk)
    templates = await _templates(sessionmaker, desk.principal, world.school_a)
    outcome = await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(world.school_a, templates["SMSABS"].id, [world.students["lina"]]),
    )
    # Both of Lina's legal guardians have a mobile number.
    assert [c.recipient for c in outcome.contacts] == ["+33612345678", "+33612345678"]
    from tests.mail_server import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/sms", gateway, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        await start_within(server, serving)
        provider = HttpSmsProvider(
            MessagingSettings(
                sms_provider="http",
                sms_http_url=f"http://127.0.0.1:{port}/sms",
                sms_http_token="jeton-passerelle",
                sms_sender="CLG MOULIN",
            )
        )
        transports = {OutboxChannel.EMAIL: DevelopmentTransport(), OutboxChannel.SMS: provider}
        report = await run_once(sessionmaker, transports, "test-worker")
    finally:
        server.should_exit = True
        await serving
    assert report.sent == 2
    assert received[0]["to"] == "+33612345678" and received[0]["from"] == "CLG MOULIN"
    assert received[0]["text"].startswith("Collège Jean Moulin : Lina a été absent(e) 4 ")
    async with sessionmaker() as session:
        references = set(await session.scalars(select(OutboxMessage.provider_reference)))
    assert references == {"gw-1", "gw-2"}


async def test_several_workers_deliver_each_message_once(world, desk, sessionmaker):
    from api.outbox.queue import enqueue

    async with sessionmaker() as session, session.begin():
        for n in range(40):
            enqueue(session, OutboxChannel.SMS, f"+3361234{n:04d}", "x", school_id=world.school_a)
    delivered = []

    class Recording:
        name = "development"

        async def deliver(self, message):
            delivered.append(message.id)
            await asyncio.sleep(0.001)
            return None

    transports = {OutboxChannel.SMS: Recording(), OutboxChannel.EMAIL: Recording()}
    reports = await asyncio.gather(
        *(run_once(sessionmaker, transports, f"worker-{n}", batch=5) for n in range(4))
    )
    assert sum(r.sent for r in reports) == 40
    assert sorted(delivered) == sorted(set(delivered)) and len(delivered) == 40


async def test_phone_call_is_recorded_and_marks_its_events(world, desk, sessionmaker):
    await november(world, desk)
    noah = world.students["noah"]
    async with sessionmaker() as session:
        event_ids = list(
            await session.scalars(select(AbsenceEvent.id).where(AbsenceEvent.student_id == noah))
        )
    async with sessionmaker() as session, session.begin():
        contact = await record_phone_call(
            session,
            desk.principal,
            world.school_a,
            noah,
            "Mère jointe : angine, certificat à venir.",
            guardian_id=world.guardians["mother"],
            event_ids=event_ids,
        )
    assert contact.recipient == "Mme Claire Martin"
    async with sessionmaker() as session:
        notified = await session.scalar(
            select(func.count()).where(
                AbsenceEvent.student_id == noah, AbsenceEvent.notified_at.is_not(None)
            )
        )
        assert notified == len(event_ids)
        assert await session.scalar(select(func.count()).select_from(FamilyContact)) == 1


async def test_teachers_do_not_write_to_families(world, desk, sessionmaker):
    await november(world, desk)
    templates = await _templates(sessionmaker, desk.principal, world.school_a)
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        await _contact(
            sessionmaker,
            teacher,
            ContactRequest(world.school_a, templates["LETABS"].id, [world.students["lina"]]),
        )


@pytest.mark.parametrize(
    ("phone", "number"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.12.34.56.78", "+33712345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("01 45 67 89 10", None),
        ("", None),
    ],
)
def test_mobile_numbers(phone, number):
    assert mobile_number(phone) == number


async def test_a_broken_queue_does_not_stop_the_other(world, desk, sessionmaker):
    from api.outbox.queue import enqueue
    from api.outbox.worker import run_all

    async with sessionmaker() as session, session.begin():
        enqueue(session, OutboxChannel.SMS, "+33612345678", "x", school_id=world.school_a)

    def broken():
        raise RuntimeError("database unreachable")

    transports = {
        OutboxChannel.SMS: DevelopmentTransport(),
        OutboxChannel.EMAIL: DevelopmentTransport(),
    }
    report = await run_all(
        [(broken, FamilyContact), (sessionmaker, OutboxMessage)], transports, "t"
    )
    assert (report.errors, report.sent) == (1, 1)


async def test_the_events_a_contact_reported_are_audited(world, desk, sessionmaker):
    await november(world, desk)
    templates = await _templates(sessionmaker, desk.principal, world.school_a)
    lina = world.students["lina"]
    outcome = await _contact(
        sessionmaker,
        desk.principal,
        ContactRequest(world.school_a, templates["LETABS"].id, [lina], *NOVEMBER),
    )
    async with sessionmaker() as session:
        reported = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "family_contact_events")
            )
        ).all()
        events = set(
            await session.scalars(select(AbsenceEvent.id).where(AbsenceEvent.student_id == lina))
        )
    # Two letters (one per legal guardian), each reporting Lina's two events.
    assert sorted((e.after["contact_id"], e.after["event_id"]) for e in reported) == sorted(
        (contact.id, event) for contact in outcome.contacts for event in events
    )
    assert {(e.action, e.school_id, e.actor_kind) for e in reported} == {
        ("create", world.school_a, "staff")
    }


async def test_a_call_is_noted_with_a_legal_guardian_by_whoever_manages_absences(
    world, sessionmaker
):
    cpe = await world.principal(sessionmaker, "cpe_a")
    teacher = await world.principal(sessionmaker, "teacher_a")
    lina = world.students["lina"]
    async with sessionmaker() as session:
        guardians = await phone_call_guardians(session, cpe, lina)
        assert [g.id for g in guardians] == [world.guardians["mother"], world.guardians["father"]]
        with pytest.raises(PermissionDenied):
            await phone_call_guardians(session, teacher, lina)

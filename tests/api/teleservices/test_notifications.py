"""Notifying activation codes: e-mail first, a letter for the others, one per guardian for
all his children, the date recorded; CAE letters per student; re-sending one code."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from api.outbox.transports import SmtpTransport
from api.outbox.worker import run_once
from api.resolvers.teleservices.codes import (
    Population,
    code_history,
    generate_codes,
    regenerate_code,
)
from api.resolvers.teleservices.notifications import (
    NotificationRequest,
    notify_codes,
    notify_one,
)
from api.resolvers.teleservices.services import set_service
from api.settings import MessagingSettings
from core.errors import ValidationFailed
from db.outbox import OutboxChannel
from db.teleservices import ActivationCode, CodeKind, Teleservice
from tests.conftest import TEST_SECRET_KEY
from tests.mail_server import SmtpServer
from tests.world import build_world

CAR, CAE = CodeKind.CAR, CodeKind.CAE
PORTAL = "https://teleservices.ac-creteil.example/"
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}")


@pytest.fixture
async def world(sessionmaker):
    return await build_world(sessionmaker)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


async def _codes(world, sessionmaker, kind=CAR):
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    await _run(
        sessionmaker, generate_codes, principal, kind, Population(world.school_a), TEST_SECRET_KEY
    )
    return principal


def _pdf(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_email_first_then_letters_one_per_guardian(
    world, sessionmaker, smtp_server: SmtpServer
):
    principal = await _codes(world, sessionmaker)
    outcome = await _run(
        sessionmaker,
        notify_codes,
        principal,
        NotificationRequest(CAR, Population(world.school_a)),
        TEST_SECRET_KEY,
        PORTAL,
    )
    # Claire Martin (Lina and Noah) and Sophie Élan by e-mail, Paul Martin by letter.
    assert (outcome.emails, outcome.letters, outcome.codes) == (2, 1, 4)
    assert not outcome.unnotified
    letter = _pdf(outcome.letters_pdf)
    assert "M. Paul Martin" in letter and PORTAL in letter and "consultation des notes" in letter
    async with sessionmaker() as session:
        codes = list(await session.scalars(select(ActivationCode)))
    assert all(code.notified_at is not None for code in codes)
    lina_father = next(
        c
        for c in codes
        if c.student_id == world.students["lina"] and c.guardian_id == world.guardians["father"]
    )
    history = await _run(
        sessionmaker,
        code_history,
        principal,
        world.school_a,
        world.students["lina"],
        world.guardians["father"],
        TEST_SECRET_KEY,
    )
    assert history[0].row.id == lina_father.id and history[0].code in letter
    transports = {
        OutboxChannel.EMAIL: SmtpTransport(
            MessagingSettings(
                smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
            )
        )
    }
    report = await run_once(sessionmaker, transports, "test")
    assert report.sent == 2
    [mail] = smtp_server.mailbox.to("claire.martin@example.fr")
    body = mail.get_content()
    # One e-mail for both children, each with his code.
    assert "Martin Lina" in body and "Martin Noah" in body and len(CODE.findall(body)) == 2
    with pytest.raises(ValidationFailed) as again:
        await _run(
            sessionmaker,
            notify_codes,
            principal,
            NotificationRequest(CAR, Population(world.school_a)),
            TEST_SECRET_KEY,
            PORTAL,
        )
    assert again.value.errors[0].code == "ALL_NOTIFIED"


async def test_email_only_leaves_those_without_address_unnotified(world, sessionmaker):
    principal = await _codes(world, sessionmaker)
    outcome = await _run(
        sessionmaker,
        notify_codes,
        principal,
        NotificationRequest(CAR, Population(world.school_a), by_letter=False, legal_ranks=(2,)),
        TEST_SECRET_KEY,
        PORTAL,
    )
    assert (outcome.emails, outcome.letters, outcome.codes) == (0, 0, 0)
    assert [(u.holder_name, u.reason) for u in outcome.unnotified] == [
        ("Martin Paul", "pas d'adresse électronique")
    ]


async def test_student_codes_are_letters_and_one_code_can_be_sent_again(world, sessionmaker):
    principal = await _codes(world, sessionmaker, CAE)
    outcome = await _run(
        sessionmaker,
        notify_codes,
        principal,
        NotificationRequest(CAE, Population(world.school_a, division_id=world.division_a1)),
        TEST_SECRET_KEY,
        PORTAL,
    )
    assert (outcome.letters, outcome.codes) == (2, 2)
    assert "Lina Martin" in _pdf(outcome.letters_pdf)
    code = await _run(
        sessionmaker,
        regenerate_code,
        principal,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        TEST_SECRET_KEY,
    )
    again = await _run(sessionmaker, notify_one, principal, code.id, True, TEST_SECRET_KEY, PORTAL)
    assert again.emails == 1
    twice = await _run(sessionmaker, notify_one, principal, code.id, False, TEST_SECRET_KEY, PORTAL)
    assert twice.letters == 1 and "Mme Claire Martin" in _pdf(twice.letters_pdf)
    old = await _run(
        sessionmaker,
        regenerate_code,
        principal,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        TEST_SECRET_KEY,
    )
    assert old.id != code.id
    with pytest.raises(ValidationFailed) as invalid:
        await _run(sessionmaker, notify_one, principal, code.id, True, TEST_SECRET_KEY, PORTAL)
    assert invalid.value.errors[0].code == "INVALID_CODE"
    with pytest.raises(ValidationFailed) as no_email:
        father = await _run(
            sessionmaker,
            regenerate_code,
            principal,
            world.school_a,
            world.students["lina"],
            world.guardians["father"],
            TEST_SECRET_KEY,
        )
        await _run(sessionmaker, notify_one, principal, father.id, True, TEST_SECRET_KEY, PORTAL)
    assert no_email.value.errors[0].code == "NO_EMAIL"


async def test_nothing_is_announced_when_every_service_is_closed(world, sessionmaker):
    principal = await _codes(world, sessionmaker)
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, False)
    with pytest.raises(ValidationFailed) as closed:
        await _run(
            sessionmaker,
            notify_codes,
            principal,
            NotificationRequest(CAR, Population(world.school_a)),
            TEST_SECRET_KEY,
            PORTAL,
        )
    assert closed.value.errors[0].code == "SERVICES_CLOSED"

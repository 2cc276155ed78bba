"""Payment reminders: the accounts owing on a noticed term, an e-mail through the outbox (a
real SMTP exchange) to the payer who has an address, a letter to the others, each recorded
with what the account owed that day; at most once a day."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.outbox.transports import SmtpTransport
from api.outbox.worker import run_once
from api.resolvers.finances.accounts import accounts_of
from api.resolvers.finances.notices import issue_notices
from api.resolvers.finances.reminders import (
    accounts_to_remind,
    payment_reminders,
    send_reminders,
)
from api.settings import MessagingSettings
from core.errors import NotFound, ValidationFailed
from db.audit import set_actor
from db.finances import Charge, ChargeKind, LedgerOrigin, PaymentReminder, ReminderChannel
from db.guardians import Guardian
from db.outbox import OutboxChannel, OutboxMessage
from tests.api.finances.term_ledger import first_term, second_term
from tests.mail_server import SmtpServer


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


def _text(content: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


async def _noticed(world, sessionmaker):
    """T1 noticed for the three payers (Paul Martin charged 75,25 € for extra meals), then
    T2's rows recorded (tests/api/finances/term_ledger.py)."""
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, bursar.audit_actor(world.school_a))
        father = (await accounts_of(session, world.school_a, [world.guardians["father"]]))[
            world.guardians["father"]
        ].id
        session.add(
            Charge(
                school_id=world.school_a,
                term_id=ledger.terms[0],
                concerns_term_id=ledger.terms[0],
                account_id=father,
                student_id=world.students["lina"],
                kind=ChargeKind.HALF_BOARD,
                origin=LedgerOrigin.MANUAL,
                regime_code="2",
                basis="Repas exceptionnels",
                amount=Decimal("75.25"),
                actor_label="tests",
            )
        )
    await _run(sessionmaker, issue_notices, bursar, ledger.terms[0])
    await second_term(world, sessionmaker, ledger)
    return ledger, father, bursar


async def test_a_term_is_reminded_only_once_noticed(world, sessionmaker):
    ledger = await first_term(world, sessionmaker)
    bursar = await world.principal(sessionmaker, "bursar_a")
    with pytest.raises(ValidationFailed) as early:
        await _run(sessionmaker, send_reminders, bursar, ledger.terms[0])
    assert (early.value.errors[0].field, early.value.errors[0].code) == ("term_id", "NOT_NOTICED")
    assert "1er trimestre" in early.value.errors[0].message


async def test_what_is_owed_on_the_term_and_the_threshold(world, sessionmaker):
    ledger, father, bursar = await _noticed(world, sessionmaker)
    lines = await _run(sessionmaker, accounts_to_remind, bursar, ledger.terms[0])
    # Claire Martin: T1's 630 − 30 − 105 = 495,00, less every payment so far: 200 + 100
    # received, 200 reversed: 495 − 300 + 200 = 395,00 (T2's charges are not reminded yet).
    # Paul Martin: 75,25. Sophie Élan: 180 − 180 = 0,00, not reminded.
    assert [(line.account_id, line.balance, line.channel) for line in lines] == [
        (father, Decimal("75.25"), ReminderChannel.LETTER),
        (ledger.mother, Decimal("395.00"), ReminderChannel.EMAIL),
    ]
    assert lines[1].children == ["Martin Lina", "Martin Noah"]
    above = await _run(sessionmaker, accounts_to_remind, bursar, ledger.terms[0], "100,00")
    assert [line.account_id for line in above] == [ledger.mother]
    assert await _run(sessionmaker, accounts_to_remind, bursar, ledger.terms[0], "395,01") == []
    for wrong, code in (("abc", "INVALID_AMOUNT"), ("0", "TOO_LOW"), ("-5", "NEGATIVE_AMOUNT")):
        with pytest.raises(ValidationFailed) as refused:
            await _run(sessionmaker, accounts_to_remind, bursar, ledger.terms[0], wrong)
        assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
            "threshold",
            code,
        )


async def test_an_email_through_the_outbox_and_a_letter_each_recorded(
    world, sessionmaker, smtp_server: SmtpServer, clock
):
    ledger, father, bursar = await _noticed(world, sessionmaker)
    outcome = await _run(sessionmaker, send_reminders, bursar, ledger.terms[0])
    assert (outcome.emails, outcome.letters, outcome.unreached) == (1, 1, [])
    letter = _text(outcome.letters_pdf)
    for expected in (
        "M. Paul Martin",
        "12 rue de Paris",
        "Rappel de paiement",
        "Monsieur,",
        "Martin Lina",
        f"F{father:07d}",
        "Solde dû au 02/12/2026",
        "75,25 €",
        "1er trimestre",
    ):
        assert expected in letter, letter
    async with sessionmaker() as session:
        reminders = {r.account_id: r for r in await session.scalars(select(PaymentReminder))}
        message = await session.get(OutboxMessage, reminders[ledger.mother].outbox_message_id)
    assert (reminders[ledger.mother].channel, reminders[ledger.mother].balance) == (
        ReminderChannel.EMAIL,
        Decimal("395.00"),
    )
    assert (reminders[father].channel, reminders[father].balance) == (
        ReminderChannel.LETTER,
        Decimal("75.25"),
    )
    assert reminders[father].outbox_message_id is None
    assert message is not None and message.recipient == "claire.martin@example.fr"

    transports = {
        OutboxChannel.EMAIL: SmtpTransport(
            MessagingSettings(
                smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
            )
        )
    }
    report = await run_once(sessionmaker, transports, "test")
    assert report.sent == 1
    [mail] = smtp_server.mailbox.to("claire.martin@example.fr")
    assert mail["Subject"] == "Collège Jean Moulin : rappel de paiement"
    body = mail.get_content()
    assert "Madame," in body and f"F{ledger.mother:07d}" in body
    assert "395,00\xa0€" in body and "Martin Lina et Martin Noah" in body

    # Once a day: again today is refused, tomorrow both are reminded again.
    with pytest.raises(ValidationFailed) as again:
        await _run(sessionmaker, send_reminders, bursar, ledger.terms[0])
    assert again.value.errors[0].code == "NOTHING_TO_REMIND"
    clock.advance(timedelta(days=1))
    tomorrow = await _run(sessionmaker, send_reminders, bursar, ledger.terms[0])
    assert (tomorrow.emails, tomorrow.letters) == (1, 1)
    listed = await _run(sessionmaker, payment_reminders, bursar, world.school_a)
    assert len(listed) == 4 and listed[0].sent_at > listed[-1].sent_at


async def test_a_payer_without_any_address_is_reported(world, sessionmaker):
    ledger, _father, bursar = await _noticed(world, sessionmaker)
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, bursar.audit_actor(world.school_a))
        guardian = await session.get(Guardian, world.guardians["father"])
        guardian.address_id = None
    lines = await _run(sessionmaker, accounts_to_remind, bursar, ledger.terms[0])
    assert [line.channel for line in lines] == [None, ReminderChannel.EMAIL]
    outcome = await _run(sessionmaker, send_reminders, bursar, ledger.terms[0])
    assert (outcome.emails, outcome.letters) == (1, 0)
    assert outcome.unreached == ["M. MARTIN Paul"] and outcome.letters_pdf is None


async def test_who_may_remind(world, sessionmaker):
    ledger, _father, _bursar = await _noticed(world, sessionmaker)
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, send_reminders, teacher, ledger.terms[0])
    other = await world.principal(sessionmaker, "principal_b")
    for fn in (send_reminders, accounts_to_remind):
        with pytest.raises(NotFound):
            await _run(sessionmaker, fn, other, ledger.terms[0])
    with pytest.raises(NotFound):
        await _run(sessionmaker, payment_reminders, other, world.school_a)

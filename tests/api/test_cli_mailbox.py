"""``sconet mailbox``: what the development transports "sent" without SMTP, readable by
whoever tries the product (a confirmation link to follow), from both queues."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from api.outbox.queue import enqueue
from db.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from tests.api.test_cli import environment, query, run
from tsdb.models import FamilyMail

CONFIRMATION = "http://127.0.0.1:8001/confirmer?jeton=abc123"


def _queue_messages(database_urls, clock) -> None:
    async def staff(sessionmaker, _engine):
        async with sessionmaker() as session, session.begin():
            enqueue(
                session,
                OutboxChannel.EMAIL,
                "claire.martin@example.fr",
                "Madame,\n\nLina a été absente lundi.",
                subject="Absences de Lina",
            )
            enqueue(session, OutboxChannel.SMS, "+33612345678", "Lina absente ce matin.")

    async def families(sessionmaker, _engine):
        async with sessionmaker() as session, session.begin():
            session.add(
                FamilyMail(
                    channel=OutboxChannel.EMAIL,
                    recipient="paul.martin@example.fr",
                    subject="Confirmez votre adresse",
                    body=f"Bonjour,\n\nConfirmez votre adresse : {CONFIRMATION}\n",
                )
            )

    query(database_urls.admin, staff)
    clock.advance(timedelta(minutes=1))
    query(database_urls.teleservices, families)


def test_the_mailbox_shows_what_was_sent_without_smtp(database_urls, tmp_path, clock):
    env = environment(database_urls, tmp_path)
    assert "Aucun message" in run(env, "mailbox").output
    _queue_messages(database_urls, clock)
    waiting = run(env, "mailbox")
    assert "Aucun message" in waiting.output
    assert "3 message(s) en attente d'envoi" in waiting.output

    assert run(env, "worker", "--once").exit_code == 0
    clock.advance(timedelta(minutes=1))
    shown = run(env, "mailbox")
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "en attente" not in out
    # Newest first: the families' confirmation, then the staff side's e-mail and SMS.
    assert out.index("À : paul.martin@example.fr") < out.index("À : claire.martin@example.fr")
    assert "Objet : Confirmez votre adresse" in out
    assert f"Liens : {CONFIRMATION}" in out
    assert "Objet : Absences de Lina" in out and "Lina a été absente lundi." in out
    assert "SMS" in out and "À : +33612345678" in out
    # Paris time (the test clock is 2 December 2026, 09:00 UTC: 10:00 in Paris).
    assert "02/12/2026 10:0" in out

    latest = run(env, "mailbox", "-n", "1").output
    assert "paul.martin@example.fr" in latest and "claire.martin" not in latest
    reference = latest.split("── ")[1].split(" ")[0]
    assert reference.startswith("F")
    one = run(env, "mailbox", "--message", reference.lower())
    assert one.exit_code == 0 and CONFIRMATION in one.output
    unknown = run(env, "mailbox", "--message", "E999")
    assert unknown.exit_code != 0 and "Aucun message E999" in unknown.output


def test_messages_sent_by_smtp_are_not_in_the_mailbox(database_urls, tmp_path, clock):
    env = environment(database_urls, tmp_path)
    _queue_messages(database_urls, clock)

    async def sent_by_smtp(sessionmaker, _engine):
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxMessage).values(status=OutboxStatus.SENT, delivered_by="smtp")
            )

    query(database_urls.admin, sent_by_smtp)
    out = run(env, "mailbox").output
    assert "claire.martin" not in out and "+33612345678" not in out
    assert "1 message(s) en attente" in out

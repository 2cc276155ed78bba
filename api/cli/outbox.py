"""The e-mails and SMS of both databases' outboxes: ``sconet worker``, ``sconet mailbox``."""

from __future__ import annotations

import logging
from typing import Any

import click

from api.cli import runner


@click.command()
@click.option("--once", is_flag=True, help="Envoyer ce qui est dû puis s'arrêter (pour cron).")
@click.option(
    "--every",
    "interval",
    default=10.0,
    type=click.FloatRange(min=0.5),
    show_default=True,
    help="Secondes entre deux passages.",
)
def worker(once: bool, interval: float) -> None:
    """Send the outbox's e-mails and SMS (several workers may run at once)."""
    from api.outbox.worker import queues, run_all, run_forever, transports_for

    settings = runner.load()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    transports = transports_for(settings.messaging)

    async def send(databases: runner.Databases) -> None:
        every = queues(databases.admin, databases.teleservices)
        if once:
            report = await run_all(every, transports)
            click.echo(
                f"Envoyés : {report.sent} ; à réessayer : {report.retried} ; "
                f"en échec : {report.failed}"
                + (f" ; files inaccessibles : {report.errors}" if report.errors else "")
            )
            if report.errors:
                raise click.ClickException("une file n'a pas pu être lue (voir le journal)")
        else:
            click.echo(f"Envoi de la file toutes les {interval:g} s (Ctrl-C pour arrêter).")
            await run_forever(every, transports, interval)

    runner.run_until_interrupted(send, settings=settings)


def _show_message(entry: Any) -> None:
    kind = "courriel" if entry.channel == "email" else "SMS"
    click.echo(f"── {entry.reference} · {kind} · {entry.sent_in_paris:%d/%m/%Y %H:%M} (Paris)")
    click.echo(f"À : {entry.recipient}")
    if entry.subject:
        click.echo(f"Objet : {entry.subject}")
    if entry.attachment_name:
        click.echo(f"Pièce jointe : {entry.attachment_name}")
    click.echo("")
    click.echo(entry.body)
    if entry.links:
        click.echo("")
        click.echo("Liens : " + "  ".join(entry.links))
    click.echo("")


@click.command()
@click.option(
    "--latest",
    "-n",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Nombre de messages, les plus récents d'abord.",
)
@click.option("--message", "reference", default=None, help="Un seul message, par son nom (E12).")
def mailbox(latest: int, reference: str | None) -> None:
    """Read the e-mails and SMS "sent" without SMTP or SMS gateway (development mailbox)."""
    from api.outbox.mailbox import development_mailbox, mailbox_message

    settings = runner.load()
    if reference is not None:
        entry = runner.run(
            lambda databases: mailbox_message(databases.admin, databases.teleservices, reference),
            settings=settings,
        )
        if entry is None:
            raise click.ClickException(f"Aucun message {reference} dans la boîte de développement.")
        _show_message(entry)
        return
    box = runner.run(
        lambda databases: development_mailbox(databases.admin, databases.teleservices, latest),
        settings=settings,
    )
    if settings.messaging.smtp_host:
        click.echo("Les courriels partent par SMTP (SCONET_SMTP_HOST) : ils ne sont pas ici.")
    if not box.entries:
        click.echo("Aucun message dans la boîte de développement.")
    for entry in box.entries:
        _show_message(entry)
    if box.waiting:
        click.echo(
            f"{box.waiting} message(s) en attente d'envoi : « sconet worker --once » les "
            "envoie (« sconet serve » le fait toutes les 10 s)."
        )

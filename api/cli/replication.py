"""Admin database -> télé-services database: ``sconet replicate``."""

from __future__ import annotations

import time
from datetime import timedelta

import click

from api.cli import runner


@click.command()
@click.option("--full", is_flag=True, help="Tout recopier (après un chargement en masse).")
@click.option(
    "--every",
    "minutes",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Recommencer toutes les N minutes (sinon une seule fois, pour cron).",
)
def replicate(full: bool, minutes: float | None) -> None:
    """Copy what families may see into the télé-services database, and bring back code uses."""
    from replication.run import ReplicationBusy, Summary
    from replication.run import replicate as run_replication
    from replication.schedule import replicate_every

    def progress(table: str, done: int, total: int) -> None:
        click.echo(f"\r  {table} : {done}/{total}", nl=done >= total)

    def report(summary: Summary, started: float) -> None:
        tables = ", ".join(f"{name} {count}" for name, count in summary.by_table.items())
        click.echo(
            f"Réplication {'complète' if summary.full else 'incrémentale'} : "
            f"{summary.copied} lignes copiées, {summary.deleted} supprimées, "
            f"{summary.codes_used} codes utilisés remontés, en {time.perf_counter() - started:.1f} s"
            + (f" ({tables})" if tables else "")
        )

    async def copy(databases: runner.Databases) -> None:
        started = time.perf_counter()
        if minutes is None:
            summary = await run_replication(
                databases.admin, databases.teleservices, full=full, progress=progress
            )
            report(summary, started)
            return
        await replicate_every(
            databases.admin,
            databases.teleservices,
            timedelta(minutes=minutes),
            first_full=full,
            progress=progress,
            report=lambda summary: report(summary, started),
        )

    runner.run_until_interrupted(copy, expected=(ReplicationBusy,))

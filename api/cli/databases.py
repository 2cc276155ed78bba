"""Schemas, demo data and PostgreSQL roles: ``sconet migrate``, ``sconet demo``, ``sconet db``."""

from __future__ import annotations

import sys
from typing import Any

import click

from api.cli import runner


@click.command()
def migrate() -> None:
    """Bring the admin and télé-services databases to the latest schema."""
    from api.resolvers.administration import load_national_references
    from databases.migrations import upgrade

    settings = runner.load()
    for database, url in (
        ("admin", settings.database_url),
        ("teleservices", settings.ts_database_url),
    ):
        click.echo(f"Migration de la base {database}…")
        upgrade(database, url)
    motives, periods = runner.run_in_transaction(load_national_references, settings=settings)
    click.echo(
        f"Références nationales : {motives} motifs génériques, {periods} périodes de vacances."
    )
    click.echo("Bases à jour.")


class _ProgressBars:
    """One progress bar per stage reported by a long command."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: Any = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=total, label=stage.ljust(28), file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command()
@click.option(
    "--scale",
    default=3,
    show_default=True,
    type=click.IntRange(1, 500),
    help="Nombre d'établissements.",
)
@click.option(
    "--seed",
    default=2026,
    show_default=True,
    help="Graine du générateur (mêmes données à graine égale).",
)
@click.option(
    "--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des établissements."
)
def demo(scale: int, seed: int, if_empty: bool) -> None:
    """Load a demo académie of SCALE schools into an empty database."""
    from api.demo import DemoError, database_is_empty, generate_demo

    async def load(databases: runner.Databases) -> Any:
        if not await database_is_empty(databases.admin):
            if if_empty:
                return None
            raise click.ClickException(
                "la base contient déjà une académie ; utilisez une base vide."
            )
        progress = _ProgressBars()
        try:
            return await generate_demo(databases.admin, scale=scale, seed=seed, progress=progress)
        finally:
            progress.close()

    report = runner.run(load, expected=(DemoError,))
    if report is None:
        click.echo("La base contient déjà une académie : données de démonstration non rechargées.")
        return
    click.echo(
        f"\nAcadémie de démonstration : {report.schools} établissements, {report.students} élèves, "
        f"{report.guardians} responsables, {report.divisions} divisions, {report.groups} groupes, "
        f"{report.absence_events} absences et retards."
    )
    click.echo(
        f"Finances du 1er trimestre : {report.charges} droits constatés, {report.reductions} "
        f"remises, {report.receipts} encaissements, {report.scholarship_files} dossiers de "
        f"bourse, {report.notices} avis aux familles."
    )
    click.echo(f"Notes du 1er trimestre : {report.assessments} devoirs, {report.marks} notes.")
    click.echo("\nComptes de démonstration :")
    for account in report.accounts:
        where = account.school_uai or "académie"
        click.echo(
            f"  {account.role:<12} {account.login:<24} mot de passe : {account.password}   ({where})"
        )


@click.group("db")
def database() -> None:
    """Administration of the admin database."""


@database.command("grant-app-role")
@click.argument("role")
def grant_app_role(role: str) -> None:
    """Give ROLE (PostgreSQL) what the application needs: every table in read-write, except the
    audit log, which it may only read and append to. Run as the schema's owner, after migrate."""
    from databases.roles import RoleError, grant_application_role

    runner.run(
        lambda databases: grant_application_role(databases.settings.database_url, role),
        expected=(RoleError,),
    )
    click.echo(f"Droits de l'application accordés au rôle {role} (journal d'audit en ajout seul).")


@database.command("grant-families-role")
@click.argument("role")
def grant_families_role(role: str) -> None:
    """Give ROLE (PostgreSQL) what the families portal needs in the télé-services database:
    read the replicated tables, write the account tables, nothing else."""
    from databases.roles import RoleError
    from databases.roles import grant_families_role as grant

    runner.run(
        lambda databases: grant(databases.settings.ts_database_url, role),
        expected=(RoleError,),
    )
    click.echo(f"Droits du portail familles accordés au rôle {role}.")

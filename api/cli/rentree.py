"""The rentrée switch from the command line: ``sconet rentree --school UAI`` (as the school's
principal would) or ``sconet rentree --academy`` (every school, then the académie's years)."""

from __future__ import annotations

from typing import Any

import click

from api.cli import runner

OUTCOME_LABELS = {
    "switched": "basculé",
    "already_switched": "déjà basculé",
    "refused": "refusé",
}


def _counts(rentree: Any) -> str:
    return (
        f"{rentree.closed_enrollments} scolarités closes, {rentree.leavers} sortants, "
        f"{rentree.ended_accesses} accès aux télé-services fermés"
    )


@click.command()
@click.option("--school", "school_uai", default=None, help="UAI de l'établissement à basculer.")
@click.option("--academy", is_flag=True, help="Basculer chaque établissement de l'académie.")
def rentree(school_uai: str | None, academy: bool) -> None:
    """The rentrée switch: the year in preparation becomes the current year (one school, or
    every school of the académie, each in its own transaction). Running it again changes
    nothing. Exit code 1 when a school is refused (its reasons are printed)."""
    from api.resolvers.rentree import SchoolSwitch, switch_academy_rentree, switch_rentree
    from api.resolvers.work import Work

    if academy == (school_uai is not None):
        raise click.UsageError("Indiquez soit --school UAI, soit --academy.")

    async def switch(work: Work, school_id: int | None) -> bool:
        if school_uai is not None:
            assert school_id is not None
            async with work.writing(school_id) as transaction:
                outcome = await transaction.run(switch_rentree, school_id)
            row = outcome.rentree
            if outcome.switched:
                click.echo(f"Rentrée faite pour {school_uai.upper()} : {_counts(row)}.")
            else:
                click.echo(
                    f"Rentrée déjà faite pour {school_uai.upper()} (le "
                    f"{row.switched_at:%d/%m/%Y}) : rien n'a changé."
                )
            return True
        report = await switch_academy_rentree(work)
        for school in report.schools:
            line = f"{school.uai} {school.name} : {OUTCOME_LABELS[school.outcome]}"
            if school.outcome is SchoolSwitch.SWITCHED and school.rentree is not None:
                line += f" ({_counts(school.rentree)})"
            click.echo(line)
            for reason in school.reasons:
                click.echo(f"  - {reason}")
        if report.new_current_year is not None:
            click.echo(
                f"Tous les établissements ont basculé : {report.new_current_year.label} est "
                "l'année en cours de l'académie."
            )
        return all(s.outcome is not SchoolSwitch.REFUSED for s in report.schools)

    if not runner.run_with_work(school_uai, switch):
        raise SystemExit(1)

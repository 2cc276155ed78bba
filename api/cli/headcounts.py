"""``sconet constat``: a school's constat de rentrée from the server's command line, through the
same domain as the portal's /constat page (the command acts for the school as its principal
would): launch it, print its breakdowns and anomalies, write the rentrée evaluation survey
(EVA) file. The headcounts per structure for STS-WEB are ``sconet export effectifs``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from api.cli import runner

SCHOOL = click.option(
    "--school", "school_uai", required=True, help="UAI de l'établissement du constat."
)
YEAR = click.option(
    "--year",
    "start_year",
    type=click.IntRange(1900, 2999),
    default=None,
    help="Année scolaire, par l'année de la rentrée (2026 pour 2026-2027) ; "
    "sans cette option : l'année en cours de l'établissement.",
)
DIMENSIONS = ("mef", "division", "sex", "regime", "age", "status")


async def _year(session: Any, principal: Any, school_id: int, start_year: int | None) -> Any:
    from api.resolvers.schools import current_year_of, school_years

    if start_year is None:
        year = await current_year_of(session, school_id)
        if year is None:
            raise click.ClickException("Aucune année en cours dans l'académie.")
        return year
    years = await school_years(session, principal)
    chosen = next((y for y in years if y.start_year == start_year), None)
    if chosen is None:
        raise click.ClickException(
            f"--year : l'année {start_year}-{start_year + 1} n'existe pas dans l'académie."
        )
    return chosen


@click.group("constat")
def constat() -> None:
    """The constat de rentrée of a school."""


@constat.command("launch")
@SCHOOL
@YEAR
@click.option(
    "--date",
    "counted_on",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    default=None,
    help="Jour du constat (AAAA-MM-JJ ou JJ/MM/AAAA) ; sans cette option : aujourd'hui.",
)
def launch(school_uai: str, start_year: int | None, counted_on: Any) -> None:
    """Freeze the school's constat de rentrée of the year: once, for good."""
    from api.resolvers.headcounts import launch_constat

    day: date | None = counted_on.date() if counted_on is not None else None

    async def work(session: Any, principal: Any, school_id: int | None) -> tuple[Any, Any]:
        assert school_id is not None  # --school is required
        year = await _year(session, principal, school_id, start_year)
        return await launch_constat(session, principal, school_id, year.id, day), year

    snapshot, year = runner.run_as_operator(school_uai, work)
    click.echo(
        f"Constat de rentrée {year.label} figé : {snapshot.total} élèves présents le "
        f"{snapshot.counted_on:%d/%m/%Y}."
    )


@constat.command("show")
@SCHOOL
@YEAR
@click.option(
    "--by",
    "dimension",
    type=click.Choice(DIMENSIONS),
    default="mef",
    show_default=True,
    help="Répartition affichée.",
)
def show(school_uai: str, start_year: int | None, dimension: str) -> None:
    """Print the school's constat: a breakdown and its anomalies."""
    from api.resolvers.headcounts import (
        ANOMALY_LABELS,
        AnomalyKind,
        school_snapshot,
        snapshot_anomalies,
        snapshot_totals,
    )

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None
        year = await _year(session, principal, school_id, start_year)
        snapshot = await school_snapshot(session, principal, school_id, year.id)
        if snapshot is None:
            raise click.ClickException(f"Le constat de rentrée {year.label} n'est pas lancé.")
        totals = await snapshot_totals(session, principal, snapshot.id, dimension)
        anomalies = await snapshot_anomalies(session, principal, snapshot.id)
        return year, snapshot, totals, anomalies

    year, snapshot, totals, anomalies = runner.run_as_operator(school_uai, work)
    click.echo(
        f"Constat de rentrée {year.label} : {snapshot.total} élèves présents le "
        f"{snapshot.counted_on:%d/%m/%Y} (figé par {snapshot.actor_label})."
    )
    click.echo(f"{'':<40} {'garçons':>8} {'filles':>8} {'total':>8}")
    for row in totals:
        click.echo(f"{row.label[:40]:<40} {row.boys:>8} {row.girls:>8} {row.total:>8}")
    click.echo(f"Anomalies : {len(anomalies)}")
    for anomaly in anomalies:
        click.echo(f"  {ANOMALY_LABELS[AnomalyKind(anomaly.kind)]} : {anomaly.label}")


@constat.command("eva")
@SCHOOL
@YEAR
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Fichier écrit (sans cette option : le nom du fichier, dans le dossier courant).",
)
def evaluation_survey(school_uai: str, start_year: int | None, output: Path | None) -> None:
    """Write the rentrée evaluation survey (EVA) file and record it in the exchange history."""
    from api.resolvers.exchanges.runs import stored_file
    from api.resolvers.headcounts import export_evaluation_survey

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None
        year = await _year(session, principal, school_id, start_year)
        run = await export_evaluation_survey(session, principal, school_id, year.id)
        file_name, content = await stored_file(session, principal, run.id)
        return run, file_name, content

    run, file_name, content = runner.run_as_operator(school_uai, work)
    target = output or Path(file_name)
    target.write_bytes(content)
    written = run.counts["students"]["written"]
    without_ine = run.report.get("without_ine", 0)
    click.echo(
        f"Fichier EVA n° {run.id} écrit dans {target} : {written} élèves, dont {without_ine} "
        "sans INE (INE vide)."
    )

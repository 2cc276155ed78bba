"""``sconet scholarships``: the national tables a rectorat loads each year, and a school's
scholarships from the server's command line through the same domain as the portal's /bourses
pages (the command acts for the school as its principal would): the files, the état
récapitulatif of a term, the term's payment (previewed, then paid with ``--apply``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli import runner

SCHOOL = click.option("--school", "school_uai", required=True, help="UAI de l'établissement.")
YEAR = click.option(
    "--year",
    "start_year",
    type=click.IntRange(1900, 2999),
    default=None,
    help="Année scolaire, par l'année de la rentrée (2026 pour 2026-2027) ; sans cette "
    "option : l'année en cours de l'établissement.",
)
TERM = click.option(
    "--term", "rank", type=click.IntRange(1, 4), required=True, help="Rang du trimestre (1 à 4)."
)


def _euros(amount: Any) -> str:
    from core.money import format_euros

    return format_euros(amount).replace("\u202f", " ").replace("\u00a0", " ")


async def _year(session: Any, principal: Any, school_id: int | None, start_year: int | None) -> Any:
    from api.resolvers.schools import current_year_of, school_years

    if start_year is None and school_id is not None:
        year = await current_year_of(session, school_id)
        if year is not None:
            return year
    years = await school_years(session, principal)
    chosen = next(
        (y for y in years if y.start_year == start_year)
        if start_year is not None
        else (y for y in years if y.state.value == "current"),
        None,
    )
    if chosen is None:
        raise click.ClickException(
            f"--year : l'année {start_year}-{(start_year or 0) + 1} n'existe pas dans l'académie."
            if start_year is not None
            else "Aucune année en cours dans l'académie."
        )
    return chosen


async def _term_id(session: Any, principal: Any, school_id: int, year: Any, rank: int) -> int:
    from api.resolvers.scholarships.summaries import school_term_ranks

    terms = await school_term_ranks(session, principal, school_id, year.id)
    found = next((id_ for id_, r, _label in terms if r == rank), None)
    if found is None:
        raise click.ClickException(
            f"--term : l'établissement n'a pas de trimestre {rank} en {year.label} "
            "(définissez ses trimestres)."
        )
    return found


async def _as_rectorat(databases: Any, work: Any) -> Any:
    """The académie's état is the rectorat's to read: the command line reads it as the
    rectorat would (its operator is the académie's administrator, who does not)."""
    from api.auth.principal import Principal
    from api.resolvers.administration import COMMAND_LINE, command_line_administrator
    from db.accounts import Role

    async with databases.admin() as session:
        administrator = await command_line_administrator(session)
        if administrator is None:
            raise click.ClickException("Aucune académie dans la base.")
        rectorat = Principal(
            kind="system",
            id=None,
            label=COMMAND_LINE,
            academy_id=administrator.academy_id,
            grants=frozenset({(None, Role.RECTORAT)}),
        )
        return await work(session, rectorat, None)


@click.group("scholarships")
def scholarships() -> None:
    """Scholarships (bourses de collège et de lycée)."""


@scholarships.command("load-scale")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def load_scale_command(files: tuple[Path, ...]) -> None:
    """Load a year's national tables from CSV files in the shipped formats (amounts:
    kind,first_year,echelon,annual_amount; ceilings:
    kind,first_year,dependent_children,echelon,ceiling). Checked whole: nothing is loaded
    unless every table is complete and consistent."""
    from api.resolvers.scholarships.scales import KIND_LABELS, load_scale

    texts: list[tuple[str, str]] = []
    for path in files:
        if path.stat().st_size > 1_000_000:
            raise click.ClickException(f"{path.name} : fichier trop gros pour un barème.")
        try:
            texts.append((path.name, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            raise click.ClickException(f"{path.name} : le fichier doit être en UTF-8.") from None

    async def work(session: Any) -> Any:
        return await load_scale(session, texts)

    for table in runner.run_in_transaction(work):
        click.echo(
            f"Barème de la {KIND_LABELS[table.kind]} {table.first_year}-{table.first_year + 1} "
            f"{'remplacé' if table.replaced else 'chargé'} : {table.amounts} montants, "
            f"{table.ceilings} plafonds."
        )


@scholarships.command("list")
@SCHOOL
@YEAR
@click.option(
    "--status",
    type=click.Choice(["received", "complete", "granted", "refused"]),
    default=None,
    help="Seulement les dossiers de cet état.",
)
def list_files(school_uai: str, start_year: int | None, status: str | None) -> None:
    """Print the school's scholarship files of the year."""
    from api.resolvers.scholarships.files import (
        STATUS_LABELS,
        ScholarshipStatus,
        scholarship_files,
    )

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None  # --school is required
        year = await _year(session, principal, school_id, start_year)
        chosen = ScholarshipStatus(status) if status else None
        return year, await scholarship_files(session, principal, school_id, year.id, chosen)

    year, cards = runner.run_as_operator(school_uai, work)
    click.echo(f"Dossiers de bourse {year.label} : {len(cards)}")
    for card in cards:
        decision = (
            f"échelon {card.echelon}, {_euros(card.annual_amount)}"
            if card.echelon is not None
            else card.refusal_reason or ""
        )
        click.echo(
            f"  {card.division_code or '—':<6} {card.student_name[:40]:<40} "
            f"{STATUS_LABELS[card.status]:<8} {decision}"
        )


@scholarships.command("summary")
@click.option(
    "--school",
    "school_uai",
    default=None,
    help="UAI de l'établissement ; sans cette option : l'état consolidé de l'académie.",
)
@YEAR
@TERM
def summary(school_uai: str | None, start_year: int | None, rank: int) -> None:
    """Print the état récapitulatif of a term: students and amounts by échelon."""
    from api.resolvers.scholarships.scales import KIND_LABELS
    from api.resolvers.scholarships.summaries import academy_term_summary, term_summary

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        year = await _year(session, principal, school_id, start_year)
        if school_id is None:
            return year, await academy_term_summary(session, principal, year.id, rank)
        term_id = await _term_id(session, principal, school_id, year, rank)
        return year, await term_summary(session, principal, term_id)

    if school_uai is not None:
        year, state = runner.run_as_operator(school_uai, work)
    else:
        year, state = runner.run(lambda databases: _as_rectorat(databases, work))
    where = f"l'établissement {school_uai.upper()}" if school_uai else "l'académie"
    click.echo(f"État récapitulatif des bourses de {where}, {year.label}, trimestre {rank}")
    click.echo(f"{'':<28} {'élèves':>7} {'montant':>14} {'déduit':>14} {'à la famille':>14}")
    for line in state.by_echelon:
        label = f"{KIND_LABELS[line.kind]}, échelon {line.echelon}"
        click.echo(
            f"{label:<28} {line.students:>7} {_euros(line.amount):>14} "
            f"{_euros(line.deducted):>14} {_euros(line.paid_to_family):>14}"
        )
    click.echo(
        f"{'Total':<28} {state.students:>7} {_euros(state.amount):>14} "
        f"{_euros(state.deducted):>14} {_euros(state.paid_to_family):>14}"
    )
    for school in state.schools:
        click.echo(
            f"  {school.uai} {school.name[:40]:<40} {school.students:>5} {_euros(school.amount):>14}"
        )


@scholarships.command("pay")
@SCHOOL
@YEAR
@TERM
@click.option("--apply", "apply", is_flag=True, help="Verser (sans cette option : l'aperçu).")
def pay(school_uai: str, start_year: int | None, rank: int, apply: bool) -> None:
    """Pay a term's scholarships once it is over (preview without --apply)."""
    from api.resolvers.scholarships.payments import pay_term, term_payment_preview

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None  # --school is required
        year = await _year(session, principal, school_id, start_year)
        term_id = await _term_id(session, principal, school_id, year, rank)
        if apply:
            return await pay_term(session, principal, school_id, term_id)
        return await term_payment_preview(session, principal, school_id, term_id)

    plan = runner.run_as_operator(school_uai, work)
    lines = [line for line in plan.lines if line.state in ("to_pay", "paid")]
    for line in lines:
        click.echo(
            f"  {line.division_code or '—':<6} {line.student_name[:40]:<40} "
            f"{_euros(line.share):>12} déduit {_euros(line.deducted):>12} "
            f"famille {_euros(line.paid_to_family):>12}"
            f"{' (déjà versé)' if line.state == 'paid' and not apply else ''}"
        )
    to_pay = plan.to_pay
    if apply:
        click.echo(
            f"{plan.term_label} : {plan.paid_now} bourses versées maintenant, "
            f"{len(lines)} en tout pour ce trimestre."
        )
        return
    click.echo(
        f"{plan.term_label} : {len(to_pay)} bourses à verser, {_euros(plan.total)} dont "
        f"{_euros(plan.total_deducted)} déduits des frais et {_euros(plan.total_paid_to_family)} "
        "versés aux familles."
        + ("" if plan.payable else f" Versement possible après le {plan.last_day:%d/%m/%Y}.")
    )
    click.echo("Aperçu seulement : relancez avec --apply pour verser.")

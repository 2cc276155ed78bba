"""``sconet finances``: a term's charges from the server's command line, through the same
domain as the portal's /finances/generation page (the command acts for the school as its
principal would): the preview's totals, then, with ``--apply``, the application."""

from __future__ import annotations

from typing import Any

import click

from api.cli import runner
from api.cli.headcounts import YEAR, _year


@click.group()
def finances() -> None:
    """The student's finances of a school: the terms' charges."""


@finances.command("generate")
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement.")
@click.option(
    "--term", "rank", type=click.IntRange(1, 4), required=True, help="Rang du trimestre (1 à 4)."
)
@YEAR
@click.option(
    "--apply", "apply_now", is_flag=True, help="Appliquer (sans cette option : prévisualiser)."
)
def generate(school_uai: str, rank: int, start_year: int | None, apply_now: bool) -> None:
    """Preview (then apply, with --apply) a term's charges: the totals of its lines."""
    from api.resolvers.finances.charges import apply_charges, charge_preview
    from api.resolvers.finances.terms import finance_terms
    from core.errors import ValidationFailed
    from core.money import format_euros

    async def work(session: Any, principal: Any, school_id: int | None) -> tuple[Any, Any]:
        assert school_id is not None  # --school is required
        year = await _year(session, principal, school_id, start_year)
        terms = await finance_terms(session, principal, school_id, year.id)
        term = next((t for t in terms if t.rank == rank), None)
        if term is None:
            raise click.ClickException(
                f"--term : pas de trimestre {rank} en {year.label} (définissez les trimestres)."
            )
        preview = await charge_preview(session, principal, term.id)
        if not apply_now:
            return preview, None
        try:
            return preview, await apply_charges(session, principal, term.id)
        except ValidationFailed as failed:
            raise click.ClickException(
                "génération refusée : " + " ; ".join(e.message for e in failed.errors)
            ) from None

    preview, applied = runner.run_as_operator(school_uai, work)
    euros = format_euros
    click.echo(
        f"{preview.term_label} : {len(preview.lines)} lignes, dû {euros(preview.total_expected)}, "
        f"déjà constaté {euros(preview.total_already)}, à écrire "
        f"{euros(preview.total_adjustment)} ({preview.lines_to_write} lignes), remise de "
        f"principe {euros(preview.total_principle)} (à écrire "
        f"{euros(preview.principle_adjustment)}), {preview.warnings} avertissements"
    )
    if preview.term_closed:
        click.echo(f"Trimestre clos : enregistré dans {preview.recording_term_label or '—'}.")
    if applied is not None:
        click.echo(
            f"Appliqué : {applied.charges} droits constatés ({euros(applied.total)}), "
            f"{applied.reductions} remises ({euros(applied.principle_total)})."
        )

"""``sconet finances``: a school's finances from the server's command line, through the same
domain as the portal's /finances pages (the command acts for the school as its principal
would): a term's charges (preview, then apply), the term's notices to families as one PDF,
the term's transfer to the accounting software as its CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli import runner
from api.cli.headcounts import _year
from core.errors import FieldError, ValidationFailed

SCHOOL = click.option("--school", "school_uai", required=True, help="UAI de l'établissement.")
TERM = click.option(
    "--term",
    "rank",
    required=True,
    type=click.IntRange(1, 4),
    help="Rang du trimestre dans l'année (1, 2, 3).",
)
YEAR = click.option(
    "--year",
    "start_year",
    type=click.IntRange(1900, 2999),
    default=None,
    help="Année scolaire, par l'année de la rentrée (2026 pour 2026-2027) ; "
    "sans cette option : l'année en cours de l'établissement.",
)
OPTIONS = {"term_id": "--term", "account_id": "--term", "due_on": "--due-on"}


def _named_by_options(exc: ValidationFailed) -> ValidationFailed:
    return ValidationFailed(
        [FieldError(OPTIONS.get(e.field, e.field), e.code, e.message) for e in exc.errors]
    )


async def _term(
    session: Any, principal: Any, school_id: int, start_year: int | None, rank: int
) -> Any:
    from api.resolvers.finances.terms import finance_terms
    from api.resolvers.schools import current_year_of, school_years

    if start_year is None:
        year = await current_year_of(session, school_id)
        if year is None:
            raise click.ClickException("Aucune année en cours dans l'académie.")
    else:
        year = next(
            (y for y in await school_years(session, principal) if y.start_year == start_year),
            None,
        )
        if year is None:
            raise click.ClickException(
                f"--year : l'année {start_year}-{start_year + 1} n'existe pas dans l'académie."
            )
    terms = await finance_terms(session, principal, school_id, year.id)
    term = next((t for t in terms if t.rank == rank), None)
    if term is None:
        raise click.ClickException(
            f"--term : l'année {year.label} n'a pas de trimestre {rank} "
            f"({len(terms)} trimestre(s) définis)."
        )
    return term


@click.group("finances")
def finances() -> None:
    """The student's finances of a school (GFE)."""


@finances.command("notices")
@SCHOOL
@TERM
@YEAR
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Fichier PDF à écrire.",
)
def notices(school_uai: str, rank: int, start_year: int | None, out: Path) -> None:
    """Issue the term's notices not yet issued, then write every notice of the term in one
    PDF (a page per family)."""
    from api.resolvers.finances.notices import issue_notices, notices_to_issue, term_notices_pdf

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None  # --school is required
        term = await _term(session, principal, school_id, start_year, rank)
        issued = 0
        try:
            if await notices_to_issue(session, principal, term.id):
                issued = len((await issue_notices(session, principal, term.id)).notices)
            _name, content = await term_notices_pdf(session, principal, term.id)
        except ValidationFailed as exc:
            raise _named_by_options(exc) from None
        return term, issued, content

    term, issued, content = runner.run_as_operator(school_uai, work)
    out.write_bytes(content)
    click.echo(f"{term.label} : {issued} avis émis ; avis du trimestre écrits dans {out}.")


@finances.command("transfer")
@SCHOOL
@TERM
@YEAR
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Fichier CSV à écrire.",
)
def transfer(school_uai: str, rank: int, start_year: int | None, out: Path) -> None:
    """Send the closed term's transfer to the accounting software (once) and write its file;
    once sent, write the file as it was sent."""
    from api.resolvers.finances.charge_transfers import (
        charge_transfer,
        transfer_file,
        transfer_term,
    )

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None
        term = await _term(session, principal, school_id, start_year, rank)
        try:
            sent = await charge_transfer(session, principal, term.id)
            new = sent is None
            if sent is None:
                sent = await transfer_term(session, principal, term.id)
            _name, content = await transfer_file(session, principal, sent.id)
        except ValidationFailed as exc:
            raise _named_by_options(exc) from None
        return term, sent, new, content

    term, sent, new, content = runner.run_as_operator(school_uai, work)
    out.write_bytes(content)
    when = "envoyé" if new else f"déjà envoyé le {sent.created_at:%d/%m/%Y}"
    click.echo(
        f"Transfert du {term.label} {when} : {sent.lines} lignes, droits "
        f"{sent.total_charges:.2f}, remises {sent.total_reductions:.2f}, paiements "
        f"{sent.total_payments:.2f} ; fichier écrit dans {out}."
    )


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

"""``sconet passage``: a division's decisions in mass (with exceptions), and the académie's
assignments file, from the server's command line, through the same domain as the portal's
"Passage" screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli import runner
from api.cli.exchanges import run_import

OUTCOMES = {"passage": "promoted", "redoublement": "repeating"}


@click.group()
def passage() -> None:
    """Passage: decisions for next year and newcomers assigned by the académie."""


@passage.command("division")
@click.argument("division_code")
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement.")
@click.option(
    "--decision",
    "outcome",
    type=click.Choice(sorted(OUTCOMES)),
    required=True,
    help="Décision pour les élèves de la division sans décision.",
)
@click.option(
    "--redoublement",
    "repeating",
    multiple=True,
    metavar="INE",
    help="Exception : cet élève (par son INE) redouble. Répétable.",
)
@click.option(
    "--passage",
    "promoted",
    multiple=True,
    metavar="INE",
    help="Exception : cet élève (par son INE) passe dans le MEF suivant. Répétable.",
)
def decide_division_command(
    division_code: str,
    school_uai: str,
    outcome: str,
    repeating: tuple[str, ...],
    promoted: tuple[str, ...],
) -> None:
    """Decide for a division of the current year at once, with exceptions by INE."""
    from api.resolvers.passage import decide_division, school_passage
    from api.resolvers.structures import list_divisions
    from core.errors import ValidationFailed

    wanted = {ine.strip().upper(): "repeating" for ine in repeating} | {
        ine.strip().upper(): "promoted" for ine in promoted
    }

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None
        state = await school_passage(session, principal, school_id)
        divisions = await list_divisions(session, principal, school_id, state.year.id)
        division = next(
            (d.division for d in divisions if d.division.code == division_code.strip()), None
        )
        if division is None:
            raise click.ClickException(
                f"division {division_code} inconnue en {state.year.label} dans {school_uai}"
            )
        rows = [r for r in state.rows if r.enrollment.division_id == division.id]
        by_ine = {r.student.ine: r.enrollment.id for r in rows if r.student.ine}
        unknown = sorted(set(wanted) - set(by_ine))
        if unknown:
            raise click.ClickException(
                f"INE absent(s) de la division {division.code} : {', '.join(unknown)}"
            )
        exceptions = {by_ine[ine]: {"outcome": chosen} for ine, chosen in wanted.items()}
        try:
            return await decide_division(
                session, principal, division.id, {"outcome": OUTCOMES[outcome]}, exceptions
            )
        except ValidationFailed as failed:
            raise click.ClickException(
                "décisions refusées :\n" + "\n".join(f"  {e.message}" for e in failed.errors)
            ) from None

    counts = runner.run_as_operator(school_uai, work)
    click.echo(
        f"décisions : créées {counts.created}, modifiées {counts.updated}, "
        f"inchangées {counts.unchanged}"
    )


@passage.command("affectations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement.")
@click.option(
    "--apply", "apply_now", is_flag=True, help="Appliquer (sans cette option : prévisualiser)."
)
def assignments(path: Path, school_uai: str, apply_now: bool) -> None:
    """Read the académie's assignments file (CSV): the newcomers of next year; the same as
    ``sconet import affectations``."""
    run_import("affectations", path, school_uai, apply_now)

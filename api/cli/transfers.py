"""``sconet transfer find|take``: a student arriving from another school of the académie, from
the server's command line, through the same domain as the portal's "Arrivée d'un élève"
(``api.resolvers.transfers``): the search shows only what identifies him and is recorded in
the receiving school's audit trail; taking his file enrols him and closes his enrolment in
his former school, in one transaction. The command acts for the receiving school as its
principal would (``runner.run_as_operator``, as ``sconet import`` does)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from api.cli import runner
from api.resolvers.vocabulary import Regime
from core.errors import FieldError, ValidationFailed

# The domain's fields, as this command's options name them.
OPTIONS = {
    "ine": "--ine",
    "family_name": "--name",
    "first_name": "--first-name",
    "birth_date": "--birth-date",
    "student_id": "--student",
    "school_year_id": "--year",
    "mef_id": "--mef",
    "division_id": "--division",
    "regime": "--regime",
    "entry_date": "--entry-date",
}


def _named_by_options(exc: ValidationFailed) -> ValidationFailed:
    return ValidationFailed(
        [FieldError(OPTIONS.get(e.field, e.field), e.code, e.message) for e in exc.errors]
    )


def _iso_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} n'est pas une date AAAA-MM-JJ.", param_hint=option
        ) from None


@click.group()
def transfer() -> None:
    """A student arriving from another school of the académie."""


@transfer.command("find")
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement d'accueil.")
@click.option("--ine", default=None, help="INE de l'élève.")
@click.option("--name", "family_name", default=None, help="Nom de famille (exact).")
@click.option("--first-name", default=None, help="Prénom (exact).")
@click.option("--birth-date", default=None, help="Date de naissance, AAAA-MM-JJ.")
def find(
    school_uai: str,
    ine: str | None,
    family_name: str | None,
    first_name: str | None,
    birth_date: str | None,
) -> None:
    """Find the student in the académie's other schools, by his INE or by his name, first
    name and birth date: each match with his current school and MEF, and the number to give
    to ``sconet transfer take --student``. The search is audited."""
    from api.resolvers.transfers import transfer_candidates

    criteria = {
        "ine": ine,
        "family_name": family_name,
        "first_name": first_name,
        "birth_date": _iso_date("--birth-date", birth_date),
    }

    async def work(session: Any, principal: Any, school_id: int | None) -> list[Any]:
        assert school_id is not None  # --school is required
        try:
            return await transfer_candidates(session, principal, school_id, criteria)
        except ValidationFailed as exc:
            raise _named_by_options(exc) from exc

    candidates = runner.run_as_operator(school_uai, work)
    if not candidates:
        click.echo("Aucun élève trouvé dans les autres établissements de l'académie.")
        return
    for c in candidates:
        click.echo(
            f"n° {c.student_id} : {c.family_name} {c.first_name}, né(e) le "
            f"{c.birth_date:%d/%m/%Y}, sexe {c.sex.value}, {c.mef_label}, "
            f"{c.school_name} ({c.school_uai})"
        )


@transfer.command("take")
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement d'accueil.")
@click.option(
    "--student",
    "student_id",
    type=int,
    required=True,
    help="Numéro de l'élève, donné par « sconet transfer find ».",
)
@click.option("--mef", "mef_code", required=True, help="Code MEF (profil de l'établissement).")
@click.option("--division", "division_code", default=None, help="Code de la division.")
@click.option(
    "--regime",
    type=click.Choice([r.value for r in Regime]),
    required=True,
    help="Régime.",
)
@click.option("--entry-date", required=True, help="Date d'entrée, AAAA-MM-JJ.")
@click.option(
    "--year",
    "start_year",
    type=click.IntRange(1900, 2999),
    default=None,
    help="Année d'arrivée, par l'année de la rentrée (2026 pour 2026-2027) : l'année en "
    "cours de l'établissement (sans cette option) ou l'année en préparation.",
)
def take(
    school_uai: str,
    student_id: int,
    mef_code: str,
    division_code: str | None,
    regime: str,
    entry_date: str,
    start_year: int | None,
) -> None:
    """Take the student's file into the school: he is enrolled there and his enrolment in
    his former school closes the day before his entry (change of school)."""
    from api.resolvers.nomenclatures import list_mefs
    from api.resolvers.schools import school_years
    from api.resolvers.structures import list_divisions
    from api.resolvers.transfers import take_student_file

    entry = _iso_date("--entry-date", entry_date)

    async def work(session: Any, principal: Any, school_id: int | None) -> Any:
        assert school_id is not None  # --school is required
        year_id = None
        if start_year is not None:
            years = await school_years(session, principal)
            year = next((y for y in years if y.start_year == start_year), None)
            if year is None:
                raise click.ClickException(
                    f"--year : l'année {start_year}-{start_year + 1} n'existe pas dans l'académie."
                )
            year_id = year.id
        mef = next(
            (m for m in await list_mefs(session, principal, school_id) if m.code == mef_code),
            None,
        )
        if mef is None:
            raise click.ClickException(
                f"--mef : le MEF {mef_code} n'est pas proposé par l'établissement."
            )
        division_id = None
        if division_code is not None:
            division = next(
                (
                    s.division
                    for s in await list_divisions(session, principal, school_id, year_id)
                    if s.division.code == division_code
                ),
                None,
            )
            if division is None:
                raise click.ClickException(
                    f"--division : pas de division {division_code} dans l'établissement "
                    "pour cette année."
                )
            division_id = division.id
        try:
            enrollment = await take_student_file(
                session,
                principal,
                school_id,
                student_id,
                {
                    "school_year_id": year_id,
                    "mef_id": mef.id,
                    "division_id": division_id,
                    "regime": regime,
                    "entry_date": entry,
                },
            )
        except ValidationFailed as exc:
            raise _named_by_options(exc) from exc
        return enrollment

    enrollment = runner.run_as_operator(school_uai, work)
    click.echo(
        f"Élève n° {student_id} inscrit (inscription n° {enrollment.id}) à compter du "
        f"{enrollment.entry_date:%d/%m/%Y}, venant de {enrollment.previous_school_name} "
        f"({enrollment.previous_school_uai}) : son inscription là-bas est close."
    )

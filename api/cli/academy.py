"""The académie's set-up from the command line: ``sconet academy create`` (a fresh académie
and its first administrator), ``sconet school create|update|import``, ``sconet year create``,
``sconet year open-next``, ``sconet principal create``. The same domain functions as the portal's and GraphQL's; the
operator acts as the académie's administrator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli import runner
from db.absences import HolidayZone
from db.schools import SchoolKind, SchoolSector, SchoolYearState


def _portal_address() -> str:
    """Where the invitation links point: the staff portal's public address."""
    settings = runner.load()
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def _echo_invitation(invitation: Any) -> None:
    user = invitation.user
    if invitation.emailed:
        click.echo(f"Invitation envoyée à {user.email} (file d'envoi des courriels).")
    click.echo(
        f"Lien d'invitation de {user.login}, valable jusqu'au "
        f"{invitation.expires_at:%d/%m/%Y %H:%M} UTC, à usage unique :\n  {invitation.link}"
    )


@click.group()
def academy() -> None:
    """The académie itself."""


@academy.command("create")
@click.option("--code", required=True, help="Code de l'académie, ex. 24 (Créteil).")
@click.option("--name", required=True, help="Nom, ex. Créteil.")
@click.option("--admin-login", required=True, help="Identifiant du premier administrateur.")
@click.option("--admin-name", default=None, help="Nom affiché (par défaut l'identifiant).")
@click.option("--admin-email", default=None, help="Courriel où envoyer l'invitation.")
def academy_create(
    code: str, name: str, admin_login: str, admin_name: str | None, admin_email: str | None
) -> None:
    """Create a fresh académie (no demo) and invite its first administrator: the one-time
    link to choose his password is printed here (and e-mailed if an address is given)."""
    from api.resolvers.administration import create_academy

    address = _portal_address()
    invitation = runner.run_in_transaction(
        lambda session: create_academy(
            session,
            code=code,
            name=name,
            admin_login=admin_login,
            admin_name=admin_name or admin_login,
            admin_email=admin_email,
            portal_address=address,
        )
    )
    click.echo(f"Académie {name} ({code}) créée.")
    _echo_invitation(invitation)


SCHOOL_OPTIONS = (
    click.option("--uai", help="7 chiffres et la lettre clé, ex. 0750654G."),
    click.option("--name", help="Nom de l'établissement."),
    click.option("--kind", type=click.Choice([k.value for k in SchoolKind]), help="Nature."),
    click.option("--sector", type=click.Choice([s.value for s in SchoolSector]), help="Secteur."),
    click.option("--address", "address_line", help="Adresse (numéro et voie)."),
    click.option("--postal-code", help="Code postal."),
    click.option("--city", help="Commune."),
    click.option("--phone", help="Téléphone."),
    click.option("--email", help="Courriel de l'établissement."),
    click.option(
        "--zone",
        "holiday_zone",
        type=click.Choice([z.value for z in HolidayZone]),
        help="Zone de vacances (par défaut celle de l'académie).",
    ),
)


def _school_options(fn: Any) -> Any:
    for option in reversed(SCHOOL_OPTIONS):
        fn = option(fn)
    return fn


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@click.group()
def school() -> None:
    """The académie's schools."""


@school.command("create")
@_school_options
def school_create(**values: Any) -> None:
    """Create a school (UAI, name and kind required)."""
    from api.resolvers.schools import create_school

    created = runner.run_as_academy_administrator(
        lambda session, principal: create_school(session, principal, _given(values))
    )
    click.echo(f"Établissement {created.uai} ({created.name}) créé.")


@school.command("update")
@click.argument("current_uai", metavar="UAI")
@_school_options
def school_update(current_uai: str, **values: Any) -> None:
    """Change what is given of the school UAI (--uai: its new UAI)."""
    from api.resolvers.schools import academy_schools, update_school
    from core.errors import NotFound

    changes = _given(values)

    async def update(session: Any, principal: Any) -> Any:
        wanted = current_uai.strip().upper()
        found = [s for s in await academy_schools(session, principal) if s.uai == wanted]
        if not found:
            raise NotFound("School", current_uai)
        return await update_school(session, principal, found[0].id, changes)

    updated = runner.run_as_academy_administrator(update)
    click.echo(f"Établissement {updated.uai} ({updated.name}) enregistré.")


@school.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", is_flag=True, help="Appliquer (sans cette option : aperçu seulement).")
def school_import(path: Path, apply: bool) -> None:
    """Load schools from a CSV file (columns: uai, nom, nature, secteur, adresse,
    code_postal, commune, zone, telephone, courriel): a preview, or with --apply the
    creations and updates, in one transaction."""
    from api.cli.exchanges import run_import

    run_import("ecoles", path, None, apply)


@click.group()
def year() -> None:
    """The académie's school years."""


@year.command("create")
@click.option("--start-year", required=True, type=int, help="Année de la rentrée, ex. 2026.")
@click.option("--starts-on", default=None, help="Premier jour (AAAA-MM-JJ, défaut 1er septembre).")
@click.option("--ends-on", default=None, help="Dernier jour (AAAA-MM-JJ, défaut 31 août).")
@click.option(
    "--state",
    type=click.Choice([s.value for s in SchoolYearState]),
    default=SchoolYearState.IN_PREPARATION.value,
    show_default=True,
)
def year_create(start_year: int, starts_on: str | None, ends_on: str | None, state: str) -> None:
    """Create a school year (one current at a time, dates that overlap no other year)."""
    from api.resolvers.schools import create_school_year

    data = _given(
        {"start_year": start_year, "starts_on": starts_on, "ends_on": ends_on, "state": state}
    )
    created = runner.run_as_academy_administrator(
        lambda session, principal: create_school_year(session, principal, data)
    )
    click.echo(
        f"Année {created.label} créée (du {created.starts_on:%d/%m/%Y} au "
        f"{created.ends_on:%d/%m/%Y}, {created.state.value})."
    )


@year.command("open-next")
def year_open_next() -> None:
    """Open the year after the current one in preparation (each school's nomenclature profile
    is copied into it); run again, it adds only what is missing."""
    from api.resolvers.schools import open_next_year

    opening = runner.run_as_academy_administrator(open_next_year)
    year = opening.school_year
    click.echo(
        f"Année {year.label} {'ouverte' if opening.created else 'déjà ouverte'} en préparation "
        f"(du {year.starts_on:%d/%m/%Y} au {year.ends_on:%d/%m/%Y}) ; profil repris pour "
        f"{opening.profiled_schools} établissement(s)."
    )


@click.group()
def principal() -> None:
    """Schools' principals."""


@principal.command("create")
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement.")
@click.option("--login", required=True)
@click.option("--name", "display_name", required=True, help="Nom affiché, ex. « Mme Durand ».")
@click.option("--email", required=True, help="Courriel où envoyer l'invitation.")
def principal_create(school_uai: str, login: str, display_name: str, email: str) -> None:
    """Create a school's principal without a password: an invitation by e-mail (its link
    printed here too)."""
    from api.resolvers.invitations import create_principal
    from api.resolvers.schools import academy_schools
    from core.errors import NotFound

    address = _portal_address()

    async def create(session: Any, admin: Any) -> Any:
        found = [s for s in await academy_schools(session, admin) if s.uai == school_uai.upper()]
        if not found:
            raise NotFound("School", school_uai)
        return await create_principal(
            session, admin, found[0].id, login, display_name, email, portal_address=address
        )

    invitation = runner.run_as_academy_administrator(create)
    click.echo(f"Chef d'établissement {invitation.user.login} créé ({school_uai.upper()}).")
    _echo_invitation(invitation)

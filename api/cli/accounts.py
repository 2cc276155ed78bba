"""Staff accounts run by the server's operator: ``sconet create-user``, ``sconet user``,
``sconet second-factor``."""

from __future__ import annotations

import click

from api.cli import runner
from db.accounts import Role


@click.command("create-user")
@click.option("--login", required=True, help="Identifiant de connexion.")
@click.option("--name", "display_name", required=True, help="Nom affiché, ex. « Mme Durand ».")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in Role]),
)
@click.option(
    "--school",
    "school_uai",
    default=None,
    help="UAI de l'établissement (sauf rôles rectorat et academy_admin).",
)
@click.option("--email", default=None)
@click.password_option(help="Mot de passe (demandé s'il n'est pas donné).")
def create_user(
    login: str,
    display_name: str,
    role: str,
    school_uai: str | None,
    email: str | None,
    password: str,
) -> None:
    """Create a staff account with a role in a school (or académie-wide for rectorat)."""
    from api.resolvers.operator_accounts import create_staff_user

    user = runner.run(
        lambda databases: create_staff_user(
            databases.admin,
            login=login,
            display_name=display_name,
            role=role,
            school_uai=school_uai,
            email=email,
            password=password,
        )
    )
    click.echo(f"Compte {user.login} créé ({role}{' à ' + school_uai if school_uai else ''}).")


@click.group()
def user() -> None:
    """Staff accounts (operations an administrator runs on the server)."""


@user.command("reset-second-factor")
@click.argument("login")
def user_reset_second_factor(login: str) -> None:
    """Forget LOGIN's OTP key and recovery codes and end their sessions (lost phone)."""
    from api.resolvers.second_factor import reset_second_factor_by_login

    done = runner.run_as_academy_administrator(
        lambda session, principal: reset_second_factor_by_login(session, principal, login)
    )
    if done is None:
        raise click.ClickException(f"Aucun compte {login}.")
    click.echo(f"Clé OTP de {done.login} réinitialisée : enrôlement à la prochaine connexion.")


@click.command("second-factor")
@click.option("--required/--optional", default=None, help="Exiger ou non une clé OTP de tous.")
def second_factor_policy(required: bool | None) -> None:
    """Show, or set, whether the académie requires a second factor of every staff member."""
    from api.resolvers.second_factor import second_factor_policy, set_second_factor_required

    if required is None:
        academy = runner.run_as_academy_administrator(second_factor_policy)
    else:
        academy = runner.run_as_academy_administrator(
            lambda session, principal: set_second_factor_required(session, principal, required)
        )
    state = "exigée" if academy.second_factor_required else "facultative"
    click.echo(f"Académie {academy.name} : clé OTP {state}.")

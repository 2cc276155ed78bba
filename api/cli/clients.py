"""Third-party API clients: ``sconet client register|list|revoke|rotate-secret``."""

from __future__ import annotations

from typing import Any

import click

from api.cli import runner


@click.group()
def client() -> None:
    """Third-party API clients (OAuth 2.0 client credentials)."""


def _client_settings(
    name: str, schools: tuple[str, ...], scopes: tuple[str, ...], rate: int
) -> Any:
    from api.resolvers.clients import ClientSettings

    return ClientSettings(
        name=name,
        school_uais=[u for s in schools for u in s.replace(",", " ").split()],
        scopes=[w for s in scopes for w in s.replace(",", " ").split()],
        requests_per_minute=rate,
    )


@client.command("register")
@click.option("--name", required=True, help="Nom du logiciel (ENT, vie scolaire...).")
@click.option("--school", "schools", multiple=True, required=True, help="UAI (répétable).")
@click.option("--scope", "scopes", multiple=True, required=True, help="Portée (répétable).")
@click.option("--rate", default=600, show_default=True, help="Requêtes par minute au plus.")
def client_register(
    name: str, schools: tuple[str, ...], scopes: tuple[str, ...], rate: int
) -> None:
    """Register a client; its secret is printed once."""
    from api.resolvers.clients import register_client

    registered = runner.run_as_academy_administrator(
        lambda session, principal: register_client(
            session, principal, _client_settings(name, schools, scopes, rate)
        )
    )
    click.echo(f"Client enregistré : {registered.client.name} (n° {registered.client.id})")
    click.echo(f"client_id     : {registered.client.client_id}")
    click.echo(f"client_secret : {registered.secret}")
    click.echo("Ce secret ne sera plus affiché : transmettez-le maintenant à l'éditeur.")


@client.command("list")
def client_list() -> None:
    """List the académie's clients."""
    from api.resolvers.clients import list_clients

    for view in runner.run_as_academy_administrator(list_clients):
        state = "actif" if view.client.is_active else "révoqué"
        click.echo(
            f"{view.client.id}\t{view.client.client_id}\t{view.client.name}\t{state}\t"
            f"{','.join(view.school_uais)}\t{view.client.scopes}"
        )


@client.command("revoke")
@click.argument("client_number", type=int)
def client_revoke(client_number: int) -> None:
    """Revoke a client (by its number): every token it holds stops working at once."""
    from api.resolvers.clients import revoke_client

    revoked = runner.run_as_academy_administrator(
        lambda session, principal: revoke_client(session, principal, client_number)
    )
    click.echo(f"Client {revoked.client_id} révoqué.")


@client.command("rotate-secret")
@click.argument("client_number", type=int)
def client_rotate_secret(client_number: int) -> None:
    """Give a client a new secret (the old one stops working); printed once."""
    from api.resolvers.clients import rotate_client_secret

    rotated = runner.run_as_academy_administrator(
        lambda session, principal: rotate_client_secret(session, principal, client_number)
    )
    click.echo(f"client_id     : {rotated.client.client_id}")
    click.echo(f"client_secret : {rotated.secret}")

"""Documents built from the code: ``sconet permissions-table``."""

from __future__ import annotations

import click


@click.command("permissions-table")
@click.option("--check", is_flag=True, help="Only check that docs/permissions.md is current.")
def permissions_table(check: bool) -> None:
    """Rebuild docs/permissions.md (who sees and does what) from the declarations."""
    from api.schema.permissions_document import DOCUMENT, build, write

    if check:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != build():
            raise click.ClickException(
                f"{DOCUMENT} n'est pas à jour : lancez `sconet permissions-table`."
            )
        click.echo(f"{DOCUMENT} est à jour.")
        return
    click.echo(f"Écrit : {write()}")

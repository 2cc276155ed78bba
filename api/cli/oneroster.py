"""``sconet oneroster csv``: a school's OneRoster 1.2 CSV bundle, for a school or a vendor that
prefers files to the REST service. The same records as the REST service (the domain's
``roster_records``), read as the school's principal would, zipped by
``api.oneroster.csv_bundle``: the whole school (bulk), or what changed since a moment (delta).
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from api.cli import runner
from core.errors import ValidationFailed


@click.group("oneroster")
def oneroster() -> None:
    """OneRoster 1.2: a school's rostering data as the specification's files."""


@oneroster.command("csv")
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement exporté.")
@click.option(
    "--since",
    default=None,
    help="Fichiers « delta » : seulement ce qui a changé après ce moment (ISO 8601 avec "
    "fuseau, par exemple 2026-09-01T08:00:00Z) ; sans cette option : tout (« bulk »).",
)
@click.option(
    "--demographics",
    is_flag=True,
    # Birth dates and places go out only when asked for.
    help="Ajouter demographics.csv (date et lieu de naissance, sexe des élèves).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Fichier zip écrit.",
)
def csv_bundle(school_uai: str, since: str | None, demographics: bool, output: Path) -> None:
    """Write the school's OneRoster 1.2 CSV files (manifest.csv, orgs.csv, users.csv...) into
    a zip: bulk, or delta with --since."""
    from api.oneroster.csv_bundle import Mode, bundle_records, parse_since, write_bundle
    from api.resolvers.oneroster.sourced_ids import SourcedIdKey, use_key

    moment: datetime | None = None
    if since is not None:
        try:
            moment = parse_since(since, "--since")
        except ValidationFailed as failed:
            raise click.BadParameter(failed.errors[0].message, param_hint="--since") from None
    use_key(SourcedIdKey.from_settings(runner.load()))

    async def work(session: Any, principal: Any, _school_id: int | None) -> Any:
        return await bundle_records(session, principal, since=moment, demographics=demographics)

    found = runner.run_as_operator(school_uai, work)
    mode = Mode.BULK if moment is None else Mode.DELTA
    # Written beside the target, then renamed: never a half-written zip under its name.
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".oneroster-", suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as file:
            write_bundle(
                file,
                found.records,
                mode=mode,
                system_name="SCONET",
                system_code=school_uai,
                org_ids=found.org_ids,
            )
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in found.records.items())
    click.echo(f"OneRoster {mode.value} écrit dans {output} : {counts}.")

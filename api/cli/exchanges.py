"""``sconet import`` and ``sconet export``: the national files, from the server's command
line, through the same domain as the portal's "Échanges" screen (and recorded in its
history)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from api.cli import runner
from api.resolvers.vocabulary import ExchangeFormat, ExchangeState

FORMAT_NAMES = {
    "ecoles": ExchangeFormat.SCHOOLS_CSV,
    "nomenclatures": ExchangeFormat.NOMENCLATURES,
    "structures": ExchangeFormat.STRUCTURES,
    "eleves": ExchangeFormat.STUDENTS,
    "responsables": ExchangeFormat.GUARDIANS,
    "import-prive": ExchangeFormat.PRIVATE_IMPORT,
    "ine": ExchangeFormat.INE_RETURNS,
    "affectations": ExchangeFormat.ASSIGNMENTS,
}


class _Progress:
    """The file read so far, as click's progress bar over its bytes (its percentage, when the
    file's size is known: a plain XML or a zip's member)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=total or 0, label=self.label, show_percent=bool(total), show_eta=False
            )
            self.bar.__enter__()
        if not total:
            self.bar.length = max(self.bar.length or 0, done)
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            if self.bar.length:
                self.bar.update(self.bar.length - self.done)
            self.bar.__exit__(None, None, None)


def _echo_run(run: Any) -> None:
    refusal = run.report.get("refusal")
    if refusal:
        line = f" (ligne {refusal['line']})" if refusal.get("line") else ""
        raise click.ClickException(f"fichier refusé : {refusal['message']}{line}")
    for kind, numbers in run.counts.items():
        summary = ", ".join(f"{label} {numbers.get(key, 0)}" for key, label in _COUNTS)
        click.echo(f"{kind} : {summary}")
    problems = run.report.get("problems", [])
    for problem in problems[:50]:
        where = f"ligne {problem['line']}, " if problem.get("line") else ""
        field = f", {problem['field']}" if problem.get("field") else ""
        click.echo(
            f"  refusé : {where}{problem['element']} {problem.get('record_id') or ''}{field} : "
            f"{problem['message']}"
        )
    if len(problems) > 50:
        click.echo(f"  … et {len(problems) - 50} autres (rapport complet sur l'écran Échanges).")


_COUNTS = (
    ("created", "créés"),
    ("updated", "modifiés"),
    ("unchanged", "inchangés"),
    ("removed", "retirés"),
    ("refused", "refusés"),
    ("written", "écrits"),
)


@click.command("import")
@click.argument("kind", type=click.Choice(sorted(FORMAT_NAMES)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_uai", default=None, help="UAI de l'établissement du fichier.")
@click.option(
    "--apply", "apply_now", is_flag=True, help="Appliquer (sans cette option : prévisualiser)."
)
@click.option(
    "--acknowledgement",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Fichier où écrire l'accusé de réception, quand l'import appliqué en produit un "
    "(retours d'immatriculation « ine »).",
)
def import_file(
    kind: str, path: Path, school_uai: str | None, apply_now: bool, acknowledgement: Path | None
) -> None:
    """Read a SIECLE / STS-WEB file (.xml or .zip) or the académie's list of schools (.csv):
    show what it would change, and apply it with --apply."""
    run_import(kind, path, school_uai, apply_now, acknowledgement)


def run_import(
    kind: str,
    path: Path,
    school_uai: str | None,
    apply_now: bool,
    acknowledgement: Path | None = None,
) -> None:
    from api.resolvers.exchanges.runs import (
        MAX_FILE_BYTES,
        import_file,
        preview_import,
        stored_file,
    )

    if path.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException(f"fichier trop gros (plus de {MAX_FILE_BYTES // 2**20} Mo)")
    content = path.read_bytes()
    progress = _Progress("Lecture")
    action = import_file if apply_now else preview_import

    async def work(
        session: Any, principal: Any, school_id: int | None
    ) -> tuple[Any, tuple[str, bytes] | None]:
        run = await action(
            session, principal, FORMAT_NAMES[kind], school_id, path.name, content, progress
        )
        answer = run.report.get("acknowledgement_run_id")
        if answer is None or acknowledgement is None:
            return run, None
        return run, await stored_file(session, principal, answer)

    try:
        run, answer_file = runner.run_as_operator(school_uai, work)
    finally:
        progress.close()
    _echo_run(run)
    if run.state == ExchangeState.APPLIED:
        click.echo(f"Import n° {run.id} appliqué.")
        _echo_acknowledgement(run, answer_file, acknowledgement)
    else:
        click.echo(
            f"Prévisualisation n° {run.id} : rien n'est modifié. Appliquez-la avec --apply "
            "ou depuis l'écran Échanges."
        )


def _echo_acknowledgement(
    run: Any, answer_file: tuple[str, bytes] | None, target: Path | None
) -> None:
    answer = run.report.get("acknowledgement_run_id")
    if answer is None:
        return
    if answer_file is not None and target is not None:
        target.write_bytes(answer_file[1])
        click.echo(
            f"Accusé de réception n° {answer} ({answer_file[0]}) écrit dans {target}, "
            "à envoyer à la base élèves académique."
        )
    else:
        click.echo(
            f"Accusé de réception n° {answer} enregistré, à envoyer à la base élèves "
            "académique (écran Échanges, ou --acknowledgement FICHIER)."
        )


EXPORT_NAMES = {
    "eleves": "eleves_sans_adresses",
    "eleves-adresses": "eleves_avec_adresses",
    "responsables": "responsables_avec_adresses",
    "nomenclatures": "nomenclatures",
    "structures": "structures",
    "import-prive": "import_prive",
    "ine": "demandes_ine",
    "effectifs": "effectifs_structures",
}


@click.command("export")
@click.argument("kind", type=click.Choice(sorted(EXPORT_NAMES)))
@click.option("--school", "school_uai", required=True, help="UAI de l'établissement exporté.")
@click.option(
    "--year",
    "start_year",
    type=click.IntRange(1900, 2999),
    default=None,
    help="Année scolaire, par l'année de la rentrée (2026 pour 2026-2027) ; "
    "sans cette option : l'année en cours.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Fichier écrit (sans cette option : le nom du fichier, dans le dossier courant).",
)
def export_file(kind: str, school_uai: str, start_year: int | None, output: Path | None) -> None:
    """Write one of a school's exports in SIECLE's or STS-WEB's format (a zip, as SIECLE
    serves its files), record it in the exchange history, and save it."""
    from api.resolvers.exchanges.exports import ExportKind
    from api.resolvers.exchanges.exports import export_file as write_export
    from api.resolvers.exchanges.runs import stored_file
    from api.resolvers.schools import current_school_year, school_years

    async def work(session: Any, principal: Any, school_id: int | None) -> tuple[Any, str, bytes]:
        assert school_id is not None  # --school is required
        if start_year is None:
            year = await current_school_year(session, principal)
        else:
            years = await school_years(session, principal)
            chosen = next((y for y in years if y.start_year == start_year), None)
            if chosen is None:
                raise click.ClickException(
                    f"--year : l'année {start_year}-{start_year + 1} n'existe pas dans l'académie."
                )
            year = chosen
        run = await write_export(
            session, principal, ExportKind(EXPORT_NAMES[kind]), school_id, year.id
        )
        file_name, content = await stored_file(session, principal, run.id)
        return run, file_name, content

    run, file_name, content = runner.run_as_operator(school_uai, work)
    target = output or Path(file_name)
    target.write_bytes(content)
    _echo_run(run)
    click.echo(f"Export n° {run.id} écrit dans {target} ({len(content)} octets).")

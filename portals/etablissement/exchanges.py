"""/echanges: the school's imports and exports (SIECLE, STS-WEB), for the principal and the
secretariat, and the académie's own files for its administrator.

Upload a file, see what it would change (the preview: counts, refused records, changes),
apply it, and find every past exchange with its report and, for an export or an import still
waiting, its file.
"""

from __future__ import annotations

import csv
import io

from starlette.datastructures import UploadFile
from starlette.responses import Response

from api.resolvers.exchanges.exports import EXPORT_FORMATS, ExportKind, export_file
from api.resolvers.exchanges.runs import (
    IMPORT_FORMATS,
    MAX_FILE_BYTES,
    ExchangeRun,
    apply_import,
    exchange_history,
    get_run,
    preview_import,
    stored_file,
)
from api.resolvers.vocabulary import ExchangeFormat, ExchangeState
from core.errors import NotFound, ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

STATE_LABELS = {
    ExchangeState.PREVIEWED: "En attente d'application",
    ExchangeState.APPLIED: "Appliqué",
    ExchangeState.REFUSED: "Refusé",
    ExchangeState.ABANDONED: "Abandonné",
    ExchangeState.WRITTEN: "Produit",
}
KIND_LABELS = {
    # The kinds of rows the imports count (api.resolvers.exchanges).
    "school": "Établissements",
    "mef": "MEF",
    "subject": "Matières",
    "programme": "Programmes",
    "nomenclature_entry": "Codes des nomenclatures",
    "division": "Divisions",
    "group": "Groupes",
    "teaching_assignment": "Services d'enseignement",
    "teacher": "Enseignants",
    "address": "Adresses",
    "student": "Élèves",
    "school_mef": "MEF profilés",
    "enrollment": "Scolarités",
    "enrollment_option": "Options",
    "enrollment_group": "Inscriptions dans un groupe",
    "guardian": "Responsables",
    "guardian_link": "Liens élève-responsable",
    # What the exports count.
    "students": "Élèves",
    "guardians": "Responsables",
    "links": "Liens élève-responsable",
    "mefs": "MEF",
    "subjects": "Matières",
    "divisions": "Divisions",
    "groups": "Groupes",
    "teachers": "Enseignants",
    # The immatriculations (api.resolvers.immatriculation).
    "ine_request": "Demandes d'INE",
    "ine": "INE attribués",
}
# What an import did to each changed record (``ImportPlan.changes``).
ACTION_LABELS = {
    "created": "Créé",
    "updated": "Modifié",
    "unchanged": "Inchangé",
    "removed": "Retiré",
}
COUNT_LABELS = (
    ("created", "Créés"),
    ("updated", "Modifiés"),
    ("unchanged", "Inchangés"),
    ("removed", "Retirés"),
    ("refused", "Refusés"),
    ("written", "Écrits"),
)


def _school_id(page: Page) -> int | None:
    """The school whose exchanges are shown: the working one; none for an académie
    administrator working without a school (the académie's own files)."""
    if page.school is not None and page.may(exchange_history, page.school.id):
        return page.school.id
    return None


def _import_choices(page: Page, school_id: int | None) -> list[tuple[str, str]]:
    held = page.principal.permissions_in(school_id)
    return [
        (f.format.value, f.label)
        for f in IMPORT_FORMATS.values()
        if f.for_a_school == (school_id is not None) and f.permission in held
    ]


def _export_choices(page: Page, school_id: int | None) -> list[tuple[str, str]]:
    """The exports offered: a school's, to whoever may run ``export_file`` there."""
    if school_id is None or not page.may(export_file, school_id):
        return []
    held = page.principal.permissions_in(school_id)
    return [
        (kind.value, export_format.label)
        for kind, export_format in EXPORT_FORMATS.items()
        if export_format.permission in held
    ]


async def _render(page: Page, status: int = 200, **context: object) -> Response:
    school_id = _school_id(page)
    defaults: dict[str, object] = {
        "field_errors": {},
        "export_errors": {},
        "chosen_format": "",
        "chosen_export": "",
        "chosen_year": page.year.id if page.year else "",
        "message": page.request.query_params.get("message"),
    }
    return page.render(
        "exchanges/history.html",
        status,
        runs=await page.work.read(exchange_history, school_id),
        formats=_import_choices(page, school_id),
        exports=_export_choices(page, school_id),
        years=page.year_options(),
        year_labels={y.id: y.label for y in page.years},
        for_school=school_id is not None,
        state_labels=STATE_LABELS,
        max_megabytes=MAX_FILE_BYTES // (1024 * 1024),
        **(defaults | context),
    )


@page_handler(destinations.EXCHANGES)
async def history(page: Page) -> Response:
    return await _render(page)


@page_handler(destinations.EXCHANGES)
async def upload(page: Page) -> Response:
    school_id = _school_id(page)
    form = await page.request.form(max_files=1, max_fields=10)
    chosen = str(form.get("format") or "")
    upload_field = form.get("fichier")
    errors: dict[str, str] = {}
    if chosen not in {value for value, _label in _import_choices(page, school_id)}:
        errors["format"] = "Choisissez le type de fichier à importer."
    content = b""
    file_name = ""
    if not isinstance(upload_field, UploadFile) or not upload_field.filename:
        errors["fichier"] = "Choisissez le fichier à importer (.xml ou .zip)."
    else:
        file_name = upload_field.filename
        content = await upload_field.read(MAX_FILE_BYTES + 1)
        if not content:
            errors["fichier"] = "Le fichier choisi est vide."
    if errors:
        return await _render(page, 400, field_errors=errors, chosen_format=chosen)
    try:
        async with page.work.writing(school_id) as transaction:
            run = await transaction.run(
                preview_import, ExchangeFormat(chosen), school_id, file_name, content
            )
    except ValidationFailed as failed:
        # Errors of no field of the form (the school) are told on the file.
        return await _render(
            page,
            400,
            field_errors={
                (e.field if e.field == "format" else "fichier"): e.message for e in failed.errors
            },
            chosen_format=chosen,
        )
    return redirect(f"/echanges/{run.id}")


@page_handler(destinations.EXCHANGES)
async def export(page: Page) -> Response:
    """Write one of the school's exports for a year; its run page offers the file."""
    school_id = _school_id(page)
    if school_id is None or not page.may(export_file, school_id):
        raise page.refusal(export_file)
    form = await page.request.form(max_files=0, max_fields=10)
    chosen = str(form.get("export") or "")
    chosen_year = str(form.get("school_year_id") or "")
    year_id = parse_id(chosen_year)
    errors: dict[str, str] = {}
    if chosen not in {value for value, _label in _export_choices(page, school_id)}:
        errors["export"] = "Choisissez l'export à produire."
    if year_id is None or year_id not in {y.id for y in page.years}:
        errors["school_year_id"] = "Choisissez l'année scolaire de l'export."
    if errors:
        return await _render(
            page, 400, export_errors=errors, chosen_export=chosen, chosen_year=chosen_year
        )
    assert year_id is not None
    try:
        async with page.work.writing(school_id) as transaction:
            run = await transaction.run(export_file, ExportKind(chosen), school_id, year_id)
    except ValidationFailed as failed:
        # A record the format cannot carry (a student without birth commune...) names the
        # student: the registrar corrects the record, then exports again.
        fields = {"export", "school_year_id"}
        return await _render(
            page,
            400,
            export_errors={
                (e.field if e.field in fields else "export"): e.message for e in failed.errors
            },
            chosen_export=chosen,
            chosen_year=chosen_year,
        )
    return redirect(page.url(f"/echanges/{run.id}", message="Export produit."))


def _count_table(
    counts: dict[str, dict[str, int]],
) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """The columns the run counts (an export only writes; an import creates, updates...) and
    one row per kind of record."""
    keys = [
        (key, label)
        for key, label in COUNT_LABELS
        if any(key in numbers for numbers in counts.values())
    ]
    rows = [
        (KIND_LABELS.get(kind, kind), [numbers.get(key, 0) for key, _label in keys])
        for kind, numbers in counts.items()
    ]
    return [label for _key, label in keys], rows


def _render_run(
    page: Page, run: ExchangeRun, status: int = 200, refusal: str | None = None
) -> Response:
    import_format = IMPORT_FORMATS.get(run.format)
    count_labels, count_rows = _count_table(run.counts)
    return page.render(
        "exchanges/run.html",
        status,
        run=run,
        format_label=import_format.label if import_format else run.format.value,
        state_label=STATE_LABELS[run.state],
        year_label=next((y.label for y in page.years if y.id == run.school_year_id), None),
        count_labels=count_labels,
        count_rows=count_rows,
        kind_labels=KIND_LABELS,
        action_labels=ACTION_LABELS,
        can_apply=import_format.applicable(run) if import_format else False,
        blocked=run.state == ExchangeState.PREVIEWED
        and import_format is not None
        and not import_format.applicable(run),
        new_teachers=_new_teachers(run),
        message=page.request.query_params.get("message"),
        refusal=refusal,
    )


def _new_teachers(run: ExchangeRun) -> int:
    """Teacher accounts an applied STS-WEB import created: they have no password yet."""
    if run.format != ExchangeFormat.STRUCTURES or run.state != ExchangeState.APPLIED:
        return 0
    return int(run.counts.get("teacher", {}).get("created", 0))


async def _run_of(page: Page) -> ExchangeRun:
    run_id = parse_id(page.request.path_params.get("run_id"))
    if run_id is None:
        raise NotFound("ExchangeRun", run_id)
    return await page.work.read(get_run, run_id)


@page_handler(destinations.EXCHANGES)
async def detail(page: Page) -> Response:
    return _render_run(page, await _run_of(page))


@page_handler(destinations.EXCHANGES)
async def apply(page: Page) -> Response:
    run = await _run_of(page)
    try:
        async with page.work.writing(run.school_id) as transaction:
            await transaction.run(apply_import, run.id)
    except ValidationFailed as failed:
        # Not applied (already applied, replaced by a newer preview, its year closed): the
        # run's page again, saying why.
        return _render_run(
            page, await _run_of(page), 400, " ".join(e.message for e in failed.errors)
        )
    return redirect(page.url(f"/echanges/{run.id}", message="Import appliqué."))


@page_handler(destinations.EXCHANGES)
async def report(page: Page) -> Response:
    """The run's report as a CSV file (UTF-8 with BOM, ``;``: what a spreadsheet opens)."""
    run = await _run_of(page)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["rubrique", "élément", "identifiant", "champ", "ligne", "message"])
    refusal = run.report.get("refusal")
    if refusal:
        writer.writerow(
            ["fichier refusé", "", "", "", refusal.get("line") or "", refusal["message"]]
        )
    for problem in run.report.get("problems", []):
        writer.writerow(
            [
                "refusé",
                problem.get("element"),
                problem.get("record_id") or "",
                problem.get("field") or "",
                problem.get("line") or "",
                problem.get("message"),
            ]
        )
    for change in run.report.get("changes", []):
        writer.writerow(
            [
                ACTION_LABELS.get(change.get("action", ""), change.get("action", "")),
                change.get("kind", ""),
                change.get("id", ""),
                ", ".join(change.get("fields", {})),
                "",
                change.get("label", ""),
            ]
        )
    body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rapport-echange-{run.id}.csv"'},
    )


@page_handler(destinations.EXCHANGES)
async def download(page: Page) -> Response:
    run_id = parse_id(page.request.path_params.get("run_id"))
    if run_id is None:
        raise NotFound("ExchangeRun", run_id)
    file_name, content = await page.work.read(stored_file, run_id)
    safe_name = "".join(c for c in file_name if c.isalnum() or c in "._-") or "fichier"
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'},
    )

"""/constat: the constat de rentrée. The school's principal and secretariat launch it (a
counting day, then a confirmation: it is frozen for good) and read it: its breakdowns, cross
tabs, anomalies, the comparison with last year, the PDF; they produce the rentrée evaluation
survey (EVA) file. The rectorat reads the académie's consolidation and each school's constat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.responses import Response

from api.resolvers.headcounts import (
    ANOMALY_LABELS,
    EVALUATED_LEVELS,
    AnomalyKind,
    CrossTab,
    HeadcountSnapshot,
    HeadcountTotal,
    SnapshotDimension,
    academy_consolidation,
    constat_document,
    evaluation_survey_students,
    export_evaluation_survey,
    get_snapshot,
    launch_constat,
    school_snapshot,
    snapshot_anomalies,
    snapshot_cross_tab,
    snapshot_totals,
    year_comparison,
)
from api.resolvers.schools import School
from core import clock
from core.errors import ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.web import Page, page_handler, parse_id, redirect

LAUNCH_FIELDS = ("counted_on", "school_year_id")


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    heading: str
    rows: list[HeadcountTotal]

    @property
    def boys(self) -> int:
        return sum(r.boys for r in self.rows)

    @property
    def girls(self) -> int:
        return sum(r.girls for r in self.rows)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)


def _breakdowns(start_year: int) -> list[tuple[SnapshotDimension, str, str]]:
    return [
        (SnapshotDimension.MEF, "Effectifs par MEF", "MEF"),
        (SnapshotDimension.DIVISION, "Effectifs par division", "Division"),
        (SnapshotDimension.SEX, "Effectifs par sexe", "Sexe"),
        (SnapshotDimension.REGIME, "Effectifs par régime", "Régime"),
        (SnapshotDimension.AGE, f"Effectifs par âge (au 31 décembre {start_year})", "Âge"),
        (SnapshotDimension.STATUS, "Effectifs par statut", "Statut"),
    ]


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


async def _snapshot_view(page: Page, snapshot: HeadcountSnapshot) -> dict[str, object]:
    year = next(y for y in page.years if y.id == snapshot.school_year_id)
    breakdowns = [
        Breakdown(
            dimension.value,
            title,
            heading,
            await page.work.read(snapshot_totals, snapshot.id, dimension),
        )
        for dimension, title, heading in _breakdowns(year.start_year)
    ]
    cross_tabs: list[tuple[str, str, CrossTab]] = [
        (
            "mef-sexe",
            "Effectifs par MEF et par sexe",
            await page.work.read(
                snapshot_cross_tab, snapshot.id, SnapshotDimension.MEF, SnapshotDimension.SEX
            ),
        ),
        (
            "mef-age",
            f"Effectifs par MEF et par âge (au 31 décembre {year.start_year})",
            await page.work.read(
                snapshot_cross_tab, snapshot.id, SnapshotDimension.MEF, SnapshotDimension.AGE
            ),
        ),
    ]
    anomalies = await page.work.read(snapshot_anomalies, snapshot.id)
    return {
        "snapshot": snapshot,
        "breakdowns": breakdowns,
        "cross_tabs": cross_tabs,
        "anomalies": [(ANOMALY_LABELS[AnomalyKind(a.kind)], a) for a in anomalies],
    }


async def _school_context(page: Page, school: School) -> dict[str, object]:
    """What the school's constat page shows for the year being worked on."""
    assert page.year is not None
    context: dict[str, object] = {"school": school, "snapshot": None}
    snapshot = await page.work.read(school_snapshot, school.id, page.year.id)
    if snapshot is not None:
        context |= await _snapshot_view(page, snapshot)
    context["comparison"] = await page.work.read(year_comparison, page.year.id, school.id)
    context["may_launch"] = snapshot is None and page.may(launch_constat, school.id)
    if page.may(evaluation_survey_students, school.id):
        students = await page.work.read(evaluation_survey_students, school.id, page.year.id)
        context["evaluation"] = students
        context["without_ine"] = [s for s in students if s.ine is None]
    return context


async def _render(page: Page, status: int = 200, /, **context: object) -> Response:
    defaults: dict[str, object] = {
        "field_errors": {},
        "refusal": None,
        "confirm": False,
        "counted_on": clock.today().isoformat(),
        "chosen_year": page.year.id if page.year else "",
        "message": page.request.query_params.get("message"),
        "evaluated_levels": list(EVALUATED_LEVELS.values()),
        "school": None,
        "snapshot": None,
        "consolidation": None,
    }
    context = defaults | context
    if page.year is not None and context["school"] is None:
        if page.may_academy_wide(academy_consolidation):
            context["consolidation"] = await page.work.read(academy_consolidation, page.year.id)
            context["comparison"] = await page.work.read(year_comparison, page.year.id)
        elif page.school is not None and page.may(school_snapshot, page.school.id):
            context |= await _school_context(page, page.school)
    return page.render("headcounts/constat.html", status, **context)


@page_handler(destinations.HEADCOUNTS)
async def constat(page: Page) -> Response:
    return await _render(page)


@page_handler(destinations.HEADCOUNTS)
async def school_constat(page: Page) -> Response:
    """A school's constat as the rectorat reads it from the consolidation."""
    school_id: int = page.request.path_params["school_id"]
    if page.year is None or not page.may(school_snapshot, school_id):
        raise page.refusal(school_snapshot)
    school = next((s for s in page.schools if s.id == school_id), None)
    if school is None:
        return page.error(404, "Page introuvable", "Cet établissement n'existe pas.")
    return await _render(page, **await _school_context(page, school))


@page_handler(destinations.HEADCOUNTS)
async def launch(page: Page) -> Response:
    """The launch, in two steps: the counting day and the year, then their confirmation."""
    school = page.school
    if school is None or not page.may(launch_constat, school.id):
        raise page.refusal(launch_constat)
    form = await page.request.form(max_files=0, max_fields=10)
    raw_day = str(form.get("counted_on") or "").strip()
    chosen_year = str(form.get("school_year_id") or "")
    year_id = parse_id(chosen_year)
    errors: dict[str, str] = {}
    day = _parse_day(raw_day) if raw_day else clock.today()
    if day is None:
        errors["counted_on"] = "Jour du constat : saisissez une date valide (JJ/MM/AAAA)."
    year = next((y for y in page.years if y.id == year_id), None)
    if year is None:
        errors["school_year_id"] = "Année scolaire : choisissez l'année du constat."
    else:
        page.year = year
    values = {"counted_on": raw_day, "chosen_year": chosen_year}
    if errors:
        return await _render(page, 400, field_errors=errors, **values)
    assert day is not None and year is not None
    if form.get("confirmer") != "1":
        return await _render(page, confirm=True, confirm_day=day, confirm_year=year, **values)
    try:
        async with page.work.writing(school.id) as transaction:
            await transaction.run(launch_constat, school.id, year.id, day)
    except ValidationFailed as failed:
        # Frozen meanwhile (another tab, a colleague): no field to correct, the constat shows.
        frozen = [e.message for e in failed.errors if e.code == "ALREADY_FROZEN"]
        return await _render(
            page,
            400,
            refusal=frozen[0] if frozen else None,
            field_errors={
                (e.field if e.field in LAUNCH_FIELDS else "counted_on"): f"{_prefix(e.field)}"
                f"{e.message}"
                for e in failed.errors
                if e.code != "ALREADY_FROZEN"
            },
            **values,
        )
    return redirect(page.url("/constat", annee=year.id, message="Le constat de rentrée est figé."))


def _prefix(field: str) -> str:
    return "Année scolaire : " if field == "school_year_id" else "Jour du constat : "


@page_handler(destinations.HEADCOUNTS_PDF)
async def constat_pdf(page: Page) -> Response:
    snapshot = await page.work.read(get_snapshot, page.request.path_params["snapshot_id"])
    file_name, content = await page.work.read(constat_document, snapshot.id)
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'inline; filename="{file_name}"',
        },
    )


@page_handler(destinations.HEADCOUNTS)
async def evaluation_survey(page: Page) -> Response:
    """Write the EVA file of the year being worked on; its run page offers it."""
    school = page.school
    if school is None or page.year is None or not page.may(export_evaluation_survey, school.id):
        raise page.refusal(export_evaluation_survey)
    form = await page.request.form(max_files=0, max_fields=10)
    year_id = parse_id(form.get("school_year_id"))
    year = next((y for y in page.years if y.id == year_id), None)
    if year is None:
        return await _render(
            page, 400, field_errors={"eva": "Année scolaire : choisissez l'année de l'enquête."}
        )
    async with page.work.writing(school.id) as transaction:
        run = await transaction.run(export_evaluation_survey, school.id, year.id)
    return redirect(page.url(f"/echanges/{run.id}", message="Fichier EVA produit."))

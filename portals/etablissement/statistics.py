"""/statistiques: headcounts by MEF, division, sex, age and régime, as tables and SVG charts."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from api.resolvers.statistics import HeadcountDimension, HeadcountRow, headcounts
from portals.etablissement import destinations
from portals.etablissement.charts import BarChart, bar_chart
from portals.etablissement.web import Page, page_handler

ACADEMY_SCOPE = "academie"


@dataclass(frozen=True)
class Section:
    heading: str
    chart: BarChart
    rows: list[HeadcountRow]
    note: str

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)

    @property
    def boys(self) -> int:
        return sum(r.boys for r in self.rows)

    @property
    def girls(self) -> int:
        return sum(r.girls for r in self.rows)


def _dimensions(
    start_year: int, whole_academy: bool
) -> list[tuple[HeadcountDimension, str, str, str]]:
    """(dimension, title, column heading, note)."""
    dimensions = [
        (HeadcountDimension.MEF, "Effectifs par MEF", "MEF", ""),
        (HeadcountDimension.DIVISION, "Effectifs par division", "Division", ""),
        (HeadcountDimension.SEX, "Effectifs par sexe", "Sexe", ""),
        (
            HeadcountDimension.AGE,
            "Effectifs par âge",
            "Âge",
            f"Âge atteint au 31 décembre {start_year}.",
        ),
        (HeadcountDimension.REGIME, "Effectifs par régime", "Régime", ""),
    ]
    if whole_academy:
        # Division codes repeat from one school to the next: no meaning across schools.
        dimensions = [d for d in dimensions if d[0] is not HeadcountDimension.DIVISION]
    return dimensions


@page_handler(destinations.STATISTICS)
async def statistics(page: Page) -> Response:
    academy_allowed = page.may_academy_wide(headcounts)
    whole_academy = academy_allowed and (
        page.request.query_params.get("perimetre") == ACADEMY_SCOPE
    )
    school, year = page.school, page.year
    sections: list[Section] = []
    if year is not None and (school is not None or whole_academy):
        school_id = None if whole_academy or school is None else school.id
        if school_id is not None and not page.may(headcounts, school_id):
            raise page.refusal(headcounts)
        for dimension, title, heading, note in _dimensions(year.start_year, whole_academy):
            rows = await page.work.read(
                headcounts,
                school_id,
                year.id,
                dimension,
            )
            sections.append(Section(heading, bar_chart(dimension.value, title, rows), rows, note))
    return page.render(
        "statistics.html",
        sections=sections,
        academy_allowed=academy_allowed,
        whole_academy=whole_academy,
    )

"""/absences/statistiques: a school's absence statistics over a period by month, division,
group, student or motive (table, chart, CSV), and the national monthly indicator, for the
school or, for the rectorat, every school of the académie."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from starlette.responses import Response

from api.resolvers.absences.calendar import MONTHS_FR
from api.resolvers.absences.indicator import MonthlyIndicator, monthly_indicator
from api.resolvers.absences.statistics import (
    AbsenceDimension,
    AbsenceStatisticsQuery,
    AbsenceStatisticsRow,
    absence_statistics,
)
from api.resolvers.vocabulary import EventKind
from core import clock
from core.errors import ValidationFailed
from portals.etablissement import destinations
from portals.etablissement.absences.form_values import form_errors, on_fields, parse_day
from portals.etablissement.charts import BarChart, stacked_chart
from portals.etablissement.web import Page, page_handler

DIMENSIONS = [
    (AbsenceDimension.TOTAL, "Ensemble"),
    (AbsenceDimension.MONTH, "Mois"),
    (AbsenceDimension.DIVISION, "Division"),
    (AbsenceDimension.GROUP, "Groupe"),
    (AbsenceDimension.STUDENT, "Élève"),
    (AbsenceDimension.MOTIVE, "Motif"),
]


def _chart(by: AbsenceDimension, rows: list[AbsenceStatisticsRow]) -> BarChart:
    return stacked_chart(
        f"absences-{by.value}",
        "Demi-journées d'absence",
        [
            (r.label, r.half_days, r.half_days - r.unjustified_half_days, r.unjustified_half_days)
            for r in rows[:40]
        ],
        legend=("Justifiées", "Non justifiées"),
        unit=("demi-journée", "demi-journées"),
        series_units=(("justifiée", "justifiées"), ("non justifiée", "non justifiées")),
    )


def _school_year_bounds(page: Page, today: date) -> tuple[date, date]:
    start_year = (
        page.year.start_year if page.year else (today.year if today.month >= 9 else today.year - 1)
    )
    first = date(start_year, 9, 1)
    return first, min(today, date(start_year + 1, 8, 31))


def _months(first: date, last: date) -> list[tuple[str, str]]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((f"{year}-{month:02d}", f"{MONTHS_FR[month - 1]} {year}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


async def _indicator(page: Page, month_key: str, whole_academy: bool) -> MonthlyIndicator | None:
    if not page.may(monthly_indicator):
        return None
    year, month = (int(part) for part in month_key.split("-"))
    school_id = None if whole_academy or page.school is None else page.school.id
    return await page.work.read(monthly_indicator, year, month, school_id)


@page_handler(destinations.ABSENTEEISM)
async def statistics(page: Page) -> Response:
    params = page.request.query_params
    today = clock.today()
    default_first, default_last = _school_year_bounds(page, today)
    first = parse_day(params.get("du")) or default_first
    last = parse_day(params.get("au")) or default_last
    by = next((d for d, _ in DIMENSIONS if d.value == params.get("par")), AbsenceDimension.MONTH)
    kind = params.get("nature")
    errors: dict[str, str] = {}
    rows: list[AbsenceStatisticsRow] = []
    school = page.school
    can_read = bool(school and page.may(absence_statistics, school.id))
    if school is not None and can_read:
        try:
            rows = await page.work.read(
                absence_statistics,
                AbsenceStatisticsQuery(
                    school.id,
                    first,
                    last,
                    by=by,
                    kind=EventKind(kind) if kind in ("absence", "lateness") else None,
                ),
            )
        except ValidationFailed as exc:
            errors = form_errors(exc.errors)
    months = _months(default_first, max(default_first, default_last))
    wanted_month = params.get("mois") or ""
    # By default the last finished month: the indicator reports whole months.
    default_month = months[-2][0] if len(months) > 1 else months[-1][0]
    month_key = wanted_month if wanted_month in dict(months) else default_month
    whole_academy = page.may_academy_wide(monthly_indicator)
    indicator = await _indicator(page, month_key, whole_academy)
    linked, others = on_fields(errors, ("du", "au", "par", "nature"))
    csv_query = urlencode(
        {
            "school": school.id if school else "",
            "since": first.isoformat(),
            "until": last.isoformat(),
            "by": by.value,
        }
    )
    year, month = month_key.split("-")
    indicator_query = {"year": year, "month": str(int(month))}
    if not whole_academy and school is not None:
        indicator_query["school"] = str(school.id)
    return page.render(
        "absences/statistics.html",
        can_read=can_read,
        rows=rows,
        chart=_chart(by, rows) if rows else None,
        dimensions=DIMENSIONS,
        by=by,
        first=first,
        last=last,
        kind=kind or "",
        errors=linked,
        other_errors=others,
        csv_url=f"/exports/absence-statistics.csv?{csv_query}",
        months=months,
        month_key=month_key,
        indicator=indicator,
        indicator_url=f"/exports/absence-indicator.csv?{urlencode(indicator_query)}",
        whole_academy=whole_academy,
    )

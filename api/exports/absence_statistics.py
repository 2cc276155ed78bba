"""CSV files of the absence statistics and of the monthly indicator, as the académie's
spreadsheets expect them (French decimals, the same dialect as every export)."""

from __future__ import annotations

from api.exports.tabular import csv_bytes
from api.resolvers.absences.indicator import MonthlyIndicator
from api.resolvers.absences.statistics import AbsenceDimension, AbsenceStatisticsRow

DIMENSION_HEADERS = {
    AbsenceDimension.TOTAL: "Population",
    AbsenceDimension.MONTH: "Mois",
    AbsenceDimension.DIVISION: "Division",
    AbsenceDimension.GROUP: "Groupe",
    AbsenceDimension.STUDENT: "Élève",
    AbsenceDimension.MOTIVE: "Motif",
}
STATISTICS_HEADERS = [
    "Effectif",
    "Élèves absents",
    "Demi-journées d'absence",
    "dont non justifiées",
    "Taux d'absence (%)",
    "Retards",
    "Élèves en retard",
]


def french_decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def statistics_csv(dimension: AbsenceDimension, rows: list[AbsenceStatisticsRow]) -> bytes:
    return csv_bytes(
        [DIMENSION_HEADERS[dimension], *STATISTICS_HEADERS],
        (
            [
                row.label,
                str(row.headcount),
                str(row.students_absent),
                str(row.half_days),
                str(row.unjustified_half_days),
                french_decimal(row.absence_rate),
                str(row.lateness),
                str(row.students_late),
            ]
            for row in rows
        ),
    )


def indicator_csv(indicator: MonthlyIndicator) -> bytes:
    return csv_bytes(
        [
            "UAI",
            "Établissement",
            "Élèves inscrits dans le mois",
            "Élèves avec 4 demi-journées ou plus non justifiées",
            "Part (%)",
        ],
        (
            [
                row.uai,
                row.name,
                str(row.students),
                str(row.students_over_threshold),
                french_decimal(row.share),
            ]
            for row in [*indicator.schools, indicator.total]
        ),
    )

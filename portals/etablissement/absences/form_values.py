"""Reading the absence forms' values (days, weeks, ids) and naming their fields in French."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.errors import FieldError

# The domain's field names (as GraphQL names them) -> the portal form's.
FORM_FIELDS = {
    "studentId": "eleve",
    "startDate": "debut_jour",
    "startSlotId": "debut_creneau",
    "endDate": "fin_jour",
    "endSlotId": "fin_creneau",
    "day": "debut_jour",
    "slotId": "debut_creneau",
    "minutesLate": "minutes",
    "motiveId": "motif",
    "justificationId": "justificatif",
    "version": "motif",
    "divisionId": "classe",
    "absentStudentIds": "classe",
    "late": "classe",
    "until": "au",
    "since": "du",
}


def form_errors(errors: list[FieldError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(FORM_FIELDS.get(error.field, error.field), error.message)
    return found


def on_fields(errors: dict[str, str], fields: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """The errors of the form's ``fields`` (linked from its summary) and the others' messages."""
    return (
        {name: message for name, message in errors.items() if name in fields},
        [message for name, message in errors.items() if name not in fields],
    )


def parse_day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def text(raw: Any, limit: int = 2000) -> str:
    return str(raw or "").strip()[:limit]

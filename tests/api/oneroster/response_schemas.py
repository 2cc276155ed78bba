"""The OneRoster 1.2 Rostering REST binding's response schemas (schemas/rostering.json), and
which response each endpoint of the specification returns.

Validation checks formats with the checks below: jsonschema's own "date-time" and "uri" checks
need optional packages and pass silently without them, which would let a wrong timestamp or a
relative href through.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_FILE = Path(__file__).parent / "schemas" / "rostering.json"
ROSTERING: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))

# Every GET endpoint of the Rostering service (the OpenAPI document's paths, relative to
# /ims/oneroster/rostering/v1p2) and the component its 200 response carries.
ENDPOINT_RESPONSES: dict[str, str] = {
    "/academicSessions": "AcademicSessionSetDType",
    "/academicSessions/{sourcedId}": "SingleAcademicSessionDType",
    "/classes": "ClassSetDType",
    "/classes/{sourcedId}": "SingleClassDType",
    "/classes/{classSourcedId}/students": "UserSetDType",
    "/classes/{classSourcedId}/teachers": "UserSetDType",
    "/courses": "CourseSetDType",
    "/courses/{sourcedId}": "SingleCourseDType",
    "/courses/{courseSourcedId}/classes": "ClassSetDType",
    "/demographics": "DemographicsSetDType",
    "/demographics/{sourcedId}": "SingleDemographicsDType",
    "/enrollments": "EnrollmentSetDType",
    "/enrollments/{sourcedId}": "SingleEnrollmentDType",
    "/gradingPeriods": "AcademicSessionSetDType",
    "/gradingPeriods/{sourcedId}": "SingleAcademicSessionDType",
    "/orgs": "OrgSetDType",
    "/orgs/{sourcedId}": "SingleOrgDType",
    "/schools": "OrgSetDType",
    "/schools/{sourcedId}": "SingleOrgDType",
    "/schools/{schoolSourcedId}/classes": "ClassSetDType",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/enrollments": "EnrollmentSetDType",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/students": "UserSetDType",
    "/schools/{schoolSourcedId}/classes/{classSourcedId}/teachers": "UserSetDType",
    "/schools/{schoolSourcedId}/courses": "CourseSetDType",
    "/schools/{schoolSourcedId}/enrollments": "EnrollmentSetDType",
    "/schools/{schoolSourcedId}/students": "UserSetDType",
    "/schools/{schoolSourcedId}/teachers": "UserSetDType",
    "/schools/{schoolSourcedId}/terms": "AcademicSessionSetDType",
    "/students": "UserSetDType",
    "/students/{sourcedId}": "SingleUserDType",
    "/students/{studentSourcedId}/classes": "ClassSetDType",
    "/teachers": "UserSetDType",
    "/teachers/{sourcedId}": "SingleUserDType",
    "/teachers/{teacherSourcedId}/classes": "ClassSetDType",
    "/terms": "AcademicSessionSetDType",
    "/terms/{sourcedId}": "SingleAcademicSessionDType",
    "/terms/{termSourcedId}/classes": "ClassSetDType",
    "/terms/{termSourcedId}/gradingPeriods": "AcademicSessionSetDType",
    "/users": "UserSetDType",
    "/users/{sourcedId}": "SingleUserDType",
    "/users/{userSourcedId}/classes": "ClassSetDType",
}

# Every error response of every endpoint (400, 401, 403, 404, 422, 429, 500, default).
ERROR_RESPONSE = "imsx_StatusInfoDType"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII)

formats = FormatChecker(formats=())


@formats.checks("date", raises=ValueError)
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    date.fromisoformat(value)
    return True


@formats.checks("date-time", raises=ValueError)
def is_utc_date_time(value: object) -> bool:
    """RFC 3339, and in UTC as the specification requires of every dateLastModified."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    offset = moment.utcoffset()
    return offset is not None and offset.total_seconds() == 0


@formats.checks("uri", raises=ValueError)
def is_absolute_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and not re.search(r"\s", value)


def validator(component: str) -> Draft202012Validator:
    """A validator of one component of the specification (e.g. "UserSetDType")."""
    if component not in ROSTERING["$defs"]:
        raise KeyError(component)
    schema = {**ROSTERING, "$ref": f"#/$defs/{component}"}
    return Draft202012Validator(schema, format_checker=formats)


def errors(component: str, payload: Any) -> list[str]:
    """What is wrong with payload as an instance of component, one line per error."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator(component).iter_errors(payload)
    ]


# Where the service departs from the specification today, each with why; a conformance test
# fails on any other problem, and on a deviation that no longer occurs (remove it here).
KNOWN_DEVIATIONS: dict[str, str] = {}


def unexpected(problems: list[str]) -> list[str]:
    return [p for p in problems if not any(re.search(k, p) for k in KNOWN_DEVIATIONS)]


def no_longer_seen(problems: list[str]) -> list[str]:
    return [k for k in KNOWN_DEVIATIONS if not any(re.search(k, p) for p in problems)]

"""The OneRoster 1.2 CSV binding: the rostering records of the REST binding (the dicts of
``api.resolvers.oneroster.records``) written as the specification's zipped CSV files.

A bundle is ``bulk`` (the whole reach: every file replaces what the receiver holds, status and
dateLastModified left empty) or ``delta`` (the records changed since a moment, status and
dateLastModified filled, ``tobedeleted`` rows meaning "remove"). ``manifest.csv`` says which
file is which; files this service has no data for (gradebook, resources) are ``absent``.

users.csv has no role in 1.2: each user's roles are rows of roles.csv, whose sourcedIds this
module derives (stable, opaque) because the REST binding gives roles none: one row per user and
org, whatever the role and roleType (a changed role updates it), a further one per extra role
of the same user in the same org. A user's profiles are rows of userProfiles.csv (sourcedId =
the profile's profileId, as roles.csv refers to it).

A delta carries a changed user's current roles, and retracts (``tobedeleted``) his row in
each other org of the reach (``org_ids``): a user who leaves an org, or leaves altogether,
leaves no role behind at the receiver. (An extra role lost in an org where the user keeps
another is not retracted: the rostering domain gives a user one role per org.)
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import PermissionDenied, Principal
from api.resolvers.oneroster.reach import RosterScopeMissing
from api.resolvers.oneroster.records import roster_records
from core.errors import ValidationFailed

MANIFEST_VERSION = "1.0"
ONEROSTER_VERSION = "1.2"


class Mode(StrEnum):
    BULK = "bulk"
    DELTA = "delta"


# Every file.* entry of a 1.2 manifest, in the specification's order.
MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)

BASE_COLUMNS = ("sourcedId", "status", "dateLastModified")

# The columns of each file this service writes, in the specification's order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": (*BASE_COLUMNS, "name", "type", "identifier", "parentSourcedId"),
    "academicSessions": (
        *BASE_COLUMNS,
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ),
    "courses": (
        *BASE_COLUMNS,
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
    "classes": (
        *BASE_COLUMNS,
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    "users": (
        *BASE_COLUMNS,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ),
    "roles": (
        *BASE_COLUMNS,
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ),
    "userProfiles": (
        *BASE_COLUMNS,
        "userSourcedId",
        "profileType",
        "vendorId",
        "applicationId",
        "description",
        "credentialType",
        "username",
        "password",
    ),
    "enrollments": (
        *BASE_COLUMNS,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
    "demographics": (
        *BASE_COLUMNS,
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ),
}

# The REST collections a bundle is made of, and the CSV files each one feeds.
SOURCES: dict[str, tuple[str, ...]] = {
    "orgs": ("orgs",),
    "academicSessions": ("academicSessions",),
    "courses": ("courses",),
    "classes": ("classes",),
    "users": ("users", "roles", "userProfiles"),
    "enrollments": ("enrollments",),
    "demographics": ("demographics",),
}

# Namespace of the derived roles.csv sourcedIds (uuid5: the same role, the same id, always).
ROLE_NAMESPACE = uuid.UUID("6b0f7c2e-5d1a-4c55-9a51-0e1b4f8d2c71")

Record = Mapping[str, Any]
Row = dict[str, str]


def parse_since(raw: str, field: str = "since") -> datetime:
    """The moment of a delta: ISO 8601 with its time zone (``2026-09-01T08:00:00Z``)."""
    text_value = raw.strip()
    if len(text_value) > 40:
        raise ValidationFailed.single(field, "INVALID", f"« {field} » est trop long.")
    try:
        moment = datetime.fromisoformat(text_value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text_value:
        raise ValidationFailed.single(
            field,
            "INVALID",
            f"« {field} » doit être une date et heure ISO 8601 avec fuseau, "
            "par exemple 2026-09-01T08:00:00Z.",
        )
    return moment.astimezone(UTC)


def sourced_id(reference: Any) -> str:
    """The sourcedId of a GUIDRef (``{"href", "sourcedId", "type"}``), "" when absent."""
    if isinstance(reference, Mapping):
        return str(reference.get("sourcedId", ""))
    return ""


def listed(values: Iterable[str]) -> str:
    """A multi-valued field: the values separated by commas (the writer quotes the field)."""
    return ",".join(values)


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_date_time(value: Any) -> str:
    """dateLastModified as the CSV binding writes it: UTC, milliseconds, ``Z``."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def base(record: Record) -> Row:
    return {
        "sourcedId": text(record.get("sourcedId")),
        "status": text(record.get("status")),
        "dateLastModified": csv_date_time(record.get("dateLastModified")),
    }


def org_rows(record: Record) -> dict[str, list[Row]]:
    row = {
        **base(record),
        "name": text(record.get("name")),
        "type": text(record.get("type")),
        "identifier": text(record.get("identifier")),
        "parentSourcedId": sourced_id(record.get("parent")),
    }
    return {"orgs": [row]}


def academic_session_rows(record: Record) -> dict[str, list[Row]]:
    row = {
        **base(record),
        "title": text(record.get("title")),
        "type": text(record.get("type")),
        "startDate": text(record.get("startDate")),
        "endDate": text(record.get("endDate")),
        "parentSourcedId": sourced_id(record.get("parent")),
        "schoolYear": text(record.get("schoolYear")),
    }
    return {"academicSessions": [row]}


def course_rows(record: Record) -> dict[str, list[Row]]:
    row = {
        **base(record),
        "schoolYearSourcedId": sourced_id(record.get("schoolYear")),
        "title": text(record.get("title")),
        "courseCode": text(record.get("courseCode")),
        "grades": listed(record.get("grades", ())),
        "orgSourcedId": sourced_id(record.get("org")),
        "subjects": listed(record.get("subjects", ())),
        "subjectCodes": listed(record.get("subjectCodes", ())),
    }
    return {"courses": [row]}


def class_rows(record: Record) -> dict[str, list[Row]]:
    row = {
        **base(record),
        "title": text(record.get("title")),
        "grades": listed(record.get("grades", ())),
        "courseSourcedId": sourced_id(record.get("course")),
        "classCode": text(record.get("classCode")),
        "classType": text(record.get("classType")),
        "location": text(record.get("location")),
        "schoolSourcedId": sourced_id(record.get("school")),
        "termSourcedIds": listed(sourced_id(term) for term in record.get("terms", ())),
        "subjects": listed(record.get("subjects", ())),
        "subjectCodes": listed(record.get("subjectCodes", ())),
        "periods": listed(record.get("periods", ())),
    }
    return {"classes": [row]}


def role_sourced_id(user: str, org: str, ordinal: int = 0) -> str:
    """Stable and opaque: the user's first role in the org, or its ``ordinal``-th extra one."""
    key = f"{user}\n{org}" + (f"\n{ordinal}" if ordinal else "")
    return str(uuid.uuid5(ROLE_NAMESPACE, key))


def role_rows(record: Record) -> list[Row]:
    """The user's roles, per org the primary one first."""
    user = text(record.get("sourcedId"))
    roles = sorted(
        record.get("roles", ()),
        key=lambda role: (
            sourced_id(role.get("org")),
            role.get("roleType") != "primary",
            text(role.get("role")),
        ),
    )
    rows = []
    seen: dict[str, int] = {}
    for role in roles:
        org = sourced_id(role.get("org"))
        ordinal = seen.get(org, 0)
        seen[org] = ordinal + 1
        rows.append(
            {
                **base(record),
                "sourcedId": role_sourced_id(user, org, ordinal),
                "userSourcedId": user,
                "roleType": text(role.get("roleType")),
                "role": text(role.get("role")),
                "beginDate": text(role.get("beginDate")),
                "endDate": text(role.get("endDate")),
                "orgSourcedId": org,
                "userProfileSourcedId": text(role.get("userProfile")),
            }
        )
    return rows


def retracted_roles(record: Record, org_ids: Iterable[str]) -> list[Row]:
    """In a delta, the user's role row in each org of the reach where he has none now."""
    user = text(record.get("sourcedId"))
    # The orgs of his roles have their rows already (``tobedeleted`` when he is).
    held = {sourced_id(role.get("org")) for role in record.get("roles", ())}
    return [
        {
            **{column: "" for column in COLUMNS["roles"]},
            **base(record),
            "sourcedId": role_sourced_id(user, org),
            "status": "tobedeleted",
            "userSourcedId": user,
            "orgSourcedId": org,
        }
        for org in sorted(set(org_ids) - held)
    ]


def user_rows(record: Record) -> dict[str, list[Row]]:
    row = {
        **base(record),
        "enabledUser": text(record.get("enabledUser")),
        "username": text(record.get("username")),
        "userIds": listed(
            f"{{{text(user_id.get('type'))}:{text(user_id.get('identifier'))}}}"
            for user_id in record.get("userIds", ())
        ),
        "givenName": text(record.get("givenName")),
        "familyName": text(record.get("familyName")),
        "middleName": text(record.get("middleName")),
        "identifier": text(record.get("identifier")),
        "email": text(record.get("email")),
        "sms": text(record.get("sms")),
        "phone": text(record.get("phone")),
        "agentSourcedIds": listed(sourced_id(agent) for agent in record.get("agents", ())),
        "grades": listed(record.get("grades", ())),
        "password": text(record.get("password")),
        "userMasterIdentifier": text(record.get("userMasterIdentifier")),
        "preferredGivenName": text(record.get("preferredFirstName")),
        "preferredMiddleName": text(record.get("preferredMiddleName")),
        "preferredFamilyName": text(record.get("preferredLastName")),
        "primaryOrgSourcedId": sourced_id(record.get("primaryOrg")),
        "pronouns": text(record.get("pronouns")),
    }
    user = row["sourcedId"]
    profiles = []
    for profile in record.get("userProfiles", ()):
        # One credential per row in the CSV binding: the profile's first.
        credential: Record = next(iter(profile.get("credentials", ())), {})
        profiles.append(
            {
                **base(record),
                "sourcedId": text(profile.get("profileId")),
                "userSourcedId": user,
                "profileType": text(profile.get("profileType")),
                "vendorId": text(profile.get("vendorId")),
                "applicationId": text(profile.get("applicationId")),
                "description": text(profile.get("description")),
                "credentialType": text(credential.get("type")),
                "username": text(credential.get("username")),
                "password": text(credential.get("password")),
            }
        )
    return {"users": [row], "roles": role_rows(record), "userProfiles": profiles}


def enrollment_rows(record: Record) -> dict[str, list[Row]]:
    row = {
        **base(record),
        "classSourcedId": sourced_id(record.get("class")),
        "schoolSourcedId": sourced_id(record.get("school")),
        "userSourcedId": sourced_id(record.get("user")),
        "role": text(record.get("role")),
        "primary": text(record.get("primary")),
        "beginDate": text(record.get("beginDate")),
        "endDate": text(record.get("endDate")),
    }
    return {"enrollments": [row]}


def demographics_rows(record: Record) -> dict[str, list[Row]]:
    row = base(record)
    for column in COLUMNS["demographics"][len(BASE_COLUMNS) :]:
        row[column] = text(record.get(column))
    return {"demographics": [row]}


ROWS: dict[str, Callable[[Record], dict[str, list[Row]]]] = {
    "orgs": org_rows,
    "academicSessions": academic_session_rows,
    "courses": course_rows,
    "classes": class_rows,
    "users": user_rows,
    "enrollments": enrollment_rows,
    "demographics": demographics_rows,
}


def bundle_tables(
    records: Mapping[str, Sequence[Record]], mode: Mode, org_ids: Iterable[str] = ()
) -> dict[str, list[Row]]:
    """The rows of each CSV file, from the REST records of each collection given.

    A collection left out of ``records`` (e.g. demographics for a client without that scope)
    makes its files absent. In bulk, records already ``tobedeleted`` are left out (a bulk file
    is what exists) and status and dateLastModified are empty, as the binding asks. In a
    delta, ``org_ids`` (every org of the reach) lets a changed user's lost roles be retracted.
    """
    org_ids = tuple(org_ids)
    unknown = set(records) - set(SOURCES)
    if unknown:
        raise ValueError(f"not a OneRoster collection: {', '.join(sorted(unknown))}")
    tables: dict[str, list[Row]] = {}
    for collection, collection_records in records.items():
        files = SOURCES[collection]
        for name in files:
            tables.setdefault(name, [])
        for record in collection_records:
            if mode is Mode.BULK and record.get("status") == "tobedeleted":
                continue
            for name, rows in ROWS[collection](record).items():
                tables[name].extend(rows)
            if collection == "users" and mode is Mode.DELTA:
                tables["roles"].extend(retracted_roles(record, org_ids))
    # userProfiles.csv only when some user has a profile: otherwise absent.
    if not tables.get("userProfiles"):
        tables.pop("userProfiles", None)
    if mode is Mode.BULK:
        for rows in tables.values():
            for row in rows:
                row["status"] = ""
                row["dateLastModified"] = ""
    for rows in tables.values():
        rows.sort(key=lambda row: row["sourcedId"])
    return tables


def manifest_rows(
    present: Iterable[str], mode: Mode, system_name: str, system_code: str
) -> list[tuple[str, str]]:
    present = set(present)
    rows = [("manifest.version", MANIFEST_VERSION), ("oneroster.version", ONEROSTER_VERSION)]
    rows += [
        (f"file.{name}", mode.value if name in present else "absent") for name in MANIFEST_FILES
    ]
    rows += [("source.systemName", system_name), ("source.systemCode", system_code)]
    return rows


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_bundle(
    output: IO[bytes],
    records: Mapping[str, Sequence[Record]],
    *,
    mode: Mode,
    system_name: str,
    system_code: str = "",
    org_ids: Iterable[str] = (),
) -> None:
    """Writes the zip (manifest.csv and the present files at its root) into ``output``;
    ``org_ids``: every org of the reach, for a delta (see ``bundle_tables``)."""
    tables = bundle_tables(records, mode, org_ids)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = manifest_rows(tables, mode, system_name, system_code)
        archive.writestr("manifest.csv", csv_text(("propertyName", "value"), manifest))
        for name in MANIFEST_FILES:
            if name not in tables:
                continue
            header = COLUMNS[name]
            rows = ([row[column] for column in header] for row in tables[name])
            archive.writestr(f"{name}.csv", csv_text(header, rows))


CORE_COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")


@dataclass(frozen=True)
class BundleRecords:
    """What a bundle is written from: the records of each collection, and every org of the
    reach (a delta retracts the roles of the orgs a user left)."""

    records: dict[str, list[dict[str, Any]]]
    org_ids: list[str]


async def bundle_records(
    session: AsyncSession,
    principal: Principal,
    *,
    since: datetime | None,
    demographics: bool | None,
) -> BundleRecords:
    """The caller's records, through the domain that the REST service reads too.

    ``demographics``: True, they are required (refused like any collection when the caller
    may not read them); False, left out; None, included when the caller may read them.
    """
    records = {
        collection: await roster_records(session, principal, collection, since=since)
        for collection in CORE_COLLECTIONS
    }
    if demographics is not False:
        try:
            records["demographics"] = await roster_records(
                session, principal, "demographics", since=since
            )
        except (PermissionDenied, RosterScopeMissing):
            if demographics:
                raise
    orgs = records["orgs"] if since is None else await roster_records(session, principal, "orgs")
    return BundleRecords(records, [org["sourcedId"] for org in orgs])

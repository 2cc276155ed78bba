"""The CSV binding's mapping from the REST records, on records written by hand after the
specification's examples."""

from __future__ import annotations

import io
from typing import Any

import pytest

from api.oneroster.csv_bundle import COLUMNS, MANIFEST_FILES, Mode, role_sourced_id, write_bundle
from tests.api.oneroster.csv_files import Bundle

BASE = "https://sconet.example/ims/oneroster/rostering/v1p2"


def ref(kind: str, collection: str, sourced_id: str) -> dict[str, str]:
    return {"href": f"{BASE}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


def stamp(status: str = "active", modified: str = "2026-09-01T08:00:00Z") -> dict[str, str]:
    return {"status": status, "dateLastModified": modified}


SCHOOL = {
    "sourcedId": "o-1",
    **stamp(),
    "name": "Collège Jean-Moulin, Lyon",
    "type": "school",
    "identifier": "0690001A",
    "parent": ref("org", "orgs", "o-0"),
}
YEAR = {
    "sourcedId": "as-1",
    **stamp(),
    "title": "2026-2027",
    "startDate": "2026-09-01",
    "endDate": "2027-07-04",
    "type": "schoolYear",
    "schoolYear": "2027",
}
TERM = {
    **YEAR,
    "sourcedId": "as-2",
    "title": "T1",
    "type": "term",
    "parent": ref("academicSession", "academicSessions", "as-1"),
}
COURSE = {
    "sourcedId": "co-1",
    **stamp(),
    "title": "3EME",
    "courseCode": "10310019110",
    "schoolYear": ref("academicSession", "academicSessions", "as-1"),
    "grades": ["09"],
    "org": ref("org", "orgs", "o-1"),
    "subjects": ["français", "mathématiques"],
    "subjectCodes": ["020700", "061300"],
}
CLASS = {
    "sourcedId": "c-1",
    **stamp(),
    "title": "3A",
    "classCode": "3A",
    "classType": "homeroom",
    "grades": ["09"],
    "course": ref("course", "courses", "co-1"),
    "school": ref("org", "schools", "o-1"),
    "terms": [ref("academicSession", "terms", "as-1"), ref("academicSession", "terms", "as-2")],
    "periods": ["1", "3"],
}
STUDENT = {
    "sourcedId": "u-1",
    **stamp(modified="2026-09-02T10:11:12.345678+00:00"),
    "enabledUser": "true",
    "username": "jdupont",
    "userIds": [{"type": "INE", "identifier": "123456789AB"}, {"type": "ENT", "identifier": "x"}],
    "givenName": "Jeanne",
    "familyName": "Dupont",
    "middleName": "Marie Louise",
    "preferredFirstName": "Jeannette",
    "identifier": "123456789AB",
    "email": "jeanne@example.fr",
    "agents": [ref("user", "users", "u-2")],
    "grades": ["09"],
    "primaryOrg": ref("org", "orgs", "o-1"),
    "roles": [{"roleType": "primary", "role": "student", "org": ref("org", "orgs", "o-1")}],
}
GUARDIAN = {
    "sourcedId": "u-2",
    **stamp(),
    "enabledUser": "false",
    "givenName": "Paul",
    "familyName": "Dupont",
    "agents": [ref("user", "users", "u-1")],
    "roles": [
        {
            "roleType": "primary",
            "role": "guardian",
            "org": ref("org", "orgs", "o-1"),
            "beginDate": "2026-09-01",
        },
        {"roleType": "secondary", "role": "parent", "org": ref("org", "orgs", "o-1")},
    ],
}
LEFT = {**STUDENT, "sourcedId": "u-3", **stamp("tobedeleted", "2026-09-03T00:00:00Z")}
ENROLLMENT = {
    "sourcedId": "e-1",
    **stamp(),
    "user": ref("user", "users", "u-1"),
    "class": ref("class", "classes", "c-1"),
    "school": ref("org", "schools", "o-1"),
    "role": "student",
    "primary": "false",
    "beginDate": "2026-09-01",
}
DEMOGRAPHICS = {
    "sourcedId": "u-1",
    **stamp(),
    "birthDate": "2012-03-04",
    "sex": "female",
    "cityOfBirth": "Lyon",
    "countryOfBirthCode": "FR",
}


def records(**extra: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {
        "orgs": [SCHOOL],
        "academicSessions": [YEAR, TERM],
        "courses": [COURSE],
        "classes": [CLASS],
        "users": [STUDENT, GUARDIAN, LEFT],
        "enrollments": [ENROLLMENT],
        **extra,
    }


def bundle(data: dict[str, list[dict[str, Any]]], mode: Mode = Mode.BULK) -> Bundle:
    output = io.BytesIO()
    write_bundle(output, data, mode=mode, system_name="SCONET", system_code="0690001A")
    return Bundle(output.getvalue())


def test_the_manifest_names_every_file_of_the_specification() -> None:
    made = bundle(records())
    assert made.rows("manifest.csv")[0] == ["propertyName", "value"]
    keys = [row[0] for row in made.rows("manifest.csv")[1:]]
    assert keys == [
        "manifest.version",
        "oneroster.version",
        *[f"file.{name}" for name in MANIFEST_FILES],
        "source.systemName",
        "source.systemCode",
    ]
    assert made.manifest["manifest.version"] == "1.0"
    assert made.manifest["oneroster.version"] == "1.2"
    assert made.manifest["source.systemName"] == "SCONET"
    assert made.manifest["source.systemCode"] == "0690001A"
    present = {"orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments"}
    for name in MANIFEST_FILES:
        assert made.mode(name) == ("bulk" if name in present else "absent"), name
    assert made.names == sorted(["manifest.csv", *[f"{name}.csv" for name in present]])


def test_each_file_has_the_columns_of_the_specification_in_order() -> None:
    made = bundle(records(demographics=[DEMOGRAPHICS]), Mode.DELTA)
    assert made.headers["users"] == [
        "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
        "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password", "userMasterIdentifier", "preferredGivenName",
        "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
    ]  # fmt: skip
    assert made.headers["classes"] == [
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
        "subjectCodes", "periods",
    ]  # fmt: skip
    assert made.headers["roles"] == [
        "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
        "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId",
    ]  # fmt: skip
    for name, header in made.headers.items():
        assert header == list(COLUMNS[name]), name


def test_a_bulk_leaves_status_and_date_empty_and_the_deleted_out() -> None:
    made = bundle(records())
    assert set(made.tables["users"]) == {"u-1", "u-2"}
    for table in made.tables.values():
        for row in table.values():
            assert row["status"] == "" and row["dateLastModified"] == ""


def test_the_records_fields_land_in_their_columns() -> None:
    made = bundle(records(demographics=[DEMOGRAPHICS]))
    assert made.tables["orgs"]["o-1"] == {
        "sourcedId": "o-1", "status": "", "dateLastModified": "",
        "name": "Collège Jean-Moulin, Lyon", "type": "school", "identifier": "0690001A",
        "parentSourcedId": "o-0",
    }  # fmt: skip
    term = made.tables["academicSessions"]["as-2"]
    assert (term["type"], term["parentSourcedId"], term["schoolYear"]) == ("term", "as-1", "2027")
    course = made.tables["courses"]["co-1"]
    assert course["schoolYearSourcedId"] == "as-1"
    assert course["orgSourcedId"] == "o-1"
    assert course["subjects"] == "français,mathématiques"
    assert course["subjectCodes"] == "020700,061300"
    klass = made.tables["classes"]["c-1"]
    assert klass["termSourcedIds"] == "as-1,as-2"
    assert (klass["courseSourcedId"], klass["schoolSourcedId"]) == ("co-1", "o-1")
    assert (klass["classType"], klass["periods"], klass["location"]) == ("homeroom", "1,3", "")
    user = made.tables["users"]["u-1"]
    assert user["userIds"] == "{INE:123456789AB},{ENT:x}"
    assert user["agentSourcedIds"] == "u-2"
    assert (user["enabledUser"], user["preferredGivenName"], user["preferredFamilyName"]) == (
        "true",
        "Jeannette",
        "",
    )
    assert user["middleName"] == "Marie Louise"
    assert user["primaryOrgSourcedId"] == "o-1"
    enrollment = made.tables["enrollments"]["e-1"]
    assert (enrollment["classSourcedId"], enrollment["userSourcedId"]) == ("c-1", "u-1")
    assert (enrollment["role"], enrollment["primary"], enrollment["endDate"]) == (
        "student",
        "false",
        "",
    )
    demographics = made.tables["demographics"]["u-1"]
    assert (demographics["birthDate"], demographics["sex"], demographics["white"]) == (
        "2012-03-04",
        "female",
        "",
    )


def test_roles_are_rows_of_roles_csv_with_stable_ids() -> None:
    made = bundle(records())
    roles = made.tables["roles"]
    assert len(roles) == 3
    guardian = sorted(
        (row["roleType"], row["role"], row["beginDate"])
        for row in roles.values()
        if row["userSourcedId"] == "u-2"
    )
    assert guardian == [("primary", "guardian", "2026-09-01"), ("secondary", "parent", "")]
    assert all(row["orgSourcedId"] == "o-1" for row in roles.values())
    # The same roles, the same ids.
    assert set(bundle(records()).tables["roles"]) == set(roles)
    # A user's role in an org is one row, whatever the role: a changed role updates it.
    aide = {**STUDENT, "roles": [{**STUDENT["roles"][0], "role": "aide"}]}
    changed = bundle(records(users=[aide]), Mode.DELTA).tables["roles"]
    assert set(changed) == {role_sourced_id("u-1", "o-1")}
    assert changed[role_sourced_id("u-1", "o-1")]["role"] == "aide"
    assert role_sourced_id("u-1", "o-1") in roles
    assert role_sourced_id("u-1", "o-1") != role_sourced_id("u-2", "o-1")
    assert role_sourced_id("u-1", "o-1") != role_sourced_id("u-1", "o-2")


def test_a_delta_retracts_the_roles_a_user_lost() -> None:
    moved = {
        **STUDENT,
        "roles": [{"roleType": "primary", "role": "student", "org": ref("org", "orgs", "o-2")}],
    }
    departed = {"sourcedId": "u-2", **stamp("tobedeleted", "2026-09-03T00:00:00Z")}
    left = {**LEFT}  # tobedeleted with his roles: each org's row once
    output = io.BytesIO()
    write_bundle(
        output,
        {"users": [moved, departed, left]},
        mode=Mode.DELTA,
        system_name="SCONET",
        org_ids=["o-0", "o-1", "o-2"],
    )
    roles = Bundle(output.getvalue()).tables["roles"]
    state = {
        (row["userSourcedId"], row["orgSourcedId"]): (row["status"], row["role"])
        for row in roles.values()
    }
    assert state == {
        ("u-1", "o-0"): ("tobedeleted", ""),
        ("u-1", "o-1"): ("tobedeleted", ""),
        ("u-1", "o-2"): ("active", "student"),
        ("u-2", "o-0"): ("tobedeleted", ""),
        ("u-2", "o-1"): ("tobedeleted", ""),
        ("u-2", "o-2"): ("tobedeleted", ""),
        ("u-3", "o-0"): ("tobedeleted", ""),
        ("u-3", "o-1"): ("tobedeleted", "student"),
        ("u-3", "o-2"): ("tobedeleted", ""),
    }
    assert len(roles) == len(state)
    # The row the bulk gave for u-1 in o-1 is the one retracted.
    assert role_sourced_id("u-1", "o-1") in bundle(records()).tables["roles"]
    assert roles[role_sourced_id("u-1", "o-1")]["status"] == "tobedeleted"


def test_user_profiles_appear_when_a_user_has_one() -> None:
    profile = {
        "profileId": "urn:sconet:ent:u-1",
        "profileType": "ENT",
        "vendorId": "sconet",
        "credentials": [{"type": "password", "username": "jdupont"}],
    }
    student = {**STUDENT, "userProfiles": [profile]}
    student["roles"] = [{**STUDENT["roles"][0], "userProfile": "urn:sconet:ent:u-1"}]
    made = bundle(records(users=[student, GUARDIAN]))
    assert made.mode("userProfiles") == "bulk"
    row = made.tables["userProfiles"]["urn:sconet:ent:u-1"]
    assert (row["userSourcedId"], row["vendorId"], row["credentialType"], row["username"]) == (
        "u-1",
        "sconet",
        "password",
        "jdupont",
    )
    role = next(r for r in made.tables["roles"].values() if r["userSourcedId"] == "u-1")
    assert role["userProfileSourcedId"] == "urn:sconet:ent:u-1"


def test_a_delta_fills_status_and_date_and_keeps_the_deleted() -> None:
    made = bundle(records(), Mode.DELTA)
    assert made.mode("users") == "delta" and made.mode("roles") == "delta"
    assert made.mode("demographics") == "absent"
    users = made.tables["users"]
    assert users["u-1"]["status"] == "active"
    assert users["u-1"]["dateLastModified"] == "2026-09-02T10:11:12.345Z"
    assert users["u-3"]["status"] == "tobedeleted"
    assert users["u-3"]["dateLastModified"] == "2026-09-03T00:00:00.000Z"
    left_roles = [r for r in made.tables["roles"].values() if r["userSourcedId"] == "u-3"]
    assert [r["status"] for r in left_roles] == ["tobedeleted"]


def test_an_empty_delta_still_lists_its_files() -> None:
    made = bundle({name: [] for name in records()}, Mode.DELTA)
    assert made.mode("users") == "delta"
    assert made.rows("users.csv") == [list(COLUMNS["users"])]
    assert made.tables["users"] == {}


def test_an_unknown_collection_is_refused() -> None:
    with pytest.raises(ValueError, match="lineItems"):
        bundle({"lineItems": []})

"""The specification's schemas themselves: valid JSON Schema, they accept the specification's
own kind of examples and refuse broken ones (so a conformance test built on them can fail)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.api.oneroster.response_schemas import (
    ENDPOINT_RESPONSES,
    ERROR_RESPONSE,
    ROSTERING,
    errors,
)

BASE = "https://sis.example.edu/ims/oneroster/rostering/v1p2"


def ref(kind: str, collection: str, sourced_id: str) -> dict[str, str]:
    return {"href": f"{BASE}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


USER: dict[str, Any] = {
    "sourcedId": "u-1",
    "status": "active",
    "dateLastModified": "2026-09-01T08:00:00.000Z",
    "metadata": {"ext:uai": "0750001A"},
    "userMasterIdentifier": "master-1",
    "username": "jdupont",
    "userIds": [{"type": "INE", "identifier": "123456789AB"}],
    "enabledUser": "true",
    "givenName": "Jeanne",
    "familyName": "Dupont",
    "preferredFirstName": "Jeannette",
    "roles": [
        {
            "roleType": "primary",
            "role": "student",
            "org": ref("org", "orgs", "o-1"),
            "beginDate": "2026-09-01",
        }
    ],
    "userProfiles": [
        {
            "profileId": "urn:sconet:profile:1",
            "profileType": "ent",
            "vendorId": "sconet",
            "credentials": [{"type": "password", "username": "jdupont"}],
        }
    ],
    "primaryOrg": ref("org", "orgs", "o-1"),
    "agents": [ref("user", "users", "u-2")],
    "grades": ["09"],
}

EXAMPLES: dict[str, Any] = {
    "SingleUserDType": {"user": USER},
    "UserSetDType": {"users": [USER]},
    "OrgSetDType": {
        "orgs": [
            {
                "sourcedId": "o-1",
                "status": "active",
                "dateLastModified": "2026-09-01T08:00:00Z",
                "name": "Collège Jean Moulin",
                "type": "school",
                "identifier": "0750001A",
                "parent": ref("org", "orgs", "o-0"),
            }
        ]
    },
    "SingleAcademicSessionDType": {
        "academicSession": {
            "sourcedId": "as-1",
            "status": "active",
            "dateLastModified": "2026-09-01T08:00:00Z",
            "title": "2026-2027",
            "startDate": "2026-09-01",
            "endDate": "2027-07-05",
            "type": "schoolYear",
            "children": [ref("academicSession", "terms", "as-2")],
            "schoolYear": "2027",
        }
    },
    "ClassSetDType": {
        "classes": [
            {
                "sourcedId": "c-1",
                "status": "tobedeleted",
                "dateLastModified": "2026-09-01T08:00:00+00:00",
                "title": "3A",
                "classType": "homeroom",
                "course": ref("course", "courses", "co-1"),
                "school": ref("org", "schools", "o-1"),
                "terms": [ref("academicSession", "terms", "as-1")],
            }
        ]
    },
    "SingleCourseDType": {
        "course": {
            "sourcedId": "co-1",
            "status": "active",
            "dateLastModified": "2026-09-01T08:00:00Z",
            "title": "3EME",
            "courseCode": "10310019110",
            "org": ref("org", "orgs", "o-1"),
        }
    },
    "EnrollmentSetDType": {
        "enrollments": [
            {
                "sourcedId": "e-1",
                "status": "active",
                "dateLastModified": "2026-09-01T08:00:00Z",
                "user": ref("user", "users", "u-1"),
                "class": ref("class", "classes", "c-1"),
                "school": ref("org", "schools", "o-1"),
                "role": "teacher",
                "primary": "true",
                "beginDate": "2026-09-01",
            }
        ]
    },
    "SingleDemographicsDType": {
        "demographics": {
            "sourcedId": "u-1",
            "status": "active",
            "dateLastModified": "2026-09-01T08:00:00Z",
            "birthDate": "2012-03-04",
            "sex": "female",
            "cityOfBirth": "Lyon",
        }
    },
    ERROR_RESPONSE: {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": "Unknown object",
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": "unknownobject",
                }
            ]
        },
    },
}


def test_the_schema_document_is_valid_json_schema() -> None:
    Draft202012Validator.check_schema(ROSTERING)


def test_every_endpoint_answers_with_a_defined_component() -> None:
    defined = set(ROSTERING["$defs"])
    assert set(ENDPOINT_RESPONSES.values()) <= defined
    assert ERROR_RESPONSE in defined


@pytest.mark.parametrize("component", sorted(EXAMPLES))
def test_the_specification_examples_validate(component: str) -> None:
    assert errors(component, EXAMPLES[component]) == []


def broken(component: str, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of the example with the value at path replaced, or removed when value is ...."""
    example = copy.deepcopy(EXAMPLES[component])
    target = example
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return example


BROKEN = [
    ("SingleUserDType", ("user", "givenName"), ...),  # required
    ("SingleUserDType", ("user", "roles"), []),  # at least one role
    ("SingleUserDType", ("user", "enabledUser"), True),  # a string "true"/"false"
    ("SingleUserDType", ("user", "status"), "inactive"),  # removed in 1.1
    ("SingleUserDType", ("user", "nickname"), "Jo"),  # no additional properties
    ("SingleUserDType", ("user", "roles", 0, "role"), "pupil"),  # not in the vocabulary
    ("SingleUserDType", ("user", "dateLastModified"), "2026-09-01T08:00:00"),  # no time zone
    ("SingleUserDType", ("user", "dateLastModified"), "2026-09-01T10:00:00+02:00"),  # not UTC
    ("SingleUserDType", ("user", "agents", 0, "href"), "/users/u-2"),  # not an absolute URI
    ("SingleUserDType", ("user", "agents", 0, "type"), "student"),
    ("OrgSetDType", ("orgs", 0, "type"), "college"),
    ("OrgSetDType", ("orgs", 0, "identifier"), ...),
    ("SingleAcademicSessionDType", ("academicSession", "startDate"), "01/09/2026"),
    ("SingleAcademicSessionDType", ("academicSession", "type"), "trimester"),
    ("ClassSetDType", ("classes", 0, "terms"), []),
    ("ClassSetDType", ("classes", 0, "classType"), "division"),
    ("SingleCourseDType", ("course", "courseCode"), ...),
    ("EnrollmentSetDType", ("enrollments", 0, "role"), "guardian"),
    ("EnrollmentSetDType", ("enrollments", 0, "primary"), "yes"),
    ("SingleDemographicsDType", ("demographics", "sex"), "F"),
    ("SingleDemographicsDType", ("demographics", "birthDate"), "2012-02-30"),
    (ERROR_RESPONSE, ("imsx_severity",), ...),
    (
        ERROR_RESPONSE,
        ("imsx_CodeMinor", "imsx_codeMinorField", 0, "imsx_codeMinorFieldValue"),
        "notfound",
    ),
]


@pytest.mark.parametrize(("component", "path", "value"), BROKEN)
def test_a_broken_example_is_refused(
    component: str, path: tuple[str | int, ...], value: Any
) -> None:
    assert errors(component, broken(component, path, value)) != []


def test_extension_vocabulary_values_are_accepted() -> None:
    example = broken("OrgSetDType", ("orgs", 0, "type"), "ext:academie")
    assert errors("OrgSetDType", example) == []


def test_a_collection_under_the_wrong_key_is_refused() -> None:
    assert errors("OrgSetDType", {"schools": EXAMPLES["OrgSetDType"]["orgs"]}) != []
    assert errors("SingleOrgDType", {"school": EXAMPLES["OrgSetDType"]["orgs"][0]}) != []

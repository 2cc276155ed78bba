"""The académie administrator sets up schools (UAI with its check letter, holiday zone in the
absence settings), school years (dates, one current at a time) and each school's first
principal (invited, no password); from the domain and from GraphQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from api.auth.principal import PermissionDenied
from api.resolvers.schools import (
    academy_schools,
    create_school,
    create_school_year,
    update_school,
    update_school_year,
)
from core.errors import ValidationFailed
from db.absences import AbsenceSettings, HolidayZone
from db.schools import School, SchoolKind, SchoolSector, SchoolYear, SchoolYearState
from tests.world import uai

LYCEE = {
    "uai": uai("0750654"),
    "name": "Lycée Condorcet",
    "kind": "lgt",
    "sector": "private_under_contract",
    "address_line": "8 rue du Havre",
    "postal_code": "75009",
    "city": "Paris",
    "phone": "01 45 26 99 11",
    "email": "ce.0750654@ac-paris.fr",
    "holiday_zone": "A",
}


async def _run(sessionmaker, principal, fn, *args):
    async with sessionmaker() as session, session.begin():
        return await fn(session, principal, *args)


async def test_the_administrator_creates_and_edits_a_school(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    school = await _run(sessionmaker, admin, create_school, LYCEE)
    async with sessionmaker() as session:
        stored = await session.get(School, school.id)
        settings = await session.get(AbsenceSettings, school.id)
    assert (stored.kind, stored.sector) == (SchoolKind.LGT, SchoolSector.PRIVATE_UNDER_CONTRACT)
    assert (stored.postal_code, stored.city, stored.academy_id) == (
        "75009",
        "Paris",
        world.academy_id,
    )
    # The zone is where the absences read it, not a second copy on the school.
    assert settings.holiday_zone is HolidayZone.A
    await _run(sessionmaker, admin, update_school, school.id, {"kind": "erea", "holiday_zone": "C"})
    async with sessionmaker() as session:
        stored = await session.get(School, school.id)
        settings = await session.get(AbsenceSettings, school.id)
    assert (stored.kind, stored.name, settings.holiday_zone) == (
        SchoolKind.EREA,
        "Lycée Condorcet",
        HolidayZone.C,
    )
    listed = await _run(sessionmaker, admin, academy_schools)
    assert uai("0750654") in {s.uai for s in listed}


async def test_bad_schools_are_refused_naming_the_field(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    wrong_letter = LYCEE | {"uai": "0750654A"}
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, admin, create_school, wrong_letter)
    [error] = refused.value.errors
    assert error.field == "uai" and f"est {uai('0750654')[7]}, pas A" in error.message
    bad = {
        "uai": "12345",
        "name": "",
        "kind": "ecole",
        "postal_code": "750",
        "phone": "abc",
        "email": "pas-un-courriel",
        "holiday_zone": "Z",
    }
    with pytest.raises(ValidationFailed) as refused:
        await _run(sessionmaker, admin, create_school, bad)
    assert {e.field for e in refused.value.errors} == {
        "uai",
        "name",
        "kind",
        "postal_code",
        "phone",
        "email",
        "holiday_zone",
    }
    with pytest.raises(ValidationFailed) as duplicate:
        await _run(sessionmaker, admin, create_school, LYCEE | {"uai": uai("0930001")})
    assert [(e.field, e.code) for e in duplicate.value.errors] == [("uai", "DUPLICATE")]
    async with sessionmaker() as session:
        assert await session.scalar(select(School).where(School.name == "Lycée Condorcet")) is None
    # Only the académie's administrator sets up schools.
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, principal, create_school, LYCEE)


async def test_school_years_have_ordered_dates_and_one_current(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    year = await _run(sessionmaker, admin, create_school_year, {"start_year": "2027"})
    assert (year.starts_on, year.ends_on, year.state) == (
        date(2027, 9, 1),
        date(2028, 8, 31),
        SchoolYearState.IN_PREPARATION,
    )
    refusals = [
        ({"start_year": 2026}, "start_year", "DUPLICATE"),
        ({"start_year": "deux mille"}, "start_year", "INVALID"),
        (
            {"start_year": 2028, "starts_on": "2028-09-01", "ends_on": "2028-08-31"},
            "ends_on",
            "BEFORE_START",
        ),
        # 2028-2029 starting before 2027-2028 ends.
        ({"start_year": 2028, "starts_on": "2028-08-15"}, "starts_on", "OVERLAP"),
        ({"start_year": 2028, "state": "current"}, "state", "ANOTHER_CURRENT"),
    ]
    for data, field, code in refusals:
        with pytest.raises(ValidationFailed) as refused:
            await _run(sessionmaker, admin, create_school_year, data)
        assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)], data
    # The rollover: close the current year, then open the next one.
    await _run(sessionmaker, admin, update_school_year, world.year_id, {"state": "closed"})
    await _run(sessionmaker, admin, update_school_year, year.id, {"state": "current"})
    async with sessionmaker() as session:
        current = list(
            await session.scalars(
                select(SchoolYear.start_year).where(SchoolYear.state == SchoolYearState.CURRENT)
            )
        )
    assert current == [2027]


CREATE_SCHOOL = """
mutation($input: SchoolInput!) {
  createSchool(input: $input) { school { id uai kind sector city } errors { field code message } }
}"""

UPDATE_SCHOOL = """
mutation($id: Int!, $input: SchoolPatch!) {
  updateSchool(id: $id, input: $input) { school { name } errors { field code } }
}"""

CREATE_YEAR = """
mutation($input: SchoolYearInput!) {
  createSchoolYear(input: $input) {
    schoolYear { label startsOn endsOn state } errors { field code message }
  }
}"""

CREATE_PRINCIPAL = """
mutation($input: PrincipalInput!) {
  createPrincipal(input: $input) { invitation { login emailed } errors { field code } }
}"""


async def test_graphql_mutations(gql, world):
    created = await gql(
        "admin",
        CREATE_SCHOOL,
        {
            "input": {
                "uai": uai("0750654"),
                "name": "Lycée Condorcet",
                "kind": "LGT",
                "sector": "PRIVATE_UNDER_CONTRACT",
                "city": "Paris",
                "holidayZone": "C",
            }
        },
    )
    school = created["data"]["createSchool"]["school"]
    assert (school["kind"], school["sector"]) == ("LGT", "PRIVATE_UNDER_CONTRACT")
    refused = await gql(
        "admin",
        CREATE_SCHOOL,
        {"input": {"uai": "0750654Z", "name": "X", "kind": "COLLEGE", "postalCode": "1"}},
    )
    assert refused["data"]["createSchool"]["school"] is None
    assert {e["field"] for e in refused["data"]["createSchool"]["errors"]} == {"uai", "postalCode"}
    updated = await gql(
        "admin", UPDATE_SCHOOL, {"id": school["id"], "input": {"name": "Lycée Condorcet (Paris)"}}
    )
    assert updated["data"]["updateSchool"] == {
        "school": {"name": "Lycée Condorcet (Paris)"},
        "errors": [],
    }
    year = await gql("admin", CREATE_YEAR, {"input": {"startYear": 2027, "startsOn": "2027-09-02"}})
    assert year["data"]["createSchoolYear"]["schoolYear"] == {
        "label": "2027-2028",
        "startsOn": "2027-09-02",
        "endsOn": "2028-08-31",
        "state": "IN_PREPARATION",
    }
    invited = await gql(
        "admin",
        CREATE_PRINCIPAL,
        {
            "input": {
                "schoolId": school["id"],
                "login": "m.proviseur",
                "displayName": "M. Proviseur",
                "email": "proviseur@example.fr",
            }
        },
    )
    assert invited["data"]["createPrincipal"] == {
        "invitation": {"login": "m.proviseur", "emailed": True},
        "errors": [],
    }
    # A principal sets up no school.
    denied = await gql(
        "principal_a", CREATE_SCHOOL, {"input": {"uai": uai("0750655"), "name": "X", "kind": "LP"}}
    )
    assert denied["data"] is None or denied["data"]["createSchool"] is None
    assert denied["errors"]

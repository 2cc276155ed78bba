"""Absences over GraphQL: the grid, recording with field errors, regularising, the record;
a third-party client with absences:write pushes absences of its schools."""

from __future__ import annotations

import pytest

from db.reference import load_absence_references
from tests.world import build_world

SETUP = "query($s: Int!) { absenceSetup(schoolId: $s) { holidayZone slots { id code halfDay } motives { id code justifies } } }"
RECORD = """
mutation($input: AbsenceInput!) {
  recordAbsence(input: $input) { event { id version kind noted_by: notedByLabel } errors { field code message } }
}
"""
REGULARISE = """
mutation($id: Int!, $input: RegularisationInput!) {
  regulariseAbsenceEvent(id: $id, input: $input) { event { id motiveId } errors { field code } }
}
"""
HISTORY = "query($id: Int!) { absenceRecord(studentId: $id) { halfDays unjustifiedHalfDays events { id } } }"


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world


async def test_record_regularise_and_count(gql, world):
    setup = (await gql("cpe_a", SETUP, {"s": world.school_a}))["data"]["absenceSetup"]
    assert setup["holidayZone"] == "C"
    slots = {s["code"]: s["id"] for s in setup["slots"]}
    motives = {m["code"]: m for m in setup["motives"]}
    assert motives["MAL"]["justifies"] and not motives["NVA"]["justifies"]
    base = {"studentId": world.students["lina"], "schoolId": world.school_a}
    bad = await gql(
        "cpe_a",
        RECORD,
        {
            "input": base
            | {
                "startDate": "2026-11-17",
                "startSlotId": slots["M1"],
                "endDate": "2026-11-16",
                "endSlotId": slots["M1"],
            }
        },
    )
    [error] = bad["data"]["recordAbsence"]["errors"]
    assert error["field"] == "endDate" and "précède" in error["message"]
    done = await gql(
        "cpe_a",
        RECORD,
        {
            "input": base
            | {
                "startDate": "2026-11-16",
                "startSlotId": slots["M1"],
                "endDate": "2026-11-16",
                "endSlotId": slots["S4"],
            }
        },
    )
    event = done["data"]["recordAbsence"]["event"]
    assert event["kind"] == "ABSENCE" and event["noted_by"].startswith("Cpe A")
    record = (await gql("cpe_a", HISTORY, {"id": base["studentId"]}))["data"]["absenceRecord"]
    assert (record["halfDays"], record["unjustifiedHalfDays"]) == (2, 2)
    regularised = await gql(
        "cpe_a",
        REGULARISE,
        {
            "id": event["id"],
            "input": {"motiveId": motives["MAL"]["id"], "expectedVersion": event["version"]},
        },
    )
    assert regularised["data"]["regulariseAbsenceEvent"]["errors"] == []
    record = (await gql("cpe_a", HISTORY, {"id": base["studentId"]}))["data"]["absenceRecord"]
    assert (record["halfDays"], record["unjustifiedHalfDays"]) == (2, 0)
    # A registrar has no Absences right by default.
    refused = await gql("registrar_a", HISTORY, {"id": base["studentId"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

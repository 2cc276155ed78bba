"""Absences over GraphQL: the grid, recording with field errors, regularising, the record;
a third-party client with absences:write pushes absences of its schools."""

from __future__ import annotations

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


FOLLOW_UP = """
query($s: Int!, $d: Int!) {
  absenceEvents(filter: {schoolId: $s, since: "2026-11-01", until: "2026-11-30", justified: false}, first: 2) {
    lines { studentName divisionCode justified event { kind startDate } }
    pageInfo { hasNextPage endCursor }
  }
  divisionAbsences(divisionId: $d, firstDay: "2026-11-16", days: 5) {
    divisionId days rows { studentName events { kind } }
  }
  studentsToContact(schoolId: $s, since: "2026-11-01") { studentName unjustifiedHalfDays lateness }
}
"""
STATISTICS = """
query($s: Int!) {
  absenceStatistics(schoolId: $s, since: "2026-11-01", until: "2026-11-30", by: DIVISION) {
    label headcount halfDays unjustifiedHalfDays absenceRate lateness
  }
  monthlyAbsenceIndicator(year: 2026, month: 11) { total { students studentsOverThreshold share } }
}
"""


async def test_follow_up_and_statistics_over_graphql(gql, world, desk):
    from tests.api.absences.scenario import november

    await november(world, desk)
    body = await gql("cpe_a", FOLLOW_UP, {"s": world.school_a, "d": world.division_a1})
    events = body["data"]["absenceEvents"]
    assert len(events["lines"]) == 2 and events["pageInfo"]["hasNextPage"]
    assert not any(line["justified"] for line in events["lines"])
    sheet = body["data"]["divisionAbsences"]
    assert sheet["divisionId"] == world.division_a1 and len(sheet["days"]) == 5
    assert [row["studentName"] for row in sheet["rows"]] == ["Élan Éloïse", "Martin Lina"]
    assert body["data"]["studentsToContact"][1] == {
        "studentName": "Martin Lina",
        "unjustifiedHalfDays": 4,
        "lateness": 1,
    }
    stats = (await gql("cpe_a", STATISTICS, {"s": world.school_a}))["data"]
    assert [(r["label"], r["halfDays"]) for r in stats["absenceStatistics"]] == [
        ("6A", 8),
        ("6B", 3),
    ]
    assert stats["monthlyAbsenceIndicator"]["total"] == {
        "students": 3,
        "studentsOverThreshold": 2,
        "share": 66.67,
    }


async def test_bad_arguments_of_a_read_name_the_field(gql, world):
    body = await gql(
        "cpe_a",
        'query($s: Int!) { absenceStatistics(schoolId: $s, since: "2026-11-30", until: "2026-11-01") { label } }',
        {"s": world.school_a},
    )
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "until",
        "reason": "ENDS_BEFORE_START",
    }
    assert "précède" in error["message"]

"""Settings, templates and family communication over GraphQL, and the absence files
(letters to print, statistics and indicator CSV) over HTTP."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.api.absences.scenario import november

TEMPLATES = (
    "query($s: Int!) { letterTemplates(schoolId: $s) { id code channel } mergeFields { name } }"
)
CONTACT = """
mutation($input: ContactFamiliesInput!) {
  contactFamilies(input: $input) {
    contacts { id channel recipient } unreached { studentName reason } lettersUrl
    errors { field code message }
  }
}
"""
SAVE_TEMPLATE = """
mutation($s: Int!, $input: LetterTemplateInput!) {
  saveLetterTemplate(schoolId: $s, input: $input) { template { id code } errors { field code message } }
}
"""


async def _headers(gql, login):
    return {"Authorization": f"Bearer {await gql.token(login)}"}


async def test_letters_are_printed_and_kept_on_the_follow_up(gql, world, desk):
    await november(world, desk)
    body = await gql("cpe_a", TEMPLATES, {"s": world.school_a})
    templates = {t["code"]: t for t in body["data"]["letterTemplates"]}
    assert "tableau_absences" in [f["name"] for f in body["data"]["mergeFields"]]
    sent = await gql(
        "cpe_a",
        CONTACT,
        {
            "input": {
                "schoolId": world.school_a,
                "templateId": templates["LETABS"]["id"],
                "studentIds": [world.students["lina"], world.students["eloise"]],
                "since": "2026-11-01",
            }
        },
    )
    payload = sent["data"]["contactFamilies"]
    assert payload["errors"] == [] and len(payload["contacts"]) == 3
    response = await gql.http.get(payload["lettersUrl"], headers=await _headers(gql, "cpe_a"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3
    assert "Éloïse Élan" in reader.pages[0].extract_text()  # by name: Élan, then Martin
    history = await gql(
        "cpe_a",
        "query($id: Int!) { familyContacts(studentId: $id) { contact { channel recipient } letterUrl eventIds } }",
        {"id": world.students["eloise"]},
    )
    [line] = history["data"]["familyContacts"]
    assert line["contact"]["recipient"].startswith("Mme Sophie Élan")
    assert len(line["eventIds"]) == 1  # the October absence is before "since"
    # Another school's principal gets nothing of these letters.
    other = await gql.http.get(payload["lettersUrl"], headers=await _headers(gql, "principal_b"))
    assert other.status_code == 404


async def test_template_errors_and_contact_errors_name_the_field(gql, world, desk):
    bad = await gql(
        "cpe_a",
        SAVE_TEMPLATE,
        {
            "s": world.school_a,
            "input": {
                "code": "X",
                "label": "x",
                "channel": "EMAIL",
                "subject": "Hi",
                "body": "{{ eleve.age }}",
            },
        },
    )
    [error] = bad["data"]["saveLetterTemplate"]["errors"]
    assert error["field"] == "body" and "eleve.age" in error["message"]
    refused = await gql(
        "cpe_a",
        CONTACT,
        {
            "input": {
                "schoolId": world.school_a,
                "templateId": 999999,
                "studentIds": [world.students["lina"]],
            }
        },
    )
    assert refused["data"]["contactFamilies"]["errors"][0]["field"] == "templateId"
    teacher = await gql(
        "teacher_a",
        CONTACT,
        {
            "input": {
                "schoolId": world.school_a,
                "templateId": 1,
                "studentIds": [world.students["lina"]],
            }
        },
    )
    assert teacher["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_settings_over_graphql(gql, world, desk):
    body = await gql(
        "cpe_a",
        """mutation($s: Int!) {
          week: setSchoolWeek(schoolId: $s, weekdays: [{weekday: 0, morning: true, afternoon: true},
            {weekday: 2, morning: true, afternoon: false}]) { weekdays { weekday morning afternoon } errors { code } }
          zone: updateAbsenceSettings(schoolId: $s, holidayZone: B, letterSignature: "Le CPE") { holidayZone letterSignature errors { code } }
          motive: saveAbsenceMotive(schoolId: $s, input: {code: "SPO", label: "Compétition", genericCode: "SPO", colour: "#112233"}) { motive { code justifies } errors { field code } }
          closed: addClosedDay(schoolId: $s, day: "2026-12-07", label: "Journée pédagogique") { closedDay { day halfDay } errors { code } }
        }""",
        {"s": world.school_a},
    )
    data = body["data"]
    assert data["week"]["weekdays"][2] == {"weekday": 2, "morning": True, "afternoon": False}
    assert data["week"]["weekdays"][1] == {"weekday": 1, "morning": False, "afternoon": False}
    assert data["zone"] == {"holidayZone": "B", "letterSignature": "Le CPE", "errors": []}
    assert data["motive"]["motive"] == {"code": "SPO", "justifies": True}
    assert data["closed"]["closedDay"] == {"day": "2026-12-07", "halfDay": None}
    bad = await gql(
        "cpe_a",
        'mutation($s: Int!) { setTimeSlots(schoolId: $s, slots: [{code: "M1", startsAt: "09:00", endsAt: "08:00", halfDay: MORNING}]) { errors { field code } } }',
        {"s": world.school_a},
    )
    assert bad["data"]["setTimeSlots"]["errors"] == [
        {"field": "slots[0].endsAt", "code": "ENDS_BEFORE_START"}
    ]


async def test_statistics_and_indicator_files(gql, world, desk):
    await november(world, desk)
    headers = await _headers(gql, "cpe_a")
    response = await gql.http.get(
        "/exports/absence-statistics.csv",
        params={
            "school": world.school_a,
            "since": "2026-11-01",
            "until": "2026-11-30",
            "by": "division",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Division;Effectif;Élèves absents;Demi-journées d'absence")
    assert lines[1] == "6A;2;2;8;8;10,81;1;1"
    rectorat = await _headers(gql, "rectorat")
    indicator = await gql.http.get(
        "/exports/absence-indicator.csv", params={"year": 2026, "month": 11}, headers=rectorat
    )
    rows = indicator.content.decode("utf-8-sig").splitlines()
    assert rows[-1] == "; Ensemble;4;2;50,00".replace("; ", ";")
    bad = await gql.http.get(
        "/exports/absence-statistics.csv",
        params={"school": world.school_a, "since": "hier", "until": "2026-11-30"},
        headers=headers,
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "since"
    anonymous = await gql.http.get("/exports/absence-indicator.csv?year=2026&month=11")
    assert anonymous.status_code == 401

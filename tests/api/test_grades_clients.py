"""A school's grades software over OAuth: it pushes assessments and marks of any class of its
schools and reads period averages, under the rules a teacher's entries follow (scales,
writable year, publication date), never reaching another school's classes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.resolvers.clients import ClientSettings, register_client
from db.audit import AuditEntry, set_actor
from tests.world import World, uai

CREATE = """mutation($in: AssessmentInput!) { createAssessment(input: $in) {
  assessment { id scale coefficient publishedOn teacherId } errors { field code message } } }"""
MARKS = """mutation($a: Int!, $m: [MarkInput!]!) { enterMarks(assessmentId: $a, marks: $m) {
  marks { studentId status value } errors { field code message } } }"""


async def client_token(
    http: httpx.AsyncClient, world: World, sessionmaker: Any, scopes: list[str], school: str = "A"
) -> str:
    """A grades software registered for one school, and an access token with ``scopes``."""
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        registered = await register_client(
            session,
            admin,
            ClientSettings(
                name="Logiciel de notes",
                school_uais=[uai("0930001" if school == "A" else "0940002")],
                scopes=scopes,
            ),
        )
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": registered.client.client_id,
            "client_secret": registered.secret,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def ask(
    http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assessment(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "title": "Contrôle de fractions",
        "subjectId": world.subject,
        "day": "2026-11-16",
        "scale": "20",
        "coefficient": "2",
        "publishedOn": "2026-11-20",
        # Division 6A2: teacher_a does not teach it; the school's software grades every class.
        "divisionId": world.division_a2,
    } | changes


@pytest.fixture
async def writer(gql, world, sessionmaker) -> str:
    return await client_token(
        gql.http, world, sessionmaker, ["grades:write", "students:read", "structures:read"]
    )


async def test_a_client_pushes_marks_and_reads_period_averages(gql, world, sessionmaker, writer):
    created = await ask(gql.http, writer, CREATE, {"in": assessment(world)})
    payload = created["data"]["createAssessment"]
    assert payload["errors"] == []
    pushed = payload["assessment"]
    # No staff member created it: no teacher unless the software names one.
    assert pushed["teacherId"] is None
    noah = world.students["noah"]
    marks = await ask(
        gql.http,
        writer,
        MARKS,
        {"a": pushed["id"], "m": [{"studentId": noah, "status": "GRADED", "value": "13.5"}]},
    )
    assert marks["data"]["enterMarks"] == {
        "marks": [{"studentId": noah, "status": "GRADED", "value": "13.50"}],
        "errors": [],
    }
    listed = await ask(
        gql.http,
        writer,
        "query($d: Int!) { assessments(divisionId: $d) { id title } }",
        {"d": world.division_a2},
    )
    assert listed["data"]["assessments"] == [{"id": pushed["id"], "title": "Contrôle de fractions"}]
    periods = await ask(
        gql.http,
        writer,
        "query($s: Int!, $y: Int!) { gradingPeriods(schoolId: $s, schoolYearId: $y) { id label } }",
        {"s": world.school_a, "y": world.year_id},
    )
    [first, *_] = periods["data"]["gradingPeriods"]
    assert first["label"] == "Trimestre 1"
    averages = await ask(
        gql.http,
        writer,
        """query($p: Int!, $d: Int!) { periodAverages(periodId: $p, divisionId: $d)
          { studentId subjects { subjectId average } overall } }""",
        {"p": first["id"], "d": world.division_a2},
    )
    [row] = [r for r in averages["data"]["periodAverages"] if r["studentId"] == noah]
    assert row["subjects"] == [{"subjectId": world.subject, "average": "13.50"}]
    assert row["overall"] == "13.50"
    # The entry is the client's in the audit trail, as a teacher's would be his.
    async with sessionmaker() as session:
        kinds = set(
            await session.scalars(
                select(AuditEntry.actor_kind).where(AuditEntry.entity.in_(["marks", "assessments"]))
            )
        )
    assert kinds == {"client"}


async def test_the_assessments_teacher_must_teach_the_class(gql, world, writer):
    teacher = world.users["teacher_a"]
    # teacher_a teaches 6A1 only.
    refused = await ask(gql.http, writer, CREATE, {"in": assessment(world, teacherId=teacher)})
    [error] = refused["data"]["createAssessment"]["errors"]
    assert (error["field"], error["code"]) == ("teacherId", "NOT_TEACHING")
    # School B's principal teaches nothing in school A.
    other = await ask(
        gql.http,
        writer,
        CREATE,
        {
            "in": assessment(
                world, divisionId=world.division_a1, teacherId=world.users["principal_b"]
            )
        },
    )
    assert other["data"]["createAssessment"]["errors"][0]["code"] == "NOT_TEACHING"
    named = await ask(
        gql.http,
        writer,
        CREATE,
        {"in": assessment(world, divisionId=world.division_a1, teacherId=teacher)},
    )
    assert named["data"]["createAssessment"]["assessment"]["teacherId"] == teacher


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"scale": "0"}, "scale", "OUT_OF_RANGE"),
        ({"scale": "250"}, "scale", "OUT_OF_RANGE"),
        ({"coefficient": "30"}, "coefficient", "OUT_OF_RANGE"),
        ({"publishedOn": "2026-11-01"}, "publishedOn", "BEFORE_ASSESSMENT"),
        ({"title": "  "}, "title", "REQUIRED"),
    ],
)
async def test_a_clients_bad_assessment_names_the_field(gql, world, writer, changes, field, code):
    refused = await ask(gql.http, writer, CREATE, {"in": assessment(world, **changes)})
    payload = refused["data"]["createAssessment"]
    assert payload["assessment"] is None
    assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code)


async def test_a_clients_bad_marks_name_each_field_and_nothing_is_written(gql, world, writer):
    created = await ask(gql.http, writer, CREATE, {"in": assessment(world, scale="10")})
    pushed = created["data"]["createAssessment"]["assessment"]
    lina, noah = world.students["lina"], world.students["noah"]
    # Lina is in 6A1, not in this class: her mark, and Noah's 12 out of 10, are both wrong.
    refused = await ask(
        gql.http,
        writer,
        MARKS,
        {
            "a": pushed["id"],
            "m": [
                {"studentId": noah, "status": "GRADED", "value": "12"},
                {"studentId": lina, "status": "ABSENT"},
            ],
        },
    )
    errors = refused["data"]["enterMarks"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("marks[0].value", "OUT_OF_RANGE"),
        ("marks[1].studentId", "NOT_IN_CLASS"),
    ]
    assert "entre 0 et 10" in errors[0]["message"]
    read = await ask(
        gql.http,
        writer,
        "query($id: Int!) { assessment(id: $id) { marks { studentId } } }",
        {"id": pushed["id"]},
    )
    assert read["data"]["assessment"]["marks"] == []


async def test_a_client_of_school_b_reaches_no_class_of_school_a(gql, world, sessionmaker, writer):
    created = await ask(
        gql.http, writer, CREATE, {"in": assessment(world, divisionId=world.division_a1)}
    )
    pushed = created["data"]["createAssessment"]["assessment"]
    other = await client_token(gql.http, world, sessionmaker, ["grades:write"], school="B")
    refused = await ask(gql.http, other, CREATE, {"in": assessment(world)})
    assert refused["data"]["createAssessment"]["errors"][0]["code"] == "NOT_FOUND"
    marks = await ask(
        gql.http,
        other,
        MARKS,
        {"a": pushed["id"], "m": [{"studentId": world.students["lina"], "status": "ABSENT"}]},
    )
    assert marks["data"]["enterMarks"]["errors"][0]["code"] == "NOT_FOUND"
    read = await ask(
        gql.http,
        other,
        "query($id: Int!) { assessment(id: $id) { assessment { title } } }",
        {"id": pushed["id"]},
    )
    assert read["data"] is None or read["data"]["assessment"] is None
    # Its own school's class is fine.
    own = await ask(
        gql.http, other, CREATE, {"in": assessment(world, divisionId=world.division_b1)}
    )
    assert own["data"]["createAssessment"]["errors"] == []


async def test_scopes_decide_what_a_client_may_do(gql, world, sessionmaker, writer):
    created = await ask(gql.http, writer, CREATE, {"in": assessment(world)})
    pushed = created["data"]["createAssessment"]["assessment"]
    reader = await client_token(gql.http, world, sessionmaker, ["grades:read"])
    read = await ask(
        gql.http,
        reader,
        "query($id: Int!) { assessment(id: $id) { assessment { title } } }",
        {"id": pushed["id"]},
    )
    assert read["data"]["assessment"]["assessment"]["title"] == "Contrôle de fractions"
    write = await ask(gql.http, reader, CREATE, {"in": assessment(world)})
    assert write["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    absences = await client_token(gql.http, world, sessionmaker, ["absences:write"])
    for query, variables in [
        ("query($id: Int!) { assessment(id: $id) { assessment { title } } }", {"id": pushed["id"]}),
        (CREATE, {"in": assessment(world)}),
    ]:
        refused = await ask(gql.http, absences, query, variables)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_closed_year_is_read_only_for_a_client_too(gql, world, sessionmaker, writer):
    from db.structures import Division

    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        old = Division(
            school_id=world.school_a, school_year_id=world.closed_year_id, code="5Z", label="5e Z"
        )
        session.add(old)
        await session.flush()
        old_id = old.id
    refused = await ask(
        gql.http, writer, CREATE, {"in": assessment(world, divisionId=old_id, day="2025-11-16")}
    )
    assert refused["data"]["createAssessment"]["errors"][0]["field"] == "schoolYearId"

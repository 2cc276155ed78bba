"""Students over GraphQL: search, pagination, record, creation and update with field errors, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from api.resolvers.students import update_student
from core.errors import StaleVersion
from db.audit import AuditActor, AuditEntry, set_actor
from db.enrollments import Enrollment
from db.students import Student

SEARCH = """
query($filter: StudentSearch, $first: Int!, $after: String, $order: StudentOrderBy!) {
  students(filter: $filter, first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id familyName firstName birthDate } }
  }
}
"""

RECORD = """
query($id: Int!) {
  student(id: $id) {
    id version familyName firstName ine sex birthDate
    guardians { responsibility relationship guardian { familyName firstName email phoneMobile address { line1 } } }
    schoolingHistory { regime entryDate school { uai name } schoolYear { label } mef { code shortLabel } division { code } groups { code } }
  }
}
"""

UPDATE = """
mutation($id: Int!, $input: StudentPatch!, $version: Int) {
  updateStudent(id: $id, input: $input, expectedVersion: $version) {
    student { id version familyName usageName birthDate }
    errors { field code message }
  }
}
"""

CREATE = """
mutation($input: StudentInput!, $enrollment: EnrollmentInput!) {
  createStudent(input: $input, enrollment: $enrollment) {
    student { id familyName schoolingHistory { division { code } school { uai } } }
    errors { field code message }
  }
}
"""


async def search(gql, login, first=50, after=None, order="NAME", **filters):
    body = await gql(
        login, SEARCH, {"filter": filters or None, "first": first, "after": after, "order": order}
    )
    assert "errors" not in body, body
    return body["data"]["students"]


async def test_search_is_scoped_to_the_callers_school(gql, world):
    page = await search(gql, "principal_a")
    names = [e["node"]["firstName"] for e in page["edges"]]
    assert names == [
        "Éloïse",
        "Lina",
        "Noah",
    ]  # sorted by name, Élan before Martin; Jade is in school B
    assert page["totalCount"] == 3
    page_b = await search(gql, "principal_b")
    assert [e["node"]["firstName"] for e in page_b["edges"]] == ["Jade"]


async def test_name_prefix_ignores_case_and_accents(gql, world):
    page = await search(gql, "principal_a", namePrefix="ela")
    assert [e["node"]["firstName"] for e in page["edges"]] == ["Éloïse"]
    page = await search(gql, "principal_a", namePrefix="MARTIN l")
    assert [e["node"]["firstName"] for e in page["edges"]] == ["Lina"]
    page = await search(gql, "principal_a", namePrefix="%")
    assert page["edges"] == []


async def test_filters_by_ine_division_group_and_mef(gql, world):
    assert [
        e["node"]["firstName"]
        for e in (await search(gql, "principal_a", ine="1234567890a"))["edges"]
    ] == ["Lina"]
    in_a1 = await search(gql, "principal_a", divisionId=world.division_a1)
    assert {e["node"]["firstName"] for e in in_a1["edges"]} == {"Lina", "Éloïse"}
    in_group = await search(gql, "principal_a", groupId=world.group_a)
    assert [e["node"]["firstName"] for e in in_group["edges"]] == ["Lina"]
    assert (await search(gql, "principal_a", mefId=world.mef_5))["totalCount"] == 0
    # Another school's division gives nothing, not its students.
    assert (await search(gql, "principal_a", divisionId=world.division_b1))["totalCount"] == 0


async def test_cursor_pagination_walks_every_student_once(gql, world):
    seen, after = [], None
    while True:
        page = await search(gql, "principal_a", first=2, after=after, order="BIRTH_DATE")
        seen += [e["node"]["birthDate"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert page["edges"][-1]["cursor"] == after
    assert seen == sorted(seen) and len(seen) == 3


async def test_page_size_is_bounded_and_cursor_checked(gql, world):
    body = await gql("principal_a", SEARCH, {"first": 501, "order": "NAME"})
    assert body["data"] is None
    assert "500" in body["errors"][0]["message"]
    body = await gql("principal_a", SEARCH, {"first": 10, "after": "not-a-cursor", "order": "NAME"})
    assert "curseur" in body["errors"][0]["message"]


async def test_student_record_has_guardians_and_history(gql, world):
    body = await gql("principal_a", RECORD, {"id": world.students["lina"]})
    student = body["data"]["student"]
    assert student["ine"] == "1234567890A"
    assert [g["responsibility"] for g in student["guardians"]] == ["LEGAL_1", "LEGAL_2"]
    assert student["guardians"][0]["guardian"]["email"] == "claire.martin@example.fr"
    history = student["schoolingHistory"]
    assert history[0]["school"]["uai"].startswith("0930001")
    assert history[0]["division"]["code"] == "6A"
    assert history[0]["groups"] == [{"code": "ESP2"}]
    assert history[0]["schoolYear"]["label"] == "2026-2027"


async def test_teacher_sees_only_taught_students_and_no_contacts(gql, world):
    page = await search(gql, "teacher_a")
    assert {e["node"]["firstName"] for e in page["edges"]} == {"Lina", "Éloïse"}
    body = await gql("teacher_a", RECORD, {"id": world.students["noah"]})
    assert body["data"]["student"] is None
    body = await gql("teacher_a", RECORD, {"id": world.students["lina"]})
    guardian = body["data"]["student"]["guardians"][0]["guardian"]
    assert guardian["familyName"] == "Martin"
    assert (
        guardian["email"] is None
        and guardian["phoneMobile"] is None
        and guardian["address"] is None
    )


async def test_rectorat_reads_every_school(gql, world):
    page = await search(gql, "rectorat")
    assert page["totalCount"] == 4


async def test_update_student_records_the_change_and_audit(gql, world, sessionmaker):
    body = await gql(
        "registrar_a",
        UPDATE,
        {"id": world.students["noah"], "input": {"usageName": "Martin-Diallo"}, "version": 1},
    )
    result = body["data"]["updateStudent"]
    assert result["errors"] == []
    assert result["student"]["usageName"] == "Martin-Diallo"
    assert result["student"]["version"] == 2
    async with sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity == "students", AuditEntry.action == "update")
        )
    assert entry is not None
    assert entry.after == {"usage_name": "Martin-Diallo"} and entry.before == {"usage_name": None}
    assert entry.actor_label.startswith("Registrar A") and entry.remote_addr == "198.51.100.7"
    # Found by the new usage name.
    assert (await search(gql, "registrar_a", namePrefix="martin-d"))["totalCount"] == 1


async def test_update_errors_name_the_fields_and_change_nothing(gql, world, sessionmaker):
    body = await gql(
        "registrar_a",
        UPDATE,
        {
            "id": world.students["noah"],
            "input": {"familyName": "", "birthDate": "2031-01-01", "ine": "12"},
        },
    )
    result = body["data"]["updateStudent"]
    assert result["student"] is None
    fields = {e["field"]: e for e in result["errors"]}
    assert set(fields) == {"familyName", "birthDate", "ine"}
    assert "obligatoire" in fields["familyName"]["message"]
    async with sessionmaker() as session:
        noah = await session.get(Student, world.students["noah"])
    assert noah.family_name == "Martin" and noah.version == 1


async def test_stale_version_is_refused(gql, world):
    first = await gql(
        "registrar_a",
        UPDATE,
        {"id": world.students["noah"], "input": {"firstName": "Noé"}, "version": 1},
    )
    assert first["data"]["updateStudent"]["errors"] == []
    second = await gql(
        "registrar_a",
        UPDATE,
        {"id": world.students["noah"], "input": {"firstName": "Noam"}, "version": 1},
    )
    assert second["data"]["updateStudent"]["errors"][0]["code"] == "STALE"


async def test_readers_cannot_write(gql, world):
    body = await gql("cpe_a", UPDATE, {"id": world.students["noah"], "input": {"firstName": "X"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def _new_student(world, **enrollment):
    return {
        "input": {
            "familyName": "Nguyen",
            "firstName": "Minh",
            "sex": "M",
            "birthDate": "2015-05-05",
            "birthCommuneCode": "94028",
        },
        "enrollment": {
            "schoolId": world.school_a,
            "schoolYearId": world.year_id,
            "mefId": world.mef_6,
            "regime": "EXTERNE",
            "entryDate": "2026-11-02",
            "divisionId": world.division_a2,
            **enrollment,
        },
    }


async def test_create_student_with_enrolment(gql, world, sessionmaker):
    body = await gql("registrar_a", CREATE, _new_student(world, groupIds=[world.group_a]))
    result = body["data"]["createStudent"]
    assert result["errors"] == []
    assert result["student"]["schoolingHistory"][0]["division"]["code"] == "6B"
    async with sessionmaker() as session:
        actions = set((await session.execute(select(AuditEntry.entity, AuditEntry.action))).all())
    assert {
        ("students", "create"),
        ("enrollments", "create"),
        ("enrollment_groups", "create"),
    } <= actions


async def test_failed_creation_leaves_nothing_behind(gql, world, sessionmaker):
    async with sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(Student))
    body = await gql(
        "registrar_a",
        CREATE,
        _new_student(world, divisionId=world.division_b1, entryDate="2030-01-01"),
    )
    errors = {e["field"] for e in body["data"]["createStudent"]["errors"]}
    assert "entryDate" in errors
    body = await gql("registrar_a", CREATE, _new_student(world, divisionId=world.division_b1))
    assert {e["field"] for e in body["data"]["createStudent"]["errors"]} == {"divisionId"}
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Student)) == before
        assert await session.scalar(select(func.count()).select_from(Enrollment)) == 4


async def test_cannot_create_in_another_school(gql, world):
    body = await gql(
        "registrar_a", CREATE, _new_student(world, schoolId=world.school_b, divisionId=None)
    )
    assert {e["field"] for e in body["data"]["createStudent"]["errors"]} == {"schoolId"}


async def test_anonymous_requests_get_401(gql, world):
    response = await gql.raw(None, "{ schools { uai } }")
    assert response.status_code == 401
    response = await gql.http.post(
        "/graphql",
        json={"query": "{ schools { uai } }"},
        headers={"Authorization": "Bearer forged"},
    )
    assert response.status_code == 401


async def test_cookie_sessions_need_the_csrf_header(gql, world, sessionmaker, settings):
    from api.auth.sessions import COOKIE_NAME, open_session

    async with sessionmaker() as session, session.begin():
        opened = await open_session(session, settings, world.users["principal_a"], None)
    query = {"query": "{ schools { uai } }"}
    gql.http.cookies.clear()
    gql.http.cookies.set(COOKIE_NAME, opened.token)
    response = await gql.http.post("/graphql", json=query)
    assert response.status_code == 403
    response = await gql.http.post(
        "/graphql", json=query, headers={"X-CSRF-Token": opened.csrf_token}
    )
    assert response.status_code == 200 and response.json()["data"]["schools"]


async def test_a_probable_duplicate_in_the_academie_asks_for_confirmation(gql, world, sessionmaker):
    """Lina (school A) again, typed in by school B: the same name, birth date and place."""
    variables = _new_student(world, schoolId=world.school_b, divisionId=world.division_b1)
    variables["input"] |= {
        "familyName": "MARTIN",
        "firstName": "lina",
        "birthDate": "2015-03-14",
        "birthCommuneCode": "93048",
    }
    async with sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(Student))
    body = await gql("principal_b", CREATE, variables)
    [error] = body["data"]["createStudent"]["errors"]
    assert (error["field"], error["code"]) == ("confirmDuplicate", "PROBABLE_DUPLICATE")
    assert "déjà inscrit dans l'académie" in error["message"]
    assert "Jean Moulin" not in error["message"] and "0930001" not in error["message"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Student)) == before
    # Born elsewhere: another child.
    elsewhere = {**variables["input"], "birthCommuneCode": "75056"}
    other = await gql("principal_b", CREATE, {**variables, "input": elsewhere})
    assert other["data"]["createStudent"]["errors"] == []
    variables["input"]["confirmDuplicate"] = True
    confirmed = await gql("principal_b", CREATE, variables)
    assert confirmed["data"]["createStudent"]["errors"] == []
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Student)) == before + 2


async def test_the_total_is_counted_only_when_asked_for(gql, world, sessionmaker, count_statements):
    """Counting costs as much as the whole reach (the académie for the rectorat): a page that
    does not select totalCount must not pay for it, whether asked directly or by a fragment."""
    without = "query { students(first: 2) { nodes { id } } }"
    with_fragment = (
        "query { students(first: 2) { ...Counted nodes { id } } }"
        " fragment Counted on StudentConnection { totalCount }"
    )
    with count_statements() as counter:
        body = await gql("rectorat", without)
    assert len(body["data"]["students"]["nodes"]) == 2
    assert not [s for s in counter.statements if "count(" in s.lower()], counter.statements

    with count_statements() as counter:
        body = await gql("rectorat", with_fragment)
    assert [s for s in counter.statements if "count(" in s.lower()]
    async with sessionmaker() as session:
        reached = await session.scalar(select(func.count(func.distinct(Enrollment.student_id))))
    assert body["data"]["students"]["totalCount"] == reached


async def test_a_save_between_the_version_check_and_the_write_is_stale(world, sessionmaker):
    """The domain names the lost race (StaleVersion, a field error) instead of letting the
    ORM's own exception reach the portals."""
    principal = await world.principal(sessionmaker, "registrar_a")
    noah = world.students["noah"]
    async with sessionmaker() as session:
        # Read at version 1; held, so that the session keeps this state (its map is weak).
        read = await session.get(Student, noah)
        assert read is not None
        async with sessionmaker() as other, other.begin():
            set_actor(other.sync_session, AuditActor(kind="system", id=None, label="tests"))
            await other.execute(
                update(Student).where(Student.id == noah).values(version=Student.version + 1)
            )
        with pytest.raises(StaleVersion) as raised:
            await update_student(session, principal, noah, changes={"first_name": "Noam"})
    assert [(e.field, e.code) for e in raised.value.errors] == [("version", "STALE")]

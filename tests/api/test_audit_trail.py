"""The audit trail: reads of full records and exports are recorded; the trail is read
by the principal (his schools) and the rectorat (the académie), filtered and paginated."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import clock
from db.audit import AuditEntry
from tests.api.conftest import GraphQLClient
from tests.api.test_exports import fetch
from tests.world import World

STUDENT = "query($id: Int!) { student(id: $id) { id familyName guardians { id } } }"
TRAIL = """
query($filter: AuditTrailFilter, $first: Int!, $after: String) {
  auditTrail(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id at actorKind actorId actorLabel remoteAddr schoolId action
                         entity entityId before after } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CLIENT_ADDRESS = "198.51.100.7"


async def entries(sessionmaker, **where: Any) -> list[AuditEntry]:
    async with sessionmaker() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return list(await session.scalars(query))


async def walk(
    gql: GraphQLClient, login: str, filters: dict[str, Any] | None = None, first: int = 200
) -> list[dict[str, Any]]:
    """Every entry the login reaches with these filters, page after page."""
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(1000):
        body = await gql(login, TRAIL, {"filter": filters, "first": first, "after": after})
        assert "errors" not in body, body
        trail = body["data"]["auditTrail"]
        nodes.extend(edge["node"] for edge in trail["edges"])
        if not trail["pageInfo"]["hasNextPage"]:
            return nodes
        after = trail["pageInfo"]["endCursor"]
    raise AssertionError("pagination never ends")


async def test_reading_a_record_by_graphql_is_recorded(gql, world: World, sessionmaker):
    body = await gql("principal_a", STUDENT, {"id": world.students["lina"]})
    assert body["data"]["student"]["id"] == world.students["lina"]
    reads = await entries(sessionmaker, action="read")
    assert len(reads) == 1
    entry = reads[0]
    assert entry.actor_kind == "staff"
    assert entry.actor_id == world.users["principal_a"]
    assert "principal_a" in entry.actor_label
    assert entry.remote_addr == CLIENT_ADDRESS
    assert entry.school_id == world.school_a
    assert (entry.entity, entry.entity_id) == ("students", world.students["lina"])
    assert entry.after == {"fields": "record"}
    assert entry.before is None


async def test_a_search_or_an_unreachable_record_is_not_a_recorded_read(
    gql, world: World, sessionmaker
):
    body = await gql(
        "principal_a",
        "query($d: Int!) { students(filter: {divisionId: $d}) { totalCount nodes { familyName } } }",
        {"d": world.division_a1},
    )
    assert body["data"]["students"]["totalCount"] > 0
    body = await gql("principal_b", STUDENT, {"id": world.students["lina"]})
    assert body["data"]["student"] is None
    assert await entries(sessionmaker, action="read") == []


async def test_an_export_is_recorded_without_personal_data(gql, world: World, sessionmaker):
    response = await fetch(
        gql, "registrar_a", "students.csv", division=world.division_a1, columns="nom,prenom,ine"
    )
    assert response.status_code == 200
    exports = await entries(sessionmaker, action="export")
    assert len(exports) == 1
    entry = exports[0]
    assert entry.actor_id == world.users["registrar_a"]
    assert entry.remote_addr == CLIENT_ADDRESS
    assert entry.school_id == world.school_a
    assert (entry.entity, entry.entity_id) == ("divisions", world.division_a1)
    assert entry.after is not None
    assert entry.after["population"] == "division"
    assert entry.after["format"] == "csv"
    assert entry.after["columns"] == ["nom", "prenom", "ine"]
    # The file's content stays out of the trail.
    dumped = json.dumps(entry.after, ensure_ascii=False)
    for line in response.text.splitlines()[1:]:
        for cell in line.split(";")[:2]:
            if cell.strip('"'):
                assert cell.strip('"') not in dumped
    # A refused export is not recorded.
    refused = await fetch(gql, "principal_b", "students.csv", division=world.division_a1)
    assert refused.status_code == 404
    assert len(await entries(sessionmaker, action="export")) == 1


async def test_each_reader_sees_the_trail_of_his_reach(gql, world: World, sessionmaker):
    await gql("principal_a", STUDENT, {"id": world.students["lina"]})
    await gql("principal_b", STUDENT, {"id": world.students["jade"]})
    every = await entries(sessionmaker)

    seen_a = await walk(gql, "principal_a")
    assert seen_a and {n["schoolId"] for n in seen_a} == {world.school_a}
    assert {n["id"] for n in seen_a} == {e.id for e in every if e.school_id == world.school_a}

    seen_b = await walk(gql, "principal_b")
    assert all(n["schoolId"] == world.school_b for n in seen_b)
    assert any(n["action"] == "read" for n in seen_b)
    assert not await walk(gql, "principal_b", {"schoolId": world.school_a})

    seen_rectorat = await walk(gql, "rectorat")
    assert sorted(n["id"] for n in seen_rectorat) == [e.id for e in every]


async def test_filters(gql, world: World, sessionmaker):
    lina = world.students["lina"]
    await gql("principal_a", STUDENT, {"id": lina})
    await gql("registrar_a", STUDENT, {"id": lina})
    await gql("principal_a", STUDENT, {"id": world.students["noah"]})

    reads = await walk(gql, "principal_a", {"action": "read"})
    assert len(reads) == 3 and {n["action"] for n in reads} == {"read"}

    by_login = await walk(gql, "principal_a", {"actor": "registrar_a"})
    assert [(n["action"], n["entityId"]) for n in by_login] == [("read", lina)]
    by_id = await walk(gql, "principal_a", {"actor": str(world.users["registrar_a"])})
    assert [n["id"] for n in by_id] == [n["id"] for n in by_login]

    of_lina = await walk(gql, "principal_a", {"entity": "students", "entityId": lina})
    assert {n["entityId"] for n in of_lina} == {lina}
    assert len([n for n in of_lina if n["action"] == "read"]) == 2

    enrolments = await walk(gql, "principal_a", {"entity": "enrollments", "action": "create"})
    assert enrolments and {n["entity"] for n in enrolments} == {"enrollments"}

    today = clock.today()
    in_range = await walk(
        gql, "principal_a", {"action": "read", "fromDate": str(today), "toDate": str(today)}
    )
    assert len(in_range) == 3
    tomorrow = str(today + timedelta(days=1))
    assert await walk(gql, "principal_a", {"fromDate": tomorrow}) == []
    yesterday = str(today - timedelta(days=1))
    assert await walk(gql, "principal_a", {"toDate": yesterday}) == []


async def test_pagination_walks_every_entry_once_newest_first(gql, world: World, sessionmaker):
    for key in ("lina", "noah", "lina"):
        await gql("principal_a", STUDENT, {"id": world.students[key]})
    whole = await walk(gql, "rectorat")
    paged = await walk(gql, "rectorat", first=3)
    assert [n["id"] for n in paged] == [n["id"] for n in whole]
    assert len({n["id"] for n in paged}) == len(paged) == len(await entries(sessionmaker))
    keys = [(n["at"], n["id"]) for n in paged]
    assert keys == sorted(keys, reverse=True)


async def test_bad_page_size_and_cursor_are_refused(gql, world: World):
    body = await gql("principal_a", TRAIL, {"first": 201})
    assert body.get("errors")
    body = await gql("principal_a", TRAIL, {"first": 10, "after": "not-a-cursor"})
    assert body.get("errors")


async def test_other_roles_are_refused_the_trail(gql, world: World):
    for login in ("teacher_a", "registrar_a", "cpe_a", "bursar_a"):
        body = await gql(login, TRAIL, {"first": 10})
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", login


async def test_changes_made_through_graphql_reach_the_school_trail(gql, world: World):
    lina, guardian = world.students["lina"], world.guardians["elan"]
    await gql(
        "registrar_a",
        'mutation($id: Int!) { updateStudent(id: $id, input: {firstName: "Lína"}) { errors { code } } }',
        {"id": lina},
    )
    await gql(
        "registrar_a",
        'mutation($id: Int!) { updateGuardian(id: $id, input: {phoneMobile: "0611223344"}) '
        "{ errors { code } } }",
        {"id": guardian},
    )
    query = (
        'query($s: Int!) { auditTrail(filter: {schoolId: $s, action: "update"}) '
        "{ nodes { entity entityId } } }"
    )
    nodes = (await gql("principal_a", query, {"s": world.school_a}))["data"]["auditTrail"]["nodes"]
    assert {"entity": "students", "entityId": lina} in nodes
    assert {"entity": "guardians", "entityId": guardian} in nodes
    other = (await gql("principal_b", query, {"s": world.school_b}))["data"]["auditTrail"]["nodes"]
    assert {"entity": "students", "entityId": lina} not in other

"""The change feed, as third-party clients read it with their OAuth tokens: in audit order,
within their schools and scopes, with nothing missed nor given twice when transactions
commit out of order."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, text

from api.auth.client_scopes import ALL_SCOPES
from api.auth.sealing import Sealer
from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.settings import school_setup
from api.resolvers.clients import ClientSettings, register_client
from db.audit import AuditActor, AuditEntry, set_actor
from db.reference import load_absence_references
from db.students import Student
from tests.world import World, uai

FEED = (
    "query($after: String, $first: Int!) { changes(after: $after, first: $first) "
    "{ cursor hasMore changes { entity id studentId action at fields values { field value } } } }"
)
START = "{ changeFeedCursor }"
UAIS = {"A": "0930001", "B": "0940002"}


async def _client(gql, world: World, sessionmaker, scopes, school: str = "A") -> str:
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        registered = await register_client(
            session,
            admin,
            ClientSettings(
                name=f"ENT {school} {len(scopes)} {sorted(scopes)[0]}",
                school_uais=[uai(UAIS[school])],
                scopes=list(scopes),
            ),
        )
    response = await gql.http.post(
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


async def _ask(gql, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await gql.http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _start(gql, token: str) -> str:
    body = await _ask(gql, token, START)
    cursor: str = body["data"]["changeFeedCursor"]
    return cursor


async def _page(gql, token: str, after: str | None, first: int = 100) -> dict[str, Any]:
    body = await _ask(gql, token, FEED, {"after": after, "first": first})
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["changes"]
    return page


async def _all(gql, token: str, after: str | None) -> tuple[list[dict[str, Any]], str]:
    """Every change after the cursor, following the pages; and the last cursor."""
    found: list[dict[str, Any]] = []
    while True:
        page = await _page(gql, token, after)
        found += page["changes"]
        after = page["cursor"]
        if not page["hasMore"]:
            assert after is not None
            return found, after


def _values(change: dict[str, Any]) -> dict[str, Any]:
    return {v["field"]: v["value"] for v in change["values"]}


async def _staff(gql, login: str, query: str, variables: dict[str, Any]) -> None:
    body = await gql(login, query, variables)
    assert "errors" not in body, body
    payload = next(iter(body["data"].values()))
    assert not payload.get("errors"), body


UPDATE_STUDENT = (
    "mutation($id: Int!, $input: StudentPatch!) { updateStudent(id: $id, input: $input) "
    "{ student { id } errors { field message } } }"
)
UPDATE_GUARDIAN = (
    "mutation($id: Int!, $input: GuardianPatch!) { updateGuardian(id: $id, input: $input) "
    "{ guardian { id } errors { field message } } }"
)
UPDATE_DIVISION = (
    'mutation($id: Int!) { updateDivision(id: $id, input: {label: "6e X bis"}) '
    "{ division { id } errors { field message } } }"
)
UNLINK = "mutation($id: Int!) { unlinkGuardian(id: $id) { studentId errors { field message } } }"


async def _absence(world: World, sessionmaker, student: str = "lina") -> int:
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
        setup = await school_setup(session, cpe, world.school_a)
        slot = setup.grid.slots[0].id
        day = date(2026, 11, 16)
        event = await record_absence(
            session,
            cpe,
            AbsenceEntry(world.students[student], world.school_a, day, slot, day, slot),
        )
        return event.id


async def test_a_client_follows_its_schools_changes_in_order(gql, world: World, sessionmaker):
    token = await _client(gql, world, sessionmaker, ALL_SCOPES)
    start = await _start(gql, token)
    assert (await _page(gql, token, start))["changes"] == []

    await _staff(
        gql,
        "registrar_a",
        UPDATE_STUDENT,
        {"id": world.students["lina"], "input": {"firstName": "Lila"}},
    )
    await _staff(
        gql,
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["mother"], "input": {"email": "claire@example.org"}},
    )
    event = await _absence(world, sessionmaker)

    changes, _ = await _all(gql, token, start)
    assert [(c["entity"], c["id"], c["action"]) for c in changes] == [
        ("Student", world.students["lina"], "UPDATED"),
        ("Guardian", world.guardians["mother"], "UPDATED"),
        ("AbsenceEvent", event, "CREATED"),
    ]
    assert changes[0]["fields"] == ["firstName"] and _values(changes[0]) == {"firstName": "Lila"}
    assert _values(changes[1]) == {"email": "claire@example.org"}
    created = _values(changes[2])
    # A created row: every field its type shows, enums as the API writes them.
    assert created["studentId"] == world.students["lina"] and created["kind"] == "ABSENCE"
    assert [c["studentId"] for c in changes] == [None, None, world.students["lina"]]
    assert created["startDate"] == "2026-11-16"
    assert "source" not in created and "notedById" not in created and "notifiedAt" not in created
    ats = [c["at"] for c in changes]
    assert ats == sorted(ats)


async def test_a_client_of_school_a_sees_nothing_of_school_b(gql, world: World, sessionmaker):
    token_a = await _client(gql, world, sessionmaker, ALL_SCOPES, "A")
    token_b = await _client(gql, world, sessionmaker, ALL_SCOPES, "B")
    start_a, start_b = await _start(gql, token_a), await _start(gql, token_b)

    await _staff(
        gql,
        "principal_b",
        UPDATE_STUDENT,
        {"id": world.students["jade"], "input": {"firstName": "Jada", "ine": "0987654321C"}},
    )
    await _staff(gql, "principal_b", UPDATE_DIVISION, {"id": world.division_b1})

    seen_by_b, _ = await _all(gql, token_b, start_b)
    assert {(c["entity"], c["id"]) for c in seen_by_b} == {
        ("Student", world.students["jade"]),
        ("Division", world.division_b1),
    }
    assert (await _all(gql, token_a, start_a))[0] == []
    # From the very start of the log, too: school B's rows never show.
    everything_a, _ = await _all(gql, token_a, None)
    assert everything_a
    assert ("Student", world.students["jade"]) not in {(c["entity"], c["id"]) for c in everything_a}
    assert ("Division", world.division_b1) not in {(c["entity"], c["id"]) for c in everything_a}
    assert ("Enrollment", world.enrollments["jade"]) not in {
        (c["entity"], c["id"]) for c in everything_a
    }
    assert ("Student", world.students["lina"]) in {(c["entity"], c["id"]) for c in everything_a}


async def test_restricted_fields_stay_hidden(gql, world: World, sessionmaker):
    """Without students:identity, the INE's change is not even named; without
    guardians:contacts, neither is the e-mail's: a change with nothing readable is left out."""
    plain = await _client(gql, world, sessionmaker, ["students:read"])
    full = await _client(
        gql, world, sessionmaker, ["students:read", "students:identity", "guardians:contacts"]
    )
    start_plain, start_full = await _start(gql, plain), await _start(gql, full)

    await _staff(
        gql,
        "registrar_a",
        UPDATE_STUDENT,
        {"id": world.students["lina"], "input": {"firstName": "Lila", "ine": "1234567890B"}},
    )
    await _staff(
        gql,
        "registrar_a",
        UPDATE_STUDENT,
        {"id": world.students["noah"], "input": {"ine": "1234567891C"}},
    )
    await _staff(
        gql,
        "registrar_a",
        UPDATE_GUARDIAN,
        {"id": world.guardians["mother"], "input": {"email": "claire@example.org"}},
    )

    seen, _ = await _all(gql, full, start_full)
    assert [(c["entity"], c["id"], sorted(c["fields"])) for c in seen] == [
        ("Student", world.students["lina"], ["firstName", "ine"]),
        ("Student", world.students["noah"], ["ine"]),
        ("Guardian", world.guardians["mother"], ["email"]),
    ]
    assert _values(seen[0])["ine"] == "1234567890B"

    hidden, _ = await _all(gql, plain, start_plain)
    assert [(c["entity"], c["id"], c["fields"]) for c in hidden] == [
        ("Student", world.students["lina"], ["firstName"])
    ]
    assert _values(hidden[0]) == {"firstName": "Lila"}
    assert "1234567890B" not in str(hidden) and "claire@example.org" not in str(hidden)


async def test_entities_without_their_permission_are_absent(gql, world: World, sessionmaker):
    students_only = await _client(gql, world, sessionmaker, ["students:read"])
    with_absences = await _client(gql, world, sessionmaker, ["absences:read"])
    start_s, start_a = await _start(gql, students_only), await _start(gql, with_absences)

    event = await _absence(world, sessionmaker)
    await _staff(
        gql,
        "registrar_a",
        UPDATE_STUDENT,
        {"id": world.students["lina"], "input": {"firstName": "Lila"}},
    )

    seen_s, _ = await _all(gql, students_only, start_s)
    assert [(c["entity"], c["id"]) for c in seen_s] == [("Student", world.students["lina"])]
    seen_a, _ = await _all(gql, with_absences, start_a)
    assert [(c["entity"], c["id"]) for c in seen_a] == [("AbsenceEvent", event)]


async def test_a_deleted_row_is_given_without_values(gql, world: World, sessionmaker):
    token = await _client(gql, world, sessionmaker, ["students:read"])
    start = await _start(gql, token)
    await _staff(gql, "registrar_a", UNLINK, {"id": world.links["lina_mother"]})
    changes, _ = await _all(gql, token, start)
    deleted = [c for c in changes if c["action"] == "DELETED"]
    assert [(c["entity"], c["id"], c["studentId"], c["fields"], c["values"]) for c in deleted] == [
        ("GuardianLink", world.links["lina_mother"], world.students["lina"], [], [])
    ]


async def test_an_enrolment_names_its_student_and_its_new_division(gql, world: World, sessionmaker):
    token = await _client(gql, world, sessionmaker, ["students:read"])
    start = await _start(gql, token)
    await _staff(
        gql,
        "registrar_a",
        "mutation($id: Int!, $d: Int!) { moveStudent(enrollmentId: $id, divisionId: $d) "
        "{ enrollment { id } errors { field message } } }",
        {"id": world.enrollments["lina"], "d": world.division_a2},
    )
    changes, _ = await _all(gql, token, start)
    assert [(c["entity"], c["id"], c["studentId"], _values(c)) for c in changes] == [
        (
            "Enrollment",
            world.enrollments["lina"],
            world.students["lina"],
            {"division": world.division_a2},
        )
    ]


async def test_an_enrolments_groups_are_followed_too(gql, world: World, sessionmaker):
    token = await _client(gql, world, sessionmaker, ["students:read"])
    start = await _start(gql, token)
    move = (
        "mutation($id: Int!, $d: Int!, $g: [Int!]) { moveStudent(enrollmentId: $id, "
        "divisionId: $d, groupIds: $g) { enrollment { id } errors { field message } } }"
    )
    lina = {"id": world.enrollments["lina"], "d": world.division_a1}
    await _staff(gql, "registrar_a", move, lina | {"g": []})
    left, cursor = await _all(gql, token, start)
    assert [(c["entity"], c["id"], c["studentId"], _values(c)) for c in left] == [
        ("Enrollment", world.enrollments["lina"], world.students["lina"], {"groups": []})
    ]
    await _staff(gql, "registrar_a", move, lina | {"g": [world.group_a]})
    joined, _ = await _all(gql, token, cursor)
    assert [(c["entity"], c["id"], _values(c)) for c in joined] == [
        ("Enrollment", world.enrollments["lina"], {"groups": [world.group_a]})
    ]
    # Another school's client sees neither.
    other = await _client(gql, world, sessionmaker, ["students:read"], school="B")
    assert (await _all(gql, other, start))[0] == []


async def test_pages_of_first_changes_chain_without_repeats(gql, world: World, sessionmaker):
    token = await _client(gql, world, sessionmaker, ["students:read"])
    start = await _start(gql, token)
    for name in ("Lila", "Lilou", "Lison", "Lina"):
        await _staff(
            gql,
            "registrar_a",
            UPDATE_STUDENT,
            {"id": world.students["lina"], "input": {"firstName": name}},
        )
    after, names, pages = start, [], 0
    while True:
        page = await _page(gql, token, after, first=1)
        pages += 1
        assert len(page["changes"]) <= 1
        names += [_values(c)["firstName"] for c in page["changes"]]
        after = page["cursor"]
        if not page["hasMore"]:
            break
    assert names == ["Lila", "Lilou", "Lison", "Lina"]
    assert pages in (4, 5)
    assert (await _page(gql, token, after))["changes"] == []
    two = await _page(gql, token, start, first=2)
    assert [_values(c)["firstName"] for c in two["changes"]] == ["Lila", "Lilou"]
    assert two["hasMore"] is True


async def test_a_bad_cursor_or_page_size_is_refused_naming_it(gql, world: World, sessionmaker):
    token = await _client(gql, world, sessionmaker, ["students:read"])
    good = await _start(gql, token)
    forged = Sealer("une-autre-clé-" + "y" * 30, "change-feed-cursors").seal('{"h":0,"g":[]}')
    flipped = good[:-5] + ("A" if good[-5] != "A" else "B") + good[-4:]
    for bad in ("garbage", "", forged, flipped, "x" * 50_000):
        body = await _ask(gql, token, FEED, {"after": bad, "first": 10})
        assert body["data"] is None, body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["extensions"]["field"] == "after", body
        assert "Traceback" not in error["message"] and "Fernet" not in error["message"]
    for first in (0, 501):
        body = await _ask(gql, token, FEED, {"after": good, "first": first})
        assert body["errors"][0]["extensions"]["field"] == "first", body


async def _late_entry(sessionmaker, entry_id: int, student_id: int, name: str) -> None:
    """An audit entry with the id a transaction took before a later one committed."""
    async with sessionmaker() as session, session.begin():
        session.add(
            AuditEntry(
                id=entry_id,
                actor_kind="staff",
                actor_id=None,
                actor_label="late",
                school_id=None,
                action="update",
                entity="students",
                entity_id=student_id,
                before={"first_name": "x"},
                after={"first_name": name},
            )
        )
    async with sessionmaker() as session, session.begin():
        if session.bind.dialect.name == "postgresql":
            # Ids written by hand: the sequence moves past them, as it had given them.
            await session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('audit_entries', 'id'), "
                    "(SELECT max(id) FROM audit_entries))"
                )
            )


async def test_an_entry_written_below_the_cursor_comes_once_in_the_next_page(
    gql, world: World, sessionmaker
):
    token = await _client(gql, world, sessionmaker, ["students:read"])
    start = await _start(gql, token)
    async with sessionmaker() as session:
        last = int(await session.scalar(select(func.max(AuditEntry.id))) or 0)
    # The transaction given last + 2 commits first; the one given last + 1 is still open.
    await _late_entry(sessionmaker, last + 2, world.students["noah"], "Noé")
    first_page = await _page(gql, token, start)
    assert [_values(c) for c in first_page["changes"]] == [{"firstName": "Noé"}]
    await _late_entry(sessionmaker, last + 1, world.students["lina"], "Lila")
    second_page = await _page(gql, token, first_page["cursor"])
    assert [(c["id"], _values(c)) for c in second_page["changes"]] == [
        (world.students["lina"], {"firstName": "Lila"})
    ]
    assert (await _page(gql, token, second_page["cursor"]))["changes"] == []
    # An old cursor read again gives the same, once.
    again, _ = await _all(gql, token, first_page["cursor"])
    assert [c["id"] for c in again] == [world.students["lina"]]


async def test_a_transaction_committing_after_a_later_one_is_not_missed(
    gql, world: World, sessionmaker, engine_name
):
    """Two real transactions on PostgreSQL; SQLite runs one writer at a time, so there the
    late one is written with the id it would have had."""
    token = await _client(gql, world, sessionmaker, ["students:read"])
    start = await _start(gql, token)
    if engine_name == "sqlite":
        async with sessionmaker() as session:
            last = int(await session.scalar(select(func.max(AuditEntry.id))) or 0)
        await _late_entry(sessionmaker, last + 2, world.students["noah"], "Noé")
        first_page = await _page(gql, token, start)
        await _late_entry(sessionmaker, last + 1, world.students["lina"], "Lila")
    else:
        actor = AuditActor(kind="system", id=None, label="tests", school_id=world.school_a)
        late = sessionmaker()
        try:
            await late.begin()
            set_actor(late.sync_session, actor)
            lina = await late.get(Student, world.students["lina"])
            assert lina is not None
            lina.first_name = "Lila"
            await late.flush()  # its audit id is taken now
            async with sessionmaker() as session, session.begin():
                set_actor(session.sync_session, actor)
                noah = await session.get(Student, world.students["noah"])
                assert noah is not None
                noah.first_name = "Noé"
            first_page = await _page(gql, token, start)
            await late.commit()
        finally:
            await late.close()
    assert [(c["id"], _values(c)) for c in first_page["changes"]] == [
        (world.students["noah"], {"firstName": "Noé"})
    ]
    rest, _ = await _all(gql, token, first_page["cursor"])
    assert [(c["id"], _values(c)) for c in rest] == [
        (world.students["lina"], {"firstName": "Lila"})
    ]
    assert (await _all(gql, token, (await _page(gql, token, first_page["cursor"]))["cursor"]))[
        0
    ] == []


async def test_staff_follow_the_feed_too(gql, world: World, sessionmaker):
    start = (await gql("principal_a", START))["data"]["changeFeedCursor"]
    await _staff(
        gql,
        "registrar_a",
        UPDATE_STUDENT,
        {"id": world.students["lina"], "input": {"firstName": "Lila"}},
    )
    body = await gql("principal_a", FEED, {"after": start, "first": 10})
    assert [(c["entity"], c["fields"]) for c in body["data"]["changes"]["changes"]] == [
        ("Student", ["firstName"])
    ]
    teacher = await gql("teacher_a", FEED, {"after": start, "first": 10})
    # Lina is in 6A, which teacher_a teaches; the feed shows her as the student query does.
    assert [c["id"] for c in teacher["data"]["changes"]["changes"]] == [world.students["lina"]]

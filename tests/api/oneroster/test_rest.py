"""The OneRoster REST binding with real OAuth client tokens: endpoints, reach, scopes,
paging and errors."""

from __future__ import annotations

from sqlalchemy import select

from db.audit import AuditEntry
from tests.api.oneroster.roster import client_token
from tests.conftest import TEST_PUBLIC_URL
from tests.world import PASSWORD, uai

CORE = "roster-core.readonly"
FULL = "roster.readonly"
DEMOGRAPHICS = "roster-demographics.readonly"


def code_minor(response) -> str:
    status = response.json()
    assert status["imsx_codeMajor"] == "failure" and status["imsx_severity"] == "error"
    return status["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


def ids(response, key) -> list[str]:
    assert response.status_code == 200, response.text
    return [record["sourcedId"] for record in response.json()[key]]


async def test_anonymous_and_bad_tokens_are_refused(rest):
    anonymous = await rest.get(None, "/orgs")
    assert anonymous.status_code == 401 and code_minor(anonymous) == "unauthorisedrequest"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = await rest.get("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "/orgs")
    assert forged.status_code == 401 and code_minor(forged) == "unauthorisedrequest"
    unknown = await rest.get(None, "/nothing/here")
    assert unknown.status_code == 404 and code_minor(unknown) == "unknownobject"


async def test_an_error_body_is_one_status_info_not_a_set(rest):
    """1.2's binding answers the imsx_StatusInfo object itself (its schema allows no other
    property), not 1.1's {"statusInfoSet": [...]}."""
    unknown = await rest.get(None, "/nothing/here")
    assert unknown.json() == {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": "No such OneRoster endpoint.",
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": "unknownobject",
                }
            ]
        },
    }


async def test_orgs_schools_and_one_record(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, CORE)
    orgs = await rest.get(token, "/orgs")
    assert orgs.headers["X-Total-Count"] == "2"
    assert orgs.headers["Cache-Control"] == "no-store"
    schools = (await rest.get(token, "/schools")).json()["orgs"]
    assert [s["identifier"] for s in schools] == [uai("0930001")]
    school = await rest.get(token, f"/schools/{schools[0]['sourcedId']}")
    assert school.json() == {"org": schools[0]}
    district = next(o for o in orgs.json()["orgs"] if o["type"] == "district")
    # The district is an org, not a school.
    not_school = await rest.get(token, f"/schools/{district['sourcedId']}")
    assert not_school.status_code == 404 and code_minor(not_school) == "unknownobject"


async def test_another_schools_records_are_unknown(rest, world, sessionmaker):
    token_a = await client_token(rest.http, world, sessionmaker, CORE, ("A",))
    token_b = await client_token(rest.http, world, sessionmaker, CORE, ("B",))
    b_classes = ids(await rest.get(token_b, "/classes"), "classes")
    b_users = ids(await rest.get(token_b, "/users"), "users")
    b_school = ids(await rest.get(token_b, "/schools"), "orgs")[0]
    a_all = set()
    for path, key in (
        ("/classes", "classes"),
        ("/users", "users"),
        ("/enrollments", "enrollments"),
    ):
        a_all |= set(ids(await rest.get(token_a, path), key))
    assert not a_all & {*b_classes, *b_users, b_school}
    for path in (
        f"/classes/{b_classes[0]}",
        f"/classes/{b_classes[0]}/students",
        f"/users/{b_users[0]}",
        f"/schools/{b_school}",
        f"/schools/{b_school}/classes",
        "/classes/not-even-a-uuid",
    ):
        response = await rest.get(token_a, path)
        assert response.status_code == 404, path
        assert code_minor(response) == "unknownobject"


async def test_nested_endpoints(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, FULL)
    classes = {c["classCode"]: c for c in (await rest.get(token, "/classes")).json()["classes"]}
    users = {u["givenName"]: u for u in (await rest.get(token, "/users")).json()["users"]}
    six_a = classes["6A"]["sourcedId"]
    school = classes["6A"]["school"]["sourcedId"]

    async def names(path: str) -> list[str]:
        response = await rest.get(token, path)
        assert response.status_code == 200, (path, response.text)
        return sorted(u["givenName"] for u in response.json()["users"])

    async def codes(path: str) -> list[str]:
        response = await rest.get(token, path)
        assert response.status_code == 200, (path, response.text)
        return sorted(c["classCode"] for c in response.json()["classes"])

    assert await names(f"/classes/{six_a}/students") == ["Lina", "Éloïse"]
    assert await names(f"/classes/{six_a}/teachers") == ["Teacher"]
    assert await names(f"/schools/{school}/classes/{six_a}/students") == ["Lina", "Éloïse"]
    assert await names(f"/schools/{school}/teachers") == ["Teacher"]
    assert await names(f"/schools/{school}/students") == ["Lina", "Noah", "Éloïse"]
    assert await names("/students") == ["Lina", "Noah", "Éloïse"]
    assert await names("/teachers") == ["Teacher"]
    assert await names(f"/users/{users['Lina']['sourcedId']}/agents") == ["Claire", "Paul"]
    lina = users["Lina"]["sourcedId"]
    assert await codes(f"/students/{lina}/classes") == ["6A", "ESP2"]
    assert await codes(f"/users/{lina}/classes") == ["6A", "ESP2"]
    assert await codes(f"/teachers/{users['Teacher']['sourcedId']}/classes") == ["6A"]
    assert await codes(f"/schools/{school}/classes") == ["6A", "6B", "ESP2"]
    term = classes["6A"]["terms"][0]["sourcedId"]
    assert await codes(f"/terms/{term}/classes") == ["6A", "6B", "ESP2"]
    assert await codes(f"/courses/{classes['ESP2']['course']['sourcedId']}/classes") == ["ESP2"]
    enrollments = await rest.get(token, f"/schools/{school}/classes/{six_a}/enrollments")
    assert enrollments.headers["X-Total-Count"] == "3"
    assert (await rest.get(token, f"/schools/{school}/enrollments")).headers["X-Total-Count"] == "5"
    assert (await rest.get(token, f"/schools/{school}/courses")).headers["X-Total-Count"] == "3"
    terms = await rest.get(token, f"/schools/{school}/terms")
    assert [t["title"] for t in terms.json()["academicSessions"]] == ["2026-2027"]
    # A teacher is not a student; Lina is no teacher.
    assert (await rest.get(token, f"/students/{users['Teacher']['sourcedId']}")).status_code == 404
    assert (await rest.get(token, f"/teachers/{lina}/classes")).status_code == 404
    one = await rest.get(token, f"/students/{lina}")
    assert one.json()["user"]["givenName"] == "Lina"


async def test_scopes(rest, world, sessionmaker):
    core = await client_token(rest.http, world, sessionmaker, CORE)
    roles = {
        r["role"] for u in (await rest.get(core, "/users")).json()["users"] for r in u["roles"]
    }
    assert roles == {"student", "teacher"}
    forbidden = await rest.get(core, "/demographics")
    assert forbidden.status_code == 403 and code_minor(forbidden) == "forbidden"
    demographics = await client_token(rest.http, world, sessionmaker, f"{CORE} {DEMOGRAPHICS}")
    found = await rest.get(demographics, "/demographics")
    assert found.headers["X-Total-Count"] == "3"
    one = found.json()["demographics"][0]
    assert (await rest.get(demographics, f"/demographics/{one['sourcedId']}")).json() == {
        "demographics": one
    }
    # GraphQL's scopes open nothing here.
    graphql_only = await client_token(rest.http, world, sessionmaker, "students:read")
    refused = await rest.get(graphql_only, "/classes")
    assert refused.status_code == 403 and code_minor(refused) == "forbidden"


async def test_paging_headers(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, FULL)
    everything = ids(await rest.get(token, "/users"), "users")
    assert len(everything) == 7  # 3 students, a teacher, 3 guardians
    pages = []
    for offset in range(0, 7, 3):
        page = await rest.get(token, "/users", limit=3, offset=offset)
        assert page.headers["X-Total-Count"] == "7"
        pages.extend(ids(page, "users"))
    assert pages == everything
    middle = await rest.get(token, "/users", limit=3, offset=3)
    links = middle.headers["Link"]
    assert 'offset=0>; rel="first"' in links and 'offset=0>; rel="prev"' in links
    assert 'offset=6>; rel="next"' in links and 'offset=6>; rel="last"' in links
    last = await rest.get(token, "/users", limit=3, offset=6)
    assert 'rel="next"' not in last.headers["Link"]
    # Absolute, under the service's public address, and followable as they are.
    first = links.split(";")[0].strip("<>")
    assert first.startswith(f"{TEST_PUBLIC_URL}/ims/oneroster/rostering/v1p2/users?")
    assert (
        ids(await rest.http.get(first, headers={"Authorization": f"Bearer {token}"}), "users")
        == everything[:3]
    )
    beyond = await rest.get(token, "/users", limit=3, offset=30)
    assert beyond.json() == {"users": []} and beyond.headers["X-Total-Count"] == "7"


async def test_a_staff_member_with_his_session(rest, world):
    login = await rest.http.post(
        "/api/session", json={"login": "registrar_a", "password": PASSWORD}
    )
    token = login.json()["token"]
    users = (await rest.get(token, "/users")).json()["users"]
    assert {r["role"] for u in users for r in u["roles"]} == {"student", "teacher", "parent"}
    # The registrar holds the identity permission: the birth place shows.
    demographics = (await rest.get(token, "/demographics")).json()["demographics"]
    assert {d.get("cityOfBirth") for d in demographics} == {"Montreuil"}


async def test_the_rate_limit_answers_server_busy(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, CORE, rate=1)
    assert (await rest.get(token, "/orgs")).status_code == 200
    busy = await rest.get(token, "/orgs")
    assert busy.status_code == 429 and code_minor(busy) == "server_busy"
    assert int(busy.headers["Retry-After"]) > 0


async def test_reads_of_personal_data_are_audited(rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, CORE)
    await rest.get(token, "/orgs")
    await rest.get(token, "/students", limit=2)
    async with sessionmaker() as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.entity.like("oneroster%")))
        ).all()
    assert [(e.action, e.entity, e.after) for e in entries] == [
        ("read", "oneroster_users", {"path": "/students", "records": 3})
    ]
    assert entries[0].actor_kind == "client"

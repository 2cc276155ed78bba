"""Every endpoint of the OneRoster REST service, called with a real client token on the test
school, answers what the specification's schemas describe (schemas/rostering.json): each
collection, each single record, each nested collection, and each kind of error."""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Route

from tests.api.oneroster.response_schemas import (
    ENDPOINT_RESPONSES,
    ERROR_RESPONSE,
    errors,
    no_longer_seen,
    unexpected,
)
from tests.api.oneroster.roster import client_token
from tests.api.oneroster.roster_changes import prepare

BASE = "/ims/oneroster/rostering/v1p2"
SCOPES = "roster.readonly roster-demographics.readonly"
PARAMETER = re.compile(r"\{[^}]*\}")

# Endpoints the service adds to the specification's, and the component they answer with.
EXTENSIONS = {"/users/{}/agents": "UserSetDType"}


def template(path: str) -> str:
    return PARAMETER.sub("{}", path)


SPECIFIED = {template(path): component for path, component in ENDPOINT_RESPONSES.items()}


def served_endpoints(app: Any) -> list[str]:
    """The service's GET routes under the base path (not its catch-all for unknown ones)."""
    return sorted(
        template(route.path.removeprefix(BASE))
        for route in app.routes
        if isinstance(route, Route)
        and route.path.startswith(f"{BASE}/")
        and ":path}" not in route.path
    )


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def problems_of(component: str, response: Any) -> list[str]:
    """What is wrong with a response as an instance of component, one line per kind of
    problem (ids and positions in lists left out, so that a problem of every record reads
    once), each naming the URL it was first seen at."""
    where = UUID.sub("{id}", response.url.path.removeprefix(BASE))
    if not response.headers["content-type"].startswith("application/json"):
        return [f"{where}: {response.headers['content-type']} is not JSON"]
    return [
        f"{component} {UUID.sub('{id}', re.sub(r'/[0-9]+(?=/|:)', '/n', problem))}   [{where}]"
        for problem in errors(component, response.json())
    ]


def distinct(problems: list[str]) -> list[str]:
    """One line per kind of problem, the first URL it was seen at."""
    first: dict[str, str] = {}
    for problem in problems:
        kind, _, where = problem.partition("   [")
        first.setdefault(kind, f"{kind}   [{where}")
    return sorted(first.values())


class Walk:
    """Calls the endpoints, filling each {} with a sourcedId from its parent collection."""

    def __init__(self, rest: Any, token: str) -> None:
        self.rest = rest
        self.token = token
        self.lists: dict[str, list[dict[str, Any]]] = {}

    async def get(self, path: str, **params: Any) -> Any:
        return await self.rest.get(self.token, path, **params)

    async def records(self, path: str) -> list[dict[str, Any]]:
        if path not in self.lists:
            response = await self.get(path, limit=1000)
            assert response.status_code == 200, (path, response.text)
            [found] = response.json().values()
            self.lists[path] = found
        return self.lists[path]

    async def fill(self, endpoint: str) -> str | None:
        """The endpoint with each {} replaced by a sourcedId of the collection before it,
        chosen so that the endpoint answers something (a collection with records); None when
        the test school has nothing for it."""
        head, marker, tail = endpoint.partition("{}")
        if not marker:
            response = await self.get(endpoint, limit=1000)
            answered = response.status_code == 200 and all(response.json().values())
            return endpoint if answered else None
        for record in await self.records(head.rstrip("/")):
            filled = await self.fill(f"{head}{record['sourcedId']}{tail}")
            if filled is not None:
                return filled
        return None


async def test_the_service_serves_the_specifications_endpoints(app):
    served = served_endpoints(app)
    assert set(SPECIFIED) <= set(served), sorted(set(SPECIFIED) - set(served))
    assert set(served) <= set(SPECIFIED) | set(EXTENSIONS), sorted(
        set(served) - set(SPECIFIED) - set(EXTENSIONS)
    )


async def test_every_endpoint_answers_as_the_schemas_say(app, rest, world, sessionmaker):
    await prepare(sessionmaker, world)  # grading periods
    token = await client_token(rest.http, world, sessionmaker, SCOPES)
    walk = Walk(rest, token)
    problems: list[str] = []
    for endpoint in served_endpoints(app):
        component = SPECIFIED.get(endpoint) or EXTENSIONS[endpoint]
        path = await walk.fill(endpoint)
        assert path is not None, f"{endpoint}: nothing in the test school to call it with"
        response = await walk.get(path)
        assert response.status_code == 200, (path, response.text)
        problems += problems_of(component, response)
        body = response.json()
        if component.startswith("Single"):
            [record] = body.values()
            assert record["status"] == "active"
        else:
            [records] = body.values()
            assert int(response.headers["x-total-count"]) == len(records)
    # Every kind of problem of every endpoint at once, but the known deviations.
    assert unexpected(distinct(problems)) == []
    # A deviation fixed: remove it from KNOWN_DEVIATIONS.
    # (The errors' own deviations are seen by the errors test, the deltas' by test_sync.)
    assert [k for k in no_longer_seen(problems) if not k.startswith("imsx_")] == []


async def test_every_kind_of_error_is_a_status_info(app, rest, world, sessionmaker):
    token = await client_token(rest.http, world, sessionmaker, SCOPES)
    core = await client_token(rest.http, world, sessionmaker, "roster-core.readonly")
    walk = Walk(rest, token)
    refusals = [
        (401, await rest.get(None, "/users")),
        (401, await rest.get("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "/users")),
        (403, await rest.get(core, "/demographics")),
        (404, await walk.get("/no/such/endpoint")),
        (400, await walk.get("/users", filter="nonsense")),
        (400, await walk.get("/users", filter="noSuchField='x'")),
        (400, await walk.get("/users", sort="noSuchField")),
        (400, await walk.get("/users", limit="zero")),
    ]
    for endpoint in served_endpoints(app):
        if "{}" not in endpoint:
            continue
        # An unknown id in every place, then a known parent with an unknown last id.
        refusals.append((404, await walk.get(PARAMETER.sub("no-such-id", endpoint))))
        if endpoint.count("{}") > 1:
            head, _, tail = endpoint.rpartition("{}")
            parent = await walk.fill(head.rstrip("/"))
            assert parent is not None
            refusals.append((404, await walk.get(f"{parent}/no-such-id{tail}")))
    problems: list[str] = []
    for status, response in refusals:
        assert response.status_code == status, (str(response.url), response.text)
        assert response.headers["cache-control"] == "no-store"
        problems += problems_of(ERROR_RESPONSE, response)
    assert unexpected(distinct(problems)) == []
    assert [k for k in no_longer_seen(problems) if k.startswith("imsx_")] == []

"""Attacks on the running app, enumerated from the app itself so new routes and filters are
covered without editing this file: CSRF on every portal form, injection in every string
argument of every query."""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from sqlalchemy import func, select
from starlette.routing import Route

from api.schema import schema
from db.accounts import StaffSession
from db.audit import AuditEntry
from tests.portals.conftest import make_client

# Routes that answer a POST but are not forms of a signed-in page.
API_PREFIXES = ("/graphql", "/api/", "/oauth/", "/exports/")
INJECTIONS = [
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "\x00",
    "Ø" * 5000,
    "'; DROP TABLE students; --",
    "Ｌｉｎａ",
    "e\u0301lan",
]


def portal_post_routes(app: Any) -> list[str]:
    paths = []
    for route in app.routes:
        posts = isinstance(route, Route) and "POST" in (route.methods or ())
        if posts and not route.path.startswith(API_PREFIXES):
            paths.append(route.path)
    return sorted(set(paths))


async def _counts(sessionmaker) -> tuple[int, int]:
    async with sessionmaker() as session:
        audit = await session.scalar(select(func.count()).select_from(AuditEntry))
        sessions = await session.scalar(select(func.count()).select_from(StaffSession))
    return audit or 0, sessions or 0


async def test_every_portal_form_refuses_a_post_without_its_token(app, portal, world, sessionmaker):
    routes = portal_post_routes(app)
    assert {
        "/connexion",
        "/deconnexion",
        "/delegations",
        "/eleves/{student_id:int}/modifier",
    } <= set(routes)
    await portal.login("principal_a")
    other = make_client(app)
    async with other:
        from tests.portals.conftest import Portal

        stranger = Portal(other, world)
        await stranger.login("principal_b")
        foreign = re.search(r'name="csrf_token" value="([^"]+)"', (await stranger.get("/")).text)
        assert foreign
        ids = {"student_id": world.students["lina"], "user_id": world.users["cpe_a"]}
        for template in routes:
            path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(ids.get(m.group(1), 1)), template)
            before = await _counts(sessionmaker)
            for token in (None, foreign.group(1)):
                data = {"csrf_token": token} if token else {}
                response = await portal.http.post(path, data=data)
                refused = response.status_code == 403 or (
                    response.status_code == 303
                    and response.headers["location"].startswith("/connexion")
                    and path.startswith("/connexion/")
                )
                assert refused, (path, token is not None, response.status_code)
            assert await _counts(sessionmaker) == before, path
            # Still signed in: nothing was done with the session either.
            assert (await portal.get("/")).status_code == 200, path


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _string_paths(arg_type: Any, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    named = _named(arg_type)
    if isinstance(named, GraphQLScalarType) and named.name == "String":
        return [prefix]
    if isinstance(named, GraphQLInputObjectType):
        paths = []
        for name, field in named.fields.items():
            paths += _string_paths(field.type, (*prefix, name))
        return paths
    return []


def _required_value(arg_type: Any, world: Any) -> Any:
    named = _named(arg_type)
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLScalarType) and named.name == "Int":
        return world.school_a
    if isinstance(named, GraphQLInputObjectType):
        return {
            n: _required_value(f.type, world)
            for n, f in named.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is None
        }
    return "x"


def _injection_cases() -> list[tuple[str, tuple[str, ...]]]:
    cases = []
    for name, field in schema._schema.query_type.fields.items():
        for arg_name, arg in field.args.items():
            for path in _string_paths(arg.type, (arg_name,)):
                cases.append((name, path))
    return cases


CASES = _injection_cases()


def test_the_injection_suite_covers_the_filters():
    covered = {(name, path[0]) for name, path in CASES}
    assert ("students", "filter") in covered and ("auditTrail", "filter") in covered


@pytest.mark.parametrize(("field", "path"), CASES, ids=[f"{f}.{'.'.join(p)}" for f, p in CASES])
async def test_injection_in_every_string_argument_is_inert(gql, world, field, path):
    definition = schema._schema.query_type.fields[field]
    args: dict[str, Any] = {}
    for arg_name, arg in definition.args.items():
        if isinstance(arg.type, GraphQLNonNull) or arg_name == path[0]:
            args[arg_name] = _required_value(arg.type, world)
    declarations = ", ".join(f"${n}: {a.type}" for n, a in definition.args.items() if n in args)
    call = ", ".join(f"{n}: ${n}" for n in args)
    result_type = _named(definition.type)
    selection = " { __typename }" if isinstance(result_type, GraphQLObjectType) else ""
    document = f"query({declarations}) {{ {field}({call}){selection} }}" if args else ""
    for payload in INJECTIONS:
        variables = {k: (dict(v) if isinstance(v, dict) else v) for k, v in args.items()}
        target = variables
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = payload
        response = await gql.raw("principal_a", document, variables)
        assert response.status_code in (200, 400), (field, path, payload, response.text[:300])
        for error in response.json().get("errors", []):
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", (field, path, error)
            assert "Traceback" not in error.get("message", "")

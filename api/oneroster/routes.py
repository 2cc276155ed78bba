"""HTTP routes of OneRoster 1.2 Rostering (read-only), as the specification lists them.

Every endpoint reads one collection of the caller's roster (``roster_records``) and narrows
it: ``/schools`` are the orgs of type school, ``/classes/{id}/students`` the users enrolled
as students in that class... A nested endpoint answers 404 when its parent is unknown or out
of reach, exactly like an unknown id. The school years are the ``terms`` (SCONET has no
terms besides its grading periods, which are the ``gradingPeriods``): a class's ``terms``
is its school year.

The caller is an API client (OAuth 2.0 bearer token, with the OneRoster scopes) or a staff
member (session token or the portal's cookie), with his permissions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.auth.client_scopes import Surface
from api.auth.principal import PermissionDenied, Principal
from api.auth.read_audit import record_access
from api.auth.requests import bearer_jwt, identify, identify_client
from api.endpoints.oauth import issuer_of
from api.oneroster.errors import NO_STORE, RosterRequestError, status_response
from api.oneroster.hrefs import public_base, with_absolute_hrefs, with_path_hrefs
from api.oneroster.query import (
    RosterQuery,
    matches,
    parse_query,
    selected,
    since_of,
    sorted_records,
)
from api.resolvers.oneroster.built import BuiltCollection
from api.resolvers.oneroster.reach import RosterScopeMissing
from api.resolvers.oneroster.records import roster_collection
from api.resolvers.oneroster.sourced_ids import BASE_PATH
from api.services import services_of
from core.errors import NotFound

COMMON = "sourcedId status dateLastModified metadata "
FIELDS: dict[str, frozenset[str]] = {
    name: frozenset((COMMON + fields).split())
    for name, fields in {
        "orgs": "name type identifier parent children",
        "academicSessions": "title startDate endDate type parent children schoolYear",
        "courses": "title schoolYear courseCode grades subjects org subjectCodes resources",
        "classes": "title classCode classType location grades subjects course school terms "
        "subjectCodes periods resources",
        "users": "userMasterIdentifier username userIds enabledUser givenName familyName "
        "middleName preferredFirstName preferredMiddleName preferredLastName pronouns roles "
        "userProfiles identifier email sms phone agents grades password resources primaryOrg",
        "enrollments": "class user school role primary beginDate endDate",
        "demographics": "birthDate sex americanIndianOrAlaskaNative asian "
        "blackOrAfricanAmerican nativeHawaiianOrOtherPacificIslander white "
        "demographicRaceTwoOrMoreRaces hispanicOrLatinoEthnicity countryOfBirthCode "
        "stateOfBirthAbbreviation cityOfBirth publicSchoolResidenceStatus",
    }.items()
}
# What a record that left carries at the least.
BARE = frozenset({"sourcedId", "status", "dateLastModified"})
# The collections that hold personal data: each read is written to the audit trail.
PERSONAL = frozenset({"users", "enrollments", "demographics"})


class Roster:
    """The caller's records for one request: each collection read once (and kept between
    requests by the domain, with the indexes that narrow it)."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self._read: dict[tuple[str, datetime | None], BuiltCollection] = {}

    async def collection(self, collection: str, since: datetime | None = None) -> BuiltCollection:
        key = (collection, since)
        if key not in self._read:
            self._read[key] = await roster_collection(
                self.session, self.principal, collection, since=since
            )
        return self._read[key]

    async def records(self, collection: str, since: datetime | None = None) -> list[dict[str, Any]]:
        return (await self.collection(collection, since)).records

    async def one(
        self,
        collection: str,
        sourced_id: str,
        kind: Callable[[dict[str, Any]], bool] = lambda _record: True,
    ) -> dict[str, Any]:
        record = (await self.collection(collection)).by_id().get(sourced_id)
        if record is None or not kind(record):
            raise NotFound(collection, sourced_id)
        return record

    async def with_ids(
        self, collection: str, ids: set[str], since: datetime | None
    ) -> list[dict[str, Any]]:
        """The records of these sourcedIds, in the collection's order (by sourcedId)."""
        by_id = (await self.collection(collection, since)).by_id()
        return [by_id[i] for i in sorted(ids) if i in by_id]


def ref_id(record: dict[str, Any], name: str) -> str | None:
    ref = record.get(name)
    return ref.get("sourcedId") if isinstance(ref, dict) else None


def has_role(record: dict[str, Any], *roles: str) -> bool:
    return any(r.get("role") in roles for r in record.get("roles", []))


def is_school(record: dict[str, Any]) -> bool:
    return record.get("type") == "school"


def of_type(*types: str) -> Callable[[dict[str, Any]], bool]:
    return lambda record: record.get("type") in types


def is_student(record: dict[str, Any]) -> bool:
    return has_role(record, "student")


def is_teacher(record: dict[str, Any]) -> bool:
    return has_role(record, "teacher")


Select = Callable[[Roster, dict[str, str], datetime | None], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Endpoint:
    path: str
    collection: str
    # The JSON key of the answer: plural for a list, singular for one record.
    key: str
    select: Select
    single: bool = False


def bare(record: dict[str, Any]) -> bool:
    """A record sent tobedeleted without its last known state (which could not be rebuilt)."""
    return record["status"] == "tobedeleted" and set(record) <= BARE


def every(collection: str, kind: Callable[[dict[str, Any]], bool] | None = None) -> Select:
    async def select(
        roster: Roster, _params: dict[str, str], since: datetime | None
    ) -> list[dict[str, Any]]:
        built = await roster.collection(collection, since)
        if kind is None:
            return built.records
        # A record that left carries its last known state: it is narrowed like the others,
        # unless it could not be rebuilt (it then carries no more than its id, and goes with
        # every narrowed list).
        return built.subset((kind, bare), lambda r: kind(r) or bare(r))

    return select


def one(collection: str, kind: Callable[[dict[str, Any]], bool] = lambda _r: True) -> Select:
    async def select(
        roster: Roster, params: dict[str, str], _since: datetime | None
    ) -> list[dict[str, Any]]:
        return [await roster.one(collection, params["id"], kind)]

    return select


async def _enrollments(
    roster: Roster, since: datetime | None, by: str, sourced_id: str
) -> list[dict[str, Any]]:
    """The enrolments of this user or class (``by``: "user", "class") that link users and
    classes: in a delta, those that left too (they carry their class and user), so that a
    class or a user that left with them is listed. Through an index of each collection."""
    read = [await roster.collection("enrollments")]
    if since is not None:
        read.append(await roster.collection("enrollments", since))
    return [
        e
        for built in read
        for e in built.index(by, lambda e: (e[by]["sourcedId"],)).get(sourced_id, [])
    ]


async def _class_ids_of_user(
    roster: Roster, user_id: str, role: str | None, since: datetime | None
) -> set[str]:
    return {
        e["class"]["sourcedId"]
        for e in await _enrollments(roster, since, "user", user_id)
        if role is None or e["role"] == role
    }


def classes_of_user(kind: Callable[[dict[str, Any]], bool], role: str | None) -> Select:
    async def select(
        roster: Roster, params: dict[str, str], since: datetime | None
    ) -> list[dict[str, Any]]:
        await roster.one("users", params["id"], kind)
        ids = await _class_ids_of_user(roster, params["id"], role, since)
        return await roster.with_ids("classes", ids, since)

    return select


def users_of_class(role: str, *, in_school: bool = False) -> Select:
    async def select(
        roster: Roster, params: dict[str, str], since: datetime | None
    ) -> list[dict[str, Any]]:
        the_class = await roster.one("classes", params["class"] if in_school else params["id"])
        if in_school and ref_id(the_class, "school") != params["id"]:
            raise NotFound("classes", params["class"])
        ids = {
            e["user"]["sourcedId"]
            for e in await _enrollments(roster, since, "class", the_class["sourcedId"])
            if e["role"] == role
        }
        return await roster.with_ids("users", ids, since)

    return select


def enrollments_of_class_in_school() -> Select:
    async def select(
        roster: Roster, params: dict[str, str], since: datetime | None
    ) -> list[dict[str, Any]]:
        the_class = await roster.one("classes", params["class"])
        if ref_id(the_class, "school") != params["id"]:
            raise NotFound("classes", params["class"])
        enrollments = (await roster.collection("enrollments", since)).index(
            "class ref", lambda e: (ref_id(e, "class"),)
        )
        return enrollments.get(the_class["sourcedId"], [])

    return select


def of_parent(
    parent: str,
    parent_kind: Callable[[dict[str, Any]], bool],
    collection: str,
    parents_of: Callable[[dict[str, Any]], Iterable[str | None]] | None,
    kind: Callable[[dict[str, Any]], bool] = lambda _r: True,
) -> Select:
    """The records of ``collection`` that belong to the parent record named in the path: those
    of ``kind`` whose ``parents_of`` names it (every record of ``kind`` when None), found
    through an index built once for the collection."""

    def keys_of(record: dict[str, Any]) -> Iterable[str | None]:
        if not kind(record):
            return ()
        return parents_of(record) if parents_of is not None else ("",)

    async def select(
        roster: Roster, params: dict[str, str], since: datetime | None
    ) -> list[dict[str, Any]]:
        await roster.one(parent, params["id"], parent_kind)
        index = (await roster.collection(collection, since)).index(keys_of, keys_of)
        return index.get(params["id"] if parents_of is not None else "", [])

    return select


def users_in_school(kind: Callable[[dict[str, Any]], bool]) -> Select:
    return of_parent(
        "orgs",
        is_school,
        "users",
        lambda u: [ref_id(role, "org") for role in u.get("roles", [])],
        kind,
    )


async def _agents(
    roster: Roster, params: dict[str, str], since: datetime | None
) -> list[dict[str, Any]]:
    user = await roster.one("users", params["id"])
    ids = {a["sourcedId"] for a in user.get("agents", [])}
    return await roster.with_ids("users", ids, since)


def _terms_of(record: dict[str, Any]) -> list[str | None]:
    return [t.get("sourcedId") for t in record.get("terms", [])]


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "/academicSessions", "academicSessions", "academicSessions", every("academicSessions")
    ),
    Endpoint(
        "/academicSessions/{id}",
        "academicSessions",
        "academicSession",
        one("academicSessions"),
        single=True,
    ),
    Endpoint(
        "/gradingPeriods",
        "academicSessions",
        "academicSessions",
        every("academicSessions", of_type("gradingPeriod")),
    ),
    Endpoint(
        "/gradingPeriods/{id}",
        "academicSessions",
        "academicSession",
        one("academicSessions", of_type("gradingPeriod")),
        single=True,
    ),
    Endpoint(
        "/terms",
        "academicSessions",
        "academicSessions",
        every("academicSessions", of_type("schoolYear", "term", "semester")),
    ),
    Endpoint(
        "/terms/{id}",
        "academicSessions",
        "academicSession",
        one("academicSessions", of_type("schoolYear", "term", "semester")),
        single=True,
    ),
    Endpoint(
        "/terms/{id}/classes",
        "classes",
        "classes",
        of_parent(
            "academicSessions", of_type("schoolYear", "term", "semester"), "classes", _terms_of
        ),
    ),
    Endpoint(
        "/terms/{id}/gradingPeriods",
        "academicSessions",
        "academicSessions",
        of_parent(
            "academicSessions",
            of_type("schoolYear", "term", "semester"),
            "academicSessions",
            lambda r: (ref_id(r, "parent"),),
            of_type("gradingPeriod"),
        ),
    ),
    Endpoint("/classes", "classes", "classes", every("classes")),
    Endpoint("/classes/{id}", "classes", "class", one("classes"), single=True),
    Endpoint("/classes/{id}/students", "users", "users", users_of_class("student")),
    Endpoint("/classes/{id}/teachers", "users", "users", users_of_class("teacher")),
    Endpoint("/courses", "courses", "courses", every("courses")),
    Endpoint("/courses/{id}", "courses", "course", one("courses"), single=True),
    Endpoint(
        "/courses/{id}/classes",
        "classes",
        "classes",
        of_parent("courses", lambda _r: True, "classes", lambda c: (ref_id(c, "course"),)),
    ),
    Endpoint("/demographics", "demographics", "demographics", every("demographics")),
    Endpoint(
        "/demographics/{id}", "demographics", "demographics", one("demographics"), single=True
    ),
    Endpoint("/enrollments", "enrollments", "enrollments", every("enrollments")),
    Endpoint("/enrollments/{id}", "enrollments", "enrollment", one("enrollments"), single=True),
    Endpoint("/orgs", "orgs", "orgs", every("orgs")),
    Endpoint("/orgs/{id}", "orgs", "org", one("orgs"), single=True),
    Endpoint("/schools", "orgs", "orgs", every("orgs", is_school)),
    Endpoint("/schools/{id}", "orgs", "org", one("orgs", is_school), single=True),
    Endpoint(
        "/schools/{id}/classes",
        "classes",
        "classes",
        of_parent("orgs", is_school, "classes", lambda c: (ref_id(c, "school"),)),
    ),
    Endpoint(
        "/schools/{id}/courses",
        "courses",
        "courses",
        of_parent("orgs", is_school, "courses", lambda c: (ref_id(c, "org"),)),
    ),
    Endpoint(
        "/schools/{id}/enrollments",
        "enrollments",
        "enrollments",
        of_parent("orgs", is_school, "enrollments", lambda e: (ref_id(e, "school"),)),
    ),
    Endpoint("/schools/{id}/students", "users", "users", users_in_school(is_student)),
    Endpoint("/schools/{id}/teachers", "users", "users", users_in_school(is_teacher)),
    Endpoint(
        "/schools/{id}/terms",
        "academicSessions",
        "academicSessions",
        # The school years are the académie's: every school has them all.
        of_parent(
            "orgs",
            is_school,
            "academicSessions",
            None,
            of_type("schoolYear", "term", "semester"),
        ),
    ),
    Endpoint(
        "/schools/{id}/classes/{class}/enrollments",
        "enrollments",
        "enrollments",
        enrollments_of_class_in_school(),
    ),
    Endpoint(
        "/schools/{id}/classes/{class}/students",
        "users",
        "users",
        users_of_class("student", in_school=True),
    ),
    Endpoint(
        "/schools/{id}/classes/{class}/teachers",
        "users",
        "users",
        users_of_class("teacher", in_school=True),
    ),
    Endpoint("/students", "users", "users", every("users", is_student)),
    Endpoint("/students/{id}", "users", "user", one("users", is_student), single=True),
    Endpoint(
        "/students/{id}/classes", "classes", "classes", classes_of_user(is_student, "student")
    ),
    Endpoint("/teachers", "users", "users", every("users", is_teacher)),
    Endpoint("/teachers/{id}", "users", "user", one("users", is_teacher), single=True),
    Endpoint(
        "/teachers/{id}/classes", "classes", "classes", classes_of_user(is_teacher, "teacher")
    ),
    Endpoint("/users", "users", "users", every("users")),
    Endpoint("/users/{id}", "users", "user", one("users"), single=True),
    Endpoint("/users/{id}/classes", "classes", "classes", classes_of_user(lambda _r: True, None)),
    Endpoint("/users/{id}/agents", "users", "users", _agents),
)


async def caller_of(request: Request) -> Principal | Response:
    """The principal of the request, or the refusal to send (401, 429)."""
    token = bearer_jwt(request)
    if token is not None:
        call = await identify_client(request, token, issuer_of(request), Surface.ONEROSTER)
        if call.principal is not None:
            return call.principal
        if call.status == 429:
            return status_response(
                429,
                "server_busy",
                "Too many requests for this client: retry later.",
                {"Retry-After": str(call.retry_after)},
            )
        return status_response(
            401,
            "unauthorisedrequest",
            "The access token is invalid or expired.",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    caller = await identify(request)
    if caller is None:
        return status_response(
            401,
            "unauthorisedrequest",
            "An access token is required.",
            {"WWW-Authenticate": "Bearer"},
        )
    return caller.principal


def link_header(request: Request, query: RosterQuery, total: int) -> str:
    """RFC 8288 links to the first, previous, next and last pages, absolute like the hrefs
    (under the public address, never the request's Host)."""
    params = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}
    path = request.url.path
    # Behind a proxy that strips a prefix, the public address holds it: keep the binding's part.
    endpoint = path[path.index(BASE_PATH) :] if BASE_PATH in path else path
    page_url = f"{public_base(request)}{endpoint}"

    def url(offset: int) -> str:
        return f"<{page_url}?{urlencode({**params, 'limit': query.limit, 'offset': offset})}>"

    last = max(0, (total - 1) // query.limit * query.limit)
    links = [f'{url(0)}; rel="first"']
    if query.offset > 0:
        links.append(f'{url(max(0, query.offset - query.limit))}; rel="prev"')
    if query.offset + query.limit < total:
        links.append(f'{url(query.offset + query.limit)}; rel="next"')
    links.append(f'{url(last)}; rel="last"')
    return ", ".join(links)


def serve(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        principal = await caller_of(request)
        if isinstance(principal, Response):
            return principal
        params = {k: str(v)[:100] for k, v in request.path_params.items()}
        try:
            base = public_base(request)
            query = with_path_hrefs(
                parse_query(request.query_params, FIELDS[endpoint.collection]), base
            )
            since = since_of(query.filter)
            async with services_of(request).sessionmaker() as session, session.begin():
                roster = Roster(session, principal)
                found = await endpoint.select(roster, params, since)
                if endpoint.collection in PERSONAL:
                    record_access(
                        session,
                        principal,
                        "read",
                        f"oneroster_{endpoint.collection}",
                        None,
                        None,
                        {"path": endpoint.path, "records": len(found)},
                    )
        except RosterRequestError as exc:
            return status_response(exc.status, exc.code_minor, exc.description)
        except (PermissionDenied, RosterScopeMissing):
            return status_response(
                403, "forbidden", "The scopes or permissions of the caller do not allow this."
            )
        except NotFound:
            return status_response(
                404, "unknownobject", "No such object, or not in the caller's reach."
            )
        # Filters and sorting read the domain's records (hrefs as paths); what is served is
        # copied with absolute hrefs.
        if endpoint.single:
            return JSONResponse(
                {endpoint.key: with_absolute_hrefs(selected(found[0], query.fields), base)},
                headers=NO_STORE,
            )
        # Without a filter, the collection as it is: no pass over it for each page.
        kept = [r for r in found if matches(r, query.filter)] if query.filter else found
        ordered = sorted_records(kept, query.sort, query.descending)
        page = ordered[query.offset : query.offset + query.limit]
        return JSONResponse(
            {endpoint.key: [with_absolute_hrefs(selected(r, query.fields), base) for r in page]},
            headers={
                **NO_STORE,
                "X-Total-Count": str(len(ordered)),
                "Link": link_header(request, query, len(ordered)),
            },
        )

    return handle


async def unknown_endpoint(_request: Request) -> Response:
    return status_response(404, "unknownobject", "No such OneRoster endpoint.")


def oneroster_routes() -> list[BaseRoute]:
    return [
        *(
            Route(f"{BASE_PATH}{endpoint.path}", serve(endpoint), methods=["GET"])
            for endpoint in ENDPOINTS
        ),
        Route(f"{BASE_PATH}/{{rest:path}}", unknown_endpoint),
    ]

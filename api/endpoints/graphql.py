"""The /graphql endpoint: Strawberry over Starlette, for identified callers only."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.auth.client_scopes import Surface
from api.auth.principal import Principal
from api.auth.requests import CSRF_HEADER, bearer_jwt, identify, identify_client
from api.endpoints.oauth import issuer_of
from api.resolvers.work import Work
from api.schema import schema
from api.schema.context import Context, Loaders
from api.services import services_of

WORK_KEY = "graphql_work"
REQUEST_ERROR_KEY = "graphql_request_error"
GRAPHQL_RESPONSE = "application/graphql-response+json"


class SconetGraphQL(GraphQL[Context, None]):
    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than json.dumps on a page of 500 students.
        return orjson.dumps(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        work = request.scope[WORK_KEY]
        return Context(work=work, loaders=Loaders(work), settings=services_of(request).settings)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Commits the request's reads once the operation has run, before answering.

        Reads of full records add audit entries to the read session (see
        ``api.resolvers.audit``), and opening a school's absence settings for the
        first time stores its defaults: they are written here, and a failure to
        write them fails the request rather than leave a read unrecorded.
        """
        try:
            await request.scope[WORK_KEY].commit()  # rolled back if it fails
        except SQLAlchemyError:
            # A field error that nulls the whole answer makes graphql-core cancel
            # its sibling fields, possibly in the middle of a statement: the
            # connection is then unusable. Nothing unrecorded may be answered.
            if not result.errors:
                raise
            result = ExecutionResult(data=None, errors=result.errors)
        answer = await super().process_result(request, result)
        # No field ran: the document did not parse or validate, or a variable did not coerce.
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            request.scope[REQUEST_ERROR_KEY] = True
            if wants_graphql_response(request):
                answer.pop("data", None)  # the specification's sign of a request error
        return answer

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Answers in ``application/graphql-response+json`` when the client accepts it, with
        the GraphQL-over-HTTP status codes: 400 for a request that no field ran for.

        With ``application/json`` (legacy clients) every GraphQL answer stays 200.
        """
        response = await super().run(request, context, root_value)
        json_answer = response.headers.get("content-type", "").startswith("application/json")
        if json_answer and isinstance(request, Request) and wants_graphql_response(request):
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if request.scope.get(REQUEST_ERROR_KEY):
                response.status_code = 400
        return response


def wants_graphql_response(request: Any) -> bool:
    """Whether the Accept header lists application/graphql-response+json with a non-zero q."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = [part.strip() for part in item.split(";")]
        if media.lower() == GRAPHQL_RESPONSE:
            quality = next((p[2:] for p in params if p.lower().startswith("q=")), "1")
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def refusal(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    """A request refused before any GraphQL runs, in GraphQL's error shape."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


class GraphQLEndpoint:
    """Refuses anonymous callers with 401, and runs each request as one unit of work.

    API clients send a bearer token. A call carried by the portal's session
    cookie must also send the session's CSRF token in ``X-CSRF-Token``, so
    that another site cannot make a logged-in browser post a mutation. No
    GraphQL IDE is served: the usual ones load their scripts from a CDN.
    """

    def __init__(self) -> None:
        self.graphql = SconetGraphQL(schema, graphql_ide=None, allow_queries_via_get=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        token = bearer_jwt(request)
        if token is not None:
            await self._serve_client(request, token, scope, receive, send)
            return
        caller = await identify(request)
        if caller is None:
            response = refusal(
                401,
                "Authentification requise",
                "UNAUTHENTICATED",
                {"WWW-Authenticate": 'Bearer realm="sconet"'},
            )
            await response(scope, receive, send)
            return
        if caller.via_cookie and request.headers.get(CSRF_HEADER) != caller.session.csrf_token:
            await refusal(403, "Jeton CSRF manquant ou invalide", "CSRF")(scope, receive, send)
            return
        await self._serve(caller.principal, scope, receive, send)

    async def _serve(
        self, principal: Principal, scope: Scope, receive: Receive, send: Send
    ) -> None:
        async with Work(services_of(Request(scope)).sessionmaker, principal) as work:
            scope[WORK_KEY] = work
            await self.graphql(scope, receive, send)

    async def _serve_client(
        self, request: Request, token: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """A third-party client: a valid access token, within its rate."""
        call = await identify_client(request, token, issuer_of(request), Surface.GRAPHQL)
        if call.principal is not None:
            await self._serve(call.principal, scope, receive, send)
            return
        if call.status == 429:
            response = refusal(
                429,
                "Débit autorisé dépassé pour ce client",
                "RATE_LIMITED",
                {"Retry-After": str(call.retry_after)},
            )
        else:
            response = refusal(
                401,
                "Jeton d'accès invalide, expiré ou révoqué",
                "UNAUTHENTICATED",
                {"WWW-Authenticate": 'Bearer realm="sconet", error="invalid_token"'},
            )
        await response(scope, receive, send)

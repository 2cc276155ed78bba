"""The /graphql endpoint: Strawberry over Starlette, for identified callers only."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.auth.requests import CSRF_HEADER, identify
from api.schema import schema
from api.schema.context import Context, Loaders
from api.services import services_of

SESSION_KEY = "graphql_read_session"


class SconetGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Any, response: Any) -> Context:
        caller = request.scope["caller"]
        session = request.scope[SESSION_KEY]
        return Context(
            principal=caller.principal,
            session=session,
            sessionmaker=services_of(request).sessionmaker,
            loaders=Loaders(session=session, principal=caller.principal),
        )

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Commits the read session once the operation has run, before answering.

        Reads of full records add audit entries to the read session (see
        ``api.resolvers.audit``): they are written here, and a failure to
        write them fails the request rather than leave a read unrecorded.
        """
        session = request.scope[SESSION_KEY]
        if session.new:
            await session.commit()
        return await super().process_result(request, result)


class GraphQLEndpoint:
    """Refuses anonymous callers with 401, and gives each request one read session.

    API clients send a bearer token. A call carried by the portal's session
    cookie must also send the session's CSRF token in ``X-CSRF-Token``, so
    that another site cannot make a logged-in browser post a mutation. No
    GraphQL IDE is served: the usual ones load their scripts from a CDN.
    """

    def __init__(self) -> None:
        self.graphql = SconetGraphQL(schema, graphql_ide=None, allow_queries_via_get=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        caller = await identify(request)
        if caller is None:
            response: Response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": "Authentification requise",
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ]
                },
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="sconet"'},
            )
            await response(scope, receive, send)
            return
        if caller.via_cookie and request.headers.get(CSRF_HEADER) != caller.session.csrf_token:
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": "Jeton CSRF manquant ou invalide",
                            "extensions": {"code": "CSRF"},
                        }
                    ]
                },
                status_code=403,
            )
            await response(scope, receive, send)
            return
        async with services_of(request).sessionmaker() as session:
            scope[SESSION_KEY] = session
            await self.graphql(scope, receive, send)

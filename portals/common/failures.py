"""The answer to an unexpected exception in either app: a generic message with a reference.

A pure ASGI middleware placed inside the security headers, so that every
failure answer carries them. API callers (``/graphql``, ``/api/...``,
``/oauth/...``, exports, or any client that does not accept HTML) get JSON;
browsers get the portal's own error page in French. The exception and its
traceback go to the log only (``core.failures``). A database that cannot be
reached answers 503 rather than 500. Lives in ``portals.common`` so that the
families portal can use it too.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.failures import (
    database_unavailable,
    internal_error_message,
    record_failure,
    unavailable_message,
)


class BodyTooLarge(Exception):
    """Raised by the body limit (``portals.common.body_limit``) while a handler reads past it: the
    limit's own answer, not a failure."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body above {limit} bytes")
        self.limit = limit


# (status, title, message) -> the app's HTML error page.
ErrorPage = Callable[[int, str, str], Response]
API_PREFIXES = ("/graphql", "/api/", "/oauth/", "/.well-known/", "/exports/")


def answer(
    request: Request,
    status: int,
    code: str,
    title: str,
    message: str,
    error_page: ErrorPage,
    extensions: dict[str, str] | None = None,
) -> Response:
    """A refusal in the caller's language: GraphQL's error shape on ``/graphql``, JSON for the
    API and any client that does not accept HTML, else the app's French error page."""
    path = request.url.path
    if path.startswith("/graphql"):
        return JSONResponse(
            {"errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]},
            status_code=status,
        )
    if path.startswith(API_PREFIXES) or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(
            {"error": code.lower(), "message": message, **(extensions or {})}, status_code=status
        )
    return error_page(status, title, message)


def failure_answer(request: Request, exc: BaseException, error_page: ErrorPage) -> Response:
    """Logs ``exc`` under a new reference and builds the answer that names only the reference."""
    reference = record_failure(exc, f"{request.method} {request.url.path}")
    if database_unavailable(exc):
        response = answer(
            request,
            503,
            "SERVICE_UNAVAILABLE",
            "Service momentanément indisponible",
            unavailable_message(reference),
            error_page,
            {"reference": reference},
        )
        response.headers["Retry-After"] = "60"
        return response
    return answer(
        request,
        500,
        "INTERNAL_SERVER_ERROR",
        "Erreur interne",
        internal_error_message(reference),
        error_page,
        {"reference": reference},
    )


class Failures:
    """Turns an exception escaping a handler into ``failure_answer``'s response."""

    def __init__(self, app: ASGIApp, *, error_page: ErrorPage) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_noting_start)
        except BodyTooLarge:
            raise
        except Exception as exc:
            if started:
                # Too late for another answer: the log keeps it, the connection is cut.
                record_failure(exc, f"{scope['method']} {scope['path']} (answer under way)")
                return
            response = failure_answer(Request(scope), exc, self.error_page)
            await response(scope, receive, send)

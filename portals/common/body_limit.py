"""Request bodies are bounded on every endpoint of both apps: 413 before reading past the limit.

Starlette reads a body whole when a handler asks for it (``request.json()``,
``request.form()``): an anonymous caller could make the server hold any
size in memory. A declared ``Content-Length`` above the limit is refused
unread; a body sent without one (chunked) is counted as it streams and
refused as soon as it passes the limit. Lives in ``portals.common`` so that the
families portal can use it too.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portals.common.failures import BodyTooLarge, ErrorPage, answer

MEBIBYTE = 1024 * 1024
# Forms, logins and the logo upload (at most 512 kB) fit in 1 MiB.
DEFAULT_LIMIT = MEBIBYTE
# A GraphQL mutation may push a few thousand absences at once.
# SIECLE and STS-WEB files (see api.resolvers.exchanges.runs.MAX_FILE_BYTES), with the form
# around them.
PATH_LIMITS = {"/graphql": 2 * MEBIBYTE, "/echanges/import": 33 * MEBIBYTE}


def _size_label(limit: int) -> str:
    return f"{limit // MEBIBYTE} Mo" if limit >= MEBIBYTE else f"{limit // 1024} ko"


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        error_page: ErrorPage,
        default: int = DEFAULT_LIMIT,
        paths: Mapping[str, int] = PATH_LIMITS,
    ) -> None:
        self.app = app
        self.error_page = error_page
        self.default = default
        self.paths = paths

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = answer(
            Request(scope),
            413,
            "PAYLOAD_TOO_LARGE",
            "Envoi trop volumineux",
            f"La requête dépasse la taille maximale acceptée ({_size_label(limit)}).",
            self.error_page,
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server refuses a malformed length itself
            if too_large:
                await self._refuse(scope, receive, send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, send_noting_start)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

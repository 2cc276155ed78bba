"""Refuses a NUL character (U+0000) in a query string, a form or a JSON body, naming the field.

PostgreSQL cannot store or compare it: a search or a login carrying one would
fail deep in a statement. GraphQL documents are checked by the schema
(``api.schema.text_input``), which names the variable. Bodies are read whole
here, which the body limit (``portals.common.body_limit``, outside this middleware)
keeps small; multipart uploads are left to their handlers. Lives in
``portals.common`` so that the families portal can use it too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portals.common.failures import ErrorPage, answer

NUL = "\x00"
CHECKED_BODIES = ("application/x-www-form-urlencoded", "application/json")
NUL_MARKERS = (b"\x00", b"%00", b"\\u0000")


def _in_pairs(pairs: list[tuple[str, str]]) -> str | None:
    for name, value in pairs:
        if NUL in name or NUL in value:
            return name.replace(NUL, "") or "?"
    return None


def _in_json(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if NUL in value else None
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        name = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and NUL in key:
            return where or "?"
        found = _in_json(item, name)
        if found:
            return found
    return None


def nul_field(content_type: str, body: bytes) -> str | None:
    """The field of a form or JSON body holding a NUL character, if any."""
    # Every POST passes here: parse only a body that can hold a NUL at all (raw, percent- or
    # JSON-escaped), so the handler stays the only one to decode the usual body.
    if not any(marker in body for marker in NUL_MARKERS):
        return None
    text = body.decode("utf-8", errors="replace")
    if content_type.startswith("application/json"):
        try:
            return _in_json(json.loads(text), "")
        except ValueError:
            return None  # the handler answers malformed JSON itself
    return _in_pairs(parse_qsl(text, keep_blank_values=True))


class RefuseNulCharacters:
    def __init__(self, app: ASGIApp, *, error_page: ErrorPage) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        field = _in_pairs(parse_qsl(query, keep_blank_values=True)) if "%00" in query else None
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if (
            field is None
            and content_type.startswith(CHECKED_BODIES)
            and scope["path"] != "/graphql"
        ):
            body, more = b"", True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                more = message.get("more_body", False)
            field = nul_field(content_type, body)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            receive = replay
        if field is None:
            await self.app(scope, receive, send)
            return
        response = answer(
            Request(scope),
            400,
            "BAD_USER_INPUT",
            "Saisie refusée",
            f"Le champ « {field} » contient un caractère nul (U+0000), qui n'est pas accepté.",
            self.error_page,
            {"field": field},
        )
        await response(scope, receive, send)

"""The HTTP access log of both apps: method, path, status and duration, never the query.

Query strings carry what must not be logged: a searched name or INE
(``/eleves?nom=...``), the families' confirmation and reset tokens
(``?jeton=...``). uvicorn's access log writes them whole, so the apps are
served with it off and log here instead. Nor is the client's address
written: it is personal data, and the throttling tables keep what
protection needs. Lives in ``portals.common`` so that the families portal can
use it too.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("sconet.access")


class AccessLog:
    """One INFO line per HTTP request, once it is answered (or failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            logger.info(
                '"%s %s" %d %.0f ms',
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - began) * 1000,
            )

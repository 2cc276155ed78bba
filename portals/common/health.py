"""``/sante`` of both apps: 200 when every database the app uses answers, else 503.

A load balancer takes an instance out on 503. The answer names nothing
internal; the reason goes to the log. Lives in ``portals.common`` so that the
families portal can use it too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from databases.engines import check_database

logger = logging.getLogger("sconet.health")


def health_endpoint(
    engines_of: Callable[[Request], list[AsyncEngine]],
) -> Callable[[Request], Awaitable[Response]]:
    async def health(request: Request) -> Response:
        for engine in engines_of(request):
            try:
                await check_database(engine)
            except Exception as exc:
                logger.warning("health check: a database does not answer (%s)", type(exc).__name__)
                return PlainTextResponse(
                    "indisponible", status_code=503, headers={"Cache-Control": "no-store"}
                )
        return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})

    return health

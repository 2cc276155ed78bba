"""``/sante`` of both apps: 200 when every database the app uses answers, else 503.

A load balancer takes an instance out on 503. The answer names nothing
internal; the reason goes to the log (``databases.engines.reachable``). Lives in
``portals.common`` so that the families portal can use it too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response


def health_endpoint(
    databases_answer: Callable[[Request], Awaitable[bool]],
) -> Callable[[Request], Awaitable[Response]]:
    """``databases_answer(request)``: whether every database of the request's app answers."""

    async def health(request: Request) -> Response:
        if not await databases_answer(request):
            return PlainTextResponse(
                "indisponible", status_code=503, headers={"Cache-Control": "no-store"}
            )
        return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})

    return health

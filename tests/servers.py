"""Starting a uvicorn server inside a test's event loop, within a bound.

uvicorn only offers the ``started`` flag; a server that cannot bind or hangs in
start-up must fail the test with a clear message, not hang the run.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import pytest

START_WITHIN_SECONDS = 10.0


class Startable(Protocol):
    started: bool


async def start_within(
    server: Startable, serving: asyncio.Task[Any], seconds: float = START_WITHIN_SECONDS
) -> None:
    """Returns once ``server`` has started; fails the test after ``seconds`` or if it stopped."""

    async def started() -> None:
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn only offers the flag)
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(started(), timeout=seconds)
    except TimeoutError:
        pytest.fail(f"the test server did not start within {seconds} s")
    if not server.started:
        pytest.fail("the test server stopped before it started (port taken, or start-up error)")

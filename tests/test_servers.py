"""Waiting for a test server is bounded: a server that never starts fails the test quickly."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest

from tests.servers import start_within


@dataclass
class NeverStarting:
    started: bool = False


async def test_a_server_that_never_starts_fails_the_test_within_the_bound():
    hanging = asyncio.create_task(asyncio.Event().wait())
    began = time.monotonic()
    try:
        with pytest.raises(pytest.fail.Exception, match=r"did not start within 0\.2 s"):
            await start_within(NeverStarting(), hanging, seconds=0.2)
    finally:
        hanging.cancel()
    assert time.monotonic() - began < 5


async def test_a_server_that_stops_before_starting_fails_the_test_at_once():
    async def crash() -> None:
        raise OSError("address already in use")

    crashed = asyncio.create_task(crash())
    with pytest.raises(pytest.fail.Exception, match="stopped before it started"):
        await start_within(NeverStarting(), crashed, seconds=5)
    with pytest.raises(OSError):
        await crashed

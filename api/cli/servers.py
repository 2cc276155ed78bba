"""The two applications as uvicorn servers, built alike in ``sconet serve``'s own process and
in each of its worker processes (``api.cli.worker_processes``)."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from api.settings import Settings

if TYPE_CHECKING:
    import uvicorn

# The process id tells apart the lines of the worker processes, which share stderr.
LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(message)s"


@dataclass(frozen=True)
class Listening:
    """Where the two applications listen."""

    host: str
    port: int
    familles_port: int


def configure_logging() -> None:
    """The product's own logs (sconet.*: the access log, failures with their reference) on
    stderr; uvicorn configures only its own loggers."""
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT)
    logging.getLogger("sconet").setLevel(logging.INFO)


def tune_garbage_collection() -> None:
    """Once the applications are built, before the first request.

    Full garbage collections over the long-lived start-up objects (schema, mappers,
    templates) took ~100 ms inside requests and made p99 four times p50: freeze them out of
    collection and collect the young generation less often (measured: p99 121 ms -> 53 ms on
    a division list).
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def app_configs(
    settings: Settings, listening: Listening, graceful_shutdown: int | None = None
) -> list[uvicorn.Config]:
    """The staff portal with the API, then the families portal; ``graceful_shutdown`` bounds
    the wait for open requests when the server stops (None: no bound)."""
    import uvicorn

    from api.app import create_app
    from portals.familles.app import create_familles_app

    return [
        uvicorn.Config(
            app,
            host=listening.host,
            port=port,
            # The apps read X-Forwarded-For from SCONET_TRUSTED_PROXIES only.
            proxy_headers=False,
            # portals.common.access_log writes paths without their query (names, INE, tokens).
            access_log=False,
            timeout_graceful_shutdown=graceful_shutdown,
        )
        for app, port in (
            (create_app(settings), listening.port),
            (create_familles_app(settings), listening.familles_port),
        )
    ]

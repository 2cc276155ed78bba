"""HTTP routes of the OneRoster 1.2 CSV binding: the caller's roster as the specification's
zipped CSV files, for a client that prefers files to the REST service.

- ``GET /ims/oneroster/csv/v1p2/bulk.zip``: everything in the caller's reach (``bulk``);
- ``GET /ims/oneroster/csv/v1p2/delta.zip?since=2026-09-01T08:00:00Z``: what changed after
  that moment, removals as ``tobedeleted`` rows (``delta``).

The caller, his scopes and permissions, and the errors are those of the REST service
(``api.oneroster.routes``): the same records, read through the same domain. demographics.csv
is in the bundle when the caller may read demographics. The zip is built in a spooled
temporary file (in memory up to ``SPOOL_IN_MEMORY`` bytes, on disk beyond) and streamed;
the records themselves are the domain's lists, bounded by the caller's reach. Never cached.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from api.auth.principal import PermissionDenied
from api.auth.read_audit import record_access
from api.oneroster.csv_bundle import BundleRecords, Mode, bundle_records, parse_since, write_bundle
from api.oneroster.errors import NO_STORE, status_response
from api.oneroster.routes import caller_of
from api.resolvers.oneroster.reach import RosterScopeMissing
from api.services import services_of
from core.errors import ValidationFailed

CSV_BASE_PATH = "/ims/oneroster/csv/v1p2"
ZIP_TYPE = "application/zip"
SPOOL_IN_MEMORY = 8 * 1024 * 1024
CHUNK = 64 * 1024


def spooled_bundle(found: BundleRecords, mode: Mode) -> IO[bytes]:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (streamed, then closed)
    try:
        write_bundle(spool, found.records, mode=mode, system_name="SCONET", org_ids=found.org_ids)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


async def chunks(spool: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await run_in_threadpool(spool.read, CHUNK):
            yield chunk
    finally:
        spool.close()


async def serve_bundle(request: Request, mode: Mode) -> Response:
    principal = await caller_of(request)
    if isinstance(principal, Response):
        return principal
    since: datetime | None = None
    if mode is Mode.DELTA:
        raw = request.query_params.get("since")
        if raw is None:
            return status_response(
                400, "invalid_selection_field", "The since parameter is required."
            )
        try:
            since = parse_since(raw[:100])
        except ValidationFailed:
            return status_response(
                400,
                "invalid_selection_field",
                "since must be an ISO 8601 date-time with its time zone, e.g. 2026-09-01T08:00:00Z.",
            )
    try:
        async with services_of(request).sessionmaker() as session, session.begin():
            found = await bundle_records(session, principal, since=since, demographics=None)
            record_access(
                session,
                principal,
                "export",
                "oneroster_csv",
                None,
                None,
                {"mode": mode.value, "files": sorted(found.records)},
            )
    except (PermissionDenied, RosterScopeMissing):
        return status_response(
            403, "forbidden", "The scopes or permissions of the caller do not allow this."
        )
    spool = await run_in_threadpool(spooled_bundle, found, mode)
    return StreamingResponse(
        chunks(spool),
        media_type=ZIP_TYPE,
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="oneroster-{mode.value}.zip"',
        },
    )


async def bulk(request: Request) -> Response:
    return await serve_bundle(request, Mode.BULK)


async def delta(request: Request) -> Response:
    return await serve_bundle(request, Mode.DELTA)


def oneroster_csv_routes() -> list[BaseRoute]:
    return [
        Route(f"{CSV_BASE_PATH}/bulk.zip", bulk, methods=["GET"]),
        Route(f"{CSV_BASE_PATH}/delta.zip", delta, methods=["GET"]),
    ]

"""The record of every exchange file read or written (``ExchangeRun``): who, when, which
file (name, SHA-256, size), the counts and the refused records. Each import or export
records its run here, in its own transaction, so that the history ("Échanges") lists them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.principal import Principal
from core import clock
from db.exchanges import (
    ExchangeDirection,
    ExchangeFile,
    ExchangeFormat,
    ExchangeRun,
    ExchangeState,
)
from exchanges.records import RecordProblem

# A report keeps at most this many refused records (the counts say how many there were).
MAX_REPORTED = 1000


def problem_entry(problem: RecordProblem) -> dict[str, Any]:
    return {
        "line": problem.line,
        "element": problem.element,
        "id": problem.record_id,
        "field": problem.field,
        "message": problem.message,
    }


async def record_run(
    session: AsyncSession,
    principal: Principal,
    *,
    format: ExchangeFormat,
    direction: ExchangeDirection,
    state: ExchangeState,
    file_name: str,
    content: bytes,
    counts: dict[str, Any] | None = None,
    problems: Iterable[RecordProblem] = (),
    report: dict[str, Any] | None = None,
    school_id: int | None = None,
    school_year_id: int | None = None,
    keep_file: bool = False,
) -> ExchangeRun:
    """Record one exchange in the caller's transaction; ``keep_file`` keeps its bytes (an
    import between preview and application, an export to download again)."""
    refused = [problem_entry(p) for p in problems]
    run = ExchangeRun(
        academy_id=principal.academy_id,
        school_id=school_id,
        school_year_id=school_year_id,
        format=format,
        direction=direction,
        state=state,
        actor_id=principal.id if principal.kind == "staff" else None,
        actor_label=principal.label[:120],
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_size=len(content),
        started_at=clock.now(),
        finished_at=None if state is ExchangeState.PREVIEWED else clock.now(),
        counts=counts or {},
        error_count=len(refused),
        report={"refused": refused[:MAX_REPORTED]} | (report or {}),
    )
    session.add(run)
    await session.flush()
    if keep_file:
        session.add(ExchangeFile(run_id=run.id, content=content))
        await session.flush()
    return run

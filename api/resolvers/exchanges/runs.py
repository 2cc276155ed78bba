"""Exchanges: every national file read or written, recorded with its report (``ExchangeRun``).

An import is two steps. ``preview_import`` reads the file, checks that it belongs to the
school (UAJ) and to a school year of the académie, plans what would change and stores the
file with the plan's report in a *previewed* run: nothing else is written. ``apply_import``
reads the stored file again and plans again against the data as it is then (someone may have
edited a student since the preview), applies the plan in the caller's transaction and marks
the run *applied*: everything or nothing. A file refused as a whole (unreadable, another
school's, an unknown year) leaves a *refused* run, so that the history shows every attempt.

Each format is an ``ImportFormat``: how to read its file into records (``exchanges``), and the
domain's ``plan`` and ``apply`` for those records, with the permission they need.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from core import clock
from core.errors import NotFound, ValidationFailed
from db.exchanges import ExchangeDirection, ExchangeFile, ExchangeFormat, ExchangeRun, ExchangeState
from db.schools import School, SchoolYear
from exchanges.errors import ExchangeFileError
from exchanges.records import FileHeader, RecordProblem

# SIECLE's largest exports (a 3,000-student lycée with addresses) are a few megabytes; a zip
# is smaller still. The bound keeps an upload from filling the database.
MAX_FILE_BYTES = 32 * 1024 * 1024
# The report keeps every refusal but only the first changes: a first import of a school
# "changes" every record, and the counts say how many.
MAX_REPORTED_CHANGES = 2000


class ImportPlan(Protocol):
    """What the domain found in a file: the counts per kind of record (``{"students":
    {"created": 3, "updated": 1, "unchanged": 0, "refused": 1}}``), the refused records, and
    the changes (one dict per changed record: kind, id, label, fields before/after)."""

    @property
    def problems(self) -> Sequence[RecordProblem]: ...

    def counts(self) -> dict[str, dict[str, int]]: ...

    def changes(self) -> Iterable[dict[str, Any]]: ...


class FileReading(Protocol):
    """A file being read (``exchanges``' readers): its PARAMETRES, then its records and the
    records it could not read (``RecordProblem``), in file order; closed when done."""

    @property
    def header(self) -> FileHeader: ...

    def __iter__(self) -> Iterator[Any]: ...

    def close(self) -> None: ...


PlanFunction = Callable[
    [AsyncSession, Principal, School | None, SchoolYear | None, Iterable[Any]],
    Awaitable[ImportPlan],
]
ApplyFunction = Callable[[AsyncSession, Principal, ImportPlan], Awaitable[None]]
AcknowledgeFunction = Callable[
    [AsyncSession, Principal, "ExchangeRun", ImportPlan], Awaitable[object]
]


@dataclass(frozen=True)
class ImportFormat:
    format: ExchangeFormat
    label: str  # French, as the "Échanges" screen names it
    # Checked in the school the file belongs to (or académie-wide for académie files).
    permission: Permission
    # A school's file (its UAJ must be the school's); else an académie file.
    for_a_school: bool
    read: Callable[[bytes, str], FileReading]
    plan: PlanFunction
    apply: ApplyFunction
    # A file of a school year (ANNEE_SCOLAIRE), which must be open in the académie; else a
    # file of no year (the académie's list of schools).
    yearly: bool = True
    # Applied whole or not at all: a refused record stops it (structures refer to each
    # other), where the other formats leave the refused records out.
    all_or_nothing: bool = False
    # Formats that answer the file they read (the BEA's immatriculations get an accusé de
    # réception): run once the plan is applied, with the applied run.
    acknowledge: AcknowledgeFunction | None = None
    # Each record names its school (the académie's assignments): a record for another school
    # is refused alone, where a file of another school (its UAJ) is refused whole.
    school_per_record: bool = False

    def applicable(self, run: ExchangeRun) -> bool:
        """Whether a run of this format can be applied as it was previewed."""
        return run.state == ExchangeState.PREVIEWED and not (
            self.all_or_nothing and run.error_count
        )


# Filled by the modules that own each format (``register_import``), so that this module does
# not import every domain.
IMPORT_FORMATS: dict[ExchangeFormat, ImportFormat] = {}


def register_import(import_format: ImportFormat) -> ImportFormat:
    IMPORT_FORMATS[import_format.format] = import_format
    return import_format


def _import_format(format: ExchangeFormat) -> ImportFormat:
    try:
        return IMPORT_FORMATS[format]
    except KeyError:
        raise ValidationFailed.single(
            "format", "UNKNOWN_FORMAT", "Ce type de fichier ne peut pas être importé."
        ) from None


def _check_permission(principal: Principal, permission: Permission, school: School | None) -> None:
    granted = principal.permissions_in(school.id if school else None)
    if permission not in granted:
        raise PermissionDenied(permission)


async def _school(
    session: AsyncSession, principal: Principal, school_id: int | None
) -> School | None:
    if school_id is None:
        return None
    school = await session.get(School, school_id)
    if school is None or school.academy_id != principal.academy_id:
        raise NotFound("School", school_id)
    return school


async def _year_of(session: AsyncSession, principal: Principal, header: FileHeader) -> SchoolYear:
    if header.school_year is None:
        raise ExchangeFileError("Le fichier n'indique pas son année scolaire (ANNEE_SCOLAIRE).")
    year = await session.scalar(
        select(SchoolYear).where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.start_year == header.school_year,
        )
    )
    if year is None:
        raise ExchangeFileError(
            f"L'année scolaire {header.school_year}-{header.school_year + 1} du fichier "
            "n'est pas ouverte dans l'académie."
        )
    return year


def _check_owner(import_format: ImportFormat, school: School | None, header: FileHeader) -> None:
    if not import_format.for_a_school or import_format.school_per_record:
        return
    assert school is not None
    if (header.uai or "").strip().upper() != school.uai:
        raise ExchangeFileError(
            f"Ce fichier est celui de l'établissement {header.uai or '(UAJ absent)'}, "
            f"pas de {school.uai} : il est refusé en entier."
        )


def _new_run(
    principal: Principal,
    format: ExchangeFormat,
    direction: ExchangeDirection,
    school: School | None,
    file_name: str,
    content: bytes,
) -> ExchangeRun:
    return ExchangeRun(
        academy_id=principal.academy_id,
        school_id=school.id if school else None,
        format=format,
        direction=direction,
        state=ExchangeState.REFUSED,
        actor_id=principal.id if principal.kind == "staff" else None,
        actor_label=principal.label,
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        file_size=len(content),
        counts={},
        error_count=0,
        report={},
    )


@dataclass
class _Planned:
    year: SchoolYear | None
    header: FileHeader
    plan: ImportPlan
    # The records the reader could not read, before the domain's own refusals.
    unreadable: list[RecordProblem]

    @property
    def problems(self) -> list[RecordProblem]:
        return [*self.unreadable, *self.plan.problems]

    @property
    def school_year_id(self) -> int | None:
        """The file's year; for a file that names none, the year its plan is for when the
        plan says (``school_year_id``: the assignments are for the year in preparation)."""
        if self.year is not None:
            return self.year.id
        planned_year = getattr(self.plan, "school_year_id", None)
        return planned_year if isinstance(planned_year, int) else None


# ``progress(done, total)``: the bytes of the file read so far, of its size (None: unknown).
Progress = Callable[[int, int | None], None]


def _readable(
    reading: FileReading, unreadable: list[RecordProblem], progress: Progress | None
) -> Iterator[Any]:
    for count, item in enumerate(reading, start=1):
        if isinstance(item, RecordProblem):
            unreadable.append(item)
        else:
            yield item
        if progress is not None and count % 100 == 0:
            progress(getattr(reading, "bytes_read", 0), getattr(reading, "total_bytes", None))


async def _plan(
    session: AsyncSession,
    principal: Principal,
    import_format: ImportFormat,
    school: School | None,
    file_name: str,
    content: bytes,
    progress: Progress | None,
) -> _Planned:
    reading = import_format.read(content, file_name)
    try:
        header = reading.header
        _check_owner(import_format, school, header)
        year = await _year_of(session, principal, header) if import_format.yearly else None
        unreadable: list[RecordProblem] = []
        plan = await import_format.plan(
            session, principal, school, year, _readable(reading, unreadable, progress)
        )
    finally:
        reading.close()
    return _Planned(year, header, plan, unreadable)


def _report(planned: _Planned) -> dict[str, Any]:
    header = planned.header
    changes: list[dict[str, Any]] = []
    for change in planned.plan.changes():
        if len(changes) == MAX_REPORTED_CHANGES:
            break
        changes.append(change)
    return {
        "header": {
            "root": header.root,
            "version": header.version,
            "uai": header.uai,
            "school_year": header.school_year,
            "exported_on": header.exported_on.isoformat() if header.exported_on else None,
        },
        "problems": [asdict(p) for p in planned.problems],
        "changes": changes,
    }


@requires(Permission.EXCHANGES_READ)
async def preview_import(
    session: AsyncSession,
    principal: Principal,
    format: ExchangeFormat,
    school_id: int | None,
    file_name: str,
    content: bytes,
    progress: Progress | None = None,
) -> ExchangeRun:
    """Read and check a file, plan its changes, and keep it with its report for
    ``apply_import``. A file refused as a whole gives a *refused* run whose report says why.

    Whoever reaches the exchanges may try; what the file writes needs the format's own
    permission (``ImportFormat.permission``) in the school it is for."""
    run, _planned = await _previewed(
        session, principal, format, school_id, file_name, content, progress
    )
    return run


async def _previewed(
    session: AsyncSession,
    principal: Principal,
    format: ExchangeFormat,
    school_id: int | None,
    file_name: str,
    content: bytes,
    progress: Progress | None,
) -> tuple[ExchangeRun, _Planned | None]:
    import_format = _import_format(format)
    school = await _school(session, principal, school_id)
    if import_format.for_a_school and school is None:
        raise ValidationFailed.single("school_id", "REQUIRED", "Choisissez l'établissement.")
    _check_permission(principal, import_format.permission, school)
    run = _new_run(principal, format, ExchangeDirection.IMPORT, school, file_name, content)
    if len(content) > MAX_FILE_BYTES:
        too_big = ExchangeFileError(f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo.")
        return await _refused(session, run, too_big), None
    try:
        planned = await _plan(
            session, principal, import_format, school, file_name, content, progress
        )
    except ExchangeFileError as refusal:
        return await _refused(session, run, refusal), None
    await _abandon_previews(session, run)
    run.school_year_id = planned.school_year_id
    run.state = ExchangeState.PREVIEWED
    run.counts = planned.plan.counts()
    run.error_count = len(planned.problems)
    run.report = _report(planned)
    session.add(run)
    await session.flush()
    session.add(ExchangeFile(run_id=run.id, content=content))
    await session.flush()
    return run, planned


async def _refused(
    session: AsyncSession, run: ExchangeRun, refusal: ExchangeFileError
) -> ExchangeRun:
    run.state = ExchangeState.REFUSED
    run.finished_at = clock.now()
    run.error_count = 1
    run.report = {"refusal": {"message": refusal.message, "line": refusal.line}}
    session.add(run)
    await session.flush()
    return run


async def _abandon_previews(session: AsyncSession, run: ExchangeRun) -> None:
    """A new preview of the same format for the same school replaces the older ones."""
    stale = select(ExchangeRun.id).where(
        ExchangeRun.academy_id == run.academy_id,
        ExchangeRun.school_id.is_(None)
        if run.school_id is None
        else ExchangeRun.school_id == run.school_id,
        ExchangeRun.format == run.format,
        ExchangeRun.state == ExchangeState.PREVIEWED,
    )
    stale_ids = list(await session.scalars(stale))
    if not stale_ids:
        return
    await session.execute(
        update(ExchangeRun)
        .where(ExchangeRun.id.in_(stale_ids))
        .values(state=ExchangeState.ABANDONED, finished_at=clock.now())
    )
    await session.execute(delete(ExchangeFile).where(ExchangeFile.run_id.in_(stale_ids)))


@requires(Permission.EXCHANGES_READ)
async def apply_import(
    session: AsyncSession,
    principal: Principal,
    run_id: int,
    progress: Progress | None = None,
) -> ExchangeRun:
    """Apply a previewed import: read its file again, plan again, apply, in the caller's
    transaction."""
    run = await get_run(session, principal, run_id)
    if run.direction != ExchangeDirection.IMPORT or run.state != ExchangeState.PREVIEWED:
        raise ValidationFailed.single(
            "run_id", "NOT_PREVIEWED", "Cet import n'est pas (ou plus) en attente d'application."
        )
    import_format = _import_format(run.format)
    school = await _school(session, principal, run.school_id)
    _check_permission(principal, import_format.permission, school)
    stored = await session.get(ExchangeFile, run.id)
    if stored is None:
        raise NotFound("ExchangeFile", run.id)
    try:
        planned = await _plan(
            session, principal, import_format, school, run.file_name, stored.content, progress
        )
    except ExchangeFileError as refusal:
        # The file was read at preview: only a change of the académie (its year closed)
        # refuses it now.
        raise ValidationFailed.single("run_id", "REFUSED", refusal.message) from None
    return await _applied(session, principal, run, import_format, planned)


async def _applied(
    session: AsyncSession,
    principal: Principal,
    run: ExchangeRun,
    import_format: ImportFormat,
    planned: _Planned,
) -> ExchangeRun:
    await import_format.apply(session, principal, planned.plan)
    stored = await session.get(ExchangeFile, run.id)
    run.state = ExchangeState.APPLIED
    run.finished_at = clock.now()
    run.counts = planned.plan.counts()
    run.error_count = len(planned.problems)
    run.report = _report(planned)
    if stored is not None:
        await session.delete(stored)
    await session.flush()
    if import_format.acknowledge is not None:
        await import_format.acknowledge(session, principal, run, planned.plan)
    return run


@requires(Permission.EXCHANGES_READ)
async def import_file(
    session: AsyncSession,
    principal: Principal,
    format: ExchangeFormat,
    school_id: int | None,
    file_name: str,
    content: bytes,
    progress: Progress | None = None,
) -> ExchangeRun:
    """Preview and apply at once (the CLI's ``--apply``); a refused file is not applied. The
    preview's plan is applied as it is: nothing can change between the two in one
    transaction, so the file is read and planned once."""
    run, planned = await _previewed(
        session, principal, format, school_id, file_name, content, progress
    )
    if planned is None:
        return run
    return await _applied(session, principal, run, _import_format(format), planned)


@requires(Permission.EXCHANGES_READ)
async def record_export(
    session: AsyncSession,
    principal: Principal,
    format: ExchangeFormat,
    school: School | None,
    year: SchoolYear | None,
    file_name: str,
    content: bytes,
    counts: dict[str, dict[str, int]],
) -> ExchangeRun:
    """Record a written file, and keep it so that it can be downloaded again."""
    run = _new_run(principal, format, ExchangeDirection.EXPORT, school, file_name, content)
    run.state = ExchangeState.WRITTEN
    run.school_year_id = year.id if year else None
    run.finished_at = clock.now()
    run.counts = counts
    session.add(run)
    await session.flush()
    session.add(ExchangeFile(run_id=run.id, content=content))
    await session.flush()
    return run


def _history_permission(run_school_id: int | None, principal: Principal) -> bool:
    return Permission.EXCHANGES_READ in principal.permissions_in(run_school_id)


@requires(Permission.EXCHANGES_READ)
async def get_run(session: AsyncSession, principal: Principal, run_id: int) -> ExchangeRun:
    run = await session.get(ExchangeRun, run_id)
    if (
        run is None
        or run.academy_id != principal.academy_id
        or not _history_permission(run.school_id, principal)
    ):
        raise NotFound("ExchangeRun", run_id)
    return run


@requires(Permission.EXCHANGES_READ)
async def exchange_history(
    session: AsyncSession, principal: Principal, school_id: int | None, limit: int = 100
) -> list[ExchangeRun]:
    """The school's imports and exports, newest first (the académie's own files when
    ``school_id`` is empty)."""
    if not _history_permission(school_id, principal):
        raise NotFound("School", school_id)
    rows = await session.scalars(
        select(ExchangeRun)
        .where(
            ExchangeRun.academy_id == principal.academy_id,
            ExchangeRun.school_id.is_(None)
            if school_id is None
            else ExchangeRun.school_id == school_id,
        )
        .order_by(ExchangeRun.started_at.desc(), ExchangeRun.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    return list(rows)


@requires(Permission.EXCHANGES_READ)
async def stored_file(
    session: AsyncSession, principal: Principal, run_id: int
) -> tuple[str, bytes]:
    """The file of an export (or of an import still waiting), to download again."""
    run = await get_run(session, principal, run_id)
    stored = await session.get(ExchangeFile, run.id)
    if stored is None:
        raise NotFound("ExchangeFile", run_id)
    return run.file_name, stored.content

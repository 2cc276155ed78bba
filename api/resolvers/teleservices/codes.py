"""Activation codes (CAR and CAE): mass generation over a population, individual management
with the history, showing a code again.

The rules of SCONET Télé-services (seed 003, sections 1.2, 4.3 and 4.4):

- a CAR belongs to a (student, legal guardian 1 or 2) pair of a school, a CAE to a student;
- a pair, or a student, has one valid code at a time: a new one invalidates the previous one;
- mass generation creates codes only for those without a valid code, and never touches a
  code that was notified; an access given but not yet notified may be withdrawn there (its
  code is invalidated); once notified, only the individual screen changes it;
- a code is usable by the family once a replication has carried it (``availability`` tells when).
"""

from __future__ import annotations

import asyncio
import enum
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.auth.sealing import Sealer
from api.resolvers.addresses import one_line
from api.resolvers.teleservices.services import open_services
from core import clock
from core.errors import NotFound, ValidationFailed
from db.addresses import Address
from db.audit import set_actor
from db.enrollments import Enrollment
from db.guardians import Guardian, GuardianLink
from db.schools import School, current_year_id_of
from db.structures import Division
from db.students import Student
from db.teleservices import ActivationCode, CodeKind
from tsdb.activation_codes import hash_code, lookup_key, new_code

LEGAL_RANKS = (1, 2)


def code_sealer(secret_key: str) -> Sealer:
    return Sealer(secret_key, "activation-codes")


class AccessFilter(enum.StrEnum):
    """The seed's "Accès" filter of the mass screens."""

    GIVEN = "given"
    NOT_GIVEN = "not_given"
    ALL = "all"


@dataclass
class Population:
    """All the school's current students, those of a MEF, or those of a division."""

    school_id: int
    mef_id: int | None = None
    division_id: int | None = None
    # One student only (the individual screens).
    student_id: int | None = None


@dataclass
class AccessLine:
    """A student (CAE) or a (student, guardian) pair (CAR) with its valid code, if any."""

    student_id: int
    student_name: str
    division_code: str | None
    guardian_id: int | None
    guardian_name: str | None
    legal_rank: int | None
    address: str | None
    email: str | None
    code: ActivationCode | None
    division_id: int | None = None

    @property
    def locked(self) -> bool:
        """A notified valid code: mass screens leave it alone."""
        return self.code is not None and self.code.notified_at is not None


async def _school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await get_in_reach(
        session, principal, Permission.TELESERVICES_MANAGE, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return school


def _today_enrolment(population: Population, on: date) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        Enrollment.school_id == population.school_id,
        # This year's enrolment: last year's, kept for the history, would count twice.
        Enrollment.school_year_id == current_year_id_of(population.school_id),
        Enrollment.entry_date <= on,
        or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= on),
    ]
    if population.mef_id is not None:
        clauses.append(Enrollment.mef_id == population.mef_id)
    if population.division_id is not None:
        clauses.append(Enrollment.division_id == population.division_id)
    if population.student_id is not None:
        clauses.append(Enrollment.student_id == population.student_id)
    return clauses


def _accesses_query(kind: CodeKind, population: Population, access: AccessFilter, on: date) -> Any:
    """The population's students (CAE) or pairs with legal guardians 1 and 2 (CAR), with their
    valid code if any, filtered by access, unordered."""
    valid = and_(
        ActivationCode.student_id == Student.id,
        ActivationCode.school_id == population.school_id,
        ActivationCode.kind == kind,
        ActivationCode.is_valid.is_(True),
    )
    query: Any
    if kind is CodeKind.CAR:
        query = (
            select(Student, Division, Guardian, GuardianLink.legal_rank, ActivationCode, Address)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .join(GuardianLink, GuardianLink.student_id == Student.id)
            .join(Guardian, Guardian.id == GuardianLink.guardian_id)
            .outerjoin(Address, Address.id == Guardian.address_id)
            .outerjoin(ActivationCode, and_(valid, ActivationCode.guardian_id == Guardian.id))
            .where(*_today_enrolment(population, on), GuardianLink.legal_rank.in_(LEGAL_RANKS))
        )
    else:
        query = (
            select(Student, Division, ActivationCode)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .outerjoin(ActivationCode, valid)
            .where(*_today_enrolment(population, on))
        )
    if access is AccessFilter.GIVEN:
        query = query.where(ActivationCode.id.is_not(None))
    elif access is AccessFilter.NOT_GIVEN:
        query = query.where(ActivationCode.id.is_(None))
    return query


def _by_name(kind: CodeKind) -> list[Any]:
    ranks = [GuardianLink.legal_rank] if kind is CodeKind.CAR else []
    return [Student.search_name, Student.id, *ranks]


def _lines(kind: CodeKind, rows: Iterable[Any]) -> list[AccessLine]:
    lines = []
    for row in rows:
        if kind is CodeKind.CAR:
            student, division, guardian, rank, code, address = row
        else:
            student, division, code = row
            guardian, rank, address = None, None, None
        lines.append(
            AccessLine(
                student_id=student.id,
                student_name=f"{student.family_name} {student.first_name}",
                division_code=division.code if division else None,
                guardian_id=guardian.id if guardian else None,
                guardian_name=f"{guardian.family_name} {guardian.first_name}" if guardian else None,
                legal_rank=rank,
                address=one_line(address),
                email=guardian.email if guardian else None,
                code=code,
                division_id=division.id if division else None,
            )
        )
    return lines


@requires(Permission.TELESERVICES_MANAGE)
async def list_accesses(
    session: AsyncSession,
    principal: Principal,
    kind: CodeKind,
    population: Population,
    access: AccessFilter = AccessFilter.ALL,
    on: date | None = None,
) -> list[AccessLine]:
    """The population's students (CAE) or pairs with legal guardians 1 and 2 (CAR), by name."""
    await _school(session, principal, population.school_id)
    query = _accesses_query(kind, population, access, on or clock.today())
    return _lines(kind, await session.execute(query.order_by(*_by_name(kind))))


ACCESSES_PER_PAGE = 50


@dataclass(frozen=True)
class AccessPage:
    """One page of a mass screen, by division then name, and how many lines in all."""

    lines: list[AccessLine]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@requires(Permission.TELESERVICES_MANAGE)
async def access_page(
    session: AsyncSession,
    principal: Principal,
    kind: CodeKind,
    population: Population,
    access: AccessFilter = AccessFilter.ALL,
    number: int = 1,
    size: int = ACCESSES_PER_PAGE,
) -> AccessPage:
    """A page of ``list_accesses``: a school has about 1,300 guardians, too many for a page.
    A page past the last one shows the last one."""
    await _school(session, principal, population.school_id)
    query = _accesses_query(kind, population, access, clock.today())
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    number = min(max(1, number), max(1, -(-total // size)))
    ordered = query.order_by(Division.code.is_(None), Division.code, *_by_name(kind))
    rows = await session.execute(ordered.limit(size).offset((number - 1) * size))
    return AccessPage(_lines(kind, rows), total, number, size)


async def _new_code_rows(
    principal: Principal,
    sealer: Sealer,
    kind: CodeKind,
    school_id: int,
    holders: list[tuple[int, int | None]],
) -> list[ActivationCode]:
    """Codes for (student, guardian) holders. Their argon2 hashes, the slow part, are computed
    on every core, away from the event loop (argon2 releases the GIL)."""
    codes = [new_code() for _ in holders]
    hashes = await asyncio.to_thread(_hash_all, codes)
    return [
        ActivationCode(
            kind=kind,
            school_id=school_id,
            student_id=student_id,
            guardian_id=guardian_id,
            sealed_code=sealer.seal(code),
            code_hash=code_hash,
            lookup=lookup_key(code),
            is_valid=True,
            created_by_label=principal.label,
        )
        for (student_id, guardian_id), code, code_hash in zip(holders, codes, hashes, strict=True)
    ]


def _hash_all(codes: list[str]) -> list[str]:
    if len(codes) < 4:
        return [hash_code(code) for code in codes]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(hash_code, codes))


@dataclass(frozen=True)
class GenerationReport:
    created: int
    already_given: int
    locked: int


@requires(Permission.TELESERVICES_MANAGE)
async def generate_codes(
    session: AsyncSession,
    principal: Principal,
    kind: CodeKind,
    population: Population,
    secret_key: str,
    chosen: Iterable[tuple[int, int | None]] | None = None,
) -> GenerationReport:
    """Give a code to every line of the population without one (or to the ``chosen``
    (student, guardian) lines only); lines with a code keep it. The school must have opened
    a télé-service first."""
    lines = await list_accesses(session, principal, kind, population)
    if not await open_services(session, population.school_id):
        raise ValidationFailed.single(
            "service",
            "TELESERVICES_CLOSED",
            "Ouvrez au moins un télé-service avant de créer des codes d'activation.",
        )
    wanted = None if chosen is None else set(chosen)
    already = locked = 0
    holders: list[tuple[int, int | None]] = []
    for line in lines:
        if wanted is not None and (line.student_id, line.guardian_id) not in wanted:
            continue
        if line.code is not None:
            locked += line.locked
            already += not line.locked
            continue
        holders.append((line.student_id, line.guardian_id))
    rows = await _new_code_rows(
        principal, code_sealer(secret_key), kind, population.school_id, holders
    )
    session.add_all(rows)
    await session.flush()
    return GenerationReport(created=len(rows), already_given=already, locked=locked)


@requires(Permission.TELESERVICES_MANAGE)
async def withdraw_unnotified(
    session: AsyncSession,
    principal: Principal,
    kind: CodeKind,
    school_id: int,
    pairs: Iterable[tuple[int, int | None]],
) -> int:
    """Take back accesses given but not yet notified (mass screen): their codes are invalidated.
    A notified code is left alone (the individual screen manages it)."""
    await _school(session, principal, school_id)
    withdrawn = 0
    now = clock.now()
    for student_id, guardian_id in pairs:
        code = await session.scalar(
            select(ActivationCode).where(
                ActivationCode.school_id == school_id,
                ActivationCode.kind == kind,
                ActivationCode.student_id == student_id,
                ActivationCode.guardian_id.is_(None)
                if guardian_id is None
                else ActivationCode.guardian_id == guardian_id,
                ActivationCode.is_valid.is_(True),
                ActivationCode.notified_at.is_(None),
            )
        )
        if code is not None:
            code.is_valid, code.invalidated_at = False, now
            withdrawn += 1
    await session.flush()
    return withdrawn


@dataclass(frozen=True)
class CodeView:
    """A code of the history, readable (staff show and re-send codes)."""

    row: ActivationCode
    code: str


async def _holder(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    student_id: int,
    guardian_id: int | None,
) -> CodeKind:
    """The code holder must be a student of the school today, as the mass screens count them
    (and a legal guardian of his): last year's enrolment, even left open, says nothing."""
    enrolled = await session.scalar(
        select(Enrollment.id)
        .where(*_today_enrolment(Population(school_id, student_id=student_id), clock.today()))
        .limit(1)
    )
    if enrolled is None:
        raise NotFound("Student", student_id)
    if guardian_id is None:
        return CodeKind.CAE
    rank = await session.scalar(
        select(GuardianLink.legal_rank).where(
            GuardianLink.student_id == student_id, GuardianLink.guardian_id == guardian_id
        )
    )
    if rank not in LEGAL_RANKS:
        raise ValidationFailed.single(
            "guardianId",
            "NOT_LEGAL_GUARDIAN",
            "Seuls les responsables légaux 1 et 2 reçoivent un code d'activation.",
        )
    return CodeKind.CAR


def _holder_clause(
    school_id: int, student_id: int, guardian_id: int | None
) -> list[ColumnElement[bool]]:
    return [
        ActivationCode.school_id == school_id,
        ActivationCode.student_id == student_id,
        ActivationCode.kind == (CodeKind.CAE if guardian_id is None else CodeKind.CAR),
        ActivationCode.guardian_id.is_(None)
        if guardian_id is None
        else ActivationCode.guardian_id == guardian_id,
    ]


@requires(Permission.TELESERVICES_MANAGE)
async def code_history(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    student_id: int,
    guardian_id: int | None,
    secret_key: str,
) -> list[CodeView]:
    """Every code of a pair (CAR) or a student (CAE), the valid one first, then newest first."""
    await _school(session, principal, school_id)
    await _holder(session, principal, school_id, student_id, guardian_id)
    sealer = code_sealer(secret_key)
    rows = await session.scalars(
        select(ActivationCode)
        .where(*_holder_clause(school_id, student_id, guardian_id))
        .order_by(
            ActivationCode.is_valid.desc(),
            ActivationCode.created_at.desc(),
            ActivationCode.id.desc(),
        )
    )
    return [CodeView(row, sealer.open(row.sealed_code)) for row in rows]


@requires(Permission.TELESERVICES_MANAGE)
async def regenerate_code(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    student_id: int,
    guardian_id: int | None,
    secret_key: str,
) -> ActivationCode:
    """A new valid code for the pair or the student; the previous valid one is invalidated,
    notified or not (the family lost it, or asked for a new one)."""
    await _school(session, principal, school_id)
    kind = await _holder(session, principal, school_id, student_id, guardian_id)
    await _invalidate(session, school_id, student_id, guardian_id)
    [code] = await _new_code_rows(
        principal, code_sealer(secret_key), kind, school_id, [(student_id, guardian_id)]
    )
    session.add(code)
    await session.flush()
    return code


async def _invalidate(
    session: AsyncSession, school_id: int, student_id: int, guardian_id: int | None
) -> int:
    """Invalidate the holder's valid code (through the ORM, so that the audit log has it)."""
    now = clock.now()
    codes = list(
        await session.scalars(
            select(ActivationCode)
            .where(
                *_holder_clause(school_id, student_id, guardian_id),
                ActivationCode.is_valid.is_(True),
            )
            .with_for_update()
        )
    )
    for code in codes:
        code.is_valid, code.invalidated_at = False, now
    # Flushed now: the new valid code must not meet the old one in the unique index.
    await session.flush()
    return len(codes)


@requires(Permission.TELESERVICES_MANAGE)
async def revoke_access(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    student_id: int,
    guardian_id: int | None,
) -> int:
    """Take the access away (the holder refused the télé-services): the valid code is
    invalidated and the account opened with it no longer reaches the child."""
    await _school(session, principal, school_id)
    await _holder(session, principal, school_id, student_id, guardian_id)
    invalidated = await _invalidate(session, school_id, student_id, guardian_id)
    if not invalidated:
        raise ValidationFailed.single(
            "studentId", "NO_VALID_CODE", "Aucun code valide : l'accès est déjà fermé."
        )
    return invalidated

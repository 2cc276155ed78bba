"""The régime of an enrolment over time: a change from a day on (a régime period), and the
pieces of a term each régime covers, which the term's charges are computed from.

An enrolment has its own régime (``Enrollment.regime_code``, else the code of its kind)
until its first period; each period holds from its day until the next one or the exit.
The exit date is the last day the student is enrolled (as the headcounts at a date read
it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.reach import school_in_reach, year_of_academy
from api.resolvers.finances.tariffs import regime_kinds
from api.resolvers.schools import check_year_writable
from core import clock
from core.errors import FieldError, NotFound, ValidationFailed
from db.audit import set_actor
from db.enrollments import REGIME_CODES, Enrollment, Regime
from db.finances import RegimePeriod
from db.schools import School, SchoolYear
from db.structures import Division
from db.students import Student, search_key

# Interne externé, interne hébergé, DP hors de l'établissement: another school feeds or
# lodges the student (hébergement croisé), which must be named.
HOSTED_CODES = frozenset({"4", "5", "6"})
MAX_PAGE = 100
SEARCH_MAX = 80


@dataclass
class RegimePiece:
    """Days ``first``..``last`` (both included) under one régime, fed or lodged by
    ``host_school_id`` (None: the enrolment's own school)."""

    first: date
    last: date
    regime_code: str
    host_school_id: int | None


def own_code(enrollment: Enrollment) -> str:
    return enrollment.regime_code or REGIME_CODES[enrollment.regime]


def pieces_in_term(
    entry_date: date,
    exit_date: date | None,
    own_regime_code: str,
    periods: Sequence[tuple[date, str, int | None]],
    term_first: date,
    term_last: date,
) -> list[RegimePiece]:
    """The enrolment's days within the term, cut where its régime changes: pieces in order,
    none when it does not meet the term. ``periods``: (effective_on, code, host school)."""
    first = max(entry_date, term_first)
    last = min(exit_date or term_last, term_last)
    if last < first:
        return []
    changes = sorted(periods, key=lambda p: p[0])
    # The régime in force on ``first``: the last period begun by then, else the own one.
    code, host = own_regime_code, None
    for effective_on, period_code, period_host in changes:
        if effective_on <= first:
            code, host = period_code, period_host
    pieces: list[RegimePiece] = []
    start = first
    for effective_on, period_code, period_host in changes:
        if effective_on <= first or effective_on > last:
            continue
        pieces.append(RegimePiece(start, effective_on - timedelta(days=1), code, host))
        start, code, host = effective_on, period_code, period_host
    pieces.append(RegimePiece(start, last, code, host))
    return pieces


async def _enrollment_in_reach(
    session: AsyncSession, principal: Principal, enrollment_id: int, permission: Permission
) -> Enrollment:
    enrollment = await session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound("Enrollment", enrollment_id)
    try:
        await school_in_reach(session, principal, enrollment.school_id, permission)
    except NotFound:
        raise NotFound("Enrollment", enrollment_id) from None
    return enrollment


@requires(Permission.FINANCES_READ)
async def regime_periods(
    session: AsyncSession, principal: Principal, enrollment_id: int
) -> list[RegimePeriod]:
    """The enrolment's régime changes, in order."""
    enrollment = await _enrollment_in_reach(
        session, principal, enrollment_id, Permission.FINANCES_READ
    )
    return list(
        await session.scalars(
            select(RegimePeriod)
            .where(RegimePeriod.enrollment_id == enrollment.id)
            .order_by(RegimePeriod.effective_on)
        )
    )


@requires(Permission.FINANCES_MANAGE)
async def record_regime_change(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: int,
    effective_on: date,
    regime_code: str,
    host_school_id: int | None = None,
) -> RegimePeriod:
    """The enrolment's régime from ``effective_on`` on (a change recorded the same day
    replaces it). Hébergement croisé names the school of the académie that feeds or lodges
    him: codes 4, 5 and 6 require it. When the day has come, the enrolment's régime follows
    (a change announced for later leaves it until then; the charges read the periods)."""
    enrollment = await _enrollment_in_reach(
        session, principal, enrollment_id, Permission.FINANCES_MANAGE
    )
    year = await session.get(SchoolYear, enrollment.school_year_id)
    assert year is not None
    await check_year_writable(session, enrollment.school_id, year, "enrollment_id")
    kinds = await regime_kinds(session, year.start_year)
    code = (regime_code or "").strip()
    errors: list[FieldError] = []
    if code not in kinds:
        errors.append(
            FieldError("regime_code", "UNKNOWN", "Régime : choisissez un code de la nomenclature.")
        )
    last_day = enrollment.exit_date or year.ends_on
    if not enrollment.entry_date <= effective_on <= last_day:
        errors.append(
            FieldError(
                "effective_on",
                "OUTSIDE_ENROLLMENT",
                f"Date d'effet : entre le {enrollment.entry_date:%d/%m/%Y} et le "
                f"{last_day:%d/%m/%Y}.",
            )
        )
    if host_school_id is not None:
        host = await session.get(School, host_school_id)
        if (
            host is None
            or host.academy_id != principal.academy_id
            or host.id == enrollment.school_id
        ):
            errors.append(
                FieldError(
                    "host_school_id",
                    "NOT_FOUND",
                    "Établissement d'accueil : un autre établissement de l'académie.",
                )
            )
    elif code in HOSTED_CODES:
        errors.append(
            FieldError(
                "host_school_id",
                "REQUIRED",
                "Établissement d'accueil : obligatoire pour un élève hébergé ou nourri par un "
                "autre établissement.",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    set_actor(session.sync_session, principal.audit_actor(enrollment.school_id))
    return await write_regime_change(
        session,
        enrollment,
        effective_on,
        code,
        Regime(kinds[code][0]),
        host_school_id,
        principal.label,
    )


async def write_regime_change(
    session: AsyncSession,
    enrollment: Enrollment,
    effective_on: date,
    regime_code: str,
    kind: Regime,
    host_school_id: int | None,
    actor_label: str,
) -> RegimePeriod:
    """Write a régime change its command has checked (the bursar's ``record_regime_change``,
    the registrar's ``enrollments.change_regime``), with the audit actor set: a period from
    ``effective_on`` (replacing one of the same day), the régime before it kept as a period
    from the entry, and the enrolment's régime following when the day has come (or when
    the change is from its entry: its own régime)."""
    first_period = await session.scalar(
        select(RegimePeriod.effective_on)
        .where(RegimePeriod.enrollment_id == enrollment.id)
        .order_by(RegimePeriod.effective_on)
        .limit(1)
    )
    if effective_on > enrollment.entry_date and (
        first_period is None or first_period > enrollment.entry_date
    ):
        # The enrolment's régime is about to follow the change: its régime until then is
        # kept as a period from the entry, so that the days before the change keep it.
        session.add(
            RegimePeriod(
                enrollment_id=enrollment.id,
                effective_on=enrollment.entry_date,
                regime_code=own_code(enrollment),
                host_school_id=None,
                recorded_at=clock.now(),
                actor_label=actor_label,
            )
        )
    period = await session.scalar(
        select(RegimePeriod).where(
            RegimePeriod.enrollment_id == enrollment.id,
            RegimePeriod.effective_on == effective_on,
        )
    )
    if period is None:
        period = RegimePeriod(enrollment_id=enrollment.id, effective_on=effective_on)
        session.add(period)
    period.regime_code = regime_code
    period.host_school_id = host_school_id
    period.recorded_at = clock.now()
    period.actor_label = actor_label
    if effective_on <= max(clock.today(), enrollment.entry_date):
        latest = await session.scalar(
            select(RegimePeriod.effective_on)
            .where(
                RegimePeriod.enrollment_id == enrollment.id,
                RegimePeriod.effective_on > effective_on,
                RegimePeriod.effective_on <= clock.today(),
            )
            .limit(1)
        )
        # A later change already in force keeps the enrolment's régime as it is.
        if latest is None:
            enrollment.regime = kind
            enrollment.regime_code = regime_code
    await session.flush()
    return period


def period_rows(periods: Sequence[Any]) -> list[tuple[date, str, int | None]]:
    return [(p.effective_on, p.regime_code, p.host_school_id) for p in periods]


@dataclass
class RegimeEnrollment:
    """An enrolment as the bursar finds it: its student, division and the régime in force
    today (and where he is fed or lodged when another school does it), with the change
    announced for later, if any."""

    enrollment_id: int
    student_id: int
    student_name: str
    division_code: str | None
    regime_code: str
    regime_label: str
    host_school_name: str | None
    entry_date: date
    exit_date: date | None
    next_change_on: date | None
    next_regime_label: str | None


@dataclass
class RegimeEnrollmentPage:
    total_count: int
    offset: int
    enrollments: list[RegimeEnrollment]


@dataclass
class RegimeChoice:
    """A régime of the year's nomenclature: its SIECLE code, label and kind (externe,
    demi_pensionnaire, interne)."""

    code: str
    label: str
    kind: str
    # Codes 4, 5 and 6: another school feeds or lodges the student, which must be named.
    hosted: bool


@dataclass
class HostSchool:
    id: int
    uai: str
    name: str


@dataclass
class RegimeChange:
    """A period of the enrolment's régime history."""

    effective_on: date
    regime_code: str
    regime_label: str
    host_school_name: str | None
    recorded_at: datetime
    actor_label: str


@dataclass
class RegimeSheet:
    """What the bursar's form for one enrolment shows: the enrolment, the days a change may
    take effect, its régime history, the régimes to choose from and the schools of the
    académie that may host him."""

    enrollment: RegimeEnrollment
    school_id: int
    last_day: date
    changes: list[RegimeChange]
    choices: list[RegimeChoice]
    host_schools: list[HostSchool]


def _label(kinds: dict[str, tuple[str, str]], code: str) -> str:
    return kinds[code][1].capitalize() if code in kinds else f"Régime {code}"


async def _views(
    session: AsyncSession, rows: Sequence[Any], kinds: dict[str, tuple[str, str]]
) -> list[RegimeEnrollment]:
    """(Enrollment, Student, division code) rows as the bursar reads them, their régime in
    force today taken from their periods."""
    ids = [enrollment.id for enrollment, _student, _division in rows]
    periods: dict[int, list[RegimePeriod]] = {id_: [] for id_ in ids}
    for period in await session.scalars(
        select(RegimePeriod)
        .where(RegimePeriod.enrollment_id.in_(ids))
        .order_by(RegimePeriod.effective_on)
    ):
        periods[period.enrollment_id].append(period)
    host_ids = {p.host_school_id for found in periods.values() for p in found if p.host_school_id}
    hosts: dict[int, str] = {}
    if host_ids:
        found = await session.execute(select(School.id, School.name).where(School.id.in_(host_ids)))
        hosts = {id_: name for id_, name in found.all()}
    today = clock.today()
    views = []
    for enrollment, student, division_code in rows:
        code, host = own_code(enrollment), None
        upcoming: RegimePeriod | None = None
        for period in periods[enrollment.id]:
            if period.effective_on <= today:
                code, host = period.regime_code, period.host_school_id
            elif upcoming is None:
                upcoming = period
        views.append(
            RegimeEnrollment(
                enrollment_id=enrollment.id,
                student_id=student.id,
                student_name=f"{student.family_name.upper()} {student.first_name}",
                division_code=division_code,
                regime_code=code,
                regime_label=_label(kinds, code),
                host_school_name=hosts.get(host) if host else None,
                entry_date=enrollment.entry_date,
                exit_date=enrollment.exit_date,
                next_change_on=upcoming.effective_on if upcoming else None,
                next_regime_label=_label(kinds, upcoming.regime_code) if upcoming else None,
            )
        )
    return views


@requires(Permission.FINANCES_READ)
async def regime_enrollments(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RegimeEnrollmentPage:
    """The school's half-boarders and boarders of the year by name; a search (a part of
    the name, accents aside) finds any of its students, externes included, so that one who
    starts eating or boarding can be found."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    year = await year_of_academy(session, principal, school_year_id)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.single(
            "limit", "OUT_OF_RANGE", f"De 1 à {MAX_PAGE} élèves par page."
        )
    if not 0 <= offset <= 1_000_000:
        raise ValidationFailed.single("offset", "OUT_OF_RANGE", "Position invalide.")
    if search is not None and len(search) > SEARCH_MAX:
        raise ValidationFailed.single(
            "search", "TOO_LONG", f"Recherche : {SEARCH_MAX} caractères au plus."
        )
    conditions = [Enrollment.school_id == school.id, Enrollment.school_year_id == year.id]
    wanted = search_key(search) if search else ""
    if wanted:
        conditions.append(Student.search_name.contains(wanted, autoescape=True))
    else:
        conditions.append(Enrollment.regime != Regime.EXTERNE)
    total = await session.scalar(
        select(func.count())
        .select_from(Enrollment)
        .join(Student, Student.id == Enrollment.student_id)
        .where(*conditions)
    )
    rows = (
        await session.execute(
            select(Enrollment, Student, Division.code)
            .join(Student, Student.id == Enrollment.student_id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(*conditions)
            .order_by(Student.search_name, Enrollment.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    kinds = await regime_kinds(session, year.start_year)
    return RegimeEnrollmentPage(
        total_count=total or 0, offset=offset, enrollments=await _views(session, rows, kinds)
    )


@requires(Permission.FINANCES_READ)
async def regime_sheet(
    session: AsyncSession, principal: Principal, enrollment_id: int
) -> RegimeSheet:
    """One enrolment's régime: in force, its history, and the choices of a change."""
    enrollment = await _enrollment_in_reach(
        session, principal, enrollment_id, Permission.FINANCES_READ
    )
    year = await session.get(SchoolYear, enrollment.school_year_id)
    student = await session.get(Student, enrollment.student_id)
    assert year is not None and student is not None
    division = (
        await session.get(Division, enrollment.division_id) if enrollment.division_id else None
    )
    kinds = await regime_kinds(session, year.start_year)
    [view] = await _views(
        session, [(enrollment, student, division.code if division else None)], kinds
    )
    schools = list(
        await session.scalars(
            select(School)
            .where(School.academy_id == principal.academy_id, School.id != enrollment.school_id)
            .order_by(School.name, School.id)
        )
    )
    names = {school.id: school.name for school in schools}
    periods = await session.scalars(
        select(RegimePeriod)
        .where(RegimePeriod.enrollment_id == enrollment.id)
        .order_by(RegimePeriod.effective_on)
    )
    return RegimeSheet(
        enrollment=view,
        school_id=enrollment.school_id,
        last_day=enrollment.exit_date or year.ends_on,
        changes=[
            RegimeChange(
                effective_on=p.effective_on,
                regime_code=p.regime_code,
                regime_label=_label(kinds, p.regime_code),
                host_school_name=names.get(p.host_school_id) if p.host_school_id else None,
                recorded_at=p.recorded_at,
                actor_label=p.actor_label,
            )
            for p in periods
        ],
        choices=[
            RegimeChoice(
                code=code, label=label.capitalize(), kind=kind, hosted=code in HOSTED_CODES
            )
            for code, (kind, label) in sorted(
                kinds.items(), key=lambda item: (len(item[0]), item[0])
            )
        ],
        host_schools=[HostSchool(id=s.id, uai=s.uai, name=s.name) for s in schools],
    )

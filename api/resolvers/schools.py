"""Schools and school years: those the caller may see, and the académie administrator's
set-up of them (a school with its holiday zone, a school year with its dates)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach, school_clause
from api.resolvers.absences.settings import ensure_defaults
from api.resolvers.fields import FieldParser
from api.resolvers.guardians import EMAIL_PATTERN, PHONE_PATTERN
from core.errors import FieldError, NotFound, ValidationFailed
from db.absences import AbsenceSettings, HolidayZone
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import set_actor
from db.nomenclatures import SchoolMef, SchoolSubject
from db.schools import (
    School,
    SchoolKind,
    SchoolSector,
    SchoolYear,
    SchoolYearState,
    current_year_id_of,
    is_valid_uai,
    uai_check_letter,
)


@requires(Permission.STRUCTURES_READ)
async def visible_schools(session: AsyncSession, principal: Principal) -> list[School]:
    rows = await session.scalars(
        select(School)
        .where(school_clause(principal, Permission.STRUCTURES_READ, School.id))
        .order_by(School.uai)
    )
    return list(rows)


@requires(Permission.STRUCTURES_READ)
async def school_by_uai(session: AsyncSession, principal: Principal, uai: str) -> School:
    school = await session.scalar(
        select(School).where(
            School.uai == uai.strip().upper(),
            school_clause(principal, Permission.STRUCTURES_READ, School.id),
        )
    )
    if school is None:
        raise NotFound("School", uai)
    return school


@requires(Permission.STRUCTURES_READ)
async def get_school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    return await get_in_reach(
        session, principal, Permission.STRUCTURES_READ, School, school_id, School.id
    )


async def school_years(session: AsyncSession, principal: Principal) -> list[SchoolYear]:
    rows = await session.scalars(
        select(SchoolYear)
        .where(SchoolYear.academy_id == principal.academy_id)
        .order_by(SchoolYear.start_year.desc())
    )
    return list(rows)


async def current_school_year(session: AsyncSession, principal: Principal) -> SchoolYear:
    year = await session.scalar(
        select(SchoolYear).where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.state == SchoolYearState.CURRENT,
        )
    )
    if year is None:
        raise NotFound("SchoolYear", "current")
    return year


async def current_year_of(session: AsyncSession, school_id: int) -> SchoolYear | None:
    """The school's current year: its own once its rentrée switch ran, else its académie's."""
    return await session.scalar(
        select(SchoolYear).where(SchoolYear.id == current_year_id_of(school_id))
    )


async def year_in_preparation_of(session: AsyncSession, school_id: int) -> SchoolYear | None:
    """The year the school prepares: the académie's year in preparation that follows the
    school's current year (none before the académie opens it, nor once the school switched)."""
    current = await current_year_of(session, school_id)
    if current is None:
        return None
    return await session.scalar(
        select(SchoolYear).where(
            SchoolYear.academy_id == current.academy_id,
            SchoolYear.start_year == current.start_year + 1,
            SchoolYear.state == SchoolYearState.IN_PREPARATION,
        )
    )


async def check_year_writable(
    session: AsyncSession, school_id: int, year: SchoolYear, field: str = "school_year_id"
) -> None:
    """Refuses a write into a year that is over for the school: closed by the académie, or
    before the school's current year (after its rentrée switch). The year in preparation
    and the current one are open. ``field``: the input the error names (a division, an
    enrolment... whose year it is)."""
    if is_year_over(year, await current_year_of(session, school_id)):
        raise ValidationFailed.single(
            field,
            "YEAR_CLOSED",
            f"L'année {year.label} est close pour cet établissement : elle se consulte, "
            "elle ne se modifie plus.",
        )


def is_year_over(year: SchoolYear, current: SchoolYear | None) -> bool:
    """Whether ``year`` is over for a school whose current year is ``current`` (read-only:
    the portal shows it without its edit buttons)."""
    return year.state is SchoolYearState.CLOSED or (
        current is not None and year.start_year < current.start_year
    )


async def get_school_year(
    session: AsyncSession, principal: Principal, school_year_id: int
) -> SchoolYear:
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    return year


async def schools_with_ids(session: AsyncSession, school_ids: list[int]) -> list[School]:
    """The schools among ``school_ids``, unguarded: for the batch loaders that complete rows a
    guarded read has already let the caller see."""
    return list(await session.scalars(select(School).where(School.id.in_(school_ids))))


async def school_years_with_ids(session: AsyncSession, year_ids: list[int]) -> list[SchoolYear]:
    """The school years among ``year_ids``, unguarded (see ``schools_with_ids``)."""
    return list(await session.scalars(select(SchoolYear).where(SchoolYear.id.in_(year_ids))))


# --------------------------------------------------------------------------- the académie's set-up

UAI_FORMAT = "7 chiffres suivis de la lettre clé, ex. 0750001A"
POSTAL_CODE = re.compile(r"^\d{5}$")
# The schools' columns an administrator sets, as the API and the forms name them.
SCHOOL_FIELDS = (
    "uai",
    "name",
    "kind",
    "sector",
    "address_line",
    "postal_code",
    "city",
    "phone",
    "email",
    "holiday_zone",
)


def uai_problem(raw: str) -> str | None:
    """Why ``raw`` is not a UAI, in French, or None; the check letter is named when only it is
    wrong (the commonest typing error)."""
    uai = raw.strip().upper()
    if len(uai) != 8 or not uai[:7].isdigit() or not uai[7].isalpha():
        return f"L'UAI n'est pas valide ({UAI_FORMAT})."
    if not is_valid_uai(uai):
        return (
            f"La lettre clé de l'UAI {uai[:7]} est {uai_check_letter(uai[:7])}, "
            f"pas {uai[7]} : vérifiez l'UAI."
        )
    return None


@dataclass(frozen=True)
class SchoolValues:
    """A school's columns once checked, and its holiday zone (kept in its absence settings)."""

    columns: dict[str, Any]
    holiday_zone: HolidayZone | None


def parse_school(data: dict[str, Any]) -> tuple[SchoolValues | None, list[FieldError]]:
    """A school's fields checked without the database (the CSV preview checks every line
    this way): the values, or the errors naming each field."""
    p = FieldParser(data)
    uai = p.text("uai", "L'UAI", required=True, max_length=8 + 4)
    if uai is not None and (problem := uai_problem(uai)) is not None:
        p.fail("uai", "INVALID", problem)
    columns: dict[str, Any] = {
        "uai": uai.upper() if uai else None,
        "name": p.text("name", "Le nom de l'établissement", required=True, max_length=120),
        "kind": p.choice("kind", "La nature de l'établissement", SchoolKind, required=True),
        "sector": p.choice("sector", "Le secteur", SchoolSector) or SchoolSector.PUBLIC,
        "address_line": p.text("address_line", "L'adresse", max_length=120) or "",
        "postal_code": p.text(
            "postal_code",
            "Le code postal",
            max_length=5,
            pattern=POSTAL_CODE,
            pattern_hint=" (5 chiffres)",
        )
        or "",
        "city": p.text("city", "La commune", max_length=80) or "",
        "phone": p.text(
            "phone",
            "Le téléphone",
            max_length=20,
            pattern=PHONE_PATTERN,
            pattern_hint=" (ex. 01 23 45 67 89)",
        ),
        "email": p.text(
            "email", "Le courriel", max_length=120, pattern=EMAIL_PATTERN, pattern_hint=""
        ),
    }
    zone = p.choice("holiday_zone", "La zone de vacances", HolidayZone)
    if p.errors:
        return None, p.errors
    return SchoolValues(columns, zone), []


async def _uai_taken(session: AsyncSession, uai: str, school_id: int | None) -> bool:
    taken = await session.scalar(select(School.id).where(School.uai == uai))
    return taken is not None and taken != school_id


async def _set_zone(session: AsyncSession, school: School, zone: HolidayZone | None) -> None:
    """The holiday zone lives in the school's absence settings (created with their defaults
    on the school's creation, so that the zone chosen is there from the start)."""
    settings = await ensure_defaults(session, school)
    if zone is not None:
        settings.holiday_zone = zone


async def _checked(
    session: AsyncSession, data: dict[str, Any], school_id: int | None
) -> SchoolValues:
    values, errors = parse_school(data)
    if values is not None and await _uai_taken(session, values.columns["uai"], school_id):
        errors = [
            FieldError(
                "uai", "DUPLICATE", f"Un établissement porte déjà l'UAI {values.columns['uai']}."
            )
        ]
    if errors or values is None:
        raise ValidationFailed(errors)
    return values


@requires(Permission.SCHOOLS_MANAGE)
async def academy_schools(session: AsyncSession, principal: Principal) -> list[School]:
    """Every school of the académie, for its administrator."""
    rows = await session.scalars(
        select(School).where(School.academy_id == principal.academy_id).order_by(School.uai)
    )
    return list(rows)


@requires(Permission.SCHOOLS_MANAGE)
async def managed_school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await session.scalar(
        select(School).where(School.id == school_id, School.academy_id == principal.academy_id)
    )
    if school is None:
        raise NotFound("School", school_id)
    return school


@requires(Permission.SCHOOLS_MANAGE)
async def holiday_zone_of(
    session: AsyncSession, principal: Principal, school_id: int
) -> HolidayZone | None:
    school = await managed_school(session, principal, school_id)
    settings = await session.get(AbsenceSettings, school.id)
    return settings.holiday_zone if settings else None


@requires(Permission.SCHOOLS_MANAGE)
async def create_school(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> School:
    values = await _checked(session, data, None)
    set_actor(session.sync_session, principal.audit_actor())
    school = School(academy_id=principal.academy_id, **values.columns)
    session.add(school)
    await session.flush()
    await _set_zone(session, school, values.holiday_zone)
    await session.flush()
    return school


@requires(Permission.SCHOOLS_MANAGE)
async def update_school(
    session: AsyncSession, principal: Principal, school_id: int, changes: dict[str, Any]
) -> School:
    school = await managed_school(session, principal, school_id)
    current = {name: getattr(school, name) for name in SCHOOL_FIELDS if name != "holiday_zone"}
    values = await _checked(session, current | changes, school.id)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    for name, value in values.columns.items():
        setattr(school, name, value)
    await _set_zone(session, school, values.holiday_zone)
    await session.flush()
    return school


# --------------------------------------------------------------------------- school years

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _start_year(p: FieldParser) -> int | None:
    raw = p.data.get("start_year")
    if raw in (None, ""):
        p.fail("start_year", "REQUIRED", "L'année de rentrée est obligatoire.")
        return None
    text = str(raw).strip()
    if not text.isdigit() or not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
        p.fail(
            "start_year",
            "INVALID",
            f"L'année de rentrée est une année de {EARLIEST_YEAR} à {LATEST_YEAR}, ex. 2026.",
        )
        return None
    return int(text)


async def _checked_year(
    session: AsyncSession, principal: Principal, data: dict[str, Any], year_id: int | None
) -> dict[str, Any]:
    p = FieldParser(data)
    start_year = _start_year(p)
    state = p.choice("state", "L'état de l'année", SchoolYearState) or (
        SchoolYearState.IN_PREPARATION
    )
    starts_on = p.date("starts_on", "La date de début")
    ends_on = p.date("ends_on", "La date de fin")
    p.raise_if_errors()
    assert start_year is not None
    starts_on = starts_on or date(start_year, 9, 1)
    ends_on = ends_on or date(start_year + 1, 8, 31)
    if starts_on.year != start_year:
        p.fail(
            "starts_on",
            "INVALID",
            f"L'année {start_year}-{start_year + 1} commence en {start_year}.",
        )
    if ends_on <= starts_on:
        p.fail("ends_on", "BEFORE_START", "La date de fin doit suivre la date de début.")
    elif ends_on.year != start_year + 1:
        p.fail(
            "ends_on",
            "INVALID",
            f"L'année {start_year}-{start_year + 1} se termine en {start_year + 1}.",
        )
    p.raise_if_errors()
    others = list(
        await session.scalars(
            select(SchoolYear).where(
                SchoolYear.academy_id == principal.academy_id,
                SchoolYear.id != (year_id or -1),
            )
        )
    )
    for other in others:
        if other.start_year == start_year:
            p.fail("start_year", "DUPLICATE", f"L'année {other.label} existe déjà.")
        elif other.starts_on <= ends_on and starts_on <= other.ends_on:
            p.fail(
                "starts_on",
                "OVERLAP",
                f"Ces dates chevauchent l'année {other.label} "
                f"(du {other.starts_on:%d/%m/%Y} au {other.ends_on:%d/%m/%Y}).",
            )
        elif state is SchoolYearState.CURRENT and other.state is SchoolYearState.CURRENT:
            p.fail(
                "state",
                "ANOTHER_CURRENT",
                f"L'année {other.label} est en cours : une seule année l'est à la fois "
                "(clôturez-la d'abord).",
            )
    p.raise_if_errors()
    return {"start_year": start_year, "starts_on": starts_on, "ends_on": ends_on, "state": state}


@requires(Permission.SCHOOLS_MANAGE)
async def create_school_year(
    session: AsyncSession, principal: Principal, data: dict[str, Any]
) -> SchoolYear:
    values = await _checked_year(session, principal, data, None)
    set_actor(session.sync_session, principal.audit_actor())
    year = SchoolYear(academy_id=principal.academy_id, **values)
    session.add(year)
    await session.flush()
    return year


@requires(Permission.SCHOOLS_MANAGE)
async def update_school_year(
    session: AsyncSession, principal: Principal, school_year_id: int, changes: dict[str, Any]
) -> SchoolYear:
    """Dates and state; the start year names the year and does not change."""
    year = await get_school_year(session, principal, school_year_id)
    current = {
        "start_year": year.start_year,
        "starts_on": year.starts_on,
        "ends_on": year.ends_on,
        "state": year.state,
    }
    values = await _checked_year(
        session, principal, current | changes | {"start_year": year.start_year}, year.id
    )
    set_actor(session.sync_session, principal.audit_actor())
    for name, value in values.items():
        setattr(year, name, value)
    await session.flush()
    return year


@requires(Permission.SCHOOLS_MANAGE)
async def principals_by_school(
    session: AsyncSession, principal: Principal
) -> dict[int, list[StaffUser]]:
    """The principals of each school of the académie (whether a school still needs its
    first one, and whether he has chosen his password)."""
    rows = await session.execute(
        select(RoleGrant.school_id, StaffUser)
        .join(StaffUser, StaffUser.id == RoleGrant.user_id)
        .join(School, School.id == RoleGrant.school_id)
        .where(School.academy_id == principal.academy_id, RoleGrant.role == Role.PRINCIPAL)
        .order_by(StaffUser.display_name)
    )
    found: dict[int, list[StaffUser]] = {}
    for school_id, user in rows:
        if school_id is not None:
            found.setdefault(school_id, []).append(user)
    return found


# --------------------------------------------------------------------------- the year in preparation


@dataclass(frozen=True)
class YearOpening:
    """The year in preparation the académie opened, and the schools whose profile (MEFs and
    subjects) was copied into it from their current year."""

    school_year: SchoolYear
    created: bool
    profiled_schools: int


async def copy_school_profile(
    session: AsyncSession, school_id: int, from_year_id: int, to_year_id: int
) -> int:
    """Copies the school's MEFs (with the MEF that follows each) and subjects of one year
    into another, keeping those already there; returns the rows added. Unguarded: for the
    opening of a year, after its own guard."""
    added = 0
    for model, key in ((SchoolMef, SchoolMef.mef_id), (SchoolSubject, SchoolSubject.subject_id)):
        there = set(
            await session.scalars(
                select(key).where(model.school_id == school_id, model.school_year_id == to_year_id)
            )
        )
        for row in await session.scalars(
            select(model).where(model.school_id == school_id, model.school_year_id == from_year_id)
        ):
            if getattr(row, key.key) in there:
                continue
            values = {c.key: getattr(row, c.key) for c in class_mapper(model).column_attrs}
            session.add(model(**(values | {"school_year_id": to_year_id})))
            added += 1
    return added


@requires(Permission.SCHOOLS_MANAGE)
async def open_next_year(session: AsyncSession, principal: Principal) -> YearOpening:
    """The académie opens the year after its current one, in preparation (created unless it
    already is; a closed one is refused): from then on its schools work on both. Each school
    still in the académie's current year gets its profile copied into it. Run again, it adds
    only what is missing."""
    current = await current_school_year(session, principal)
    following = await session.scalar(
        select(SchoolYear).where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.start_year == current.start_year + 1,
        )
    )
    set_actor(session.sync_session, principal.audit_actor())
    created = following is None
    if following is None:
        following = SchoolYear(
            academy_id=principal.academy_id,
            start_year=current.start_year + 1,
            state=SchoolYearState.IN_PREPARATION,
        )
        session.add(following)
        await session.flush()
    elif following.state is SchoolYearState.CLOSED:
        raise ValidationFailed.single(
            "school_year_id",
            "YEAR_CLOSED",
            f"L'année {following.label} est close : elle ne peut pas être préparée.",
        )
    profiled = 0
    schools = await session.scalars(
        select(School)
        .where(School.academy_id == principal.academy_id)
        # Those in the académie's current year: following it, or switched to it.
        .where(or_(School.current_year_id.is_(None), School.current_year_id == current.id))
        .order_by(School.id)
    )
    for school in list(schools):
        set_actor(session.sync_session, principal.audit_actor(school.id))
        if await copy_school_profile(session, school.id, current.id, following.id):
            profiled += 1
    await session.flush()
    return YearOpening(school_year=following, created=created, profiled_schools=profiled)

"""A demo académie (``sconet demo --scale N``): N schools with structures, students, families and staff.

Everything is generated from a seed (same seed and scale, same data) and
written in one transaction with Core bulk inserts, ids allocated in Python:
the generated rows bypass the ORM audit hook on purpose, being no one's
change of personal data. The reference nomenclatures shipped in
``db/reference`` are loaded first.

Modules: ``data`` (names, streets, the shape of each kind of school),
``structures`` (schools, divisions, groups, accounts), ``families`` (students,
guardians, enrolments and history), ``absences`` (each school's absence
settings and the year's events so far), ``writer`` (bulk inserts), ``finances``
(the first term's charges, payments, remises and scholarship files, written
afterwards through the domain functions, in the same transaction), ``grades`` (the first
trimester's assessments and marks, likewise).
"""

from __future__ import annotations

import random
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.passwords import hash_password
from api.demo.absences import plan_absences
from api.demo.families import Population
from api.demo.finances import (
    FinanceCounts,
    demo_principals,
    plan_regime_codes,
    write_finances,
)
from api.demo.grades import GradesCounts, write_grades
from api.demo.model import Build, Catalog, DemoAccount, DemoReport
from api.demo.structures import (
    DEMO_PASSWORD,
    place_previous_year,
    plan_accounts,
    plan_divisions,
    plan_groups,
    plan_schools,
    profile_schools,
)
from api.demo.writer import Progress, next_ids, write_rows
from core import clock
from db.absences import GenericMotive, HolidayPeriod, HolidayZone
from db.accounts import StaffUser
from db.nomenclatures import Mef, Subject
from db.reference import (
    load_absence_references,
    load_reference_nomenclatures,
    load_scholarship_scales,
)
from db.schools import Academy, School, SchoolYear, SchoolYearState

__all__ = [
    "DEMO_PASSWORD",
    "Build",
    "Catalog",
    "DatabaseNotEmpty",
    "DemoAccount",
    "DemoError",
    "DemoReport",
    "build_demo",
    "current_start_year",
    "database_is_empty",
    "generate_demo",
    "read_catalog",
]

ACADEMY_CODE = "24"
ACADEMY_NAME = "Académie de Créteil"
ACADEMY_ZONE = HolidayZone.C


class DemoError(Exception):
    """The demo académie cannot be generated here; the message says why (in French)."""


class DatabaseNotEmpty(DemoError):
    def __init__(self) -> None:
        super().__init__(
            "la base contient déjà des établissements : "
            "l'académie de démonstration ne se charge que dans une base vide."
        )


def current_start_year(today: date) -> int:
    """The school year containing ``today`` starts on 1 September."""
    return today.year if today.month >= 9 else today.year - 1


async def database_is_empty(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    """True when the database holds no académie (nor school): a fresh académie set up with
    ``sconet academy create``, even before its first school, is not empty."""
    async with sessionmaker() as session:
        if await session.scalar(select(Academy.id).limit(1)) is not None:
            return False
        return await session.scalar(select(School.id).limit(1)) is None


def build_demo(
    catalog: Catalog,
    *,
    scale: int,
    seed: int,
    start_year: int,
    today: date,
    now: datetime,
    academy_id: int,
    previous_year_id: int,
    current_year_id: int,
    first_ids: dict[str, int],
    password_hash: str,
    progress: Progress | None = None,
    finances: bool = True,
) -> Build:
    """Generate every row in memory, without touching the database (deterministic for a seed).
    ``finances``: some half-boarders eat four days a week (a régime the finances charge per
    meal); without, every enrolment has its kind's régime only."""
    build = Build(
        rng=random.Random(seed),
        catalog=catalog,
        academy_id=academy_id,
        previous_year_id=previous_year_id,
        current_year_id=current_year_id,
        start_year=start_year,
        today=today,
        now=now,
        next_ids=dict(first_ids),
    )
    plan_schools(build, scale)
    population = Population(build)
    for done, school in enumerate(build.schools, start=1):
        plan_divisions(build, school)
        population.populate(school)
        plan_groups(build, school)
        if progress is not None:
            progress("Établissements", done, scale)
    place_previous_year(build)
    profile_schools(build)
    plan_accounts(build, password_hash)
    plan_absences(build)
    # Its own generator: the rows planned before are the same as without it.
    plan_regime_codes(build, random.Random(f"regimes-{seed}") if finances else None)
    if progress is not None:
        progress("Absences", len(build.rows["absence_events"]), len(build.rows["absence_events"]))
    return build


async def read_catalog(session: AsyncSession) -> Catalog:
    mefs = (await session.execute(select(Mef.code, Mef.id, Mef.typical_age))).all()
    subjects = (await session.execute(select(Subject.code, Subject.id))).all()
    generic = (await session.execute(select(GenericMotive.code, GenericMotive.id))).all()
    holidays = (
        await session.execute(
            select(HolidayPeriod.first_day, HolidayPeriod.last_day).where(
                HolidayPeriod.zone == ACADEMY_ZONE
            )
        )
    ).all()
    return Catalog(
        mef_ids={code: id_ for code, id_, _ in mefs},
        mef_ages={code: age for code, _, age in mefs},
        subject_ids={code: id_ for code, id_ in subjects},
        generic_motive_ids={code: id_ for code, id_ in generic},
        holidays=tuple((first, last) for first, last in holidays),
    )


async def _academy_and_years(
    session: AsyncSession, ids: dict[str, int], start_year: int
) -> tuple[int, dict[int, int]]:
    """The académie (reused if one exists) and its previous, current and next school years."""
    academy_id = await session.scalar(select(Academy.id).order_by(Academy.id).limit(1))
    if academy_id is None:
        academy_id = ids["academies"]
        ids["academies"] += 1
        await session.execute(
            insert(Academy),
            [{"id": academy_id, "code": ACADEMY_CODE, "name": ACADEMY_NAME}],
        )
    wanted = {
        start_year - 1: SchoolYearState.CLOSED,
        start_year: SchoolYearState.CURRENT,
        start_year + 1: SchoolYearState.IN_PREPARATION,
    }
    existing = {
        year: id_
        for year, id_ in await session.execute(
            select(SchoolYear.start_year, SchoolYear.id).where(SchoolYear.academy_id == academy_id)
        )
    }
    years: dict[int, int] = {}
    for year, state in wanted.items():
        if year in existing:
            years[year] = existing[year]
            continue
        years[year] = ids["school_years"]
        ids["school_years"] += 1
        await session.execute(
            insert(SchoolYear),
            [{"id": years[year], "academy_id": academy_id, "start_year": year, "state": state}],
        )
    return academy_id, years


async def generate_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    scale: int,
    seed: int = 2026,
    progress: Progress | None = None,
    today: date | None = None,
    finances: bool = True,
    grades: bool = True,
) -> DemoReport:
    """Generate a demo académie of ``scale`` schools into a database that holds no school.

    Raises ``DatabaseNotEmpty`` otherwise. One transaction: on any error
    nothing is written. ``today`` (default: the real date) decides which
    school year is current. ``finances`` False leaves the schools without terms,
    tariffs nor charges (the finance benchmark generates them itself); ``grades`` False,
    without assessments nor marks.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    today = today or clock.today()
    start_year = current_start_year(today)
    # argon2 is slow on purpose: one hash shared by every demo account.
    password_hash = hash_password(DEMO_PASSWORD)
    async with sessionmaker() as session, session.begin():
        if await session.scalar(select(School.id).limit(1)) is not None:
            raise DatabaseNotEmpty()
        await load_reference_nomenclatures(session)
        await load_absence_references(session)
        await load_scholarship_scales(session)
        if progress is not None:
            progress("Nomenclatures", 1, 1)
        ids = await next_ids(session)
        academy_id, years = await _academy_and_years(session, ids, start_year)
        build = build_demo(
            await read_catalog(session),
            scale=scale,
            seed=seed,
            start_year=start_year,
            today=today,
            now=clock.now(),
            academy_id=academy_id,
            previous_year_id=years[start_year - 1],
            current_year_id=years[start_year],
            first_ids=ids,
            password_hash=password_hash,
            progress=progress,
            finances=finances,
        )
        logins = [account.login for account in build.accounts]
        taken = (
            await session.scalars(select(StaffUser.login).where(StaffUser.login.in_(logins)))
        ).all()
        if taken:
            raise DemoError(
                f"des comptes de démonstration existent déjà : {', '.join(sorted(taken))}"
            )
        await write_rows(session, build, progress)
        principals = await demo_principals(session, build)
        counts = FinanceCounts()
        if finances:
            counts = await write_finances(session, build, seed, progress, principals)
        marks = GradesCounts()
        if grades:
            marks = await write_grades(session, build, principals, seed, progress)
    rows = build.rows
    return DemoReport(
        schools=len(rows["schools"]),
        students=len(rows["students"]),
        guardians=len(rows["guardians"]),
        enrollments=len(rows["enrollments"]),
        divisions=len(rows["divisions"]),
        groups=len(rows["groups"]),
        absence_events=len(rows["absence_events"]),
        charges=counts.charges,
        receipts=counts.receipts,
        reductions=counts.reductions,
        scholarship_files=counts.scholarship_files,
        notices=counts.notices,
        assessments=marks.assessments,
        marks=marks.marks,
        accounts=list(build.accounts),
    )

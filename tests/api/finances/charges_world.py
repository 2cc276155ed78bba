"""The charges' test world, over the shared one (``tests.world``): school A's terms of
September, October-November and December-August (so that the first closes on the test's
day, 2 December 2026), its tariffs, and the students a term's generation meets.

September 2026 has 22 service days (Monday to Friday, no public holiday; the test base holds
no school holidays): Tuesday 1st to Wednesday 30th."""

from __future__ import annotations

from datetime import date
from typing import Any

from api.resolvers.finances.tariffs import TariffInput, set_tariffs
from api.resolvers.finances.terms import TermDates, set_terms
from api.resolvers.work import Work
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, Regime
from db.finances import FamilyAccount
from db.guardians import Civility, Guardian, GuardianLink, Relationship
from db.students import Sex, Student
from tests.world import World

TERMS = [
    TermDates("Septembre", date(2026, 9, 1), date(2026, 9, 30)),
    TermDates("Automne", date(2026, 10, 1), date(2026, 11, 30)),
    TermDates("Hiver et printemps", date(2026, 12, 1), date(2027, 8, 31)),
]


async def run(sessionmaker, world: World, login: str, fn: Any, *args: Any, school=None) -> Any:
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal).writing(school or world.school_a) as transaction:
        return await transaction.run(fn, *args)


async def read(sessionmaker, world: World, login: str, fn: Any, *args: Any) -> Any:
    principal = await world.principal(sessionmaker, login)
    async with Work(sessionmaker, principal) as work:
        return await work.read(fn, *args)


async def school_terms(sessionmaker, world: World, school_id: int | None = None) -> list[int]:
    school_id = school_id or world.school_a
    terms = await run(
        sessionmaker,
        world,
        "principal_a" if school_id == world.school_a else "principal_b",
        set_terms,
        school_id,
        world.year_id,
        TERMS if school_id == world.school_a else None,
        school=school_id,
    )
    return [t.id for t in terms]


async def tariffs(
    sessionmaker, world: World, term_ids: list[int], cells: dict[str, tuple[str, str]]
) -> None:
    """``cells``: régime code → (basis, amount), the same in every term."""
    await run(
        sessionmaker,
        world,
        "bursar_a",
        set_tariffs,
        world.school_a,
        world.year_id,
        [
            TariffInput(term_id=t, regime_code=code, basis=basis, amount=amount)
            for t in term_ids
            for code, (basis, amount) in cells.items()
        ],
    )


async def add_student(
    sessionmaker,
    world: World,
    key: str,
    *,
    born: date,
    school_id: int | None = None,
    regime: Regime = Regime.DEMI_PENSIONNAIRE,
    regime_code: str | None = None,
    entry: date = date(2026, 9, 1),
    exit_date: date | None = None,
    payer: str | None = None,
    division_id: int | None = None,
) -> int:
    """A student of the year with his enrolment; ``payer``: the key of a guardian of
    ``world.guardians`` (created when new) linked as legal guardian 1; None: no guardian."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        student = Student(
            family_name=key.capitalize(), first_name="Test", sex=Sex.F, birth_date=born
        )
        session.add(student)
        await session.flush()
        school = school_id or world.school_a
        enrollment = Enrollment(
            student_id=student.id,
            school_id=school,
            school_year_id=world.year_id,
            mef_id=world.mef_6,
            division_id=division_id
            if division_id is not None
            else (world.division_a1 if school == world.school_a else world.division_b1),
            regime=regime,
            regime_code=regime_code,
            entry_date=entry,
            exit_date=exit_date,
        )
        session.add(enrollment)
        if payer is not None:
            if payer not in world.guardians:
                guardian = Guardian(
                    civility=Civility.MME, family_name=payer.capitalize(), first_name="Mère"
                )
                session.add(guardian)
                await session.flush()
                world.guardians[payer] = guardian.id
            session.add(
                GuardianLink(
                    student_id=student.id,
                    guardian_id=world.guardians[payer],
                    legal_rank=1,
                    relationship=Relationship.MOTHER,
                )
            )
        await session.flush()
        world.students[key], world.enrollments[key] = student.id, enrollment.id
    return student.id


async def set_children_elsewhere(sessionmaker, world: World, payer: str, children: int) -> None:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        session.add(
            FamilyAccount(
                school_id=world.school_a,
                guardian_id=world.guardians[payer],
                children_elsewhere=children,
            )
        )

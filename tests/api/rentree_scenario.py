"""June 2027 in the test world (``tests.world``): the académie has opened 2027-2028, school A
has prepared it, school B has not.

School A (2026-2027): Lina (6A) is promoted to 5e and placed in 5A; Éloïse (6A) repeats and is
placed in 6C; Noah (6B) leaves for another collège (motive 11, destination known); Tom (6B)
left in February (moved away, no decision needed). Lina and Noah share their mother; Lina's
father is also Jade's (school B). School B: Jade has no decision yet (``decide_jade`` gives
her one: promoted, placed in 5Y).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from api.resolvers.schools import copy_school_profile
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, ExitReason, Regime
from db.passage import PassageDecision, PassageOutcome
from db.schools import SchoolYear, SchoolYearState
from db.structures import Division, DivisionMef
from db.students import Sex, Student

ACTOR = AuditActor(kind="system", id=None, label="tests")
LAST_DAY = date(2027, 8, 31)
DESTINATION = ("0930999W", "Collège Voltaire")


@dataclass
class Prepared:
    next_year_id: int
    division_5a: int
    division_6c: int
    # Next year's (planned) enrolments by student key.
    planned: dict[str, int]


async def prepare_next_year(sessionmaker, world, *, decide_jade: bool = False) -> Prepared:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        next_year = SchoolYear(
            academy_id=world.academy_id, start_year=2027, state=SchoolYearState.IN_PREPARATION
        )
        session.add(next_year)
        await session.flush()
        for school_id in (world.school_a, world.school_b):
            await copy_school_profile(session, school_id, world.year_id, next_year.id)
        a5 = Division(
            school_id=world.school_a, school_year_id=next_year.id, code="5A", label="5e A"
        )
        a6 = Division(
            school_id=world.school_a, school_year_id=next_year.id, code="6C", label="6e C"
        )
        session.add_all([a5, a6])
        await session.flush()
        session.add_all(
            [
                DivisionMef(division_id=a5.id, mef_id=world.mef_5),
                DivisionMef(division_id=a6.id, mef_id=world.mef_6),
            ]
        )
        tom = Student(
            family_name="Petit",
            first_name="Tom",
            sex=Sex.M,
            birth_date=date(2015, 5, 5),
            birth_commune_code="93048",
            birth_city="Montreuil",
        )
        session.add(tom)
        await session.flush()
        tom_enrollment = Enrollment(
            student_id=tom.id,
            school_id=world.school_a,
            school_year_id=world.year_id,
            mef_id=world.mef_6,
            division_id=world.division_a2,
            regime=Regime.EXTERNE,
            entry_date=date(2026, 9, 1),
            exit_date=date(2027, 2, 10),
            exit_reason=ExitReason.MOVE,
        )
        session.add(tom_enrollment)
        await session.flush()
        world.students["tom"], world.enrollments["tom"] = tom.id, tom_enrollment.id
        session.add_all(
            [
                PassageDecision(
                    enrollment_id=world.enrollments["lina"],
                    outcome=PassageOutcome.PROMOTED,
                    next_mef_id=world.mef_5,
                ),
                PassageDecision(
                    enrollment_id=world.enrollments["eloise"],
                    outcome=PassageOutcome.REPEATING,
                    next_mef_id=world.mef_6,
                ),
                PassageDecision(
                    enrollment_id=world.enrollments["noah"],
                    outcome=PassageOutcome.LEAVING,
                    exit_reason=ExitReason.CHANGE_OF_SCHOOL,
                    exit_motive_code="11",
                    destination_uai=DESTINATION[0],
                    destination_name=DESTINATION[1],
                ),
            ]
        )
        planned = {}
        for key, mef, division in (("lina", world.mef_5, a5), ("eloise", world.mef_6, a6)):
            enrollment = Enrollment(
                student_id=world.students[key],
                school_id=world.school_a,
                school_year_id=next_year.id,
                mef_id=mef,
                division_id=division.id,
                regime=Regime.DEMI_PENSIONNAIRE,
                entry_date=date(2027, 9, 1),
            )
            session.add(enrollment)
            await session.flush()
            planned[key] = enrollment.id
        prepared = Prepared(next_year.id, a5.id, a6.id, planned)
    if decide_jade:
        await decide_for_jade(sessionmaker, world, prepared)
    return prepared


async def decide_for_jade(sessionmaker, world, prepared: Prepared) -> None:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        b5 = Division(
            school_id=world.school_b,
            school_year_id=prepared.next_year_id,
            code="5Y",
            label="5e Y",
        )
        session.add(b5)
        await session.flush()
        session.add(
            PassageDecision(
                enrollment_id=world.enrollments["jade"],
                outcome=PassageOutcome.PROMOTED,
                next_mef_id=world.mef_5,
            )
        )
        enrollment = Enrollment(
            student_id=world.students["jade"],
            school_id=world.school_b,
            school_year_id=prepared.next_year_id,
            mef_id=world.mef_5,
            division_id=b5.id,
            regime=Regime.EXTERNE,
            entry_date=date(2027, 9, 1),
        )
        session.add(enrollment)
        await session.flush()
        prepared.planned["jade"] = enrollment.id


async def enrollment_of(sessionmaker, enrollment_id: int) -> Enrollment:
    async with sessionmaker() as session:
        found = await session.scalar(select(Enrollment).where(Enrollment.id == enrollment_id))
        assert found is not None
        return found

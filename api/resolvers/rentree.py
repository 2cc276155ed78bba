"""The rentrée switch (bascule): a school's year in preparation becomes its current year.

One action per school, in the caller's one transaction: last year's enrolments still open
close at the year's end with their exit reason (a leaver's from his passage decision, the
others' ``END_OF_YEAR``), the leavers' families lose their access to them, the school's
current year moves, and a ``Rentree`` row records it all. Each step is a function of its own
(tests make each one fail in turn: the school is then exactly as it was). Running it again
changes nothing and says so: the ``Rentree`` of the school's current year is there.

It is refused, explained in French, while the académie has not opened the next year or any
student of the current year has no passage decision (they are listed), and for a leaver
already enrolled next year in the school (a decision to correct).

The académie's action (``switch_academy_rentree``) switches every school, each in its own
transaction, and reports each one; once all have switched, the académie's years follow (the
new one CURRENT, the old one CLOSED). A school that switched early already works on the new
year: its own ``School.current_year_id``.

The télé-services database follows on the next ordinary replication run: the ``Rentree``
row's audit entry makes ``replication.changes`` copy the school's scope again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.scopes import get_in_reach
from api.resolvers.schools import current_year_of, year_in_preparation_of
from api.resolvers.work import Work
from core import clock
from core.errors import FieldError, ValidationFailed
from db.audit import set_actor
from db.enrollments import Enrollment, ExitReason
from db.passage import PassageDecision, PassageOutcome
from db.rentree import Rentree
from db.schools import School, SchoolYear, SchoolYearState
from db.structures import Division
from db.students import Student
from db.teleservices import ActivationCode, CodeKind

# How many names a refusal's message gives (the rentrée page lists them all).
NAMES_IN_MESSAGE = 10


@dataclass
class StudentLine:
    """A student of the current year as the rentrée lists him."""

    enrollment_id: int
    student_id: int
    name: str
    division_code: str | None


@dataclass
class RentreeState:
    """Where a school stands before its switch: what it would do, and what stops it."""

    school: School
    current_year: SchoolYear | None
    next_year: SchoolYear | None
    # The switch that made the current year current (None before any).
    done: Rentree | None
    without_decision: list[StudentLine] = field(default_factory=list)
    leavers: list[StudentLine] = field(default_factory=list)
    # Leavers with an enrolment of next year in the school: a decision to correct.
    leavers_enrolled_next_year: list[StudentLine] = field(default_factory=list)
    # Promoted or repeating: their enrolment closes, they go on in the school.
    continuing: int = 0
    # Enrolments of the year in preparation (they become current).
    planned: int = 0

    @property
    def already_switched(self) -> bool:
        return self.next_year is None and self.done is not None

    @property
    def to_close(self) -> int:
        return self.continuing + len(self.leavers)

    @property
    def refusals(self) -> list[FieldError]:
        if self.already_switched:
            return []
        errors: list[FieldError] = []
        if self.current_year is None:
            errors.append(
                FieldError(
                    "school_id", "NO_CURRENT_YEAR", "L'académie n'a pas d'année scolaire en cours."
                )
            )
        elif self.next_year is None:
            start = self.current_year.start_year + 1
            errors.append(
                FieldError(
                    "school_id",
                    "NO_YEAR_IN_PREPARATION",
                    f"Aucune année en préparation : l'académie doit d'abord ouvrir l'année "
                    f"{start}-{start + 1}.",
                )
            )
        if self.without_decision:
            errors.append(
                FieldError(
                    "school_id",
                    "STUDENTS_WITHOUT_DECISION",
                    f"{_count(len(self.without_decision), 'élève')} de l'année en cours "
                    f"sans décision de passage : {_names(self.without_decision)}. La bascule "
                    "est refusée tant que chacun n'a pas la sienne.",
                )
            )
        if self.leavers_enrolled_next_year:
            errors.append(
                FieldError(
                    "school_id",
                    "LEAVER_ENROLLED_NEXT_YEAR",
                    "Décision « départ » pour un élève pourtant inscrit l'an prochain dans "
                    f"l'établissement : {_names(self.leavers_enrolled_next_year)}. Corrigez "
                    "la décision ou l'inscription.",
                )
            )
        return errors


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number > 1 else ''}"


def _names(lines: list[StudentLine]) -> str:
    shown = ", ".join(line.name for line in lines[:NAMES_IN_MESSAGE])
    return shown + (" …" if len(lines) > NAMES_IN_MESSAGE else "")


async def _school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await get_in_reach(
        session, principal, Permission.RENTREE_SWITCH, School, school_id, School.id
    )
    set_actor(session.sync_session, principal.audit_actor(school.id))
    return school


def _still_open(year: SchoolYear) -> ColumnElement[bool]:
    """Enrolments of the year not closed before its end (those who left during the year
    have their exit already, and need no decision)."""
    return or_(Enrollment.exit_date.is_(None), Enrollment.exit_date > year.ends_on)


async def _state(session: AsyncSession, school: School) -> RentreeState:
    current = await current_year_of(session, school.id)
    next_year = await year_in_preparation_of(session, school.id)
    done = None
    if current is not None:
        done = await session.scalar(
            select(Rentree).where(
                Rentree.school_id == school.id, Rentree.school_year_id == current.id
            )
        )
    state = RentreeState(school, current, next_year, done)
    if current is None or state.already_switched:
        return state
    rows = await session.execute(
        select(Enrollment.id, Student, Division.code, PassageDecision.outcome)
        .join(Student, Student.id == Enrollment.student_id)
        .outerjoin(Division, Division.id == Enrollment.division_id)
        .outerjoin(PassageDecision, PassageDecision.enrollment_id == Enrollment.id)
        .where(
            Enrollment.school_id == school.id,
            Enrollment.school_year_id == current.id,
            _still_open(current),
        )
        .order_by(Student.family_name, Student.first_name, Enrollment.id)
    )
    enrolled_next_year: set[int] = set()
    if next_year is not None:
        state.planned = len(
            enrolled_next_year := set(
                await session.scalars(
                    select(Enrollment.student_id).where(
                        Enrollment.school_id == school.id,
                        Enrollment.school_year_id == next_year.id,
                    )
                )
            )
        )
    for enrollment_id, student, division_code, outcome in rows:
        name = f"{(student.usage_name or student.family_name).upper()} {student.first_name}"
        line = StudentLine(enrollment_id, student.id, name, division_code)
        if outcome is None:
            state.without_decision.append(line)
        elif outcome is PassageOutcome.LEAVING:
            state.leavers.append(line)
            if student.id in enrolled_next_year:
                state.leavers_enrolled_next_year.append(line)
        else:
            state.continuing += 1
    return state


@requires(Permission.RENTREE_SWITCH)
async def rentree_state(
    session: AsyncSession, principal: Principal, school_id: int
) -> RentreeState:
    """What the school's switch would do now, and what refuses it."""
    school = await get_in_reach(
        session, principal, Permission.RENTREE_SWITCH, School, school_id, School.id
    )
    return await _state(session, school)


@dataclass(frozen=True)
class RentreeOutcome:
    rentree: Rentree
    # False when it had already run: nothing changed.
    switched: bool


# --------------------------------------------------------------------------- the steps


async def _close_enrolments(
    session: AsyncSession, school: School, previous: SchoolYear
) -> tuple[int, set[int]]:
    """Every enrolment of the previous year still open ends with the year: a leaver's with
    his decision's motive, the others' as an end of year in the school. Answers how many
    closed, and the leavers (students)."""
    rows = await session.execute(
        select(Enrollment, PassageDecision)
        .join(PassageDecision, PassageDecision.enrollment_id == Enrollment.id)
        .where(
            Enrollment.school_id == school.id,
            Enrollment.school_year_id == previous.id,
            _still_open(previous),
        )
        .order_by(Enrollment.id)
        .with_for_update(of=Enrollment)
    )
    closed, leavers = 0, set()
    for enrollment, decision in rows:
        enrollment.exit_date = previous.ends_on
        if decision.outcome is PassageOutcome.LEAVING:
            enrollment.exit_reason = decision.exit_reason or ExitReason.OTHER
            enrollment.exit_motive_code = decision.exit_motive_code
            leavers.add(enrollment.student_id)
        else:
            enrollment.exit_reason = ExitReason.END_OF_YEAR
            enrollment.exit_motive_code = None
        closed += 1
    await session.flush()
    return closed, leavers


async def _end_leavers_accesses(
    session: AsyncSession, school: School, next_year: SchoolYear, leavers: set[int]
) -> int:
    """The leavers' families no longer reach them: their student's code (CAE) is invalidated,
    and so is each guardian's (CAR), except where the guardian has a child enrolled in the
    school next year: the families' portal opens a guardian's children of a school through
    the code his account was created with, which may be the leaver's. That code then stays
    valid and opens only the other children, the leaver being no longer among the school's
    current students. Answers how many accesses to leavers ended (codes, whichever way)."""
    if not leavers:
        return 0
    sibling = aliased(ActivationCode)
    staying_guardian = exists().where(
        sibling.guardian_id == ActivationCode.guardian_id,
        sibling.school_id == school.id,
        sibling.kind == CodeKind.CAR,
        sibling.is_valid.is_(True),
        sibling.student_id.not_in(sorted(leavers)),
        sibling.student_id.in_(
            select(Enrollment.student_id).where(
                Enrollment.school_id == school.id, Enrollment.school_year_id == next_year.id
            )
        ),
    )
    codes = list(
        await session.execute(
            select(ActivationCode, staying_guardian)
            .where(
                ActivationCode.school_id == school.id,
                ActivationCode.student_id.in_(sorted(leavers)),
                ActivationCode.is_valid.is_(True),
            )
            .order_by(ActivationCode.id)
            .with_for_update(of=ActivationCode)
        )
    )
    now = clock.now()
    for code, carries_siblings in codes:
        if code.kind is CodeKind.CAE or not carries_siblings:
            code.is_valid, code.invalidated_at = False, now
    await session.flush()
    return len(codes)


async def _make_current(session: AsyncSession, school: School, next_year: SchoolYear) -> None:
    school.current_year_id = next_year.id
    await session.flush()


async def _record_rentree(
    session: AsyncSession,
    principal: Principal,
    school: School,
    previous: SchoolYear,
    next_year: SchoolYear,
    counts: tuple[int, int, int],
) -> Rentree:
    closed, leavers, ended = counts
    rentree = Rentree(
        school_id=school.id,
        school_year_id=next_year.id,
        previous_year_id=previous.id,
        switched_at=clock.now(),
        actor_label=principal.label[:120],
        closed_enrollments=closed,
        leavers=leavers,
        ended_accesses=ended,
    )
    session.add(rentree)
    await session.flush()
    return rentree


@requires(Permission.RENTREE_SWITCH)
async def switch_rentree(
    session: AsyncSession, principal: Principal, school_id: int
) -> RentreeOutcome:
    """The school's switch, in the caller's transaction: refused (``ValidationFailed``) with
    its reasons, or done; done before, nothing changes."""
    school = await _school(session, principal, school_id)
    # One switch of a school at a time: the second waits, then finds it done.
    await session.execute(select(School.id).where(School.id == school.id).with_for_update())
    await session.refresh(school)
    state = await _state(session, school)
    if state.already_switched:
        assert state.done is not None
        return RentreeOutcome(state.done, switched=False)
    if state.refusals:
        raise ValidationFailed(state.refusals)
    previous, next_year = state.current_year, state.next_year
    assert previous is not None and next_year is not None
    closed, leavers = await _close_enrolments(session, school, previous)
    ended = await _end_leavers_accesses(session, school, next_year, leavers)
    await _make_current(session, school, next_year)
    rentree = await _record_rentree(
        session, principal, school, previous, next_year, (closed, len(leavers), ended)
    )
    return RentreeOutcome(rentree, switched=True)


# --------------------------------------------------------------------------- the académie


class SchoolSwitch(enum.StrEnum):
    SWITCHED = "switched"
    ALREADY_SWITCHED = "already_switched"
    REFUSED = "refused"


@dataclass
class SchoolRentree:
    school_id: int
    uai: str
    name: str
    outcome: SchoolSwitch
    rentree: Rentree | None
    # Why it was refused (French).
    reasons: list[str]


@dataclass(frozen=True)
class AcademyRentree:
    schools: list[SchoolRentree]
    # The académie's new current year, once every school has switched (else None).
    new_current_year: SchoolYear | None


def _academy_wide(principal: Principal) -> None:
    if not principal.academy_wide(Permission.RENTREE_SWITCH):
        raise PermissionDenied(Permission.RENTREE_SWITCH)


@requires(Permission.RENTREE_SWITCH)
async def academy_rentree_schools(session: AsyncSession, principal: Principal) -> list[School]:
    """Every school of the académie, for its académie-wide switch."""
    _academy_wide(principal)
    return list(
        await session.scalars(
            select(School).where(School.academy_id == principal.academy_id).order_by(School.uai)
        )
    )


@requires(Permission.RENTREE_SWITCH)
async def follow_academy_years(session: AsyncSession, principal: Principal) -> SchoolYear | None:
    """Once every school of the académie has switched into its year in preparation, that
    year becomes the académie's current one and the previous one closes (audited, attributed
    to the académie). Answers the new current year, or None while a school has not switched."""
    _academy_wide(principal)
    preparing = await session.scalar(
        select(SchoolYear)
        .where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.state == SchoolYearState.IN_PREPARATION,
        )
        .order_by(SchoolYear.start_year)
        .limit(1)
    )
    if preparing is None:
        return None
    # A school without a year of its own follows the académie's current one: not switched.
    behind = await session.scalar(
        select(School.id)
        .where(
            School.academy_id == principal.academy_id,
            or_(School.current_year_id.is_(None), School.current_year_id != preparing.id),
        )
        .limit(1)
    )
    if behind is not None:
        return None
    for year in await session.scalars(
        select(SchoolYear)
        .where(
            SchoolYear.academy_id == principal.academy_id,
            SchoolYear.state == SchoolYearState.CURRENT,
        )
        .with_for_update()
    ):
        _year_state(session, principal, year, SchoolYearState.CLOSED)
    _year_state(session, principal, preparing, SchoolYearState.CURRENT)
    await session.flush()
    return preparing


def _year_state(
    session: AsyncSession, principal: Principal, year: SchoolYear, state: SchoolYearState
) -> None:
    # School years are audited: the change is attributed to the académie, not to a school.
    set_actor(session.sync_session, principal.audit_actor())
    year.state = state


async def switch_academy_rentree(work: Work) -> AcademyRentree:
    """Every school of the académie, each in its own transaction (a refusal or a failure
    in one leaves the others switched), then the académie's years if all have switched."""
    schools = await work.read(academy_rentree_schools)
    # The read session's transaction ends here: the switches write in their own.
    await work.commit()
    report: list[SchoolRentree] = []
    for school in schools:
        try:
            async with work.writing(school.id) as transaction:
                outcome = await transaction.run(switch_rentree, school.id)
        except ValidationFailed as refused:
            report.append(
                SchoolRentree(
                    school.id,
                    school.uai,
                    school.name,
                    SchoolSwitch.REFUSED,
                    None,
                    [e.message for e in refused.errors],
                )
            )
            continue
        report.append(
            SchoolRentree(
                school.id,
                school.uai,
                school.name,
                SchoolSwitch.SWITCHED if outcome.switched else SchoolSwitch.ALREADY_SWITCHED,
                outcome.rentree,
                [],
            )
        )
    async with work.writing() as transaction:
        new_year = await transaction.run(follow_academy_years)
    return AcademyRentree(report, new_year)

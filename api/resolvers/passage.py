"""Passage: each student's decision for next year (promoted to the MEF that follows his own in
the school's profile, repeating, or leaving), taken in mass per division with exceptions; the
planned enrolments of the year in preparation (students placed in next year's divisions and
groups before the rentrée); and the newcomers the académie assigns to the school.

A decision belongs to the enrolment of the school's current year it closes. A planned
enrolment is an ordinary ``Enrollment`` of the year in preparation; it follows the decision:
a new MEF moves it (out of a division that does not take that MEF), a departure or a removed
decision deletes it. The rentrée switch (``api.resolvers.rentree``) reads the decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import enrollment_clause, get_in_reach, school_clause
from api.resolvers import enrollments, students
from api.resolvers.fields import FieldParser
from api.resolvers.nomenclatures import entries, exit_reason_of
from api.resolvers.schools import check_year_writable, current_year_of, year_in_preparation_of
from core import clock
from core.errors import FieldError, NotFound, StaleVersion, ValidationFailed
from core.ine import ine_problem, normalized_ine
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup, EnrollmentOption, ExitReason
from db.ids import reserve_ids
from db.immatriculation import ProbableDuplicate
from db.nomenclatures import Mef, MefSubject, NomenclatureList, SchoolMef
from db.passage import PassageDecision, PassageOutcome
from db.schools import School, SchoolYear, is_valid_uai
from db.structures import Division, DivisionMef, Group
from db.students import Sex, Student, search_key
from exchanges.affectations import COLUMNS, AssignmentRecord
from exchanges.errors import ExchangeFileError
from exchanges.records import RecordProblem

STALE_DECISION = (
    "La décision a été modifiée par quelqu'un d'autre depuis l'ouverture de la page : "
    "rechargez-la avant d'enregistrer."
)
OUTCOME_LABELS = {
    PassageOutcome.PROMOTED: "passage",
    PassageOutcome.REPEATING: "redoublement",
    PassageOutcome.LEAVING: "départ",
}
# A division has a few dozen students, a school a few thousand: a mass call is bounded.
MAX_STUDENTS = 5000
# Students of the same name and birth date reported as a line's probable duplicates, at most.
MAX_ALIKE = 5


@dataclass
class PassageRow:
    """A student of the school's current year, his decision (if any), the MEF his profile
    promotes him to, and his planned enrolment of the year in preparation (if placed)."""

    enrollment: Enrollment
    student: Student
    mef: Mef
    division_code: str | None
    decision: PassageDecision | None
    # The MEF that follows his own in the school's profile (None: his MEF has none there).
    proposed_next_mef: Mef | None
    decided_next_mef: Mef | None
    planned: Enrollment | None
    planned_division_code: str | None

    @property
    def placed(self) -> bool:
        return self.planned is not None and self.planned.division_id is not None


@dataclass
class DivisionCount:
    division_id: int | None
    division_code: str | None
    students: int
    without_decision: int


@dataclass
class SchoolPassage:
    """The school's passage: its current year, the year in preparation (None before the
    académie opens it), and one row per student of the current year."""

    school: School
    year: SchoolYear
    next_year: SchoolYear | None
    rows: list[PassageRow]

    def without_decision(self) -> list[PassageRow]:
        return [r for r in self.rows if r.decision is None]

    def unplaced(self) -> list[PassageRow]:
        """Decided to stay (promoted or repeating) but in no division of next year yet."""
        return [
            r
            for r in self.rows
            if r.decision is not None
            and r.decision.outcome is not PassageOutcome.LEAVING
            and not r.placed
        ]

    def counts(self) -> list[DivisionCount]:
        by_division: dict[int | None, DivisionCount] = {}
        for row in self.rows:
            key = row.enrollment.division_id
            count = by_division.setdefault(key, DivisionCount(key, row.division_code, 0, 0))
            count.students += 1
            count.without_decision += row.decision is None
        return sorted(
            by_division.values(), key=lambda c: (c.division_code is None, c.division_code)
        )


@dataclass
class DecisionCounts:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    decisions: list[PassageDecision] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


async def _current_year(session: AsyncSession, school_id: int) -> SchoolYear:
    year = await current_year_of(session, school_id)
    if year is None:
        raise ValidationFailed.single(
            "school_year_id", "NO_CURRENT_YEAR", "L'académie n'a pas d'année en cours."
        )
    return year


async def next_mefs(
    session: AsyncSession, school_id: int, year_id: int, mef_ids: set[int]
) -> dict[int, int]:
    """The MEF each of ``mef_ids`` leads to next year in the school: the school's own choice
    (``SchoolMef.next_mef_id``), else the national one; a MEF with none is left out."""
    found: dict[int, int] = {}
    for mef_id, national in await session.execute(
        select(Mef.id, Mef.next_mef_id).where(Mef.id.in_(mef_ids))
    ):
        if national is not None:
            found[mef_id] = national
    for mef_id, own in await session.execute(
        select(SchoolMef.mef_id, SchoolMef.next_mef_id).where(
            SchoolMef.school_id == school_id,
            SchoolMef.school_year_id == year_id,
            SchoolMef.mef_id.in_(mef_ids),
        )
    ):
        if own is not None:
            found[mef_id] = own
    return found


async def _rows(
    session: AsyncSession,
    school: School,
    year: SchoolYear,
    next_year: SchoolYear | None,
    *conditions: Any,
) -> list[PassageRow]:
    rows = (
        await session.execute(
            select(Enrollment, Student, Mef, Division.code, PassageDecision)
            .join(Student, Student.id == Enrollment.student_id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .outerjoin(PassageDecision, PassageDecision.enrollment_id == Enrollment.id)
            .where(
                Enrollment.school_id == school.id,
                Enrollment.school_year_id == year.id,
                Enrollment.exit_date.is_(None),
                *conditions,
            )
            .order_by(Division.code, Student.search_name, Student.id)
            .limit(MAX_STUDENTS)
        )
    ).all()
    proposed = await next_mefs(
        session, school.id, year.id, {mef.id for _e, _s, mef, _d, _p in rows}
    )
    wanted = set(proposed.values()) | {
        p.next_mef_id for *_rest, p in rows if p is not None and p.next_mef_id is not None
    }
    mefs = {m.id: m for m in await session.scalars(select(Mef).where(Mef.id.in_(wanted)))}
    planned: dict[int, tuple[Enrollment, str | None]] = {}
    if next_year is not None and rows:
        for enrollment, code in await session.execute(
            select(Enrollment, Division.code)
            .outerjoin(Division, Division.id == Enrollment.division_id)
            .where(
                Enrollment.school_id == school.id,
                Enrollment.school_year_id == next_year.id,
                Enrollment.student_id.in_([s.id for _e, s, *_rest in rows]),
            )
        ):
            planned[enrollment.student_id] = (enrollment, code)
    result = []
    for enrollment, student, mef, division_code, decision in rows:
        plan, plan_code = planned.get(student.id, (None, None))
        result.append(
            PassageRow(
                enrollment=enrollment,
                student=student,
                mef=mef,
                division_code=division_code,
                decision=decision,
                proposed_next_mef=mefs.get(proposed.get(mef.id, -1)),
                decided_next_mef=mefs.get(decision.next_mef_id or -1) if decision else None,
                planned=plan,
                planned_division_code=plan_code,
            )
        )
    return result


@requires(Permission.STUDENTS_READ)
async def school_passage(
    session: AsyncSession, principal: Principal, school_id: int
) -> SchoolPassage:
    """Every student of the school's current year with his decision and planned enrolment."""
    school = await get_in_reach(
        session, principal, Permission.STUDENTS_READ, School, school_id, School.id
    )
    year = await _current_year(session, school.id)
    next_year = await year_in_preparation_of(session, school.id)
    rows = await _rows(
        session,
        school,
        year,
        next_year,
        enrollment_clause(principal, Permission.STUDENTS_READ),
    )
    return SchoolPassage(school, year, next_year, rows)


async def _division_of_current_year(
    session: AsyncSession, principal: Principal, permission: Permission, division_id: int
) -> tuple[Division, School, SchoolYear]:
    division = await get_in_reach(
        session, principal, permission, Division, division_id, Division.school_id
    )
    year = await _current_year(session, division.school_id)
    if division.school_year_id != year.id:
        raise ValidationFailed.single(
            "division_id",
            "NOT_CURRENT_YEAR",
            f"La division {division.code} n'est pas une division de l'année en cours : "
            "les décisions de passage portent sur l'année en cours.",
        )
    school = await session.get(School, division.school_id)
    assert school is not None
    return division, school, year


async def _school_of_current_year(
    session: AsyncSession, principal: Principal, permission: Permission, school_id: Any
) -> tuple[School, SchoolYear]:
    if school_id is None:
        raise NotFound("School", None)
    school = await get_in_reach(session, principal, permission, School, school_id, School.id)
    return school, await _current_year(session, school.id)


@requires(Permission.STUDENTS_READ)
async def undivided_passage(
    session: AsyncSession, principal: Principal, school_id: int
) -> SchoolPassage:
    """The school's students of the current year in no division, with their decisions: the
    grid "sans division", since the others are decided division by division."""
    school, year = await _school_of_current_year(
        session, principal, Permission.STUDENTS_READ, school_id
    )
    next_year = await year_in_preparation_of(session, school.id)
    rows = await _rows(
        session,
        school,
        year,
        next_year,
        Enrollment.division_id.is_(None),
        enrollment_clause(principal, Permission.STUDENTS_READ),
    )
    return SchoolPassage(school, year, next_year, rows)


@requires(Permission.STUDENTS_READ)
async def division_passage(
    session: AsyncSession, principal: Principal, division_id: int
) -> SchoolPassage:
    """The students of a division of the current year, with their decisions (the grid)."""
    division, school, year = await _division_of_current_year(
        session, principal, Permission.STUDENTS_READ, division_id
    )
    next_year = await year_in_preparation_of(session, school.id)
    rows = await _rows(
        session,
        school,
        year,
        next_year,
        Enrollment.division_id == division.id,
        enrollment_clause(principal, Permission.STUDENTS_READ),
    )
    return SchoolPassage(school, year, next_year, rows)


async def decisions_for_enrollments(
    session: AsyncSession, enrollment_ids: list[int]
) -> list[PassageDecision | None]:
    """The decision of each already-authorised enrolment (DataLoader)."""
    found = {
        d.enrollment_id: d
        for d in await session.scalars(
            select(PassageDecision).where(PassageDecision.enrollment_id.in_(enrollment_ids))
        )
    }
    return [found.get(eid) for eid in enrollment_ids]


# --------------------------------------------------------------------------- deciding


@dataclass
class _Decided:
    outcome: PassageOutcome
    next_mef_id: int | None
    exit_reason: ExitReason | None
    exit_motive_code: str | None
    destination_uai: str | None
    destination_name: str | None


async def _exit_motive(
    session: AsyncSession, p: FieldParser, year: SchoolYear
) -> tuple[ExitReason | None, str | None]:
    """The leaver's motive: a code of the year's list of exit motives (its reason read from
    the code); without a list loaded for the year, a reason (``ExitReason``) alone."""
    listed = await entries(session, NomenclatureList.EXIT_MOTIVE, year.start_year)
    code = p.text("exit_motive_code", "Le motif de sortie", max_length=3)
    if listed:
        if code is None:
            p.fail("exit_motive_code", "REQUIRED", "Le motif de sortie est obligatoire.")
            return None, None
        entry = next((e for e in listed if e.code == code), None)
        if entry is None:
            p.fail(
                "exit_motive_code",
                "NOT_FOUND",
                f"Le motif de sortie {code} n'est pas dans la nomenclature de l'année.",
            )
            return None, None
        return exit_reason_of(entry.code), entry.code
    if code is not None:
        return exit_reason_of(code), code
    reason = p.choice("exit_reason", "Le motif de sortie", ExitReason)
    if reason is None:
        p.fail("exit_motive_code", "REQUIRED", "Le motif de sortie est obligatoire.")
    return reason, None


async def _checked_decision(
    session: AsyncSession,
    enrollment: Enrollment,
    mef: Mef,
    year: SchoolYear,
    proposed_next: int | None,
    data: dict[str, Any],
    profiled: set[int],
) -> _Decided:
    """``profiled``: the MEFs of the school's profile (``_profiled_mefs``), read once for a
    whole division."""
    p = FieldParser(data)
    outcome = p.choice("outcome", "La décision", PassageOutcome, required=True)
    p.raise_if_errors()
    assert outcome is not None
    raw_next = data.get("next_mef_id")
    explicit = int(raw_next) if raw_next not in (None, "") else None
    next_mef_id: int | None = None
    reason: ExitReason | None = None
    motive: str | None = None
    uai = name = None
    if outcome is PassageOutcome.PROMOTED:
        next_mef_id = explicit or proposed_next
        if next_mef_id is None:
            p.fail(
                "next_mef_id",
                "NO_NEXT_MEF",
                f"Le MEF {mef.short_label} n'a pas de MEF suivant dans l'établissement : "
                "l'élève le quitte (décision « départ ») ou choisissez son MEF de l'an prochain.",
            )
        elif next_mef_id == mef.id:
            p.fail(
                "next_mef_id",
                "SAME_MEF",
                "Le MEF de l'an prochain est celui de cette année : c'est un redoublement.",
            )
        elif explicit is not None and explicit not in profiled:
            p.fail(
                "next_mef_id",
                "NOT_PROFILED",
                "Ce MEF n'est pas proposé par l'établissement l'an prochain.",
            )
    elif outcome is PassageOutcome.REPEATING:
        if explicit is not None and explicit != mef.id:
            p.fail(
                "next_mef_id",
                "NOT_SAME_MEF",
                f"Un redoublant reste en {mef.short_label} : pour un autre MEF, choisissez "
                "« passage ».",
            )
        next_mef_id = mef.id
    else:
        reason, motive = await _exit_motive(session, p, year)
        uai = p.text("destination_uai", "L'UAI de l'établissement d'accueil", max_length=8)
        if uai is not None:
            uai = uai.upper()
            if not is_valid_uai(uai):
                p.fail(
                    "destination_uai",
                    "INVALID",
                    "L'UAI de l'établissement d'accueil n'est pas valide "
                    "(7 chiffres et la lettre clé).",
                )
        name = p.text("destination_name", "Le nom de l'établissement d'accueil", max_length=120)
    p.raise_if_errors()
    return _Decided(outcome, next_mef_id, reason, motive, uai, name)


async def _writable_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: int
) -> tuple[Enrollment, SchoolYear]:
    """An open enrolment of the school's current year the caller may change."""
    enrollment = await session.scalar(
        select(Enrollment).where(
            Enrollment.id == enrollment_id,
            enrollment_clause(principal, Permission.STUDENTS_WRITE),
        )
    )
    if enrollment is None:
        raise NotFound("Enrollment", enrollment_id)
    year = await _current_year(session, enrollment.school_id)
    if enrollment.school_year_id != year.id:
        raise ValidationFailed.single(
            "enrollment_id",
            "NOT_CURRENT_YEAR",
            "La décision de passage porte sur une scolarité de l'année en cours.",
        )
    if enrollment.exit_date is not None:
        raise ValidationFailed.single(
            "enrollment_id",
            "LEFT",
            "L'élève a quitté l'établissement en cours d'année : il n'a pas de décision de "
            "passage.",
        )
    return enrollment, year


def _check_version(decision: PassageDecision | None, expected_version: Any) -> None:
    if decision is None or expected_version in (None, ""):
        return
    if int(expected_version) != decision.version:
        raise StaleVersion([FieldError("version", "STALE", STALE_DECISION)])


async def _profiled_mefs(session: AsyncSession, school_id: int) -> set[int]:
    """The MEFs the school offers next year: the profile of its year in preparation, or the
    current year's before the académie opens it."""
    year = await year_in_preparation_of(session, school_id) or await current_year_of(
        session, school_id
    )
    return set(
        await session.scalars(
            select(SchoolMef.mef_id).where(
                SchoolMef.school_id == school_id,
                SchoolMef.school_year_id == (year.id if year else None),
            )
        )
    )


async def _planned_by_student(
    session: AsyncSession, school_id: int, next_year: SchoolYear | None, student_ids: list[int]
) -> dict[int, Enrollment]:
    """The planned enrolments of these students in the school (one query for them all)."""
    if next_year is None or not student_ids:
        return {}
    return {
        planned.student_id: planned
        for planned in await session.scalars(
            select(Enrollment).where(
                Enrollment.student_id.in_(student_ids),
                Enrollment.school_id == school_id,
                Enrollment.school_year_id == next_year.id,
            )
        )
    }


async def _drop_planned(session: AsyncSession, planned: list[Enrollment]) -> None:
    if not planned:
        return
    ids = [p.id for p in planned]
    # Through the ORM, so that the audit trail records each row removed.
    for model in (EnrollmentGroup, EnrollmentOption):
        for row in await session.scalars(select(model).where(model.enrollment_id.in_(ids))):
            await session.delete(row)
    # Flushed first: the enrolment's rows go before it (no relationship orders them).
    await session.flush()
    for enrollment in planned:
        await session.delete(enrollment)
    await session.flush()


async def _follow_decisions(
    session: AsyncSession,
    school_id: int,
    followed: list[tuple[Enrollment, PassageDecision | None]],
) -> None:
    """Keeps the planned enrolments consistent with the decisions: none for a leaver or a
    student without decision; the decided MEF (and repeating flag) otherwise, out of a
    division that does not take the new MEF. A bounded number of statements for any number
    of students (the planned enrolments, the divisions' MEFs, the writes are read and
    written together)."""
    next_year = await year_in_preparation_of(session, school_id)
    planned_of = await _planned_by_student(
        session, school_id, next_year, [e.student_id for e, _d in followed]
    )
    if not planned_of:
        return
    dropped: list[Enrollment] = []
    moved: list[tuple[Enrollment, int]] = []
    for enrollment, decision in followed:
        planned = planned_of.get(enrollment.student_id)
        if planned is None:
            continue
        if decision is None or decision.outcome is PassageOutcome.LEAVING:
            dropped.append(planned)
            continue
        assert decision.next_mef_id is not None
        repeating = decision.outcome is PassageOutcome.REPEATING
        if planned.repeating != repeating:
            planned.repeating = repeating
        if planned.mef_id != decision.next_mef_id:
            planned.mef_id = decision.next_mef_id
            if planned.division_id is not None:
                moved.append((planned, planned.division_id))
    if moved:
        takes: dict[int, set[int]] = {}
        for division_id, mef_id in await session.execute(
            select(DivisionMef.division_id, DivisionMef.mef_id).where(
                DivisionMef.division_id.in_({d for _p, d in moved})
            )
        ):
            takes.setdefault(division_id, set()).add(mef_id)
        for planned, division_id in moved:
            mefs = takes.get(division_id)
            if mefs and planned.mef_id not in mefs:
                planned.division_id = None
    await session.flush()
    await _drop_planned(session, dropped)


def _changed(decision: PassageDecision, decided: _Decided) -> bool:
    return any(getattr(decision, name) != value for name, value in vars(decided).items())


async def _write_decisions(
    session: AsyncSession,
    school_id: int,
    written: list[tuple[Enrollment, PassageDecision | None, _Decided | None]],
    counts: DecisionCounts,
) -> None:
    """Writes the decisions (``_Decided`` None: the decision is removed) in one flush, then
    makes the planned enrolments follow them."""
    followed: list[tuple[Enrollment, PassageDecision | None]] = []
    # Given their ids, the new decisions are inserted in batches instead of one by one.
    fresh = iter(
        await reserve_ids(
            session,
            PassageDecision.__tablename__,
            sum(1 for _e, d, decided in written if d is None and decided is not None),
        )
    )
    for enrollment, decision, decided in written:
        if decided is None:
            if decision is not None:
                await session.delete(decision)
                counts.removed += 1
                followed.append((enrollment, None))
            continue
        if decision is None:
            decision = PassageDecision(id=next(fresh), enrollment_id=enrollment.id, **vars(decided))
            session.add(decision)
            counts.created += 1
        elif _changed(decision, decided):
            for name, value in vars(decided).items():
                if getattr(decision, name) != value:
                    setattr(decision, name, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
        followed.append((enrollment, decision))
        counts.decisions.append(decision)
    try:
        await session.flush()
    except StaleDataError:
        raise StaleVersion([FieldError("version", "STALE", STALE_DECISION)]) from None
    await _follow_decisions(session, school_id, followed)


@requires(Permission.STUDENTS_WRITE)
async def decide(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> PassageDecision:
    """Records (or changes) a student's decision: ``outcome`` (promoted, repeating, leaving),
    ``next_mef_id`` (promoted: another profiled MEF than the profile's next one),
    ``exit_motive_code`` and ``destination_uai`` / ``destination_name`` (leaving). A change
    moves or removes his planned enrolment."""
    enrollment, year = await _writable_enrollment(session, principal, enrollment_id)
    set_actor(session.sync_session, principal.audit_actor(enrollment.school_id))
    decision = await session.scalar(
        select(PassageDecision).where(PassageDecision.enrollment_id == enrollment.id)
    )
    _check_version(decision, expected_version)
    mef = await session.get(Mef, enrollment.mef_id)
    assert mef is not None
    proposed = await next_mefs(session, enrollment.school_id, enrollment.school_year_id, {mef.id})
    profiled = await _profiled_mefs(session, enrollment.school_id)
    decided = await _checked_decision(
        session, enrollment, mef, year, proposed.get(mef.id), data, profiled
    )
    counts = DecisionCounts()
    await _write_decisions(session, enrollment.school_id, [(enrollment, decision, decided)], counts)
    return counts.decisions[0]


@requires(Permission.STUDENTS_WRITE)
async def remove_decision(
    session: AsyncSession,
    principal: Principal,
    enrollment_id: int,
    expected_version: int | None = None,
) -> Enrollment:
    """The student is without decision again; his planned enrolment goes with it."""
    enrollment, _year = await _writable_enrollment(session, principal, enrollment_id)
    set_actor(session.sync_session, principal.audit_actor(enrollment.school_id))
    decision = await session.scalar(
        select(PassageDecision).where(PassageDecision.enrollment_id == enrollment.id)
    )
    if decision is None:
        raise ValidationFailed.single(
            "enrollment_id", "NO_DECISION", "Cet élève n'a pas de décision de passage."
        )
    _check_version(decision, expected_version)
    await _write_decisions(
        session, enrollment.school_id, [(enrollment, decision, None)], DecisionCounts()
    )
    return enrollment


@requires(Permission.STUDENTS_WRITE)
async def decide_division(
    session: AsyncSession,
    principal: Principal,
    division_id: int | None,
    default: dict[str, Any] | None,
    decisions: dict[int, dict[str, Any]] | None = None,
    school_id: int | None = None,
) -> DecisionCounts:
    """Decides for a division at once: ``default`` (e.g. promoted) for every student, except
    those given in ``decisions`` (enrolment id -> a decision as ``decide`` takes it, with its
    ``version``). A student not given keeps his own decision if he has one; one given with
    no outcome takes ``default``, or loses his decision when there is no default. All or
    nothing: each error names the student (field ``<enrolment id>.<field>``).

    ``division_id`` None with ``school_id``: the school's students of the current year who
    are in no division (the grid "sans division"). The number of SQL statements does not
    grow with the students (decisions created in one flush; statements per exception only
    when an exception changes an existing decision)."""
    if division_id is None:
        school, year = await _school_of_current_year(
            session, principal, Permission.STUDENTS_WRITE, school_id
        )
        in_grid: Any = Enrollment.division_id.is_(None)
        grid_label = "sans division"
    else:
        division, school, year = await _division_of_current_year(
            session, principal, Permission.STUDENTS_WRITE, division_id
        )
        in_grid = Enrollment.division_id == division.id
        grid_label = f"de la division {division.code}"
    set_actor(session.sync_session, principal.audit_actor(school.id))
    rows = await _rows(
        session,
        school,
        year,
        None,
        in_grid,
        enrollment_clause(principal, Permission.STUDENTS_WRITE),
    )
    given = decisions or {}
    unknown = set(given) - {r.enrollment.id for r in rows}
    if unknown:
        raise ValidationFailed.single(
            "decisions",
            "NOT_IN_DIVISION",
            f"{len(unknown)} élève(s) indiqué(s) ne sont pas parmi les élèves {grid_label}.",
        )
    profiled = await _profiled_mefs(session, school.id)
    counts = DecisionCounts()
    errors: list[FieldError] = []
    written: list[tuple[Enrollment, PassageDecision | None, _Decided | None]] = []
    for row in rows:
        own = given.get(row.enrollment.id)
        if own is None and row.decision is not None:
            counts.unchanged += 1
            continue
        data = own if own is not None and own.get("outcome") not in (None, "") else default
        try:
            if own is not None:
                _check_version(row.decision, own.get("version"))
            decided = (
                None
                if data is None
                else await _checked_decision(
                    session,
                    row.enrollment,
                    row.mef,
                    year,
                    row.proposed_next_mef.id if row.proposed_next_mef else None,
                    data,
                    profiled,
                )
            )
        except ValidationFailed as exc:
            name = row.student.display_name
            errors.extend(
                FieldError(f"{row.enrollment.id}.{e.field}", e.code, f"{name} : {e.message}")
                for e in exc.errors
            )
            continue
        if decided is None and row.decision is None:
            continue
        written.append((row.enrollment, row.decision, decided))
    if errors:
        raise ValidationFailed(errors)
    await _write_decisions(session, school.id, written, counts)
    return counts


# --------------------------------------------------------------------------- placing


async def _next_year_of(session: AsyncSession, school_id: int) -> SchoolYear:
    next_year = await year_in_preparation_of(session, school_id)
    if next_year is None:
        raise ValidationFailed.single(
            "school_year_id",
            "NO_YEAR_IN_PREPARATION",
            "L'académie n'a pas encore ouvert l'année en préparation : les élèves ne peuvent "
            "pas encore être placés dans les divisions de l'an prochain.",
        )
    await check_year_writable(session, school_id, next_year)
    return next_year


def _ids(raw: Any) -> list[int]:
    try:
        return list(dict.fromkeys(int(i) for i in (raw or [])))
    except (TypeError, ValueError):
        raise ValidationFailed.single(
            "enrollment_ids", "INVALID", "Les élèves indiqués ne sont pas valides."
        ) from None


async def _options_for_next_mef(
    session: AsyncSession, from_enrollments: dict[int, tuple[Enrollment, int]]
) -> dict[int, list[tuple[int, str]]]:
    """The options (subject, modality) each current enrolment carries over to its planned
    one (``from_enrollments``: current enrolment id -> (it, next year's MEF id)), in rank
    order. An option goes along when its subject is in the next MEF's programme
    (``MefSubject``), with the modality it has there; when the next MEF has no programme at
    all (the académie's PROGRAMMES not loaded for it), every option goes along with its
    modality: nothing tells which options stop, and the registrar removes those that do."""
    if not from_enrollments:
        return {}
    options: dict[int, list[EnrollmentOption]] = {}
    for option in await session.scalars(
        select(EnrollmentOption)
        .where(EnrollmentOption.enrollment_id.in_(list(from_enrollments)))
        .order_by(EnrollmentOption.enrollment_id, EnrollmentOption.rank)
    ):
        options.setdefault(option.enrollment_id, []).append(option)
    if not options:
        return {}
    programme: dict[int, dict[int, str]] = {}
    for mef_id, subject_id, modality in await session.execute(
        select(MefSubject.mef_id, MefSubject.subject_id, MefSubject.election_modality)
        .where(MefSubject.mef_id.in_({m for _e, m in from_enrollments.values()}))
        .order_by(MefSubject.election_modality)
    ):
        programme.setdefault(mef_id, {}).setdefault(subject_id, modality)
    carried: dict[int, list[tuple[int, str]]] = {}
    for enrollment_id, elected in options.items():
        subjects = programme.get(from_enrollments[enrollment_id][1])
        carried[enrollment_id] = [
            (o.subject_id, o.election_modality if subjects is None else subjects[o.subject_id])
            for o in elected
            if subjects is None or o.subject_id in subjects
        ]
    return carried


async def _check_structures(
    session: AsyncSession,
    school_id: int,
    next_year: SchoolYear,
    division_id: int | None,
    group_ids: list[int] | None,
) -> tuple[Division | None, set[int], list[FieldError]]:
    """The division and groups of next year the students go to, checked once for them all:
    the division, the MEFs it takes (empty: any), the errors."""
    errors: list[FieldError] = []
    division = None
    takes: set[int] = set()
    if division_id is not None:
        division = await session.get(Division, division_id)
        if (
            division is None
            or division.school_id != school_id
            or division.school_year_id != next_year.id
        ):
            errors.append(
                FieldError(
                    "division_id",
                    "NOT_FOUND",
                    "Cette division n'existe pas dans l'établissement pour l'an prochain.",
                )
            )
            division = None
        else:
            takes = set(
                await session.scalars(
                    select(DivisionMef.mef_id).where(DivisionMef.division_id == division.id)
                )
            )
    if group_ids:
        found = set(
            await session.scalars(
                select(Group.id).where(
                    Group.id.in_(group_ids),
                    Group.school_id == school_id,
                    Group.school_year_id == next_year.id,
                )
            )
        )
        if found != set(group_ids):
            errors.append(
                FieldError(
                    "group_ids",
                    "NOT_FOUND",
                    "Un des groupes n'existe pas dans l'établissement pour l'an prochain.",
                )
            )
    return division, takes, errors


@requires(Permission.STUDENTS_WRITE)
async def place(
    session: AsyncSession,
    principal: Principal,
    enrollment_ids: list[int],
    division_id: int | None,
    group_ids: list[int] | None = None,
) -> list[Enrollment]:
    """Places students (their enrolments of the current year) in a division (and groups,
    which replace their groups when given) of the year in preparation: creates or moves
    their planned enrolments, with the decided MEF. A new planned enrolment keeps the
    student's régime, status, ELENOET and the options still taught in his next MEF
    (``_options_for_next_mef``). A student must be decided promoted or repeating; a leaver
    is never placed. ``division_id`` None keeps the planned enrolment out of any division.
    All or nothing; each error names the student. The checks and writes are made for all
    the students together: the number of SQL statements does not grow with them."""
    ids = _ids(enrollment_ids)
    if not ids:
        raise ValidationFailed.single("enrollment_ids", "REQUIRED", "Choisissez des élèves.")
    if len(ids) > MAX_STUDENTS:
        raise ValidationFailed.single(
            "enrollment_ids", "TOO_MANY", f"{MAX_STUDENTS} élèves au plus à la fois."
        )
    found = list(
        await session.execute(
            select(Enrollment, Student, PassageDecision)
            .join(Student, Student.id == Enrollment.student_id)
            .outerjoin(PassageDecision, PassageDecision.enrollment_id == Enrollment.id)
            .where(Enrollment.id.in_(ids), enrollment_clause(principal, Permission.STUDENTS_WRITE))
            .order_by(Student.search_name, Student.id)
        )
    )
    if len(found) != len(ids):
        raise NotFound("Enrollment", sorted(set(ids) - {e.id for e, _s, _d in found})[0])
    school_ids = {e.school_id for e, _s, _d in found}
    if len(school_ids) != 1:
        raise ValidationFailed.single(
            "enrollment_ids", "SEVERAL_SCHOOLS", "Les élèves sont de plusieurs établissements."
        )
    school = await session.get(School, school_ids.pop())
    assert school is not None
    set_actor(session.sync_session, principal.audit_actor(school.id))
    year = await _current_year(session, school.id)
    next_year = await _next_year_of(session, school.id)
    groups = sorted(set(_ids(group_ids))) if group_ids is not None else None
    division, takes, errors = await _check_structures(
        session, school.id, next_year, division_id, groups
    )
    staying: list[tuple[Enrollment, Student, PassageDecision]] = []
    for enrollment, student, decision in found:
        name = student.display_name
        if enrollment.school_year_id != year.id or enrollment.exit_date is not None:
            errors.append(
                FieldError(
                    "enrollment_ids",
                    "NOT_CURRENT_YEAR",
                    f"{name} : pas de scolarité en cours dans l'établissement.",
                )
            )
        elif decision is None:
            errors.append(
                FieldError(
                    "enrollment_ids",
                    "NO_DECISION",
                    f"{name} n'a pas de décision de passage : décidez d'abord.",
                )
            )
        elif decision.outcome is PassageOutcome.LEAVING:
            errors.append(
                FieldError(
                    "enrollment_ids",
                    "LEAVING",
                    f"{name} quitte l'établissement : il n'est pas placé l'an prochain.",
                )
            )
        else:
            assert decision.next_mef_id is not None
            staying.append((enrollment, student, decision))
    student_ids = [s.id for _e, s, _d in staying]
    planned_of = await _planned_by_student(session, school.id, next_year, student_ids)
    profiled = await _profiled_mefs(session, school.id)
    elsewhere = dict(
        (
            await session.execute(
                select(Enrollment.student_id, School.name)
                .join(School, School.id == Enrollment.school_id)
                .where(
                    Enrollment.student_id.in_(student_ids),
                    Enrollment.school_year_id == next_year.id,
                    Enrollment.school_id != school.id,
                    Enrollment.exit_date.is_(None),
                )
            )
        ).all()
    )
    for _enrollment, student, decision in staying:
        name = student.display_name
        planned = planned_of.get(student.id)
        next_mef = decision.next_mef_id
        if planned is not None and planned.exit_date is not None:
            errors.append(
                FieldError(
                    "enrollment_ids",
                    "LEFT",
                    f"{name} : sa scolarité de l'an prochain est close, elle ne change plus.",
                )
            )
        if planned is None and student.id in elsewhere:
            errors.append(
                FieldError(
                    "enrollment_ids",
                    "ALREADY_ENROLLED",
                    f"{name} : l'élève est déjà inscrit l'an prochain ({elsewhere[student.id]}).",
                )
            )
        if planned is None and next_mef not in profiled:
            errors.append(
                FieldError(
                    "enrollment_ids",
                    "NOT_PROFILED",
                    f"{name} : son MEF de l'an prochain n'est pas proposé par l'établissement.",
                )
            )
        mef_id = planned.mef_id if planned is not None else next_mef
        if division is not None and takes and mef_id not in takes:
            errors.append(
                FieldError(
                    "division_id",
                    "MEF_MISMATCH",
                    f"{name} : La division {division.code} n'accueille pas ce MEF.",
                )
            )
    if errors:
        raise ValidationFailed(_deduplicated(errors))
    previous_divisions = dict(
        (
            await session.execute(
                select(Division.id, Division.code).where(
                    Division.id.in_({e.division_id for e, _s, _d in staying if e.division_id})
                )
            )
        ).all()
    )
    previous_mefs = dict(
        (
            await session.execute(
                select(Mef.id, Mef.code).where(Mef.id.in_({e.mef_id for e, _s, _d in staying}))
            )
        ).all()
    )
    new: list[tuple[Enrollment, Enrollment]] = []
    moved: list[Enrollment] = []
    fresh = iter(
        await reserve_ids(
            session,
            Enrollment.__tablename__,
            sum(1 for _e, s, _d in staying if s.id not in planned_of),
        )
    )
    for enrollment, student, decision in staying:
        repeating = decision.outcome is PassageOutcome.REPEATING
        planned = planned_of.get(student.id)
        if planned is None:
            planned = Enrollment(
                id=next(fresh),
                student_id=student.id,
                school_id=school.id,
                school_year_id=next_year.id,
                mef_id=decision.next_mef_id,
                division_id=division_id,
                regime=enrollment.regime,
                regime_code=enrollment.regime_code,
                status_code=enrollment.status_code,
                elenoet=enrollment.elenoet,
                entry_date=next_year.starts_on,
                repeating=repeating,
                previous_school_uai=school.uai,
                previous_school_name=school.name,
                previous_mef_code=previous_mefs.get(enrollment.mef_id),
                previous_division_code=previous_divisions.get(enrollment.division_id or -1),
            )
            session.add(planned)
            new.append((enrollment, planned))
        else:
            if planned.division_id != division_id:
                planned.division_id = division_id
            if planned.repeating != repeating:
                planned.repeating = repeating
            moved.append(planned)
    await session.flush()
    carried = await _options_for_next_mef(
        session, {current.id: (current, planned.mef_id) for current, planned in new}
    )
    if groups is not None and moved:
        # Through the ORM, so that the audit trail records each group left.
        for row in await session.scalars(
            select(EnrollmentGroup).where(EnrollmentGroup.enrollment_id.in_([p.id for p in moved]))
        ):
            await session.delete(row)
        await session.flush()
    for planned in [p for _c, p in new] + moved:
        session.add_all(EnrollmentGroup(enrollment_id=planned.id, group_id=g) for g in groups or [])
    for current, planned in new:
        session.add_all(
            EnrollmentOption(
                enrollment_id=planned.id, subject_id=subject_id, rank=rank, election_modality=m
            )
            for rank, (subject_id, m) in enumerate(carried.get(current.id, []), start=1)
        )
    await session.flush()
    placed = {p.student_id: p for p in [p for _c, p in new] + moved}
    return [placed[s.id] for _e, s, _d in staying]


def _deduplicated(errors: list[FieldError]) -> list[FieldError]:
    return list({(e.field, e.message): e for e in errors}.values())


# --------------------------------------------------------------------------- newcomers


async def _writable_school(session: AsyncSession, principal: Principal, school_id: Any) -> School:
    try:
        key = int(school_id)
    except (TypeError, ValueError):
        raise NotFound("School", school_id) from None
    school = await session.scalar(
        select(School).where(
            School.id == key, school_clause(principal, Permission.STUDENTS_WRITE, School.id)
        )
    )
    if school is None:
        raise NotFound("School", school_id)
    return school


async def student_by_ine(session: AsyncSession, academy_id: int, ine: str) -> Student | None:
    """The académie's student holding this INE (the first one, by id), reach not asked: the
    académie assigned him to the caller's school."""
    return await session.scalar(
        select(Student)
        .where(
            Student.ine == ine,
            select(Enrollment.id)
            .join(School, School.id == Enrollment.school_id)
            .where(Enrollment.student_id == Student.id, School.academy_id == academy_id)
            .exists(),
        )
        .order_by(Student.id)
        .limit(1)
    )


@dataclass
class Newcomer:
    student: Student
    enrollment: Enrollment
    # False: the student was known to the académie (by his INE) and only enrolled here.
    created: bool


@requires(Permission.STUDENTS_WRITE)
async def add_newcomer(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    identity: dict[str, Any],
    placement: dict[str, Any],
    confirm_duplicate: bool = False,
) -> Newcomer:
    """A student the académie assigns to the school for next year: created with his planned
    enrolment (``placement``: ``mef_id``, ``regime``, optional ``division_id``, ``group_ids``,
    ``previous_school_uai`` / ``previous_school_name``); a student the académie already knows
    by his INE is enrolled, not created again."""
    school = await _writable_school(session, principal, school_id)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    next_year = await _next_year_of(session, school.id)
    data = {
        "school_id": school.id,
        "school_year_id": next_year.id,
        "entry_date": next_year.starts_on,
        "regime": placement.get("regime") or "externe",
        **{
            k: placement.get(k)
            for k in (
                "mef_id",
                "division_id",
                "group_ids",
                "previous_school_uai",
                "previous_school_name",
            )
        },
    }
    ine = str(identity.get("ine") or "").strip().upper()
    known = await student_by_ine(session, principal.academy_id, ine) if ine else None
    if known is not None:
        p = FieldParser(identity)
        born = p.date("birth_date", "La date de naissance")
        p.raise_if_errors()
        if born is not None and born != known.birth_date:
            raise ValidationFailed.single(
                "ine",
                "INE_MISMATCH",
                "Un élève de l'académie porte déjà cet INE avec une autre date de naissance : "
                "vérifiez l'INE.",
            )
        enrollment = await enrollments.create_enrollment(session, principal, known, data)
        return Newcomer(known, enrollment, False)
    # Every error at once: the identity's and the MEF's (checked again with the enrolment).
    errors: list[FieldError] = []
    try:
        students.parse_identity(identity)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if not data.get("mef_id"):
        errors.append(FieldError("mef_id", "REQUIRED", "Le MEF est obligatoire."))
    if errors:
        raise ValidationFailed(errors)
    student = await students.create_student(
        session, principal, identity, data, confirm_duplicate=confirm_duplicate
    )
    planned = await session.scalar(
        select(Enrollment).where(
            Enrollment.student_id == student.id, Enrollment.school_year_id == next_year.id
        )
    )
    assert planned is not None
    return Newcomer(student, planned, True)


async def newcomers(session: AsyncSession, school: School, next_year: SchoolYear) -> list[Any]:
    """Planned enrolments of students with no enrolment in the school's current year."""
    year = await _current_year(session, school.id)
    here_now = select(Enrollment.student_id).where(
        Enrollment.school_id == school.id, Enrollment.school_year_id == year.id
    )
    return list(
        (
            await session.execute(
                select(Enrollment, Student, Mef, Division.code)
                .join(Student, Student.id == Enrollment.student_id)
                .join(Mef, Mef.id == Enrollment.mef_id)
                .outerjoin(Division, Division.id == Enrollment.division_id)
                .where(
                    Enrollment.school_id == school.id,
                    Enrollment.school_year_id == next_year.id,
                    Enrollment.student_id.not_in(here_now),
                )
                .order_by(Student.search_name, Student.id)
                .limit(MAX_STUDENTS)
            )
        ).all()
    )


@requires(Permission.STUDENTS_READ)
async def planned_enrollments(
    session: AsyncSession, principal: Principal, school_id: int
) -> list[Enrollment]:
    """The school's enrolments of the year in preparation (empty before it is opened)."""
    school = await get_in_reach(
        session, principal, Permission.STUDENTS_READ, School, school_id, School.id
    )
    next_year = await year_in_preparation_of(session, school.id)
    if next_year is None:
        return []
    return list(
        await session.scalars(
            select(Enrollment)
            .join(Student, Student.id == Enrollment.student_id)
            .where(
                Enrollment.school_id == school.id,
                Enrollment.school_year_id == next_year.id,
                enrollment_clause(principal, Permission.STUDENTS_READ),
            )
            .order_by(Student.search_name, Student.id)
            .limit(MAX_STUDENTS)
        )
    )


# --------------------------------------------------------------------------- assignments file


@dataclass
class PlannedAssignment:
    record: AssignmentRecord
    action: str  # "created" (student and enrolment), "enrolled" (known student), "unchanged"
    values: dict[str, Any]
    student_id: int | None
    mef_id: int
    # A line without INE: the académie's student recognised by his name and birth date
    # ("enrolled"), or the students of the same name and birth date when several are
    # (the line's student is created and reported with each as a probable duplicate).
    note: str | None = None
    probable_duplicates: list[int] = field(default_factory=list)


@dataclass
class AssignmentsPlan:
    """An assignments file's plan for one school (``ImportPlan``)."""

    school_id: int
    next_year_id: int
    rows: list[PlannedAssignment] = field(default_factory=list)
    refused: list[RecordProblem] = field(default_factory=list)

    @property
    def problems(self) -> list[RecordProblem]:
        return self.refused

    @property
    def school_year_id(self) -> int:
        """The year the file's lines are for (the file names none): the run's year."""
        return self.next_year_id

    def counts(self) -> dict[str, dict[str, int]]:
        actions = [r.action for r in self.rows]
        return {
            "student": {
                "created": actions.count("created"),
                "updated": 0,
                "unchanged": len(actions) - actions.count("created"),
                "refused": len(self.refused),
            },
            "enrollment": {
                "created": actions.count("created") + actions.count("enrolled"),
                "updated": 0,
                "unchanged": actions.count("unchanged"),
                "refused": len(self.refused),
            },
        }

    def changes(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            if row.action == "unchanged":
                continue
            yield {
                "kind": "enrollment" if row.action == "enrolled" else "student",
                "id": row.record.ine or f"ligne {row.record.line}",
                "label": f"{row.values['family_name'].upper()} {row.values['first_name']}"
                + (f" — {row.note}" if row.note else ""),
                "action": "created",
                "fields": ["mef_id", "school_year_id"],
            }


_SEXES = {"m": Sex.M, "1": Sex.M, "masculin": Sex.M, "f": Sex.F, "2": Sex.F, "feminin": Sex.F}


def _assignment_values(record: AssignmentRecord) -> tuple[dict[str, Any], list[FieldError]]:
    """The record's identity checked, each error on its column (``COLUMNS``)."""
    p = FieldParser(vars(record))
    values: dict[str, Any] = {
        "family_name": p.person_name("family_name", "Le nom", required=True),
        "first_name": p.person_name("first_name", "Le prénom", required=True),
        "birth_date": p.date("birth_date", "La date de naissance", required=True),
        "sex": None,
        "ine": None,
        "origin_uai": None,
    }
    sex = record.sex.strip().lower().replace("é", "e")
    if not sex:
        p.fail("sex", "REQUIRED", "Le sexe est obligatoire.")
    elif sex not in _SEXES:
        p.fail("sex", "INVALID", "Le sexe est M ou F.")
    else:
        values["sex"] = _SEXES[sex]
    ine = normalized_ine(record.ine)
    if ine:
        problem = ine_problem(ine)
        if problem is None:
            values["ine"] = ine
        else:
            p.fail("ine", "INVALID", problem)
    origin = record.origin_uai.strip().upper()
    if origin:
        if is_valid_uai(origin):
            values["origin_uai"] = origin
        else:
            p.fail("origin_uai", "INVALID", "L'UAI d'origine n'est pas valide.")
    if not record.mef_code.strip():
        p.fail("mef_code", "REQUIRED", "Le code MEF est obligatoire.")
    return values, p.errors


def _problem(record: AssignmentRecord, error: FieldError) -> RecordProblem:
    return RecordProblem(
        "affectation", record.ine or None, COLUMNS.get(error.field), error.message, record.line
    )


async def _recognised(
    session: AsyncSession, academy_id: int, name_key: str, birth_date: Any
) -> tuple[Student | None, str | None, list[int]]:
    """A line without INE, for a student not yet placed here: the académie's students
    (enrolled in one of its schools) of the same name and birth date. One: he is the line's
    student, not a second person. Several: the line's student is created and reported as a
    probable duplicate of each. ``immatriculation``'s detection also compares the birth
    place, which the assignments file does not carry: it would never find these."""
    alike = list(
        await session.scalars(
            select(Student)
            .where(
                Student.search_name == name_key,
                Student.birth_date == birth_date,
                select(Enrollment.id)
                .join(School, School.id == Enrollment.school_id)
                .where(Enrollment.student_id == Student.id, School.academy_id == academy_id)
                .exists(),
            )
            .order_by(Student.id)
            .limit(MAX_ALIKE + 1)
        )
    )
    if not alike:
        return None, None, []
    if len(alike) == 1:
        school = await session.scalar(
            select(School.name)
            .join(Enrollment, Enrollment.school_id == School.id)
            .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
            .where(Enrollment.student_id == alike[0].id)
            .order_by(SchoolYear.start_year.desc(), Enrollment.entry_date.desc())
            .limit(1)
        )
        return (
            alike[0],
            f"élève de l'académie reconnu par son nom et sa date de naissance ({school})",
            [],
        )
    return (
        None,
        f"doublon probable de {len(alike)} élèves de l'académie de même nom et même date "
        "de naissance : signalé au rectorat",
        [s.id for s in alike],
    )


@requires(Permission.STUDENTS_WRITE)
async def plan_assignments(
    session: AsyncSession, principal: Principal, school_id: int, items: Iterable[Any]
) -> AssignmentsPlan:
    """What an assignments file adds to the school's year in preparation: each line's student
    (created, or found by his INE) with a planned enrolment in the assigned MEF. A line for
    another school, of a MEF the school does not offer, or of a student already enrolled
    elsewhere next year is refused; a student already placed here is unchanged."""
    school = await _writable_school(session, principal, school_id)
    next_year = await year_in_preparation_of(session, school.id)
    if next_year is None:
        raise ExchangeFileError(
            "L'académie n'a pas encore ouvert l'année en préparation : les affectations ne "
            "peuvent pas encore être importées."
        )
    plan = AssignmentsPlan(school.id, next_year.id)
    profiled = {
        code: mef_id
        for code, mef_id in await session.execute(
            select(Mef.code, Mef.id)
            .join(SchoolMef, SchoolMef.mef_id == Mef.id)
            .where(SchoolMef.school_id == school.id, SchoolMef.school_year_id == next_year.id)
        )
    }
    seen: dict[tuple[Any, ...], int] = {}
    for record in items:
        if record.receiving_uai.strip().upper() != school.uai:
            plan.refused.append(
                RecordProblem(
                    "affectation",
                    record.ine or None,
                    COLUMNS["receiving_uai"],
                    f"Affectation dans un autre établissement ({record.receiving_uai or 'vide'}) "
                    f"que {school.uai} : ligne ignorée.",
                    record.line,
                )
            )
            continue
        values, errors = _assignment_values(record)
        mef_id = profiled.get(record.mef_code.strip())
        if record.mef_code.strip() and mef_id is None:
            errors.append(
                FieldError(
                    "mef_code",
                    "NOT_PROFILED",
                    f"Le MEF {record.mef_code} n'est pas proposé par l'établissement.",
                )
            )
        if errors:
            plan.refused.extend(_problem(record, e) for e in errors)
            continue
        assert mef_id is not None
        key = (
            (values["ine"],)
            if values["ine"]
            else (search_key(values["family_name"], values["first_name"]), values["birth_date"])
        )
        if key in seen:
            plan.refused.append(
                RecordProblem(
                    "affectation",
                    record.ine or None,
                    None,
                    f"Même élève qu'à la ligne {seen[key]} : ligne ignorée.",
                    record.line,
                )
            )
            continue
        seen[key] = record.line
        student = (
            await student_by_ine(session, principal.academy_id, values["ine"])
            if values["ine"]
            else await session.scalar(
                select(Student)
                .join(Enrollment, Enrollment.student_id == Student.id)
                .where(
                    Enrollment.school_id == school.id,
                    Enrollment.school_year_id == next_year.id,
                    Student.search_name == key[0],
                    Student.birth_date == values["birth_date"],
                )
                .limit(1)
            )
        )
        action = "created"
        note = None
        alike: list[int] = []
        if student is None and not values["ine"]:
            student, note, alike = await _recognised(
                session, principal.academy_id, key[0], values["birth_date"]
            )
        if student is not None:
            enrolled = await session.scalar(
                select(Enrollment.school_id).where(
                    Enrollment.student_id == student.id,
                    Enrollment.school_year_id == next_year.id,
                    Enrollment.exit_date.is_(None),
                )
            )
            if enrolled is not None and enrolled != school.id:
                plan.refused.append(
                    RecordProblem(
                        "affectation",
                        record.ine or None,
                        COLUMNS["ine"],
                        "L'élève est déjà inscrit l'an prochain dans un autre établissement.",
                        record.line,
                    )
                )
                continue
            action = "unchanged" if enrolled == school.id else "enrolled"
        plan.rows.append(
            PlannedAssignment(
                record, action, values, student.id if student else None, mef_id, note, alike
            )
        )
    return plan


@requires(Permission.STUDENTS_WRITE)
async def apply_assignments(
    session: AsyncSession, principal: Principal, plan: AssignmentsPlan
) -> None:
    """Writes an assignments plan: the new students and their planned enrolments."""
    school = await _writable_school(session, principal, plan.school_id)
    set_actor(session.sync_session, principal.audit_actor(school.id))
    next_year = await session.get(SchoolYear, plan.next_year_id)
    assert next_year is not None
    for row in plan.rows:
        if row.action == "unchanged":
            continue
        values = row.values
        if row.student_id is None:
            student = Student(
                family_name=values["family_name"],
                first_name=values["first_name"],
                sex=values["sex"],
                birth_date=values["birth_date"],
                ine=values["ine"],
                created_by_id=principal.id if principal.kind == "staff" else None,
            )
            session.add(student)
            await session.flush()
            # Told to the rectorat, who settles them (``immatriculation.probable_duplicates``);
            # the student is new, so no pair of his can have been reported before.
            now = clock.now()
            session.add_all(
                ProbableDuplicate(student_id=student.id, other_student_id=other, detected_at=now)
                for other in row.probable_duplicates
            )
        else:
            found = await session.get(Student, row.student_id)
            assert found is not None
            student = found
        await enrollments.create_enrollment(
            session,
            principal,
            student,
            {
                "school_id": school.id,
                "school_year_id": next_year.id,
                "mef_id": row.mef_id,
                "regime": "externe",
                "entry_date": next_year.starts_on,
                "previous_school_uai": values["origin_uai"],
            },
        )

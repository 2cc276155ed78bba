"""Issue 13's story, end to end on the demo académie (both engines): a collège prepares next
year in June while its CPE still records the current one's absences, switches at the rentrée,
receives a student of another collège, gets INEs back from the académie base and freezes its
constat de rentrée; the families' database follows after one ordinary replication run.

Every step goes through the domain functions (as the portals and GraphQL call them); the
test reads the database only to choose its students and to check what a step did.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from api.auth.identities import load_principal
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.demo import generate_demo
from api.resolvers import headcounts, immatriculation, passage, rentree, schools, transfers
from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.settings import school_setup
from api.resolvers.absences.statistics import (
    AbsenceDimension,
    AbsenceStatisticsQuery,
    absence_statistics,
)
from api.resolvers.exchanges.exports import ExportKind, export_file
from api.resolvers.exchanges.runs import apply_import, preview_import, stored_file
from api.resolvers.structures import copy_structures
from api.resolvers.teleservices.codes import Population, generate_codes
from api.resolvers.teleservices.services import set_service
from api.resolvers.work import Work
from core.clock import SetClock
from db.accounts import StaffUser
from db.enrollments import Enrollment
from db.exchanges import ExchangeFormat, ExchangeState
from db.immatriculation import ImmatriculationOutcome, IneRequest, ProbableDuplicate
from db.nomenclatures import Mef
from db.passage import PassageOutcome
from db.schools import School, SchoolYear, SchoolYearState
from db.structures import Division
from db.students import Student
from db.teleservices import CodeKind, Teleservice
from exchanges import bea_files
from exchanges.records import FileHeader, IneReturnRecord
from replication.run import replicate
from tests.conftest import TEST_SECRET_KEY
from tsdb.models import TsStudent

JUNE_DAY = datetime(2027, 6, 15, 8, 0, tzinfo=UTC)  # a Tuesday of classes
RENTREE_DAY = datetime(2027, 9, 2, 8, 0, tzinfo=UTC)
# Where the collège's 3es go on (a lycée of the académie), by the year's exit motive 10.
LYCEE_MOTIVE = "10"


def _move_to(clock: SetClock, when: datetime) -> None:
    clock.advance(when - clock.now())


async def _principal(sessionmaker, login: str) -> Principal:
    async with sessionmaker() as session:
        user_id = await session.scalar(select(StaffUser.id).where(StaffUser.login == login))
        assert user_id is not None, login
        return await load_principal(session, user_id)


async def _write(
    sessionmaker, principal: Principal, fn: Callable[..., Awaitable[Any]], *args
) -> Any:
    """One domain call in its own transaction, as a request runs it (``Work``): attributed to
    the caller, in his school (the académie's steps: in none)."""
    [school_id] = principal.school_ids(Permission.STUDENTS_READ) or {None}
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        return await transaction.run(fn, *args)


async def _read(sessionmaker, principal: Principal, fn: Callable[..., Awaitable[Any]], *args):
    async with sessionmaker() as session:
        return await fn(session, principal, *args)


async def _families_see(ts_sessionmaker, school_id: int) -> dict[int, str | None]:
    """The school's children in the families' database, with their division."""
    async with ts_sessionmaker() as ts:
        rows = await ts.execute(
            select(TsStudent.student_id, TsStudent.division_code).where(
                TsStudent.school_id == school_id
            )
        )
        return dict(rows.all())


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _requests_in(content: bytes) -> dict[str, str]:
    """The requests file's DEMANDE_ID -> first name."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (name,) = archive.namelist()
        root = etree.fromstring(archive.read(name))
    return {e.get("DEMANDE_ID"): e.findtext("PRENOM") for e in root.iter("DEMANDE")}


async def test_a_school_year_cycle_on_the_demo_academie(
    sessionmaker, ts_sessionmaker, clock: SetClock
) -> None:
    await generate_demo(sessionmaker, scale=3, seed=2026)
    async with sessionmaker() as session:
        college, other_college, lycee = (
            await session.scalars(select(School).order_by(School.id))
        ).all()
        years = {y.start_year: y for y in await session.scalars(select(SchoolYear))}
    current, following = years[2026], years[2027]
    admin = await _principal(sessionmaker, "demo.admin")
    head = await _principal(sessionmaker, "demo.principal")
    secretariat = await _principal(sessionmaker, "demo.secretariat")
    cpe = await _principal(sessionmaker, "demo.cpe")
    rectorat = await _principal(sessionmaker, "demo.rectorat")
    # The collège opens the families' services: each student and guardian gets a code.
    for service in Teleservice:
        await _write(sessionmaker, head, set_service, college.id, service, True)
    for kind in CodeKind:
        await _write(
            sessionmaker, head, generate_codes, kind, Population(college.id), TEST_SECRET_KEY
        )

    # ---------------------------------------------------------------- June: the académie opens
    _move_to(clock, JUNE_DAY)
    june = clock.now().date()
    opening = await _write(sessionmaker, admin, schools.open_next_year)
    # The demo académie lists 2027-2028 already; opening it profiles each school for it.
    assert opening.school_year.id == following.id and not opening.created
    assert opening.profiled_schools == 3
    async with sessionmaker() as session:
        assert (await schools.current_year_of(session, college.id)).id == current.id
        assert (await schools.year_in_preparation_of(session, college.id)).id == following.id

    # The collège copies its structures.
    copied = await _write(sessionmaker, head, copy_structures, college.id, current.id, following.id)
    async with sessionmaker() as session:
        this_year = {
            d.code: d
            for d in await session.scalars(
                select(Division).where(
                    Division.school_id == college.id, Division.school_year_id == current.id
                )
            )
        }
        next_year = {
            d.code: d
            for d in await session.scalars(
                select(Division).where(
                    Division.school_id == college.id, Division.school_year_id == following.id
                )
            )
        }
    assert sorted(copied.created_divisions) == sorted(this_year) == sorted(next_year)

    # Passage, division by division: promoted (3es: off to the lycée), one exception each.
    exceptions: dict[int, PassageOutcome] = {}
    for code, division in sorted(this_year.items()):
        grid = await _read(sessionmaker, head, passage.division_passage, division.id)
        assert grid.rows, code
        first = grid.rows[0].enrollment.id
        if code.startswith("3"):
            default = {
                "outcome": "leaving",
                "exit_motive_code": LYCEE_MOTIVE,
                "destination_uai": lycee.uai,
                "destination_name": lycee.name,
            }
            exception = {"outcome": "repeating"}
        else:
            default, exception = {"outcome": "promoted"}, {"outcome": "repeating"}
        counts = await _write(
            sessionmaker, head, passage.decide_division, division.id, default, {first: exception}
        )
        assert counts.created == len(grid.rows), code
        exceptions[first] = PassageOutcome.REPEATING
    whole = await _read(sessionmaker, head, passage.school_passage, college.id)
    assert whole.without_decision() == []
    decided = {r.enrollment.id: r for r in whole.rows}
    assert {eid: decided[eid].decision.outcome for eid in exceptions} == exceptions
    leavers = [r for r in whole.rows if r.decision.outcome is PassageOutcome.LEAVING]
    staying = [r for r in whole.rows if r.decision.outcome is not PassageOutcome.LEAVING]
    assert leavers and all(r.division_code.startswith("3") for r in leavers)

    # Placing: the promoted in the same letter one level up, the repeating where they were.
    by_target: dict[str, list[int]] = {}
    for row in staying:
        level, rest = row.division_code[0], row.division_code[1:]
        if row.decision.outcome is PassageOutcome.REPEATING:
            target = row.division_code
        else:
            up = str(int(level) - 1)
            target = (
                up + rest if up + rest in next_year else max(c for c in next_year if c[0] == up)
            )
        by_target.setdefault(target, []).append(row.enrollment.id)
    for target, enrollment_ids in sorted(by_target.items()):
        placed = await _write(
            sessionmaker, head, passage.place, enrollment_ids, next_year[target].id
        )
        assert {p.division_id for p in placed} == {next_year[target].id}
        assert {p.school_year_id for p in placed} == {following.id}
    placed_rows = (await _read(sessionmaker, head, passage.school_passage, college.id)).rows
    assert all(r.placed for r in placed_rows if r.decision.outcome is not PassageOutcome.LEAVING)
    assert not any(r.planned for r in placed_rows if r.decision.outcome is PassageOutcome.LEAVING)

    # The same day, the CPE records an absence: it counts in this year, not the next.
    absent = staying[1]
    async with sessionmaker() as session, session.begin():
        slot = (await school_setup(session, cpe, college.id)).grid.slots[0].id
        event = await record_absence(
            session, cpe, AbsenceEntry(absent.student.id, college.id, june, slot, june, slot)
        )
    assert event.start_date == june
    [row] = await _read(
        sessionmaker,
        cpe,
        absence_statistics,
        AbsenceStatisticsQuery(
            college.id, june, june, AbsenceDimension.DIVISION, student_id=absent.student.id
        ),
    )
    # His division of the current year, not the one he is placed in for next year.
    assert row.label == absent.division_code and row.half_days == 1
    assert absent.planned_division_code != absent.division_code or absent.decision.outcome is (
        PassageOutcome.REPEATING
    )

    await replicate(sessionmaker, ts_sessionmaker, full=True, today=june)
    assert await _families_see(ts_sessionmaker, college.id) == {
        r.student.id: r.division_code for r in placed_rows
    }

    # ---------------------------------------------------------------- the académie assigns a
    # newcomer for next year: a twin (same name, birth day and place) of a student of the
    # other collège, created on purpose after the warning.
    async with sessionmaker() as session:
        twin_of = await session.scalar(
            select(Student)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .where(
                Enrollment.school_id == other_college.id,
                Enrollment.school_year_id == current.id,
                Student.birth_country_code == "100",
            )
            .order_by(Student.id)
            .limit(1)
        )
        mef_6 = await session.scalar(select(Mef.id).where(Mef.code == "10010012110"))
    assert twin_of is not None
    newcomer = await _write(
        sessionmaker,
        secretariat,
        passage.add_newcomer,
        college.id,
        {
            "family_name": twin_of.family_name,
            "first_name": twin_of.first_name,
            "sex": twin_of.sex.value,
            "birth_date": twin_of.birth_date.isoformat(),
            "birth_commune_code": twin_of.birth_commune_code,
            "birth_country_code": "100",
        },
        {"mef_id": mef_6, "regime": "externe", "division_id": next_year["601"].id},
        True,
    )
    assert newcomer.created and newcomer.student.ine is None
    assert newcomer.enrollment.school_year_id == following.id

    # ---------------------------------------------------------------- September: the switch
    _move_to(clock, RENTREE_DAY)
    rentree_day = clock.now().date()
    outcome = await _write(sessionmaker, head, rentree.switch_rentree, college.id)
    assert outcome.switched
    assert outcome.rentree.leavers == len(leavers)
    assert outcome.rentree.closed_enrollments == len(whole.rows)
    async with sessionmaker() as session:
        assert (await schools.current_year_of(session, college.id)).id == following.id
        assert (await schools.current_year_of(session, other_college.id)).id == current.id
        assert (await session.get(SchoolYear, current.id)).state is SchoolYearState.CURRENT

    # A student of the other collège arrives: found by INE, and by name and birth date.
    async with sessionmaker() as session:
        arriving = await session.scalar(
            select(Student)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .join(Division, Division.id == Enrollment.division_id)
            .where(
                Enrollment.school_id == other_college.id,
                Enrollment.school_year_id == current.id,
                Enrollment.exit_date.is_(None),
                Division.code.like("5%"),
                Student.ine.is_not(None),
            )
            .order_by(Student.id)
            .limit(1)
        )
        mef_4 = await session.scalar(select(Mef.id).where(Mef.code == "10210001110"))
    assert arriving is not None and mef_4 is not None
    [by_ine] = await _write(
        sessionmaker, secretariat, transfers.transfer_candidates, college.id, {"ine": arriving.ine}
    )
    by_name = await _write(
        sessionmaker,
        secretariat,
        transfers.transfer_candidates,
        college.id,
        {
            "family_name": arriving.family_name,
            "first_name": arriving.first_name,
            "birth_date": arriving.birth_date.isoformat(),
        },
    )
    assert by_ine.student_id == arriving.id and by_ine.school_uai == other_college.uai
    assert arriving.id in {c.student_id for c in by_name}
    taken = await _write(
        sessionmaker,
        secretariat,
        transfers.take_student_file,
        college.id,
        arriving.id,
        {
            "mef_id": mef_4,
            "division_id": next_year["401"].id,
            "regime": "externe",
            "entry_date": rentree_day.isoformat(),
        },
    )
    assert (taken.school_year_id, taken.previous_school_uai) == (following.id, other_college.uai)
    async with sessionmaker() as session:
        former = await session.scalar(
            select(Enrollment).where(
                Enrollment.student_id == arriving.id,
                Enrollment.school_id == other_college.id,
                Enrollment.school_year_id == current.id,
            )
        )
        assert former.exit_date is not None and former.exit_date < rentree_day

    # Immatriculation: the students without INE are sent; the base answers.
    async with Work(sessionmaker, secretariat).writing(college.id) as transaction:
        sent = await transaction.run(export_file, ExportKind.INE_REQUESTS, college.id, following.id)
    async with Work(sessionmaker, secretariat) as work:
        _name, content = await work.read(stored_file, sent.id)
    requests = _requests_in(content)
    async with sessionmaker() as session:
        waiting = {
            r.student_id: r
            for r in await session.scalars(
                select(IneRequest).where(IneRequest.school_id == college.id)
            )
        }
        without_ine = set(
            await session.scalars(
                select(Student.id)
                .join(Enrollment, Enrollment.student_id == Student.id)
                .where(
                    Enrollment.school_id == college.id,
                    Enrollment.school_year_id == following.id,
                    Student.ine.is_(None),
                )
            )
        )
        [reported] = (await session.scalars(select(ProbableDuplicate))).all()
    assert set(waiting) == without_ine and newcomer.student.id in waiting
    assert set(requests) == {str(r.id) for r in waiting.values()}
    assert {reported.student_id, reported.other_student_id} == {newcomer.student.id, twin_of.id}
    answers = [
        IneReturnRecord(str(request.id), bea_files.ASSIGNED, f"{900000000 + n:09d}ZZ", None)
        for n, request in enumerate(waiting.values())
        if request.student_id != newcomer.student.id
    ] + [
        IneReturnRecord(
            str(waiting[newcomer.student.id].id), bea_files.ALREADY_KNOWN, None, "Déjà connu"
        )
    ]
    header = FileHeader("", None, college.uai, following.start_year, rentree_day)
    returned = _zip("Immatriculations.xml", bea_files.returns_bytes(header, answers))
    async with Work(sessionmaker, secretariat).writing(college.id) as transaction:
        previewed = await transaction.run(
            preview_import, ExchangeFormat.INE_RETURNS, college.id, "Retour.zip", returned
        )
    assert previewed.state == ExchangeState.PREVIEWED, previewed.report
    async with Work(sessionmaker, secretariat).writing(college.id) as transaction:
        applied = await transaction.run(apply_import, previewed.id)
    assert applied.state == ExchangeState.APPLIED and applied.report["problems"] == []
    async with sessionmaker() as session:
        students = {
            s.id: s
            for s in await session.scalars(select(Student).where(Student.id.in_(list(waiting))))
        }
        outcomes = {
            r.student_id: r.outcome
            for r in await session.scalars(
                select(IneRequest).where(IneRequest.school_id == college.id)
            )
        }
    assert all(students[s].ine for s in waiting if s != newcomer.student.id)
    assert students[newcomer.student.id].ine is None  # reported, not merged
    assert outcomes[newcomer.student.id] is ImmatriculationOutcome.DUPLICATE
    [pending] = await _read(sessionmaker, rectorat, immatriculation.probable_duplicates)
    assert {s.student_id for s in pending.students} == {newcomer.student.id, twin_of.id}
    async with sessionmaker() as session:
        assert await session.get(Student, twin_of.id) is not None

    # The constat de rentrée: the students present today in the collège's current year.
    snapshot = await _write(sessionmaker, head, headcounts.launch_constat, college.id, following.id)
    expected = len(staying) + 1 + 1  # the placed students, the newcomer, the transfer
    async with sessionmaker() as session:
        present = await session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(
                Enrollment.school_id == college.id,
                Enrollment.school_year_id == following.id,
                Enrollment.entry_date <= rentree_day,
                Enrollment.exit_date.is_(None),
            )
        )
    assert snapshot.counted_on == rentree_day
    assert snapshot.total == present == expected
    by_division = await _read(
        sessionmaker, head, headcounts.snapshot_totals, snapshot.id, "division"
    )
    assert sum(t.total for t in by_division) == expected
    assert sum(t.boys + t.girls for t in by_division) == expected

    # The families' database: one ordinary run shows the new year.
    summary = await replicate(sessionmaker, ts_sessionmaker, today=rentree_day)
    assert not summary.full
    # The leavers are gone; the placed students, the newcomer and the transferred student are
    # shown in their division of the new year.
    expected = {r.student.id: r.planned_division_code for r in placed_rows if r.placed}
    expected |= {newcomer.student.id: "601", arriving.id: "401"}
    shown = await _families_see(ts_sessionmaker, college.id)
    assert not {r.student.id for r in leavers} & set(shown)
    assert {student: expected.get(student) for student in shown} == shown
    assert shown == expected

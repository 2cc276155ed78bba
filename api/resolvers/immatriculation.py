"""INE immatriculation (seed 002, events F and G): the school sends its students without an
INE to the académie base (BEA) as a file, imports the immatriculations that come back with an
accusé de réception, and the rectorat settles the probable duplicates, never merged here.

- ``send_ine_requests``: the export (``ExportKind.INE_REQUESTS``). Every student of the
  school's current year, present, without an INE and without a request still waiting, gets an
  ``IneRequest`` tied to the export's run; the file names each by the request's id.
- ``plan_ine_returns`` / ``apply_ine_returns`` / ``acknowledge_ine_returns``: the import of
  the base's answers (``ExchangeFormat.INE_RETURNS``, registered in the exchanges' registry):
  an INE (the one shape ``core.ine``), a refusal, or "already known". A request answered
  once stays answered: the same file again changes nothing.
- A student sent, or answered "already known", who has the same name, birth date and birth
  place as a student enrolled in another school of the académie is reported as a
  ``ProbableDuplicate`` to the rectorat (who settles it: "distinct" or "same").
- ``liaison_dashboard``: the "Tableau de bord des liaisons".
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.auth.scopes import student_clause
from api.resolvers.exchanges.runs import record_export
from api.resolvers.ine_conflicts import flag_conflicts
from api.resolvers.schools import current_year_of
from core import clock
from core.errors import NotFound, ValidationFailed
from core.ine import ine_problem, normalized_ine
from db.audit import set_actor
from db.enrollments import Enrollment
from db.exchanges import ExchangeDirection, ExchangeFile, ExchangeFormat, ExchangeRun, ExchangeState
from db.immatriculation import ImmatriculationOutcome, IneRequest, ProbableDuplicate
from db.nomenclatures import Mef
from db.schools import School, SchoolYear, current_year_id_of
from db.students import Student
from exchanges import bea_files
from exchanges.records import (
    FileHeader,
    IneAcknowledgementRecord,
    IneRequestRecord,
    IneReturnRecord,
    RecordProblem,
)
from exchanges.xml_writing import zipped

CHUNK = 500
FRANCE = "100"
ANSWER = "IMMATRICULATION"


class DuplicateResolution(enum.StrEnum):
    DISTINCT = "distinct"  # two children: both keep their own record and INE
    SAME = "same"  # one child: the rectorat merges the records by hand in the base


def _chunks(keys: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


async def _school(session: AsyncSession, principal: Principal, school_id: int) -> School:
    school = await session.get(School, school_id)
    if school is None or school.academy_id != principal.academy_id:
        raise NotFound("School", school_id)
    return school


def _check_in_school(principal: Principal, permission: Permission, school_id: int) -> None:
    """The school's own step: its staff's right there, not an académie-wide one."""
    if school_id not in principal.school_ids(permission):
        raise PermissionDenied(permission)


def _waiting() -> Any:
    return IneRequest.answered_at.is_(None)


def _present(today: date) -> Any:
    return or_(Enrollment.exit_date.is_(None), Enrollment.exit_date >= today)


# Sending


@requires(Permission.STUDENTS_WRITE)
async def send_ine_requests(
    session: AsyncSession, principal: Principal, school_id: int, year_id: int
) -> ExchangeRun:
    """Write the school's requests file for its current year and record it (with the file),
    one ``IneRequest`` per student sent; report the probable duplicates to the rectorat."""
    school = await _school(session, principal, school_id)
    _check_in_school(principal, Permission.STUDENTS_WRITE, school_id)
    current = await current_year_of(session, school_id)
    year = await session.get(SchoolYear, year_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", year_id)
    if current is None or year.id != current.id:
        raise ValidationFailed.single(
            "school_year_id",
            "NOT_CURRENT_YEAR",
            "Les demandes d'INE portent sur les élèves de l'année en cours de l'établissement.",
        )
    pending = select(IneRequest.student_id).where(_waiting())
    rows = (
        await session.execute(
            select(Student, Mef.code)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .where(
                Enrollment.school_id == school_id,
                Enrollment.school_year_id == year.id,
                _present(clock.today()),
                Student.ine.is_(None),
                Student.id.not_in(pending),
            )
            .order_by(Student.search_name, Student.id)
        )
    ).all()
    students: dict[int, tuple[Student, str]] = {}
    for student, mef_code in rows:
        students.setdefault(student.id, (student, mef_code))
    if not students:
        raise ValidationFailed.single(
            "export",
            "NOTHING_TO_SEND",
            "Aucun élève à signaler à la base élèves académique : chacun a un INE ou une "
            "demande en attente.",
        )
    xml_name = bea_files.requests_file_name(school.uai, year.start_year)
    # The file names each request by its id: the run is recorded first, its file written
    # once the requests exist.
    run = await record_export(
        session,
        principal,
        ExchangeFormat.INE_REQUESTS,
        school,
        year,
        xml_name[:-4] + ".zip",
        b"",
        {"students": {"written": len(students)}},
    )
    sent_at = clock.now()
    requests = [
        IneRequest(student_id=student.id, school_id=school_id, sent_run_id=run.id, sent_at=sent_at)
        for student, _mef in students.values()
    ]
    session.add_all(requests)
    await session.flush()
    header = FileHeader(
        root="",
        version=None,
        uai=school.uai,
        school_year=year.start_year,
        exported_on=sent_at.date(),
    )
    data = bea_files.requests_bytes(
        header,
        (_request_record(request, *students[request.student_id]) for request in requests),
    )
    file_name, content = zipped(xml_name, data)
    stored = await session.get(ExchangeFile, run.id)
    assert stored is not None
    stored.content = content
    run.file_name = file_name
    run.file_sha256 = hashlib.sha256(content).hexdigest()
    run.file_size = len(content)
    await _report_duplicates(session, principal, school_id, list(students))
    await session.flush()
    return run


def _request_record(request: IneRequest, student: Student, mef_code: str) -> IneRequestRecord:
    return IneRequestRecord(
        request_id=str(request.id),
        student_siecle_id=student.siecle_id,
        family_name=student.family_name,
        usage_name=student.usage_name,
        first_name=student.first_name,
        first_name_2=student.first_name_2,
        first_name_3=student.first_name_3,
        sex=student.sex.value,
        birth_date=student.birth_date,
        birth_commune_code=student.birth_commune_code,
        birth_city=student.birth_city,
        birth_country_code=student.birth_country_code,
        mef_code=mef_code,
    )


async def _report_duplicates(
    session: AsyncSession, principal: Principal, school_id: int, student_ids: list[int]
) -> int:
    """A ``ProbableDuplicate`` for each student of ``student_ids`` and each student of the
    same name, first name, birth date and birth place enrolled in another school of the
    académie; a pair already reported (either way round) is not reported again."""
    other = aliased(Student)
    born_alike = or_(
        and_(
            Student.birth_country_code == FRANCE,
            other.birth_country_code == FRANCE,
            Student.birth_commune_code == other.birth_commune_code,
        ),
        and_(
            Student.birth_country_code != FRANCE,
            other.birth_country_code == Student.birth_country_code,
            func.upper(func.coalesce(other.birth_city, ""))
            == func.upper(func.coalesce(Student.birth_city, "")),
        ),
    )
    elsewhere = (
        select(Enrollment.student_id)
        .join(School, School.id == Enrollment.school_id)
        .where(School.academy_id == principal.academy_id, Enrollment.school_id != school_id)
    )
    pairs: list[tuple[int, int]] = []
    for part in _chunks(student_ids):
        pairs.extend(
            (first, second)
            for first, second in await session.execute(
                select(Student.id, other.id)
                .join(
                    other,
                    and_(
                        other.id != Student.id,
                        other.search_name == Student.search_name,
                        other.birth_date == Student.birth_date,
                        born_alike,
                        other.id.in_(elsewhere),
                    ),
                )
                .where(Student.id.in_(list(part)))
            )
        )
    if not pairs:
        return 0
    involved = sorted({s for pair in pairs for s in pair})
    known: set[frozenset[int]] = set()
    for part in _chunks(involved):
        for first, second in await session.execute(
            select(ProbableDuplicate.student_id, ProbableDuplicate.other_student_id).where(
                ProbableDuplicate.student_id.in_(list(part))
            )
        ):
            known.add(frozenset((first, second)))
    now = clock.now()
    added = 0
    for first, second in pairs:
        if frozenset((first, second)) in known:
            continue
        known.add(frozenset((first, second)))
        session.add(ProbableDuplicate(student_id=first, other_student_id=second, detected_at=now))
        added += 1
    await session.flush()
    return added


# Returns


class Answer(enum.StrEnum):
    ASSIGNED = "assigned"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    # The request was answered by an earlier file: nothing changes.
    ALREADY_ANSWERED = "already_answered"


OUTCOMES = {
    bea_files.ASSIGNED: ImmatriculationOutcome.ASSIGNED,
    bea_files.ALREADY_KNOWN: ImmatriculationOutcome.DUPLICATE,
    bea_files.REJECTED: ImmatriculationOutcome.REJECTED,
}
OUTCOME_LABELS = {
    ImmatriculationOutcome.ASSIGNED: "INE attribué",
    ImmatriculationOutcome.DUPLICATE: "déjà connu de la base (doublon probable)",
    ImmatriculationOutcome.REJECTED: "refusé par la base",
}


@dataclass
class ReturnLine:
    record: IneReturnRecord
    request_id: int
    student_id: int
    student_label: str
    answer: Answer
    ine: str | None
    # Students out of the school's reach already holding the INE: flagged, never told.
    holders: list[int] = field(default_factory=list)


@dataclass
class IneReturnsPlan:
    school_id: int
    school_year_id: int
    lines: list[ReturnLine]
    refused: list[RecordProblem]
    # Filled by the apply: the requests answered by this file, for the acknowledgement.
    answered: list[IneRequest] = field(default_factory=list)

    @property
    def problems(self) -> list[RecordProblem]:
        return self.refused

    def counts(self) -> dict[str, dict[str, int]]:
        answers = Counter(line.answer for line in self.lines)
        return {
            "ine_request": {
                "updated": len(self.lines) - answers[Answer.ALREADY_ANSWERED],
                "unchanged": answers[Answer.ALREADY_ANSWERED],
                "refused": len(self.refused),
            },
            "ine": {"created": answers[Answer.ASSIGNED]},
        }

    def changes(self) -> Iterable[dict[str, Any]]:
        for line in self.lines:
            if line.answer is Answer.ALREADY_ANSWERED:
                continue
            outcome = OUTCOMES[line.record.result]
            yield {
                "kind": "ine_request",
                "id": str(line.request_id),
                "label": f"{line.student_label} : {OUTCOME_LABELS[outcome]}",
                "action": "updated",
                "fields": ["ine"] if line.answer is Answer.ASSIGNED else [],
            }


def _refusal(record: IneReturnRecord, field_name: str, message: str) -> RecordProblem:
    return RecordProblem(ANSWER, record.request_id, field_name, message, record.line)


@requires(Permission.STUDENTS_WRITE)
async def plan_ine_returns(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    records: Iterable[IneReturnRecord],
) -> IneReturnsPlan:
    """What the base's answers would do: each names one of the school's requests."""
    _check_in_school(principal, Permission.STUDENTS_WRITE, school_id)
    records = list(records)
    refused: list[RecordProblem] = []
    ids: dict[int, IneReturnRecord] = {}
    seen = Counter(r.request_id for r in records)
    for record in records:
        if seen[record.request_id] > 1:
            refused.append(
                _refusal(
                    record, "DEMANDE_ID", "La demande est nommée plusieurs fois dans le fichier."
                )
            )
        elif not record.request_id.isdigit() or len(record.request_id) > 12:
            refused.append(
                _refusal(record, "DEMANDE_ID", "DEMANDE_ID n'est pas le numéro d'une demande.")
            )
        else:
            ids[int(record.request_id)] = record
    requests: dict[int, tuple[IneRequest, Student]] = {}
    for part in _chunks(sorted(ids)):
        for request, student in await session.execute(
            select(IneRequest, Student)
            .join(Student, Student.id == IneRequest.student_id)
            .where(IneRequest.id.in_(list(part)), IneRequest.school_id == school_id)
        ):
            requests[request.id] = (request, student)
    lines: list[ReturnLine] = []
    ines: dict[int, str] = {}
    for request_id, record in ids.items():
        if request_id not in requests:
            refused.append(
                _refusal(
                    record,
                    "DEMANDE_ID",
                    f"La demande {request_id} n'est pas une demande de l'établissement.",
                )
            )
            continue
        request, student = requests[request_id]
        ine = normalized_ine(record.ine) if record.ine else None
        line = ReturnLine(
            record, request_id, student.id, student.display_name, Answer.ALREADY_ANSWERED, ine
        )
        outcome = OUTCOMES[record.result]
        if request.answered_at is not None:
            if request.outcome != outcome or (ine and request.ine != ine):
                refused.append(
                    _refusal(
                        record,
                        "RESULTAT",
                        f"La demande {request_id} a déjà reçu une autre réponse : ignorée.",
                    )
                )
            else:
                lines.append(line)
            continue
        if outcome is ImmatriculationOutcome.ASSIGNED:
            if ine is None:
                refused.append(
                    _refusal(record, "ID_NATIONAL", "L'INE attribué (ID_NATIONAL) manque.")
                )
                continue
            if problem := ine_problem(ine, "L'INE attribué (ID_NATIONAL)"):
                refused.append(_refusal(record, "ID_NATIONAL", problem))
                continue
            if student.ine is not None and student.ine != ine:
                refused.append(
                    _refusal(
                        record,
                        "ID_NATIONAL",
                        f"{student.display_name} a déjà un autre INE : la réponse est ignorée.",
                    )
                )
                continue
            ines[request_id] = ine
            line.answer = Answer.ASSIGNED
        elif outcome is ImmatriculationOutcome.DUPLICATE:
            line.answer = Answer.DUPLICATE
        else:
            line.answer = Answer.REJECTED
        lines.append(line)
    await _check_holders(session, principal, lines, ines, refused)
    return IneReturnsPlan(school_id, school_year_id, lines, refused)


async def _check_holders(
    session: AsyncSession,
    principal: Principal,
    lines: list[ReturnLine],
    ines: dict[int, str],
    refused: list[RecordProblem],
) -> None:
    """An INE given twice in the file, or held by another student the school reaches, is
    refused (as for a record entered by hand); one held out of reach is taken and flagged
    for the rectorat (``ine_conflicts``), never told."""
    twice = {ine for ine, count in Counter(ines.values()).items() if count > 1}
    holders: dict[str, list[int]] = {}
    for part in _chunks(sorted(set(ines.values()))):
        for student_id, ine in await session.execute(
            select(Student.id, Student.ine).where(Student.ine.in_(list(part)))
        ):
            holders.setdefault(ine or "", []).append(student_id)
    everyone = sorted({s for found in holders.values() for s in found})
    in_reach: set[int] = set()
    for part in _chunks(everyone):
        in_reach.update(
            await session.scalars(
                select(Student.id).where(Student.id.in_(list(part)), student_clause(principal))
            )
        )
    for line in list(lines):
        if line.answer is not Answer.ASSIGNED:
            continue
        ine = ines[line.request_id]
        others = [s for s in holders.get(ine, []) if s != line.student_id]
        if ine in twice:
            message = "Cet INE est attribué à plusieurs demandes du fichier : refusé."
        elif any(s in in_reach for s in others):
            message = "Cet INE est déjà attribué à un autre élève."
        else:
            line.holders = others
            continue
        refused.append(_refusal(line.record, "ID_NATIONAL", message))
        lines.remove(line)


@requires(Permission.STUDENTS_WRITE)
async def apply_ine_returns(
    session: AsyncSession, principal: Principal, plan: IneReturnsPlan
) -> None:
    """Answer the requests and write the INEs (audited, under the school)."""
    _check_in_school(principal, Permission.STUDENTS_WRITE, plan.school_id)
    set_actor(session.sync_session, principal.audit_actor(plan.school_id))
    now = clock.now()
    duplicates: list[int] = []
    for line in plan.lines:
        if line.answer is Answer.ALREADY_ANSWERED:
            continue
        request = await session.get(IneRequest, line.request_id)
        student = await session.get(Student, line.student_id)
        assert request is not None and student is not None
        request.answered_at = now
        request.outcome = OUTCOMES[line.record.result]
        request.message = (line.record.message or "")[:200] or None
        if line.answer is Answer.ASSIGNED:
            request.ine = line.ine
            if student.ine != line.ine:
                student.ine = line.ine
        elif line.answer is Answer.DUPLICATE:
            request.ine = line.ine
            duplicates.append(student.id)
        plan.answered.append(request)
    await session.flush()
    for line in plan.lines:
        if line.holders and line.ine:
            await flag_conflicts(session, line.ine, line.student_id, line.holders)
    if duplicates:
        await _report_duplicates(session, principal, plan.school_id, duplicates)


ACKNOWLEDGED = {
    Answer.ASSIGNED: bea_files.TAKEN,
    Answer.DUPLICATE: bea_files.TAKEN,
    Answer.REJECTED: bea_files.TAKEN,
    Answer.ALREADY_ANSWERED: bea_files.ALREADY_DONE,
}


@requires(Permission.STUDENTS_WRITE)
async def acknowledge_ine_returns(
    session: AsyncSession, principal: Principal, run: ExchangeRun, plan: IneReturnsPlan
) -> ExchangeRun | None:
    """Tie the answered requests to the applied run, and write the accusé de réception of
    the file (an export kept with the run's report, to download and send to the base): every
    answer taken or refused. A file that answers nothing new gets none (its first import's
    stands)."""
    for request in plan.answered:
        request.answered_run_id = run.id
    if not plan.answered and not plan.refused:
        return None
    school = await _school(session, principal, plan.school_id)
    year = await session.get(SchoolYear, plan.school_year_id)
    assert year is not None
    acknowledgements = [
        IneAcknowledgementRecord(line.record.request_id, ACKNOWLEDGED[line.answer], line.ine, None)
        for line in plan.lines
    ] + [
        IneAcknowledgementRecord(problem.record_id or "", bea_files.REFUSED, None, problem.message)
        for problem in plan.refused
    ]
    header = FileHeader(
        root="",
        version=None,
        uai=school.uai,
        school_year=year.start_year,
        exported_on=clock.now().date(),
    )
    xml_name = bea_files.acknowledgements_file_name(school.uai, year.start_year, run.id)
    file_name, content = zipped(
        xml_name, bea_files.acknowledgements_bytes(header, acknowledgements)
    )
    acknowledgement = await record_export(
        session,
        principal,
        ExchangeFormat.INE_ACKNOWLEDGEMENTS,
        school,
        year,
        file_name,
        content,
        {
            "ine_request": {
                "updated": len(plan.answered),
                "unchanged": len(plan.lines) - len(plan.answered),
                "refused": len(plan.refused),
            }
        },
    )
    run.report = {**run.report, "acknowledgement_run_id": acknowledgement.id}
    await session.flush()
    return acknowledgement


# Probable duplicates (the rectorat)


def _require_academy(principal: Principal) -> None:
    if not principal.academy_wide(Permission.IMMATRICULATION):
        raise PermissionDenied(Permission.IMMATRICULATION)


@dataclass
class DuplicateStudent:
    student_id: int
    name: str
    birth_date: date
    school_uai: str | None
    school_name: str | None


@dataclass
class ProbableDuplicateView:
    id: int
    detected_at: datetime
    settled_at: datetime | None
    settled_by_label: str | None
    resolution: str | None
    students: list[DuplicateStudent]


async def _schools_of(session: AsyncSession, student_ids: list[int]) -> dict[int, School]:
    """Each student's school: that of his latest enrolment."""
    found: dict[int, School] = {}
    for part in _chunks(sorted(set(student_ids))):
        rows = await session.execute(
            select(Enrollment.student_id, School)
            .join(School, School.id == Enrollment.school_id)
            .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
            .where(Enrollment.student_id.in_(list(part)))
            .order_by(SchoolYear.start_year, Enrollment.entry_date, Enrollment.id)
        )
        for student_id, school in rows:
            found[student_id] = school
    return found


def _in_academy(principal: Principal) -> Any:
    academy_students = (
        select(Enrollment.student_id)
        .join(School, School.id == Enrollment.school_id)
        .where(School.academy_id == principal.academy_id)
    )
    return ProbableDuplicate.student_id.in_(academy_students)


@requires(Permission.IMMATRICULATION)
async def probable_duplicates(
    session: AsyncSession, principal: Principal, *, settled: bool = False
) -> list[ProbableDuplicateView]:
    """The académie's probable duplicates waiting for the rectorat (or settled), oldest
    first, each with both students and their schools."""
    _require_academy(principal)
    first, second = aliased(Student), aliased(Student)
    rows = (
        await session.execute(
            select(ProbableDuplicate, first, second)
            .join(first, first.id == ProbableDuplicate.student_id)
            .join(second, second.id == ProbableDuplicate.other_student_id)
            .where(
                _in_academy(principal),
                ProbableDuplicate.settled_at.is_not(None)
                if settled
                else ProbableDuplicate.settled_at.is_(None),
            )
            .order_by(ProbableDuplicate.detected_at, ProbableDuplicate.id)
        )
    ).all()
    schools = await _schools_of(session, [s.id for _d, a, b in rows for s in (a, b)])

    def described(student: Student) -> DuplicateStudent:
        school = schools.get(student.id)
        return DuplicateStudent(
            student.id,
            student.display_name,
            student.birth_date,
            school.uai if school else None,
            school.name if school else None,
        )

    return [
        ProbableDuplicateView(
            duplicate.id,
            duplicate.detected_at,
            duplicate.settled_at,
            duplicate.settled_by_label,
            duplicate.resolution,
            [described(a), described(b)],
        )
        for duplicate, a, b in rows
    ]


@requires(Permission.IMMATRICULATION)
async def settle_probable_duplicate(
    session: AsyncSession, principal: Principal, duplicate_id: int, resolution: str
) -> ProbableDuplicate:
    """The rectorat's decision: two children ("distinct") or one ("same", merged by hand in
    the base, never here); recorded with who and when. Settled once."""
    _require_academy(principal)
    try:
        decided = DuplicateResolution(resolution)
    except ValueError:
        raise ValidationFailed.single(
            "resolution",
            "INVALID",
            "La décision doit être « distinct » (deux élèves) ou « same » (le même élève).",
        ) from None
    duplicate = await session.scalar(
        select(ProbableDuplicate).where(
            ProbableDuplicate.id == duplicate_id, _in_academy(principal)
        )
    )
    if duplicate is None:
        raise NotFound("ProbableDuplicate", duplicate_id)
    if duplicate.settled_at is not None:
        raise ValidationFailed.single(
            "resolution", "ALREADY_SETTLED", "Ce doublon probable a déjà été tranché."
        )
    duplicate.settled_at = clock.now()
    duplicate.settled_by_label = principal.label[:120]
    duplicate.resolution = decided.value
    await session.flush()
    return duplicate


# The liaisons' dashboard


@dataclass
class SentFile:
    run_id: int
    school_uai: str
    sent_at: datetime
    count: int


@dataclass
class ReceivedFile:
    run_id: int
    school_uai: str
    received_at: datetime
    state: str
    answered: int
    refused: int
    acknowledgement_run_id: int | None


@dataclass
class RequestLine:
    request_id: int
    student_id: int
    student_name: str
    school_uai: str
    sent_at: datetime
    # Days since it was sent (waiting) or the base's answer (refused).
    days_waiting: int
    answered_at: datetime | None = None
    message: str | None = None


@dataclass
class LiaisonDashboard:
    school_id: int | None
    # Students still to send: current year, present, no INE, no request waiting.
    to_send: int
    sent: list[SentFile]
    received: list[ReceivedFile]
    waiting: list[RequestLine]
    refused: list[RequestLine]
    duplicates_pending: int


DASHBOARD_RUNS = 50


@requires(Permission.IMMATRICULATION)
async def liaison_dashboard(
    session: AsyncSession, principal: Principal, school_id: int | None = None
) -> LiaisonDashboard:
    """What was sent to the base, what came back, what still waits: for a school, or for the
    whole académie (the rectorat, ``school_id`` empty)."""
    if school_id is None:
        _require_academy(principal)
        school_ids = list(
            await session.scalars(
                select(School.id).where(School.academy_id == principal.academy_id)
            )
        )
    else:
        await _school(session, principal, school_id)
        if Permission.IMMATRICULATION not in principal.permissions_in(school_id):
            raise PermissionDenied(Permission.IMMATRICULATION)
        school_ids = [school_id]
    uais = dict(
        (
            await session.execute(select(School.id, School.uai).where(School.id.in_(school_ids)))
        ).all()
    )
    runs = list(
        await session.scalars(
            select(ExchangeRun)
            .where(
                ExchangeRun.academy_id == principal.academy_id,
                ExchangeRun.school_id.in_(school_ids),
                ExchangeRun.format.in_([ExchangeFormat.INE_REQUESTS, ExchangeFormat.INE_RETURNS]),
                ExchangeRun.state != ExchangeState.ABANDONED,
            )
            .order_by(ExchangeRun.started_at.desc(), ExchangeRun.id.desc())
            .limit(DASHBOARD_RUNS)
        )
    )
    sent = [
        SentFile(
            run.id,
            uais.get(run.school_id or 0, ""),
            run.started_at,
            int(run.counts.get("students", {}).get("written", 0)),
        )
        for run in runs
        if run.direction == ExchangeDirection.EXPORT
    ]
    received = [
        ReceivedFile(
            run.id,
            uais.get(run.school_id or 0, ""),
            run.started_at,
            run.state.value,
            int(run.counts.get("ine_request", {}).get("updated", 0)),
            run.error_count,
            run.report.get("acknowledgement_run_id"),
        )
        for run in runs
        if run.direction == ExchangeDirection.IMPORT
    ]
    today = clock.today()

    async def requests(*conditions: Any) -> list[RequestLine]:
        rows = await session.execute(
            select(IneRequest, Student)
            .join(Student, Student.id == IneRequest.student_id)
            .where(IneRequest.school_id.in_(school_ids), *conditions)
            .order_by(IneRequest.sent_at, IneRequest.id)
            .limit(500)
        )
        return [
            RequestLine(
                request.id,
                student.id,
                student.display_name,
                uais.get(request.school_id, ""),
                request.sent_at,
                max(0, (today - request.sent_at.date()).days),
                request.answered_at,
                request.message,
            )
            for request, student in rows
        ]

    waiting = await requests(_waiting())
    refused = await requests(IneRequest.outcome == ImmatriculationOutcome.REJECTED)
    # One statement for every school, each counted in its own current year.
    to_send = (
        await session.scalar(
            select(func.count()).select_from(
                select(Enrollment.school_id, Student.id)
                .join(Enrollment, Enrollment.student_id == Student.id)
                .where(
                    Enrollment.school_id.in_(school_ids),
                    Enrollment.school_year_id == current_year_id_of(Enrollment.school_id),
                    _present(today),
                    Student.ine.is_(None),
                    Student.id.not_in(select(IneRequest.student_id).where(_waiting())),
                )
                .distinct()
                .subquery()
            )
        )
        or 0
    )
    schools_students = select(Enrollment.student_id).where(Enrollment.school_id.in_(school_ids))
    duplicates_pending = (
        await session.scalar(
            select(func.count(ProbableDuplicate.id)).where(
                ProbableDuplicate.settled_at.is_(None),
                # The students the school sent: the other side is another school's, which
                # the school is not told about.
                ProbableDuplicate.student_id.in_(schools_students),
            )
        )
        or 0
    )
    return LiaisonDashboard(
        school_id, to_send, sent, received, waiting, refused, duplicates_pending
    )

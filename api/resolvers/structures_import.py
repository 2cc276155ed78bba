"""Event D: a school's structures for a year from STS-WEB (``STS_EDT``), as the records
``exchanges`` reads from the file: divisions with their MEFs and planned headcount, groups
with their divisions, the services (subject, teachers) of both, and the teachers, who become
staff accounts of the académie with a teacher role in the school.

An import is first planned (``preview_structures_import``: what would be created, updated,
removed or kept, with each changed field before and after), then applied in the caller's
transaction (``apply_structures_import``), which plans again on the same data and writes that
plan through the ORM, so that the audit trail records every row. A file with a refused record
(an unknown MEF or subject, a service naming a teacher the file does not list...) is refused
whole: divisions, groups and services refer to each other, and half a structure would leave
teachers without their classes.

STS-WEB is the reference for what it sends: services missing from the file are removed,
including those added by hand. A division or group missing from the file is removed only
when nothing refers to it (no student, past or present, no roll call, no assessment): the
audit trail keeps the deleted row. One that is still referred to is kept, unchanged, and
reported: the students' schooling record must keep pointing at the class they were in, and
there is no column to mark it retired, which the principal deals with (moving its students)
before the next import removes it.

Teachers are matched by their STS id (INDIVIDU ID) within the académie; one not found gets an
account with no password and a ``prenom.nom`` login, and is listed in ``new_teachers`` for an
invitation to be sent. A teacher no longer in the file keeps his account (reported as kept):
deactivating it is the principal's decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.auth.scopes import get_in_reach
from api.resolvers.schools import check_year_writable
from api.resolvers.structures import CODE_PATTERN
from api.resolvers.teaching import EMAIL_PATTERN, display_name, login_base, unique_login
from core.errors import FieldError, NotFound, ValidationFailed
from db.absences import RollCall
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.grades import Assessment
from db.nomenclatures import Mef, SchoolMef, SchoolSubject, Subject
from db.schools import School, SchoolYear
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment
from db.teleservices import PublicationDeadline
from exchanges.records import (
    DivisionRecord,
    GroupRecord,
    RecordProblem,
    ServiceRecord,
    StructuresFileItem,
    TeacherRecord,
)

# Far above a real cité scolaire (a few hundred divisions, groups and teachers).
MAX_RECORDS = 20_000
MAX_HEADCOUNT = 999
# INDIVIDU TYPE of the teaching staff; other staff of the file get an account only when a
# service names them.
TEACHER_KIND = "epp"


class Kind(StrEnum):
    DIVISION = "division"
    GROUP = "group"
    TEACHER = "teacher"
    ASSIGNMENT = "assignment"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    # Missing from the file but kept (students in it, or an account): see ``reason``.
    KEPT = "kept"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class StructureChange:
    """What the import does to one division, group, teacher or service."""

    kind: Kind
    key: str  # the division's or group's code, the teacher's STS id, the service as text
    label: str
    outcome: Outcome
    fields: tuple[FieldChange, ...] = ()
    reason: str | None = None  # French, why a missing one is kept


@dataclass(frozen=True)
class NewTeacherAccount:
    """An account the import created (``user_id`` is None in a preview): to be invited."""

    user_id: int | None
    sts_id: str
    login: str
    display_name: str
    email: str | None


@dataclass(frozen=True)
class StructuresImport:
    school_id: int
    school_year_id: int
    applied: bool
    problems: list[RecordProblem]
    changes: list[StructureChange]
    new_teachers: list[NewTeacherAccount]

    def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {outcome: n}} for every kind and outcome, zeros included."""
        counts = {kind.value: {outcome.value: 0 for outcome in Outcome} for kind in Kind}
        for change in self.changes:
            counts[change.kind.value][change.outcome.value] += 1
        return counts

    def of(self, kind: Kind, outcome: Outcome | None = None) -> list[StructureChange]:
        return [
            c for c in self.changes if c.kind is kind and (outcome is None or c.outcome is outcome)
        ]


class StructuresRefused(ValidationFailed):
    """The file has refused records: nothing was written. ``problems`` name each one."""

    def __init__(self, problems: list[RecordProblem]) -> None:
        super().__init__(
            [
                FieldError(
                    p.field or p.element,
                    "REFUSED",
                    f"{p.element} {p.record_id or ''} : {p.message}".replace("  ", " "),
                )
                for p in problems
            ]
        )
        self.problems = problems


# ------------------------------------------------------------------------------ the plan

# A service: (teacher key, "D" or "G", structure code, subject code). The teacher key is the
# STS id, or "#<user id>" for an account without one (created by hand).
ServiceKey = tuple[str, str, str, str | None]


@dataclass
class _Plan:
    school: School
    year: SchoolYear
    problems: list[RecordProblem] = field(default_factory=list)
    changes: list[StructureChange] = field(default_factory=list)
    divisions: dict[str, DivisionRecord] = field(default_factory=dict)
    groups: dict[str, GroupRecord] = field(default_factory=dict)
    teachers: dict[str, TeacherRecord] = field(default_factory=dict)
    mef_ids: dict[str, int] = field(default_factory=dict)
    subject_ids: dict[str, int] = field(default_factory=dict)
    unprofiled_mefs: set[int] = field(default_factory=set)
    unprofiled_subjects: set[int] = field(default_factory=set)
    existing_divisions: dict[str, Division] = field(default_factory=dict)
    existing_division_mefs: dict[int, dict[str, DivisionMef]] = field(default_factory=dict)
    existing_groups: dict[str, Group] = field(default_factory=dict)
    existing_group_divisions: dict[int, dict[str, GroupDivision]] = field(default_factory=dict)
    accounts: dict[str, StaffUser] = field(default_factory=dict)  # by STS id
    teacher_grants: set[int] = field(default_factory=set)  # users with the role in the school
    new_logins: dict[str, str] = field(default_factory=dict)  # STS id -> planned login
    wanted_services: dict[ServiceKey, str] = field(default_factory=dict)  # -> label
    existing_services: dict[ServiceKey, TeachingAssignment] = field(default_factory=dict)
    service_labels: dict[ServiceKey, str] = field(default_factory=dict)
    removed_divisions: list[Division] = field(default_factory=list)
    removed_groups: list[Group] = field(default_factory=list)

    def problem(
        self, element: str, record_id: str | None, field_name: str | None, message: str, line: int
    ) -> None:
        self.problems.append(RecordProblem(element, record_id, field_name, message, line))


def _text(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _check_records(plan: _Plan, items: Iterable[StructuresFileItem | RecordProblem]) -> None:
    """Sorts the records by kind and refuses those the domain cannot take as they are; the
    reader's own refusals (``RecordProblem`` among the records) refuse the file too."""
    for count, item in enumerate(items, 1):
        if count > MAX_RECORDS:
            raise ValidationFailed.single(
                "file", "TOO_LARGE", f"Le fichier compte plus de {MAX_RECORDS} enregistrements."
            )
        if isinstance(item, RecordProblem):
            plan.problems.append(item)
        elif isinstance(item, DivisionRecord):
            code = item.code.strip()
            if not CODE_PATTERN.match(code):
                plan.problem(
                    "DIVISION",
                    code,
                    "CODE",
                    "Code de division invalide (8 caractères au plus : lettres, chiffres, tirets).",
                    item.line,
                )
            elif code in plan.divisions:
                plan.problem(
                    "DIVISION", code, "CODE", "Division en double dans le fichier.", item.line
                )
            else:
                plan.divisions[code] = item
            if len(_text(item.label) or "") > 60:
                plan.problem(
                    "DIVISION", code, "LIBELLE_LONG", "Le libellé dépasse 60 caractères.", item.line
                )
            if item.planned_headcount is not None and not (
                0 <= item.planned_headcount <= MAX_HEADCOUNT
            ):
                plan.problem(
                    "DIVISION",
                    code,
                    "EFFECTIF_PREVU",
                    f"L'effectif prévu doit être compris entre 0 et {MAX_HEADCOUNT}.",
                    item.line,
                )
            if not item.mef_codes:
                plan.problem(
                    "DIVISION",
                    code,
                    "MEFS_APPARTENANCE",
                    "La division n'est rattachée à aucun MEF.",
                    item.line,
                )
        elif isinstance(item, GroupRecord):
            code = item.code.strip()
            if not CODE_PATTERN.match(code):
                plan.problem(
                    "GROUPE",
                    code,
                    "CODE",
                    "Code de groupe invalide (8 caractères au plus : lettres, chiffres, tirets).",
                    item.line,
                )
            elif code in plan.groups:
                plan.problem("GROUPE", code, "CODE", "Groupe en double dans le fichier.", item.line)
            else:
                plan.groups[code] = item
            if len(_text(item.label) or "") > 60:
                plan.problem(
                    "GROUPE", code, "LIBELLE_LONG", "Le libellé dépasse 60 caractères.", item.line
                )
        elif isinstance(item, TeacherRecord):
            sts_id = item.sts_id.strip()
            if not sts_id or len(sts_id) > 20:
                plan.problem(
                    "INDIVIDU", sts_id, "ID", "Identifiant STS absent ou trop long.", item.line
                )
            elif sts_id in plan.teachers:
                plan.problem(
                    "INDIVIDU", sts_id, "ID", "Individu en double dans le fichier.", item.line
                )
            else:
                plan.teachers[sts_id] = item
            if not _text(item.family_name) or not _text(item.first_name):
                plan.problem(
                    "INDIVIDU",
                    sts_id,
                    "NOM_USAGE" if not _text(item.family_name) else "PRENOM",
                    "Le nom et le prénom de l'individu sont obligatoires.",
                    item.line,
                )
            elif len(display_name(item.first_name, item.family_name)) > 120:
                plan.problem(
                    "INDIVIDU", sts_id, "NOM_USAGE", "Le nom dépasse 120 caractères.", item.line
                )
            email = _text(item.email)
            if email is not None and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
                plan.problem(
                    "INDIVIDU",
                    sts_id,
                    "MEL",
                    f"Adresse électronique invalide : {email}.",
                    item.line,
                )


async def _check_references(session: AsyncSession, plan: _Plan) -> None:
    """MEFs and subjects must be in the nomenclature; groups' divisions and services'
    teachers in the file's individuals."""
    mef_codes = {c for d in plan.divisions.values() for c in d.mef_codes}
    services: list[tuple[str, str, str, ServiceRecord, int]] = [
        ("DIVISION", code, "D", s, d.line) for code, d in plan.divisions.items() for s in d.services
    ] + [("GROUPE", code, "G", s, g.line) for code, g in plan.groups.items() for s in g.services]
    subject_codes = {s.subject_code for *_rest, s, _line in services}
    if mef_codes:
        plan.mef_ids = dict(
            (await session.execute(select(Mef.code, Mef.id).where(Mef.code.in_(mef_codes)))).all()
        )
    if subject_codes:
        plan.subject_ids = dict(
            (
                await session.execute(
                    select(Subject.code, Subject.id).where(Subject.code.in_(subject_codes))
                )
            ).all()
        )
    for code, division in plan.divisions.items():
        for mef_code in division.mef_codes:
            if mef_code not in plan.mef_ids:
                plan.problem(
                    "DIVISION",
                    code,
                    "MEF_APPARTENANCE",
                    f"Le MEF {mef_code} est inconnu de la nomenclature.",
                    division.line,
                )
    for code, group in plan.groups.items():
        for division_code in group.division_codes:
            if division_code not in plan.divisions:
                plan.problem(
                    "GROUPE",
                    code,
                    "DIVISION_APPARTENANCE",
                    f"La division {division_code} n'est pas dans le fichier.",
                    group.line,
                )
    sts_ids = set(plan.teachers)
    if sts_ids:
        for user in await session.scalars(
            select(StaffUser)
            .where(StaffUser.academy_id == plan.school.academy_id, StaffUser.sts_id.in_(sts_ids))
            .order_by(StaffUser.id)
        ):
            assert user.sts_id is not None
            plan.accounts.setdefault(user.sts_id, user)
    for element, code, _kind, service, line in services:
        if service.subject_code not in plan.subject_ids:
            plan.problem(
                element,
                code,
                "CODE_MATIERE",
                f"La matière {service.subject_code} est inconnue de la nomenclature.",
                line,
            )
        for sts_id in service.teacher_ids:
            if sts_id not in plan.teachers:
                plan.problem(
                    element,
                    code,
                    "ENSEIGNANT",
                    f"L'enseignant {sts_id} n'est pas dans la liste des individus.",
                    line,
                )


async def _plan_profiles(session: AsyncSession, plan: _Plan) -> None:
    """MEFs and subjects the school uses from now on, because STS-WEB says it teaches them."""
    mef_ids = set(plan.mef_ids.values())
    subject_ids = set(plan.subject_ids.values())
    if mef_ids:
        plan.unprofiled_mefs = mef_ids - set(
            await session.scalars(
                select(SchoolMef.mef_id).where(
                    SchoolMef.school_id == plan.school.id,
                    SchoolMef.school_year_id == plan.year.id,
                    SchoolMef.mef_id.in_(mef_ids),
                )
            )
        )
    if subject_ids:
        plan.unprofiled_subjects = subject_ids - set(
            await session.scalars(
                select(SchoolSubject.subject_id).where(
                    SchoolSubject.school_id == plan.school.id,
                    SchoolSubject.school_year_id == plan.year.id,
                    SchoolSubject.subject_id.in_(subject_ids),
                )
            )
        )


def _change(
    plan: _Plan,
    kind: Kind,
    key: str,
    label: str,
    before: dict[str, str | None] | None,
    after: dict[str, str | None],
) -> None:
    if before is None:
        fields = tuple(FieldChange(k, None, v) for k, v in after.items() if v is not None)
        plan.changes.append(StructureChange(kind, key, label, Outcome.CREATED, fields))
        return
    fields = tuple(FieldChange(k, before[k], v) for k, v in after.items() if before[k] != v)
    outcome = Outcome.UPDATED if fields else Outcome.UNCHANGED
    plan.changes.append(StructureChange(kind, key, label, outcome, fields))


def _joined(codes: Sequence[str] | set[str]) -> str | None:
    return ", ".join(sorted(codes)) or None


async def _is_referred_to(session: AsyncSession, structure: Division | Group) -> str | None:
    """Why a structure missing from the file must stay (French), or None."""
    if isinstance(structure, Division):
        students = await session.scalar(
            select(Enrollment.id).where(Enrollment.division_id == structure.id).limit(1)
        )
        roll_call = RollCall.division_id == structure.id
        assessment = Assessment.division_id == structure.id
    else:
        students = await session.scalar(
            select(EnrollmentGroup.enrollment_id)
            .where(EnrollmentGroup.group_id == structure.id)
            .limit(1)
        )
        roll_call = RollCall.group_id == structure.id
        assessment = Assessment.group_id == structure.id
    if students is not None:
        return "Absente du fichier mais des élèves y sont inscrits : conservée."
    if await session.scalar(select(RollCall.id).where(roll_call).limit(1)) is not None:
        return "Absente du fichier mais des appels y ont été faits : conservée."
    if await session.scalar(select(Assessment.id).where(assessment).limit(1)) is not None:
        return "Absente du fichier mais des évaluations y ont été saisies : conservée."
    return None


async def _plan_structures(session: AsyncSession, plan: _Plan) -> None:
    school, year = plan.school, plan.year
    for division in await session.scalars(
        select(Division).where(Division.school_id == school.id, Division.school_year_id == year.id)
    ):
        plan.existing_divisions[division.code] = division
        plan.existing_division_mefs[division.id] = {}
    if plan.existing_divisions:
        for link, code in await session.execute(
            select(DivisionMef, Mef.code)
            .join(Mef, Mef.id == DivisionMef.mef_id)
            .where(DivisionMef.division_id.in_([d.id for d in plan.existing_divisions.values()]))
        ):
            plan.existing_division_mefs[link.division_id][code] = link
    for group in await session.scalars(
        select(Group).where(Group.school_id == school.id, Group.school_year_id == year.id)
    ):
        plan.existing_groups[group.code] = group
        plan.existing_group_divisions[group.id] = {}
    if plan.existing_groups:
        for group_link, code in await session.execute(
            select(GroupDivision, Division.code)
            .join(Division, Division.id == GroupDivision.division_id)
            .where(GroupDivision.group_id.in_([g.id for g in plan.existing_groups.values()]))
        ):
            plan.existing_group_divisions[group_link.group_id][code] = group_link

    for code in sorted(plan.divisions):
        record = plan.divisions[code]
        after = {
            "label": _text(record.label) or code,
            "planned_headcount": _str(record.planned_headcount),
            "mefs": _joined(set(record.mef_codes)),
        }
        existing = plan.existing_divisions.get(code)
        before = None
        if existing is not None:
            before = {
                "label": existing.label,
                "planned_headcount": _str(existing.planned_headcount),
                "mefs": _joined(set(plan.existing_division_mefs[existing.id])),
            }
        _change(plan, Kind.DIVISION, code, after["label"] or code, before, after)
    for code in sorted(plan.groups):
        group_record = plan.groups[code]
        after = {
            "label": _text(group_record.label) or code,
            "divisions": _joined(set(group_record.division_codes)),
        }
        existing_group = plan.existing_groups.get(code)
        before = None
        if existing_group is not None:
            before = {
                "label": existing_group.label,
                "divisions": _joined(set(plan.existing_group_divisions[existing_group.id])),
            }
        _change(plan, Kind.GROUP, code, after["label"] or code, before, after)
    for kind, existing_by_code, in_file in (
        (Kind.DIVISION, plan.existing_divisions, plan.divisions),
        (Kind.GROUP, plan.existing_groups, plan.groups),
    ):
        for code in sorted(set(existing_by_code) - set(in_file)):
            structure = existing_by_code[code]
            reason = await _is_referred_to(session, structure)
            if reason is None:
                plan.changes.append(StructureChange(kind, code, structure.label, Outcome.REMOVED))
                if isinstance(structure, Division):
                    plan.removed_divisions.append(structure)
                else:
                    plan.removed_groups.append(structure)
            else:
                if kind is Kind.GROUP:
                    reason = reason.replace("conservée", "conservé").replace("Absente", "Absent")
                plan.changes.append(
                    StructureChange(kind, code, structure.label, Outcome.KEPT, reason=reason)
                )


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


async def _plan_teachers(session: AsyncSession, plan: _Plan) -> None:
    named = {t for d in plan.divisions.values() for s in d.services for t in s.teacher_ids} | {
        t for g in plan.groups.values() for s in g.services for t in s.teacher_ids
    }
    if plan.accounts:
        plan.teacher_grants = set(
            await session.scalars(
                select(RoleGrant.user_id).where(
                    RoleGrant.user_id.in_([u.id for u in plan.accounts.values()]),
                    RoleGrant.school_id == plan.school.id,
                    RoleGrant.role == Role.TEACHER,
                )
            )
        )
    for sts_id in sorted(plan.teachers):
        record = plan.teachers[sts_id]
        if record.kind.strip().lower() != TEACHER_KIND and sts_id not in named:
            continue
        name = display_name(record.first_name, record.family_name)
        email = _text(record.email)
        user = plan.accounts.get(sts_id)
        if user is None:
            login = await unique_login(
                session,
                login_base(record.first_name, record.family_name),
                plan.new_logins.values(),
            )
            plan.new_logins[sts_id] = login
            after: dict[str, str | None] = {"name": name, "login": login, "email": email}
            _change(plan, Kind.TEACHER, sts_id, name, None, after)
            continue
        before: dict[str, str | None] = {
            "name": user.display_name,
            "email": user.email,
            "role": "enseignant" if user.id in plan.teacher_grants else None,
        }
        # The file's e-mail replaces the account's, but a file without one erases nothing.
        after = {"name": name, "email": email or user.email, "role": "enseignant"}
        _change(plan, Kind.TEACHER, sts_id, name, before, after)
    # Teachers of the school imported before and missing from this file.
    for user in await session.scalars(
        select(StaffUser)
        .where(
            StaffUser.sts_id.is_not(None),
            StaffUser.id.in_(
                select(RoleGrant.user_id).where(
                    RoleGrant.school_id == plan.school.id, RoleGrant.role == Role.TEACHER
                )
            ),
        )
        .order_by(StaffUser.display_name)
    ):
        assert user.sts_id is not None
        if user.sts_id not in plan.teachers:
            plan.changes.append(
                StructureChange(
                    Kind.TEACHER,
                    user.sts_id,
                    user.display_name,
                    Outcome.KEPT,
                    reason="Absent du fichier : le compte est conservé (à désactiver s'il a quitté "
                    "l'établissement).",
                )
            )


async def _plan_services(session: AsyncSession, plan: _Plan) -> None:
    subject_codes = {v: k for k, v in plan.subject_ids.items()}
    for kind, records in (("D", plan.divisions), ("G", plan.groups)):
        for code, record in records.items():
            for service in record.services:
                for sts_id in service.teacher_ids:
                    key: ServiceKey = (sts_id, kind, code, service.subject_code)
                    plan.wanted_services[key] = _service_label(plan, key)
    rows = await session.execute(
        select(TeachingAssignment, StaffUser, Division.code, Group.code)
        .select_from(TeachingAssignment)
        .join(StaffUser, StaffUser.id == TeachingAssignment.user_id)
        .outerjoin(Division, Division.id == TeachingAssignment.division_id)
        .outerjoin(Group, Group.id == TeachingAssignment.group_id)
        .where(
            TeachingAssignment.school_id == plan.school.id,
            or_(Division.school_year_id == plan.year.id, Group.school_year_id == plan.year.id),
        )
    )
    for assignment, user, division_code, group_code in rows:
        teacher = user.sts_id or f"#{user.id}"
        subject = (
            subject_codes.get(assignment.subject_id) if assignment.subject_id is not None else None
        )
        if assignment.subject_id is not None and subject is None:
            found = await session.get(Subject, assignment.subject_id)
            subject = found.code if found is not None else None
        key = (
            teacher,
            "D" if division_code is not None else "G",
            division_code or group_code,
            subject,
        )
        plan.existing_services[key] = assignment
        plan.service_labels[key] = _service_label(plan, key, user.display_name)
    for key in sorted(plan.wanted_services, key=_sort_key):
        outcome = Outcome.UNCHANGED if key in plan.existing_services else Outcome.CREATED
        plan.changes.append(
            StructureChange(
                Kind.ASSIGNMENT, _service_key_text(key), plan.wanted_services[key], outcome
            )
        )
    for key in sorted(set(plan.existing_services) - set(plan.wanted_services), key=_sort_key):
        plan.changes.append(
            StructureChange(
                Kind.ASSIGNMENT, _service_key_text(key), plan.service_labels[key], Outcome.REMOVED
            )
        )


def _sort_key(key: ServiceKey) -> tuple[str, str, str, str]:
    return (key[0], key[1], key[2], key[3] or "")


def _service_key_text(key: ServiceKey) -> str:
    teacher, kind, code, subject = key
    return f"{teacher}/{kind}/{code}/{subject or ''}"


def _service_label(plan: _Plan, key: ServiceKey, name: str | None = None) -> str:
    teacher, kind, code, subject = key
    if name is None:
        record = plan.teachers.get(teacher)
        account = plan.accounts.get(teacher)
        if record is not None:
            name = display_name(record.first_name, record.family_name)
        elif account is not None:
            name = account.display_name
        else:
            name = teacher
    structure = "division" if kind == "D" else "groupe"
    return f"{name} : {structure} {code}" + (f", matière {subject}" if subject else "")


async def _plan(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    items: Iterable[StructuresFileItem | RecordProblem],
) -> _Plan:
    school = await get_in_reach(
        session, principal, Permission.STRUCTURES_WRITE, School, school_id, School.id
    )
    year = await session.get(SchoolYear, school_year_id)
    if year is None or year.academy_id != school.academy_id:
        raise NotFound("SchoolYear", school_year_id)
    await check_year_writable(session, school.id, year)
    plan = _Plan(school=school, year=year)
    _check_records(plan, items)
    await _check_references(session, plan)
    if plan.problems:
        return plan
    await _plan_profiles(session, plan)
    await _plan_structures(session, plan)
    await _plan_teachers(session, plan)
    await _plan_services(session, plan)
    return plan


def _result(plan: _Plan, applied: bool, accounts: dict[str, StaffUser]) -> StructuresImport:
    new_teachers = [
        NewTeacherAccount(
            user_id=accounts[sts_id].id if sts_id in accounts else None,
            sts_id=sts_id,
            login=login,
            display_name=display_name(
                plan.teachers[sts_id].first_name, plan.teachers[sts_id].family_name
            ),
            email=_text(plan.teachers[sts_id].email),
        )
        for sts_id, login in plan.new_logins.items()
    ]
    return StructuresImport(
        school_id=plan.school.id,
        school_year_id=plan.year.id,
        applied=applied,
        problems=plan.problems,
        changes=plan.changes,
        new_teachers=new_teachers,
    )


@requires(Permission.STRUCTURES_WRITE)
async def preview_structures_import(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    items: Iterable[StructuresFileItem | RecordProblem],
) -> StructuresImport:
    """What importing these records would change; writes nothing."""
    plan = await _plan(session, principal, school_id, school_year_id, items)
    return _result(plan, False, {})


@requires(Permission.STRUCTURES_WRITE)
async def apply_structures_import(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    school_year_id: int,
    items: Iterable[StructuresFileItem | RecordProblem],
) -> StructuresImport:
    """Imports the records in the caller's transaction (``StructuresRefused`` if a record
    is refused: nothing written). Its ``new_teachers`` are the accounts to invite."""
    plan = await _plan(session, principal, school_id, school_year_id, items)
    if plan.problems:
        raise StructuresRefused(plan.problems)
    set_actor(session.sync_session, principal.audit_actor(plan.school.id))
    school_id = plan.school.id
    year_id = plan.year.id
    session.add_all(
        SchoolMef(school_id=school_id, school_year_id=year_id, mef_id=m)
        for m in sorted(plan.unprofiled_mefs)
    )
    session.add_all(
        SchoolSubject(school_id=school_id, school_year_id=year_id, subject_id=s)
        for s in sorted(plan.unprofiled_subjects)
    )
    accounts = await _write_teachers(session, plan)
    divisions = await _write_divisions(session, plan)
    groups = await _write_groups(session, plan, divisions)
    await _write_services(session, plan, accounts, divisions, groups)
    await _remove_structures(session, plan)
    await session.flush()
    return _result(plan, True, accounts)


async def _write_teachers(session: AsyncSession, plan: _Plan) -> dict[str, StaffUser]:
    """Every account the file's services may name, by STS id (new ones flushed, with ids)."""
    accounts = dict(plan.accounts)
    for change in plan.changes:
        if change.kind is not Kind.TEACHER or change.outcome is Outcome.KEPT:
            continue
        record = plan.teachers[change.key]
        name = display_name(record.first_name, record.family_name)
        email = _text(record.email)
        user = accounts.get(change.key)
        if user is None:
            user = StaffUser(
                academy_id=plan.school.academy_id,
                login=plan.new_logins[change.key],
                display_name=name,
                email=email,
                password_hash=None,
                sts_id=change.key,
            )
            session.add(user)
            await session.flush()
            accounts[change.key] = user
        else:
            user.display_name = name
            if email is not None:
                user.email = email
        if user.id not in plan.teacher_grants:
            session.add(RoleGrant(user_id=user.id, school_id=plan.school.id, role=Role.TEACHER))
            plan.teacher_grants.add(user.id)
    await session.flush()
    return accounts


async def _write_divisions(session: AsyncSession, plan: _Plan) -> dict[str, Division]:
    divisions = dict(plan.existing_divisions)
    for code, record in plan.divisions.items():
        division = divisions.get(code)
        if division is None:
            division = Division(
                school_id=plan.school.id, school_year_id=plan.year.id, code=code, label=""
            )
            session.add(division)
            divisions[code] = division
        division.label = _text(record.label) or code
        division.planned_headcount = record.planned_headcount
    await session.flush()
    for code, record in plan.divisions.items():
        division = divisions[code]
        links = plan.existing_division_mefs.get(division.id, {})
        wanted = set(record.mef_codes)
        for mef_code, link in links.items():
            if mef_code not in wanted:
                await session.delete(link)
        session.add_all(
            DivisionMef(division_id=division.id, mef_id=plan.mef_ids[m])
            for m in sorted(wanted - set(links))
        )
    await session.flush()
    return divisions


async def _write_groups(
    session: AsyncSession, plan: _Plan, divisions: dict[str, Division]
) -> dict[str, Group]:
    groups = dict(plan.existing_groups)
    for code, record in plan.groups.items():
        group = groups.get(code)
        if group is None:
            group = Group(
                school_id=plan.school.id, school_year_id=plan.year.id, code=code, label=""
            )
            session.add(group)
            groups[code] = group
        group.label = _text(record.label) or code
    await session.flush()
    for code, record in plan.groups.items():
        group = groups[code]
        links = plan.existing_group_divisions.get(group.id, {})
        wanted = set(record.division_codes)
        for division_code, link in links.items():
            if division_code not in wanted:
                await session.delete(link)
        session.add_all(
            GroupDivision(group_id=group.id, division_id=divisions[d].id)
            for d in sorted(wanted - set(links))
        )
    await session.flush()
    return groups


async def _write_services(
    session: AsyncSession,
    plan: _Plan,
    accounts: dict[str, StaffUser],
    divisions: dict[str, Division],
    groups: dict[str, Group],
) -> None:
    for key, assignment in plan.existing_services.items():
        if key not in plan.wanted_services:
            await session.delete(assignment)
    await session.flush()
    for key in sorted(set(plan.wanted_services) - set(plan.existing_services), key=_sort_key):
        sts_id, kind, code, subject = key
        session.add(
            TeachingAssignment(
                school_id=plan.school.id,
                user_id=accounts[sts_id].id,
                division_id=divisions[code].id if kind == "D" else None,
                group_id=groups[code].id if kind == "G" else None,
                subject_id=plan.subject_ids[subject] if subject is not None else None,
            )
        )
    await session.flush()


async def _remove_structures(session: AsyncSession, plan: _Plan) -> None:
    """Deletes the empty structures missing from the file, their links first, one by one
    through the ORM so that the audit trail records each row (the database's cascades would
    not)."""
    removed_groups = [g.id for g in plan.removed_groups]
    removed_divisions = [d.id for d in plan.removed_divisions]
    if removed_groups:
        for group_link in await session.scalars(
            select(GroupDivision).where(GroupDivision.group_id.in_(removed_groups))
        ):
            await session.delete(group_link)
    if removed_divisions:
        for group_link in await session.scalars(
            select(GroupDivision).where(GroupDivision.division_id.in_(removed_divisions))
        ):
            await session.delete(group_link)
        for mef_link in await session.scalars(
            select(DivisionMef).where(DivisionMef.division_id.in_(removed_divisions))
        ):
            await session.delete(mef_link)
        for deadline in await session.scalars(
            select(PublicationDeadline).where(
                PublicationDeadline.division_id.in_(removed_divisions)
            )
        ):
            await session.delete(deadline)
    await session.flush()
    for structure in [*plan.removed_groups, *plan.removed_divisions]:
        await session.delete(structure)
    await session.flush()

"""A school's data for a year as the records of the national files, for the exports
(``BEE_ELEVES``, ``BEE_RESPONSABLES``, ``STS_EDT``, ``BEE_NOMENCLATURES``) that the school's
other software reads.

Every kind is read with a fixed number of statements whatever the school's size: one per
table, rows streamed into records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers.enrollments import REGIME_CODES
from core.errors import NotFound
from db.accounts import Role, RoleGrant, StaffUser
from db.addresses import Address
from db.enrollments import Enrollment, EnrollmentGroup, EnrollmentOption
from db.guardians import Guardian, GuardianLink
from db.nomenclatures import Mef, MefSubject, NomenclatureEntry, SchoolMef, Subject
from db.schools import School, SchoolYear
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment
from db.students import Student
from exchanges.records import (
    AddressRecord,
    CodedEntryRecord,
    DivisionRecord,
    GroupRecord,
    MefRecord,
    MembershipRecord,
    OptionRecord,
    PersonRecord,
    PreviousSchoolingRecord,
    ProgrammeRecord,
    ResponsibilityRecord,
    ServiceRecord,
    StudentOptionsRecord,
    StudentRecord,
    StudentStructuresRecord,
    SubjectRecord,
    TeacherRecord,
)
from exchanges.xml_writing import department_of


@dataclass(frozen=True)
class StudentsRecords:
    students: list[StudentRecord]
    options: list[StudentOptionsRecord]
    structures: list[StudentStructuresRecord]
    addresses: list[AddressRecord]


@dataclass(frozen=True)
class GuardiansRecords:
    persons: list[PersonRecord]
    responsibilities: list[ResponsibilityRecord]
    addresses: list[AddressRecord]


@dataclass(frozen=True)
class StructuresRecords:
    divisions: list[DivisionRecord]
    groups: list[GroupRecord]
    teachers: list[TeacherRecord]


@dataclass(frozen=True)
class NomenclatureRecords:
    mefs: list[MefRecord]
    subjects: list[SubjectRecord]
    programmes: list[ProgrammeRecord]
    entries: list[CodedEntryRecord]


def _require_in(principal: Principal, permission: Permission, school: School) -> None:
    if permission not in principal.permissions_in(school.id):
        raise PermissionDenied(permission)


async def _school_and_year(
    session: AsyncSession, principal: Principal, school_id: int, year_id: int
) -> tuple[School, SchoolYear]:
    school = await session.get(School, school_id)
    year = await session.get(SchoolYear, year_id)
    if school is None or school.academy_id != principal.academy_id:
        raise NotFound("School", school_id)
    if year is None or year.academy_id != principal.academy_id:
        raise NotFound("SchoolYear", year_id)
    return school, year


# CODE_STATUT of a student entered without one: "ST", scolaire (not an apprentice).
SCHOOL_STATUS = "ST"


def student_siecle_id(student_id: int, siecle_id: str | None) -> str:
    """ELEVE_ID: SIECLE's own when the student came from it, else ours, marked so that it
    never collides with one of SIECLE's (theirs are digits only)."""
    return siecle_id or f"S{student_id}"


def person_siecle_id(guardian_id: int, siecle_id: str | None) -> str:
    return siecle_id or f"S{guardian_id}"


def address_siecle_id(address_id: int, siecle_id: str | None) -> str:
    return siecle_id or f"S{address_id}"


def _address_record(address: Address) -> AddressRecord:
    return AddressRecord(
        siecle_id=address_siecle_id(address.id, address.siecle_id),
        line1=address.line1,
        line2=address.line2,
        line3=address.line3,
        line4=address.line4,
        postal_code=address.postal_code,
        commune_code=address.commune_code,
        city=address.city,
        foreign_city=address.foreign_city,
        country_code=address.country_code,
    )


@requires(Permission.STUDENTS_EXPORT)
async def students_records(
    session: AsyncSession, principal: Principal, school_id: int, year_id: int
) -> StudentsRecords:
    """The students enrolled in the school during the year (those who left too, with their
    exit date), their options, division and groups, and their addresses."""
    school, year = await _school_and_year(session, principal, school_id, year_id)
    _require_in(principal, Permission.STUDENTS_EXPORT, school)
    rows = (
        await session.execute(
            select(Student, Enrollment, Mef.code)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .where(Enrollment.school_id == school.id, Enrollment.school_year_id == year.id)
            .order_by(Student.search_name, Student.id)
        )
    ).all()
    enrollment_ids = [enrollment.id for _s, enrollment, _m in rows]
    division_codes = dict(
        (
            await session.execute(
                select(Division.id, Division.code).where(
                    Division.school_id == school.id, Division.school_year_id == year.id
                )
            )
        ).all()
    )
    groups_of: dict[int, list[str]] = defaultdict(list)
    options_of: dict[int, list[OptionRecord]] = defaultdict(list)
    if enrollment_ids:
        for enrollment_id, code in await session.execute(
            select(EnrollmentGroup.enrollment_id, Group.code)
            .join(Group, Group.id == EnrollmentGroup.group_id)
            .where(EnrollmentGroup.enrollment_id.in_(enrollment_ids))
            .order_by(Group.code)
        ):
            groups_of[enrollment_id].append(code)
        for enrollment_id, rank, modality, code in await session.execute(
            select(
                EnrollmentOption.enrollment_id,
                EnrollmentOption.rank,
                EnrollmentOption.election_modality,
                Subject.code,
            )
            .join(Subject, Subject.id == EnrollmentOption.subject_id)
            .where(EnrollmentOption.enrollment_id.in_(enrollment_ids))
            .order_by(EnrollmentOption.rank)
        ):
            options_of[enrollment_id].append(OptionRecord(rank, modality, code))
    students: list[StudentRecord] = []
    options: list[StudentOptionsRecord] = []
    structures: list[StudentStructuresRecord] = []
    address_ids = {s.address_id for s, _e, _m in rows if s.address_id is not None}
    addresses = {
        a.id: a
        for a in (
            await session.scalars(select(Address).where(Address.id.in_(sorted(address_ids))))
            if address_ids
            else []
        )
    }
    for student, enrollment, mef_code in rows:
        eleve_id = student_siecle_id(student.id, student.siecle_id)
        address = addresses.get(student.address_id) if student.address_id else None
        students.append(
            StudentRecord(
                siecle_id=eleve_id,
                elenoet=enrollment.elenoet,
                ine=student.ine,
                family_name=student.family_name,
                usage_name=student.usage_name,
                first_name=student.first_name,
                first_name_2=student.first_name_2,
                first_name_3=student.first_name_3,
                sex=student.sex.value,
                birth_date=student.birth_date,
                birth_commune_code=student.birth_commune_code,
                birth_department_code=department_of(student.birth_commune_code),
                birth_city=student.birth_city,
                birth_country_code=student.birth_country_code,
                nationality_code=student.nationality_code,
                mef_code=mef_code,
                regime_code=enrollment.regime_code or REGIME_CODES[enrollment.regime],
                status_code=enrollment.status_code or SCHOOL_STATUS,
                repeating=enrollment.repeating,
                entry_date=enrollment.entry_date,
                exit_date=enrollment.exit_date,
                exit_motive_code=enrollment.exit_motive_code,
                accepts_sms=student.accepts_sms,
                address_siecle_id=(
                    address_siecle_id(address.id, address.siecle_id) if address else None
                ),
                previous=_previous(enrollment),
            )
        )
        if options_of.get(enrollment.id):
            options.append(StudentOptionsRecord(eleve_id, tuple(options_of[enrollment.id])))
        memberships = []
        if enrollment.division_id is not None and enrollment.division_id in division_codes:
            memberships.append(MembershipRecord(division_codes[enrollment.division_id], "D"))
        memberships.extend(MembershipRecord(code, "G") for code in groups_of.get(enrollment.id, []))
        if memberships:
            structures.append(StudentStructuresRecord(eleve_id, tuple(memberships)))
    return StudentsRecords(
        students, options, structures, [_address_record(a) for a in addresses.values()]
    )


def _previous(enrollment: Enrollment) -> PreviousSchoolingRecord | None:
    if not any(
        (
            enrollment.previous_school_uai,
            enrollment.previous_school_name,
            enrollment.previous_mef_code,
            enrollment.previous_division_code,
        )
    ):
        return None
    return PreviousSchoolingRecord(
        mef_code=enrollment.previous_mef_code,
        division_code=enrollment.previous_division_code,
        uai=enrollment.previous_school_uai,
        name=enrollment.previous_school_name,
    )


@requires(Permission.STUDENTS_EXPORT)
async def guardians_records(
    session: AsyncSession, principal: Principal, school_id: int, year_id: int
) -> GuardiansRecords:
    """The guardians and contacts of the students enrolled in the school during the year."""
    school, year = await _school_and_year(session, principal, school_id, year_id)
    _require_in(principal, Permission.STUDENTS_EXPORT, school)
    in_school = (
        select(Enrollment.student_id)
        .where(Enrollment.school_id == school.id, Enrollment.school_year_id == year.id)
        .scalar_subquery()
    )
    links = (
        await session.execute(
            select(GuardianLink, Student.id, Student.siecle_id)
            .join(Student, Student.id == GuardianLink.student_id)
            .where(GuardianLink.student_id.in_(in_school))
            .order_by(Student.search_name, Student.id, GuardianLink.legal_rank, GuardianLink.id)
        )
    ).all()
    guardian_ids = sorted({link.guardian_id for link, _sid, _s in links})
    guardians = {
        g.id: g
        for g in (
            await session.scalars(select(Guardian).where(Guardian.id.in_(guardian_ids)))
            if guardian_ids
            else []
        )
    }
    address_ids = {g.address_id for g in guardians.values() if g.address_id is not None}
    address_rows = {
        a.id: a
        for a in (
            await session.scalars(select(Address).where(Address.id.in_(sorted(address_ids))))
            if address_ids
            else []
        )
    }
    persons = []
    for guardian_id in guardian_ids:
        guardian = guardians[guardian_id]
        address = address_rows.get(guardian.address_id) if guardian.address_id else None
        persons.append(
            PersonRecord(
                siecle_id=person_siecle_id(guardian.id, guardian.siecle_id),
                civility=guardian.civility.value,
                family_name=guardian.family_name,
                usage_name=guardian.usage_name,
                first_name=guardian.first_name,
                phone_home=guardian.phone_home,
                phone_mobile=guardian.phone_mobile,
                phone_work=guardian.phone_work,
                email=guardian.email,
                accepts_sms=guardian.accepts_sms,
                profession_code=guardian.profession_code,
                address_siecle_id=(
                    address_siecle_id(address.id, address.siecle_id) if address else None
                ),
            )
        )
    responsibilities = [
        ResponsibilityRecord(
            student_siecle_id=student_siecle_id(student_id, siecle_id),
            person_siecle_id=person_siecle_id(
                link.guardian_id, guardians[link.guardian_id].siecle_id
            ),
            level=link.responsibility_level,
            kinship_code=link.relationship.value,
            pays_fees=link.pays_fees,
            receives_aid=link.receives_aid,
            lives_with=link.lives_with,
            contact_first=link.contact_first,
        )
        for link, student_id, siecle_id in links
    ]
    return GuardiansRecords(
        persons, responsibilities, [_address_record(a) for a in address_rows.values()]
    )


@requires(Permission.STRUCTURES_READ)
async def structures_records(
    session: AsyncSession, principal: Principal, school_id: int, year_id: int
) -> StructuresRecords:
    """The school's divisions, groups, services and teachers for the year (STS_EDT)."""
    school, year = await _school_and_year(session, principal, school_id, year_id)
    _require_in(principal, Permission.STRUCTURES_READ, school)
    divisions = list(
        await session.scalars(
            select(Division)
            .where(Division.school_id == school.id, Division.school_year_id == year.id)
            .order_by(Division.code)
        )
    )
    groups = list(
        await session.scalars(
            select(Group)
            .where(Group.school_id == school.id, Group.school_year_id == year.id)
            .order_by(Group.code)
        )
    )
    division_ids = [d.id for d in divisions]
    group_ids = [g.id for g in groups]
    mefs_of: dict[int, list[str]] = defaultdict(list)
    divisions_of: dict[int, list[str]] = defaultdict(list)
    codes = {d.id: d.code for d in divisions}
    if division_ids:
        for division_id, code in await session.execute(
            select(DivisionMef.division_id, Mef.code)
            .join(Mef, Mef.id == DivisionMef.mef_id)
            .where(DivisionMef.division_id.in_(division_ids))
            .order_by(Mef.code)
        ):
            mefs_of[division_id].append(code)
    if group_ids:
        for group_id, division_id in await session.execute(
            select(GroupDivision.group_id, GroupDivision.division_id).where(
                GroupDivision.group_id.in_(group_ids)
            )
        ):
            if division_id in codes:
                divisions_of[group_id].append(codes[division_id])
    teachers_of_division: dict[tuple[int, str], list[str]] = defaultdict(list)
    teachers_of_group: dict[tuple[int, str], list[str]] = defaultdict(list)
    teachers: dict[int, StaffUser] = {}
    assignments = (
        await session.execute(
            select(TeachingAssignment, StaffUser, Subject.code)
            .join(StaffUser, StaffUser.id == TeachingAssignment.user_id)
            .outerjoin(Subject, Subject.id == TeachingAssignment.subject_id)
            .where(TeachingAssignment.school_id == school.id)
            .order_by(TeachingAssignment.id)
        )
    ).all()
    for assignment, user, subject_code in assignments:
        if subject_code is None:
            continue
        teachers[user.id] = user
        teacher_id = user.sts_id or f"S{user.id}"
        if assignment.division_id in codes:
            teachers_of_division[(assignment.division_id, subject_code)].append(teacher_id)
        elif assignment.group_id in group_ids:
            teachers_of_group[(assignment.group_id, subject_code)].append(teacher_id)
    granted_teachers = await session.scalars(
        select(StaffUser)
        .join(RoleGrant, RoleGrant.user_id == StaffUser.id)
        .where(RoleGrant.school_id == school.id, RoleGrant.role == Role.TEACHER)
    )
    for user in granted_teachers:
        teachers.setdefault(user.id, user)

    def services(
        owner_id: int, table: dict[tuple[int, str], list[str]]
    ) -> tuple[ServiceRecord, ...]:
        return tuple(
            ServiceRecord(subject, tuple(ids))
            for (owner, subject), ids in sorted(table.items())
            if owner == owner_id
        )

    return StructuresRecords(
        divisions=[
            DivisionRecord(
                code=d.code,
                label=d.label,
                planned_headcount=d.planned_headcount,
                mef_codes=tuple(mefs_of[d.id]),
                services=services(d.id, teachers_of_division),
            )
            for d in divisions
        ],
        groups=[
            GroupRecord(
                code=g.code,
                label=g.label,
                division_codes=tuple(sorted(divisions_of[g.id])),
                services=services(g.id, teachers_of_group),
            )
            for g in groups
        ],
        teachers=[_teacher_record(u) for u in sorted(teachers.values(), key=lambda u: u.id)],
    )


def _teacher_record(user: StaffUser) -> TeacherRecord:
    family_name, _, first_name = user.display_name.partition(" ")
    return TeacherRecord(
        sts_id=user.sts_id or f"S{user.id}",
        kind="epp",
        civility=None,
        family_name=family_name,
        first_name=first_name,
        email=user.email,
    )


@requires(Permission.NOMENCLATURES_READ)
async def nomenclature_records(
    session: AsyncSession, principal: Principal, school_id: int, year_id: int
) -> NomenclatureRecords:
    """The nomenclature of the year as the school uses it: its profiled MEFs and subjects
    (every MEF and subject when it has profiled none yet), their programmes, and the coded
    lists in force for the year."""
    school, year = await _school_and_year(session, principal, school_id, year_id)
    _require_in(principal, Permission.NOMENCLATURES_READ, school)
    profiled = select(SchoolMef.mef_id).where(
        SchoolMef.school_id == school.id, SchoolMef.school_year_id == year.id
    )
    mef_query = select(Mef).order_by(Mef.code)
    if await session.scalar(profiled.limit(1)) is not None:
        mef_query = mef_query.where(Mef.id.in_(profiled))
    mefs = list(await session.scalars(mef_query))
    subjects = list(await session.scalars(select(Subject).order_by(Subject.code)))
    mef_codes = {m.id: m.code for m in mefs}
    subject_codes = {s.id: s.code for s in subjects}
    programmes = [
        ProgrammeRecord(
            mef_codes[p.mef_id], subject_codes[p.subject_id], p.election_modality, p.weekly_hours
        )
        for p in await session.scalars(
            select(MefSubject).where(MefSubject.mef_id.in_(list(mef_codes)))
        )
        if p.subject_id in subject_codes
    ]
    latest = (
        select(NomenclatureEntry.list, NomenclatureEntry.year)
        .where(NomenclatureEntry.year <= year.start_year)
        .distinct()
    )
    years_of: dict[str, int] = {}
    for list_name, entry_year in await session.execute(latest):
        years_of[list_name] = max(entry_year, years_of.get(list_name, entry_year))
    entries = [
        CodedEntryRecord(
            list=e.list,
            code=e.code,
            short_label=e.short_label,
            long_label=e.long_label,
            edition_label=e.edition_label,
            sort_order=e.sort_order,
            national=(e.category == "national") if e.list == "scholarship_type" else None,
        )
        for e in await session.scalars(
            select(NomenclatureEntry).order_by(NomenclatureEntry.list, NomenclatureEntry.code)
        )
        if years_of.get(e.list) == e.year
    ]
    return NomenclatureRecords(
        mefs=[
            MefRecord(
                code=m.code,
                formation=m.short_label,
                long_label=m.long_label,
                edition_label=m.edition_label,
                attachment_code=m.attachment_code,
                statistics_code=m.statistics_code,
                opens_on=m.opens_on,
                closes_on=m.closes_on,
            )
            for m in mefs
        ],
        subjects=[
            SubjectRecord(
                code=s.code,
                management_code=s.management_code,
                short_label=s.short_label,
                long_label=s.long_label,
                edition_label=s.edition_label,
            )
            for s in subjects
        ],
        programmes=programmes,
        entries=entries,
    )

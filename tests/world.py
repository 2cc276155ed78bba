"""A small, explicit académie for tests: two collèges, their staff, structures and students.

School A (0930001?) has divisions 6A and 6B (MEF 6EME) and a group LV2ESP
across them; school B has division 6X. A teacher of A teaches 6A only.
Every student has a guardian; Lina and Noah (A) are siblings sharing theirs,
and Noah's guardian is also Jade's (B): a family across two schools.

On request, the probes of reach that the default world leaves out (so that the counts other
tests assert stay as they are): ``other_academy`` adds a second académie (Versailles: school
C, division 6V, Hugo and Inès with a guardian each, its principal and rectorat) that the
first académie's staff never reach; ``group_teacher`` adds a teacher of school A who teaches
the group ESP2 only (Lina is in it; the rest of 6A and 6B are not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.identities import load_principal
from api.auth.passwords import hash_password
from api.auth.principal import Principal
from db.accounts import Role, RoleGrant, StaffUser
from db.addresses import Address
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentGroup, Regime
from db.guardians import Civility, Guardian, GuardianLink, Relationship
from db.nomenclatures import Mef, SchoolMef, SchoolSubject, Subject
from db.schools import Academy, School, SchoolKind, SchoolYear, SchoolYearState, uai_check_letter
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment
from db.students import Sex, Student

PASSWORD = "mot-de-passe-de-test"
# Hashing with argon2 is deliberately slow: once per test run is enough.
PASSWORD_HASH = hash_password(PASSWORD)


def uai(digits: str) -> str:
    return digits + uai_check_letter(digits)


@dataclass
class World:
    academy_id: int
    year_id: int
    closed_year_id: int
    school_a: int
    school_b: int
    mef_6: int
    mef_5: int
    division_a1: int
    division_a2: int
    division_b1: int
    group_a: int
    subject: int
    students: dict[str, int] = field(default_factory=dict)
    enrollments: dict[str, int] = field(default_factory=dict)
    guardians: dict[str, int] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    # One home per household, shared by its guardians and the children who live with them.
    addresses: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    # Set with ``other_academy``.
    other_academy_id: int | None = None
    school_c: int | None = None
    division_c1: int | None = None

    async def principal(
        self, sessionmaker: async_sessionmaker[AsyncSession], user: str
    ) -> Principal:
        async with sessionmaker() as session:
            principal = await load_principal(session, self.users[user])
        assert principal is not None
        return principal


async def build_world(
    sessionmaker: async_sessionmaker[AsyncSession],
    extra_students_a1: int = 0,
    *,
    other_academy: bool = False,
    group_teacher: bool = False,
) -> World:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        academy = Academy(code="24", name="Créteil")
        session.add(academy)
        await session.flush()
        year = SchoolYear(academy_id=academy.id, start_year=2026, state=SchoolYearState.CURRENT)
        closed = SchoolYear(academy_id=academy.id, start_year=2025, state=SchoolYearState.CLOSED)
        school_a = School(
            academy_id=academy.id,
            uai=uai("0930001"),
            kind=SchoolKind.COLLEGE,
            name="Collège Jean Moulin",
            city="Montreuil",
            postal_code="93100",
        )
        school_b = School(
            academy_id=academy.id,
            uai=uai("0940002"),
            kind=SchoolKind.COLLEGE,
            name="Collège Louise Michel",
            city="Ivry-sur-Seine",
            postal_code="94200",
        )
        mef_5 = Mef(
            code="10110001110",
            short_label="5EME",
            long_label="5EME",
            duration_years=1,
            typical_age=12,
        )
        session.add_all([year, closed, school_a, school_b, mef_5])
        await session.flush()
        mef_6 = Mef(
            code="10010012110",
            short_label="6EME",
            long_label="6EME",
            duration_years=1,
            typical_age=11,
            next_mef_id=mef_5.id,
        )
        subject = Subject(
            code="030201",
            management_code="ESP2",
            short_label="ESPAGNOL LV2",
            long_label="ESPAGNOL LV2",
        )
        session.add_all([mef_6, subject])
        await session.flush()
        for school in (school_a, school_b):
            for profiled_year in (year, closed):
                session.add_all(
                    [
                        SchoolMef(
                            school_id=school.id, school_year_id=profiled_year.id, mef_id=mef_6.id
                        ),
                        SchoolMef(
                            school_id=school.id, school_year_id=profiled_year.id, mef_id=mef_5.id
                        ),
                        SchoolSubject(
                            school_id=school.id,
                            school_year_id=profiled_year.id,
                            subject_id=subject.id,
                        ),
                    ]
                )
        a1 = Division(
            school_id=school_a.id,
            school_year_id=year.id,
            code="6A",
            label="6e A",
            planned_headcount=28,
        )
        a2 = Division(school_id=school_a.id, school_year_id=year.id, code="6B", label="6e B")
        b1 = Division(school_id=school_b.id, school_year_id=year.id, code="6X", label="6e X")
        session.add_all([a1, a2, b1])
        await session.flush()
        session.add_all(DivisionMef(division_id=d.id, mef_id=mef_6.id) for d in (a1, a2, b1))
        group = Group(
            school_id=school_a.id,
            school_year_id=year.id,
            code="ESP2",
            label="Espagnol LV2",
            subject_id=subject.id,
        )
        session.add(group)
        await session.flush()
        session.add_all(
            [
                GroupDivision(group_id=group.id, division_id=a1.id),
                GroupDivision(group_id=group.id, division_id=a2.id),
            ]
        )

        world = World(
            academy_id=academy.id,
            year_id=year.id,
            closed_year_id=closed.id,
            school_a=school_a.id,
            school_b=school_b.id,
            mef_6=mef_6.id,
            mef_5=mef_5.id,
            division_a1=a1.id,
            division_a2=a2.id,
            division_b1=b1.id,
            group_a=group.id,
            subject=subject.id,
        )
        await _staff(session, world)
        await _families(session, world, extra_students_a1)
        if group_teacher:
            await _group_teacher(session, world)
        if other_academy:
            await _other_academy(session, world)
    return world


async def _user(
    session: AsyncSession, world: World, academy_id: int, login: str, role: Role, school: int | None
) -> None:
    user = StaffUser(
        academy_id=academy_id,
        login=login,
        display_name=login.replace("_", " ").title(),
        password_hash=PASSWORD_HASH,
    )
    session.add(user)
    await session.flush()
    session.add(RoleGrant(user_id=user.id, school_id=school, role=role))
    world.users[login] = user.id


async def _group_teacher(session: AsyncSession, world: World) -> None:
    await _user(session, world, world.academy_id, "group_teacher_a", Role.TEACHER, world.school_a)
    session.add(
        TeachingAssignment(
            school_id=world.school_a,
            user_id=world.users["group_teacher_a"],
            group_id=world.group_a,
            subject_id=world.subject,
        )
    )
    await session.flush()


async def _other_academy(session: AsyncSession, world: World) -> None:
    academy = Academy(code="25", name="Versailles")
    session.add(academy)
    await session.flush()
    year = SchoolYear(academy_id=academy.id, start_year=2026, state=SchoolYearState.CURRENT)
    school = School(
        academy_id=academy.id,
        uai=uai("0780003"),
        kind=SchoolKind.COLLEGE,
        name="Collège Jean Moulin",
        city="Versailles",
        postal_code="78000",
    )
    session.add_all([year, school])
    await session.flush()
    session.add(SchoolMef(school_id=school.id, school_year_id=year.id, mef_id=world.mef_6))
    division = Division(school_id=school.id, school_year_id=year.id, code="6V", label="6e V")
    session.add(division)
    await session.flush()
    session.add(DivisionMef(division_id=division.id, mef_id=world.mef_6))
    world.other_academy_id, world.school_c, world.division_c1 = academy.id, school.id, division.id
    await _user(session, world, academy.id, "principal_c", Role.PRINCIPAL, school.id)
    await _user(session, world, academy.id, "rectorat_versailles", Role.RECTORAT, None)
    # Named like school A's students, so that a search by name finds them if scoping fails.
    for key, first, sex, born, ine in (
        ("hugo", "Hugo", Sex.M, date(2015, 4, 2), "2234567890C"),
        ("ines", "Inès", Sex.F, date(2015, 9, 9), None),
    ):
        home = await _home(session, world, key)
        student = Student(
            family_name="Martin",
            first_name=first,
            sex=sex,
            birth_date=born,
            birth_commune_code="78646",
            birth_city="Versailles",
            ine=ine,
            address_id=home.id,
        )
        session.add(student)
        await session.flush()
        enrollment = Enrollment(
            student_id=student.id,
            school_id=school.id,
            school_year_id=year.id,
            mef_id=world.mef_6,
            division_id=division.id,
            regime=Regime.EXTERNE,
            entry_date=date(2026, 9, 1),
        )
        session.add(enrollment)
        await session.flush()
        world.students[key], world.enrollments[key] = student.id, enrollment.id
        guardian = await _guardian(
            session,
            world,
            key,
            Civility.MME,
            "Martin",
            "Odile",
            f"{key}.parent@example.fr",
            home,
        )
        await _link(session, world, key, student, guardian, 1, Relationship.MOTHER)


async def _staff(session: AsyncSession, world: World) -> None:
    accounts = [
        ("principal_a", Role.PRINCIPAL, world.school_a),
        ("registrar_a", Role.REGISTRAR, world.school_a),
        ("cpe_a", Role.CPE, world.school_a),
        ("teacher_a", Role.TEACHER, world.school_a),
        ("bursar_a", Role.BURSAR, world.school_a),
        ("principal_b", Role.PRINCIPAL, world.school_b),
        ("rectorat", Role.RECTORAT, None),
        ("admin", Role.ACADEMY_ADMIN, None),
    ]
    for login, role, school_id in accounts:
        user = StaffUser(
            academy_id=world.academy_id,
            login=login,
            display_name=login.replace("_", " ").title(),
            password_hash=PASSWORD_HASH,
        )
        session.add(user)
        await session.flush()
        session.add(RoleGrant(user_id=user.id, school_id=school_id, role=role))
        world.users[login] = user.id
    session.add(
        TeachingAssignment(
            school_id=world.school_a,
            user_id=world.users["teacher_a"],
            division_id=world.division_a1,
            subject_id=world.subject,
        )
    )


async def _student(
    session: AsyncSession,
    world: World,
    key: str,
    family: str,
    first: str,
    sex: Sex,
    born: date,
    school_id: int,
    division_id: int | None,
    ine: str | None = None,
    home: Address | None = None,
) -> Student:
    student = Student(
        family_name=family,
        first_name=first,
        sex=sex,
        birth_date=born,
        birth_commune_code="93048",
        birth_city="Montreuil",
        ine=ine,
        address_id=home.id if home else None,
    )
    session.add(student)
    await session.flush()
    enrollment = _enrollment(world, student.id, school_id, division_id)
    session.add(enrollment)
    await session.flush()
    world.students[key] = student.id
    world.enrollments[key] = enrollment.id
    return student


def _enrollment(
    world: World, student_id: int, school_id: int, division_id: int | None
) -> Enrollment:
    return Enrollment(
        student_id=student_id,
        school_id=school_id,
        school_year_id=world.year_id,
        mef_id=world.mef_6,
        division_id=division_id,
        regime=Regime.DEMI_PENSIONNAIRE,
        entry_date=date(2026, 9, 1),
    )


async def _guardian(
    session: AsyncSession,
    world: World,
    key: str,
    civility: Civility,
    family: str,
    first: str,
    email: str | None,
    home: Address,
) -> Guardian:
    guardian = Guardian(
        civility=civility,
        family_name=family,
        first_name=first,
        phone_mobile="06 12 34 56 78",
        email=email,
        address_id=home.id,
    )
    session.add(guardian)
    await session.flush()
    world.guardians[key] = guardian.id
    return guardian


async def _home(session: AsyncSession, world: World, key: str) -> Address:
    """A household's address (its children are created with it: no second version)."""
    home = Address(line1="12 rue de Paris", postal_code="93100", city="Montreuil")
    session.add(home)
    await session.flush()
    world.addresses[key] = home.id
    return home


async def _link(
    session: AsyncSession,
    world: World,
    key: str,
    student: Student,
    guardian: Guardian,
    rank: int | None,
    relationship: Relationship,
) -> None:
    link = GuardianLink(
        student_id=student.id, guardian_id=guardian.id, legal_rank=rank, relationship=relationship
    )
    session.add(link)
    await session.flush()
    world.links[key] = link.id


async def _families(session: AsyncSession, world: World, extra_students_a1: int) -> None:
    # Jade (school B) lives with her father Paul Martin, at the Martins'.
    martins = await _home(session, world, "martin")
    elans = await _home(session, world, "elan")
    lina = await _student(
        session,
        world,
        "lina",
        "Martin",
        "Lina",
        Sex.F,
        date(2015, 3, 14),
        world.school_a,
        world.division_a1,
        ine="1234567890A",
        home=martins,
    )
    noah = await _student(
        session,
        world,
        "noah",
        "Martin",
        "Noah",
        Sex.M,
        date(2015, 11, 2),
        world.school_a,
        world.division_a2,
        home=martins,
    )
    eloise = await _student(
        session,
        world,
        "eloise",
        "Élan",
        "Éloïse",
        Sex.F,
        date(2015, 6, 30),
        world.school_a,
        world.division_a1,
        home=elans,
    )
    jade = await _student(
        session,
        world,
        "jade",
        "Bernard",
        "Jade",
        Sex.F,
        date(2015, 1, 20),
        world.school_b,
        world.division_b1,
        ine="0987654321B",
        home=martins,
    )
    session.add(EnrollmentGroup(enrollment_id=world.enrollments["lina"], group_id=world.group_a))
    mother = await _guardian(
        session,
        world,
        "mother",
        Civility.MME,
        "Martin",
        "Claire",
        "claire.martin@example.fr",
        martins,
    )
    father = await _guardian(session, world, "father", Civility.M, "Martin", "Paul", None, martins)
    elan = await _guardian(
        session,
        world,
        "elan",
        Civility.MME,
        "Élan",
        "Sophie",
        "sophie.elan@example.fr",
        elans,
    )
    await _link(session, world, "lina_mother", lina, mother, 1, Relationship.MOTHER)
    await _link(session, world, "lina_father", lina, father, 2, Relationship.FATHER)
    await _link(session, world, "noah_mother", noah, mother, 1, Relationship.MOTHER)
    await _link(session, world, "eloise_elan", eloise, elan, 1, Relationship.MOTHER)
    # Jade (school B) shares Paul Martin as guardian: a family across two schools.
    await _link(session, world, "jade_father", jade, father, 1, Relationship.FATHER)
    await _extra_students_a1(session, world, extra_students_a1)


async def _extra_students_a1(session: AsyncSession, world: World, count: int) -> None:
    """``count`` more students of 6A, each with a mother living with them at a home of their own.

    Written one table at a time (a flush per table, not per row): a portal test's world
    would otherwise cost hundreds of round trips to PostgreSQL.
    """
    keys = [f"extra{i}" for i in range(count)]
    homes = [Address(line1="12 rue de Paris", postal_code="93100", city="Montreuil") for _ in keys]
    session.add_all(homes)
    await session.flush()
    students = [
        Student(
            family_name=f"Dupont{chr(65 + i % 26)}",
            first_name=f"Élève{i}",
            sex=Sex.M if i % 2 else Sex.F,
            birth_date=date(2015, 1 + i % 12, 1 + i % 28),
            birth_commune_code="93048",
            birth_city="Montreuil",
            address_id=home.id,
        )
        for i, home in enumerate(homes)
    ]
    session.add_all(students)
    await session.flush()
    enrollments = [
        _enrollment(world, student.id, world.school_a, world.division_a1) for student in students
    ]
    guardians = [
        Guardian(
            civility=Civility.MME,
            family_name=f"Dupont{chr(65 + i % 26)}",
            first_name="Anne",
            phone_mobile="06 12 34 56 78",
            email=None,
            address_id=home.id,
        )
        for i, home in enumerate(homes)
    ]
    session.add_all(enrollments)
    await session.flush()
    session.add_all(guardians)
    await session.flush()
    links = [
        GuardianLink(
            student_id=student.id,
            guardian_id=guardian.id,
            legal_rank=1,
            relationship=Relationship.MOTHER,
        )
        for student, guardian in zip(students, guardians, strict=True)
    ]
    session.add_all(links)
    await session.flush()
    for key, home, student, enrollment, guardian, link in zip(
        keys, homes, students, enrollments, guardians, links, strict=True
    ):
        world.addresses[key] = home.id
        world.students[key] = student.id
        world.enrollments[key] = enrollment.id
        world.guardians[key] = guardian.id
        world.links[key] = link.id

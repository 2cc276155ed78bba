"""The demo académie generator (``sconet demo``)."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from api.auth.identities import authenticate, load_principal
from api.demo import (
    DatabaseNotEmpty,
    build_demo,
    database_is_empty,
    generate_demo,
    read_catalog,
)
from api.demo.writer import next_ids
from db.accounts import Role, RoleGrant, StaffUser
from db.addresses import Address
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, EnrollmentGroup
from db.guardians import Guardian, GuardianLink
from db.nomenclatures import Mef, SchoolMef
from db.schools import Academy, School, SchoolKind, SchoolYear, SchoolYearState, is_valid_uai
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment
from db.students import Sex, Student, search_key

TODAY = date(2026, 11, 25)
FIRST_LEVELS = {"10010012110", "20010018110", "31131213210"}


async def _generate(
    sessionmaker,
    scale: int = 2,
    seed: int = 2026,
    *,
    finances: bool = False,
    grades: bool = False,
):
    """The demo académie; without its finances nor its marks unless asked (they take the
    most time and have their own tests)."""
    stages: list[tuple[str, int, int]] = []
    report = await generate_demo(
        sessionmaker,
        scale=scale,
        seed=seed,
        today=TODAY,
        finances=finances,
        grades=grades,
        progress=lambda stage, done, total: stages.append((stage, done, total)),
    )
    return report, stages


async def _all(session, statement):
    return (await session.execute(statement)).all()


async def test_schools_years_and_report(sessionmaker) -> None:
    assert await database_is_empty(sessionmaker)
    report, stages = await _generate(sessionmaker)
    assert not await database_is_empty(sessionmaker)
    async with sessionmaker() as session:
        academies = await _all(session, select(Academy.code, Academy.name))
        schools = await _all(session, select(School).order_by(School.id))
        years = dict(await _all(session, select(SchoolYear.start_year, SchoolYear.state)))
        next_year_divisions = await session.scalar(
            select(func.count())
            .select_from(Division)
            .join(SchoolYear, SchoolYear.id == Division.school_year_id)
            .where(SchoolYear.start_year == 2027)
        )
        counts = {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Student, Guardian, Enrollment, Division, Group)
        }
    assert academies == [("24", "Académie de Créteil")]
    assert years == {
        2025: SchoolYearState.CLOSED,
        2026: SchoolYearState.CURRENT,
        2027: SchoolYearState.IN_PREPARATION,
    }
    assert next_year_divisions == 0
    schools = [row[0] for row in schools]
    assert [s.kind for s in schools] == [SchoolKind.COLLEGE, SchoolKind.LGT]
    assert len({s.uai for s in schools}) == 2
    for school in schools:
        assert is_valid_uai(school.uai), school.uai
        assert school.uai[:3] in ("077", "093", "094")
        assert re.fullmatch(r"\d{5}", school.postal_code) and school.city and school.address_line
        assert school.postal_code[:2] == school.uai[1:3]
    assert schools[0].name.startswith("Collège ") and schools[1].name.startswith("Lycée ")
    assert report.schools == 2
    assert (report.students, report.guardians, report.enrollments) == (
        counts["students"],
        counts["guardians"],
        counts["enrollments"],
    )
    assert (report.divisions, report.groups) == (counts["divisions"], counts["groups"])
    assert 700 < report.students < 2200
    assert report.guardians > report.students
    # the CLI's progress bars: one pass per school, then the rows written
    assert ("Établissements", 2, 2) in stages
    written = [s for s in stages if s[0] == "Écriture en base"]
    assert written and written[-1][1] == written[-1][2] > report.students


async def test_students_ages_ine_names_and_divisions(sessionmaker) -> None:
    await _generate(sessionmaker)
    async with sessionmaker() as session:
        students = [row[0] for row in await _all(session, select(Student))]
        enrolments = await _all(
            session,
            select(Enrollment, Mef.code, Mef.typical_age, SchoolYear.start_year)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id),
        )
        division_mefs = set(
            await _all(session, select(DivisionMef.division_id, DivisionMef.mef_id))
        )
        divisions = {d.id: d for (d,) in await _all(session, select(Division))}
        group_divisions = set(
            await _all(session, select(GroupDivision.group_id, GroupDivision.division_id))
        )
        memberships = await _all(
            session,
            select(EnrollmentGroup.group_id, Enrollment.division_id).join(
                Enrollment, Enrollment.id == EnrollmentGroup.enrollment_id
            ),
        )
    by_id = {s.id: s for s in students}
    ines = [s.ine for s in students if s.ine is not None]
    assert len(ines) == len(set(ines)) and len(ines) > 0.9 * len(students)
    assert all(re.fullmatch(r"\d{10}[A-Z]", ine) for ine in ines)
    assert {s.sex for s in students} == {Sex.F, Sex.M}
    for student in students:
        assert student.search_name == search_key(student.family_name, student.first_name)
        if student.usage_name:
            assert student.usage_search_name == search_key(student.usage_name, student.first_name)
        else:
            assert student.usage_search_name is None
        if student.birth_country_code == "100":
            assert student.birth_commune_code and re.fullmatch(
                r"\d[\dAB]\d{3}", student.birth_commune_code
            )
        else:
            assert student.birth_commune_code is None and student.birth_city
    assert any(s.usage_name for s in students)
    assert any(s.first_name_2 for s in students)
    abroad = sum(s.birth_country_code != "100" for s in students)
    assert 0 < abroad < 0.25 * len(students)

    gaps = Counter()
    current = 0
    for enrolment, _code, age, start_year in enrolments:
        student = by_id[enrolment.student_id]
        gap = start_year - student.birth_date.year - age
        assert -2 <= gap <= 2, (student.birth_date, age, start_year)
        gaps[gap] += 1
        if start_year == 2026:
            current += 1
            assert enrolment.division_id is not None
        if enrolment.division_id is not None:
            assert (enrolment.division_id, enrolment.mef_id) in division_mefs
            division = divisions[enrolment.division_id]
            assert division.school_id == enrolment.school_id
            assert division.school_year_id == enrolment.school_year_id
    assert current == len(students)  # one enrolment this year per student
    assert gaps[0] > 0.8 * sum(gaps.values()) and gaps[1] > 0 and gaps[-1] > 0
    # students of a group come from the divisions the group draws from
    assert memberships
    assert all(pair in group_divisions for pair in memberships)
    headcounts = Counter(
        e.division_id for e, _code, _age, start_year in enrolments if start_year == 2026
    )
    for division_id, count in headcounts.items():
        planned = divisions[division_id].planned_headcount
        assert planned is not None and planned - 3 <= count <= planned


async def test_families_share_guardians_across_schools(sessionmaker) -> None:
    await _generate(sessionmaker)
    async with sessionmaker() as session:
        links = [row[0] for row in await _all(session, select(GuardianLink))]
        guardians = {g.id: g for (g,) in await _all(session, select(Guardian))}
        students = {s.id: s for (s,) in await _all(session, select(Student))}
        current_school = dict(
            await _all(
                session,
                select(Enrollment.student_id, Enrollment.school_id)
                .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
                .where(SchoolYear.state == SchoolYearState.CURRENT),
            )
        )
    by_student: dict[int, list[GuardianLink]] = defaultdict(list)
    by_guardian: dict[int, list[int]] = defaultdict(list)
    for link in links:
        by_student[link.student_id].append(link)
        by_guardian[link.guardian_id].append(link.student_id)
    assert set(by_student) == set(students)
    for student_links in by_student.values():
        ranks = Counter(link.legal_rank for link in student_links)
        assert ranks[1] == 1 and ranks[2] <= 1
        assert all(link.pays_fees == (link.legal_rank == 1) for link in student_links)
    single = [ls for ls in by_student.values() if not any(link.legal_rank == 2 for link in ls)]
    assert 0 < len(single) < 0.4 * len(by_student)
    others = [link for link in links if link.legal_rank is None]
    assert others and all(not link.receives_mail for link in others)

    siblings = {g: s for g, s in by_guardian.items() if len(s) > 1}
    assert siblings
    guardian_sets = {sid: {link.guardian_id for link in ls} for sid, ls in by_student.items()}
    for children in siblings.values():
        assert len({frozenset(guardian_sets[c]) for c in children}) == 1
        assert len({students[c].family_name for c in children}) == 1
        assert len({students[c].birth_date.year for c in children}) == len(children)
    families_with_siblings = {frozenset(c) for c in siblings.values()}
    families = {frozenset(c) for c in by_guardian.values()}
    assert 0.1 < len(families_with_siblings) / len(families) < 0.35
    assert any(len({current_school[c] for c in children}) == 2 for children in siblings.values())

    # One address per household: every student has his family's, shared by his siblings and
    # by the guardians he lives with; a guardian who lives elsewhere has his own.
    async with sessionmaker() as session:
        addresses = {a.id: a for (a,) in await _all(session, select(Address))}
    assert all(students[s].address_id in addresses for s in students)
    for children in siblings.values():
        assert len({students[c].address_id for c in children}) == 1
    for sid, student_links in by_student.items():
        for link in student_links:
            home = guardians[link.guardian_id].address_id
            assert home in addresses
            assert (home == students[sid].address_id) == link.lives_with
    assert all(
        re.fullmatch(r"\d{5}", a.postal_code) and a.city and a.commune_code and a.line1
        for a in addresses.values()
    )

    emails = [g.email for g in guardians.values()]
    assert 0.05 * len(emails) < emails.count(None) < 0.3 * len(emails)
    assert all(re.fullmatch(r"[a-z0-9.-]+@[a-z.]+\.(com|net|org|fr)", e) for e in emails if e)
    assert all(
        re.fullmatch(r"0[67]( \d\d){4}", g.phone_mobile)
        for g in guardians.values()
        if g.phone_mobile
    )
    assert all(
        re.fullmatch(r"01( \d\d){4}", g.phone_home) for g in guardians.values() if g.phone_home
    )


async def test_schooling_history_spans_two_years_and_two_schools(sessionmaker) -> None:
    await _generate(sessionmaker)
    async with sessionmaker() as session:
        rows = await _all(
            session,
            select(Enrollment, Mef.code, Mef.typical_age, SchoolYear.state)
            .join(Mef, Mef.id == Enrollment.mef_id)
            .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id),
        )
        schools = {s.id: s for (s,) in await _all(session, select(School))}
        profiles = set(
            await _all(
                session, select(SchoolMef.school_id, SchoolMef.school_year_id, SchoolMef.mef_id)
            )
        )
    current = {e.student_id: (e, code, age) for e, code, age, state in rows if state == "current"}
    previous = {e.student_id: (e, code, age) for e, code, age, state in rows if state == "closed"}
    assert set(previous) <= set(current)
    for enrolment, *_ in rows:
        assert (enrolment.school_id, enrolment.school_year_id, enrolment.mef_id) in profiles

    upper = [sid for sid, (_, code, _) in current.items() if code not in FIRST_LEVELS]
    with_history = [sid for sid in upper if sid in previous]
    assert len(with_history) > 0.9 * len(upper)
    for sid, (before, _, age_before) in previous.items():
        now, _code, age = current[sid]
        assert age_before in (age - 1, age)  # the level below, or the same one repeated
        if before.school_id == now.school_id:
            assert before.exit_date is None
        else:
            assert before.exit_date == date(2026, 7, 4) and before.exit_reason is not None
            assert now.previous_school_uai == schools[before.school_id].uai
            assert now.previous_school_name == schools[before.school_id].name

    # 2nde students coming from the demo collège: 3EME there last year
    from_college = [
        sid
        for sid, (before, code, _) in previous.items()
        if current[sid][1] == "20010018110" and schools[before.school_id].kind is SchoolKind.COLLEGE
    ]
    assert from_college
    assert all(previous[sid][1] == "10310019110" for sid in from_college)
    sixth = [
        e
        for e, code, _ in current.values()
        if code == "10010012110" and e.student_id not in previous
    ]
    assert sixth and all(e.previous_school_name.startswith("École ") for e in sixth)
    assert all(is_valid_uai(e.previous_school_uai) for e in sixth)

    entries = [e.entry_date for e, *_ in current.values()]
    assert Counter(entries)[date(2026, 9, 1)] > 0.9 * len(entries)
    assert all(date(2026, 9, 1) <= d < TODAY for d in entries)
    left = [e for e, *_ in current.values() if e.exit_date is not None]
    assert left and all(
        e.exit_reason is not None and e.entry_date < e.exit_date < TODAY for e in left
    )
    regimes = Counter((schools[e.school_id].kind, e.regime.value) for e, *_ in current.values())
    assert (
        regimes[(SchoolKind.COLLEGE, "demi_pensionnaire")]
        > regimes[(SchoolKind.COLLEGE, "externe")]
        > 0
    )
    assert regimes[(SchoolKind.LGT, "interne")] > regimes[(SchoolKind.COLLEGE, "interne")]


async def test_accounts_roles_passwords_and_teaching(sessionmaker) -> None:
    report, _ = await _generate(sessionmaker)
    async with sessionmaker() as session:
        schools = [s for (s,) in await _all(session, select(School).order_by(School.id))]
        grants = await _all(
            session,
            select(StaffUser.login, RoleGrant.role, RoleGrant.school_id).join(
                RoleGrant, RoleGrant.user_id == StaffUser.id
            ),
        )
    first = schools[0]
    expected = {
        ("demo.principal", Role.PRINCIPAL, first.id),
        ("demo.secretariat", Role.REGISTRAR, first.id),
        ("demo.cpe", Role.CPE, first.id),
        ("demo.enseignant", Role.TEACHER, first.id),
        ("demo.gestionnaire", Role.BURSAR, first.id),
        ("demo.rectorat", Role.RECTORAT, None),
        ("demo.admin", Role.ACADEMY_ADMIN, None),
        (f"principal.{schools[1].uai.lower()}", Role.PRINCIPAL, schools[1].id),
    }
    assert set(grants) == expected
    assert {(a.login, a.role, a.school_uai) for a in report.accounts} == {
        (login, role.value, next((s.uai for s in schools if s.id == school_id), None))
        for login, role, school_id in expected
    }
    async with sessionmaker() as session:
        for account in report.accounts:
            user = await authenticate(session, account.login, account.password)
            assert user is not None and user.display_name == account.display_name
        assert await authenticate(session, "demo.principal", "wrong-password") is None
        teacher = await authenticate(session, "demo.enseignant", report.accounts[0].password)
        assert teacher is not None
        principal = await load_principal(session, teacher.id)
        assignments = [
            a
            for (a,) in await _all(
                session, select(TeachingAssignment).where(TeachingAssignment.user_id == teacher.id)
            )
        ]
        taught_groups = await _all(
            session,
            select(GroupDivision.division_id).where(
                GroupDivision.group_id.in_(principal.taught_group_ids)
            ),
        )
    assert principal is not None
    assert 2 <= len(principal.taught_division_ids) <= 3 and len(principal.taught_group_ids) == 1
    assert all(a.school_id == first.id and a.subject_id is not None for a in assignments)
    # the group is one of the teacher's divisions' groups
    assert {d for (d,) in taught_groups} & principal.taught_division_ids


async def test_second_run_refuses_and_first_is_untouched(sessionmaker) -> None:
    report, _ = await _generate(sessionmaker)
    with pytest.raises(DatabaseNotEmpty):
        await generate_demo(sessionmaker, scale=1, today=TODAY)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Student)) == report.students
        assert await session.scalar(select(func.count()).select_from(School)) == 2


async def test_failure_leaves_nothing_written(sessionmaker) -> None:
    def explode(stage: str, done: int, total: int) -> None:
        if stage == "Écriture en base" and done > total / 2:
            raise RuntimeError("crash in the middle of the writes")

    with pytest.raises(RuntimeError):
        await generate_demo(sessionmaker, scale=2, today=TODAY, progress=explode)
    assert await database_is_empty(sessionmaker)
    async with sessionmaker() as session:
        for model in (Student, Guardian, Mef, Academy, StaffUser):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
    # and a clean run works afterwards
    report, _ = await _generate(sessionmaker)
    assert report.schools == 2


async def test_orm_writes_after_demo_get_fresh_ids(sessionmaker) -> None:
    """Ids were written explicitly: PostgreSQL sequences must have moved past them."""
    report, _ = await _generate(sessionmaker)
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        student = Student(
            family_name="Nouvel", first_name="Élève", sex=Sex.F, birth_date=date(2014, 3, 2)
        )
        session.add(student)
        await session.flush()
        assert student.id == report.students + 1


async def test_same_seed_same_data(sessionmaker) -> None:
    async with sessionmaker() as session, session.begin():
        # first ids of an empty database, as generate_demo will see them
        ids = await next_ids(session)
    await _generate(sessionmaker, seed=7)
    async with sessionmaker() as session:
        catalog = await read_catalog(session)
        years = dict(await _all(session, select(SchoolYear.start_year, SchoolYear.id)))
        academy_id = await session.scalar(select(Academy.id))
        stored = [
            (s.id, s.ine, s.family_name, s.first_name, s.birth_date, s.birth_city)
            for (s,) in await _all(session, select(Student).order_by(Student.id))
        ]
        stored_links = await _all(
            session,
            select(
                GuardianLink.student_id, GuardianLink.guardian_id, GuardianLink.legal_rank
            ).order_by(GuardianLink.id),
        )
    ids = {**ids, "academies": academy_id + 1, "school_years": max(years.values()) + 1}

    def build(seed: int):
        return build_demo(
            catalog,
            scale=2,
            seed=seed,
            start_year=2026,
            today=TODAY,
            now=datetime(2026, 11, 25, tzinfo=UTC),
            academy_id=academy_id,
            previous_year_id=years[2025],
            current_year_id=years[2026],
            first_ids=ids,
            password_hash="not-a-hash",
        )

    first, again, other = build(7), build(7), build(8)
    assert first.rows == again.rows
    assert first.rows["students"] != other.rows["students"]
    assert [
        (r["id"], r["ine"], r["family_name"], r["first_name"], r["birth_date"], r["birth_city"])
        for r in first.rows["students"]
    ] == stored
    assert [
        (r["student_id"], r["guardian_id"], r["legal_rank"]) for r in first.rows["guardian_links"]
    ] == [tuple(row) for row in stored_links]
    assert first.accounts == again.accounts


async def test_absences_follow_the_domain_rules(sessionmaker) -> None:
    """Every generated event is one the entry rules would accept: on taught half-days, within
    the enrolment, absences of a student never overlapping nor touching, no lateness during
    an absence; and the statistics read them."""
    from api.resolvers.absences.half_days import Span, covered_half_days
    from api.resolvers.absences.indicator import monthly_indicator
    from api.resolvers.absences.settings import load_setup
    from db.absences import AbsenceEvent, EventKind

    report, _stages = await _generate(sessionmaker, scale=2)
    assert report.absence_events > 500
    async with sessionmaker() as session:
        enrolments = {
            (student, school): (entry, exit_)
            for student, school, entry, exit_ in await _all(
                session,
                select(
                    Enrollment.student_id,
                    Enrollment.school_id,
                    Enrollment.entry_date,
                    Enrollment.exit_date,
                )
                .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
                .where(SchoolYear.state == SchoolYearState.CURRENT),
            )
        }
        events = list(await session.scalars(select(AbsenceEvent).order_by(AbsenceEvent.start_date)))
        setups = {s: await load_setup(session, s) for s in {e.school_id for e in events}}
        by_student: dict[int, list[AbsenceEvent]] = defaultdict(list)
        for event in events:
            setup = setups[event.school_id]
            span = Span(event.start_date, event.start_slot_id, event.end_date, event.end_slot_id)
            assert covered_half_days(span, setup.grid, setup.calendar), event.id
            entry, exit_ = enrolments[(event.student_id, event.school_id)]
            assert entry <= event.start_date and (exit_ is None or event.end_date <= exit_)
            assert event.end_date < TODAY
            by_student[event.student_id].append(event)
        for student_events in by_student.values():
            absences = [e for e in student_events if e.kind is EventKind.ABSENCE]
            for before, after in itertools.pairwise(absences):
                assert (after.start_date - before.end_date).days >= 2
            absent_days = {
                day
                for e in absences
                for day in range(e.start_date.toordinal(), e.end_date.toordinal() + 1)
            }
            for late in (e for e in student_events if e.kind is EventKind.LATENESS):
                assert late.start_date.toordinal() not in absent_days
        rectorat = await load_principal(
            session,
            await session.scalar(select(StaffUser.id).where(StaffUser.login == "demo.rectorat")),
        )
        indicator = await monthly_indicator(session, rectorat, 2026, 10)
    assert indicator.total.students > 0 and indicator.total.students_over_threshold > 0


async def test_the_first_term_is_charged_paid_and_reconciled_in_every_school(
    sessionmaker,
) -> None:
    """Through the domain: each school's terms and tariffs, its first term's charges for every
    half-boarder and boarder, remises, receipts for about two thirds of the families, a dozen
    scholarship files at every stage, the first school's notices; the term stays open (the
    demo's day is in it). Every account reconciles to the cent."""
    from decimal import Decimal

    from api.resolvers.finances import ledger
    from api.resolvers.finances.payments import account_credit
    from db.finances import (
        Charge,
        ChargeGeneration,
        ChargeTransfer,
        FamilyAccount,
        FamilyNotice,
        FinanceTerm,
        Payment,
        Reduction,
        ReductionKind,
        Tariff,
    )
    from db.scholarships import ScholarshipFile, ScholarshipStatus

    report, stages = await _generate(sessionmaker, finances=True)
    assert ("Finances", 2, 2) in stages
    async with sessionmaker() as session:
        schools = [s.id for (s,) in await _all(session, select(School).order_by(School.id))]
        terms = [t for (t,) in await _all(session, select(FinanceTerm).order_by(FinanceTerm.id))]
        tariffs = [t for (t,) in await _all(session, select(Tariff))]
        charges = [c for (c,) in await _all(session, select(Charge))]
        reductions = [r for (r,) in await _all(session, select(Reduction))]
        payments = [p for (p,) in await _all(session, select(Payment))]
        accounts = [a for (a,) in await _all(session, select(FamilyAccount))]
        files = [f for (f,) in await _all(session, select(ScholarshipFile))]
        notices = [n for (n,) in await _all(session, select(FamilyNotice))]
        generations = await session.scalar(select(func.count()).select_from(ChargeGeneration))
        transfers = await session.scalar(select(func.count()).select_from(ChargeTransfer))
        boarders = dict(
            await _all(
                session,
                select(Enrollment.school_id, func.count())
                .join(SchoolYear, SchoolYear.id == Enrollment.school_year_id)
                .where(
                    SchoolYear.state == SchoolYearState.CURRENT,
                    Enrollment.regime.in_(["demi_pensionnaire", "interne"]),
                )
                .group_by(Enrollment.school_id),
            )
        )
        balances = await ledger.account_balances(session, [a.id for a in accounts])
        credits = {a.id: await account_credit(session, a.id) for a in accounts}
        owed = {
            a.id: sum((d.due for d in await ledger.debts(session, a.id)), Decimal(0))
            for a in accounts
        }
    assert [(t.school_id, t.rank) for t in terms] == [(s, r) for s in schools for r in (1, 2, 3)]
    assert not any(t.closed_at for t in terms) and transfers == 0
    assert generations == 2 and len(tariffs) == 2 * 3 * 3
    first_terms = {t.id for t in terms if t.rank == 1}
    for school in schools:
        charged = {c.student_id for c in charges if c.school_id == school}
        # Every half-boarder and boarder of the year is charged once, for the first term.
        assert len(charged) == boarders[school] > 100
    assert {c.concerns_term_id for c in charges} <= first_terms
    assert any("repas à" in c.basis for c in charges)  # DP 4 jours, per meal
    assert report.charges == len(charges) and report.receipts == len(payments)
    assert report.reductions == len(reductions)
    kinds = {(r.school_id, r.kind) for r in reductions}
    for school in schools:
        assert {(school, ReductionKind.ORDER), (school, ReductionKind.GRACE)} <= kinds
    paying = {p.account_id for p in payments}
    assert 0.55 < len(paying) / len(accounts) < 0.8
    # Some families paid all, some a part, a few more than they owed.
    assert {b > 0 for b in balances.values()} == {True, False}
    assert any(b < 0 for b in balances.values())
    for account in accounts:
        assert owed[account.id] - credits[account.id] == balances[account.id], account.id
    assert sum(balances.values(), Decimal(0)) == (
        sum((c.amount for c in charges), Decimal(0))
        - sum((r.amount for r in reductions), Decimal(0))
        - sum((p.amount for p in payments), Decimal(0))
    )
    for school in schools:
        statuses = Counter(f.status for f in files if f.school_id == school)
        assert statuses == {
            ScholarshipStatus.RECEIVED: 3,
            ScholarshipStatus.COMPLETE: 3,
            ScholarshipStatus.GRANTED: 4,
            ScholarshipStatus.REFUSED: 2,
        }
    assert all(
        f.echelon and f.annual_amount for f in files if f.status is ScholarshipStatus.GRANTED
    )
    # The first school's notices: one per account, its balance the account's (every row of
    # the ledger is the first term's).
    assert {n.school_id for n in notices} == {schools[0]}
    assert sorted(n.account_id for n in notices) == sorted(
        a.id for a in accounts if a.school_id == schools[0]
    )
    assert all(n.balance == balances[n.account_id] for n in notices)
    assert report.notices == len(notices)


async def test_once_the_first_term_is_over_its_scholarships_are_paid(sessionmaker, clock) -> None:
    """A demo dated in February: the first term is over, its granted scholarships are paid,
    deducted from what their students still owe; the term stays open (not closed nor
    transferred by the demo)."""
    from decimal import Decimal

    from db.finances import FinanceTerm, Reduction, ReductionKind
    from db.scholarships import ScholarshipFile, ScholarshipPayment, ScholarshipStatus

    february = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
    clock.advance(february - clock.now())
    await generate_demo(sessionmaker, scale=1, today=february.date())
    async with sessionmaker() as session:
        granted = list(
            await session.scalars(
                select(ScholarshipFile.id).where(
                    ScholarshipFile.status == ScholarshipStatus.GRANTED
                )
            )
        )
        payments = list(await session.scalars(select(ScholarshipPayment)))
        deducted = await session.scalar(
            select(func.sum(Reduction.amount)).where(Reduction.kind == ReductionKind.SCHOLARSHIP)
        )
        first = await session.scalar(select(FinanceTerm).where(FinanceTerm.rank == 1))
    assert len(granted) == 4 and sorted(p.file_id for p in payments) == sorted(granted)
    assert all(p.amount == p.deducted + p.paid_to_family for p in payments)
    assert Decimal(str(deducted)) == sum((p.deducted for p in payments), Decimal(0)) > 0
    assert first is not None and first.closed_at is None


async def test_the_first_trimester_is_marked_through_the_domain(sessionmaker) -> None:
    """Every division of the first school's current year: two assessments in each of three
    subjects, before the demo's day, some published by then and some not; every student of
    the class marked once per assessment, within the scale; the demo teacher's classes are
    his. The other schools have none."""
    from db.audit import AuditEntry
    from db.grades import Assessment, Mark, MarkStatus

    report, stages = await _generate(sessionmaker, grades=True)
    assert ("Notes", 1, 1) in stages
    async with sessionmaker() as session:
        assessments = [a for (a,) in await _all(session, select(Assessment))]
        marks = [m for (m,) in await _all(session, select(Mark))]
        divisions = {
            d
            for (d,) in await _all(
                session,
                select(Division.id)
                .join(SchoolYear, SchoolYear.id == Division.school_year_id)
                .where(
                    SchoolYear.state == SchoolYearState.CURRENT,
                    Division.school_id == select(func.min(School.id)).scalar_subquery(),
                ),
            )
        }
        teacher = await session.scalar(
            select(StaffUser.id).where(StaffUser.login == "demo.enseignant")
        )
        taught = {
            (t.division_id, t.group_id, t.subject_id)
            for (t,) in await _all(
                session, select(TeachingAssignment).where(TeachingAssignment.user_id == teacher)
            )
        }
        authors = set(
            await session.scalars(
                select(AuditEntry.actor_kind).where(AuditEntry.entity == "marks").distinct()
            )
        )
    assert (report.assessments, report.marks) == (len(assessments), len(marks))
    per_division: dict[int, int] = {}
    for a in assessments:
        if a.division_id is not None:
            per_division[a.division_id] = per_division.get(a.division_id, 0) + 1
        assert date(2026, 9, 14) <= a.day <= TODAY and a.day.weekday() < 5
        assert a.published_on >= a.day
        assert (a.teacher_id == teacher) == ((a.division_id, a.group_id, a.subject_id) in taught)
    assert set(per_division) == divisions and set(per_division.values()) == {6}
    assert any(a.group_id is not None for a in assessments)
    published = [a.published_on <= TODAY for a in assessments]
    assert any(published) and not all(published)
    scale = {a.id: a.scale for a in assessments}
    assert all(
        (m.status is MarkStatus.GRADED) == (m.value is not None)
        and (m.value is None or 0 <= m.value <= scale[m.assessment_id])
        for m in marks
    )
    statuses = {m.status for m in marks}
    assert {MarkStatus.GRADED, MarkStatus.ABSENT} <= statuses
    assert authors == {"staff"}

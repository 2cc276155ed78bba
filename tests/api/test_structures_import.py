"""Event D, the domain half: a school's structures from STS-WEB records (built here, as the
STS_EDT reader gives them): plan, apply, re-import and its differences, what is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.auth.principal import PermissionDenied
from api.resolvers.structures_import import (
    FieldChange,
    Kind,
    Outcome,
    StructuresRefused,
    apply_structures_import,
    preview_structures_import,
)
from core.errors import NotFound, ValidationFailed
from db.accounts import Role, RoleGrant, StaffUser
from db.audit import AuditActor, AuditEntry, set_actor
from db.nomenclatures import SchoolMef
from db.structures import Division, DivisionMef, Group, GroupDivision, TeachingAssignment
from exchanges.records import (
    DivisionRecord,
    GroupRecord,
    RecordProblem,
    ServiceRecord,
    TeacherRecord,
)

SIXTH, FIFTH, SPANISH = "10010012110", "10110001110", "030201"


def teacher(sts_id, first, family, email=None, kind="epp"):
    return TeacherRecord(sts_id, kind, "M.", family, first, email)


def first_file():
    return [
        DivisionRecord("6A", "6e A", 27, (SIXTH,), (ServiceRecord(SPANISH, ("T1",)),), line=10),
        DivisionRecord("6B", "6e B", None, (SIXTH,), ()),
        DivisionRecord("5A", "5e A", 25, (FIFTH,), (ServiceRecord(SPANISH, ("T1", "T2")),)),
        GroupRecord("ESP2", "Espagnol LV2", ("6A", "6B"), (ServiceRecord(SPANISH, ("T2",)),)),
        GroupRecord("LAT5", "Latin 5e", ("5A",), ()),
        teacher("T1", "Émilie", "Dupré", "emilie.dupre@ac-creteil.fr"),
        teacher("T2", "Jean", "Martin"),
        # Not teaching staff and named by no service: no account.
        teacher("S9", "Paul", "Intendant", kind="local"),
    ]


async def _run(sessionmaker, principal, items, *, apply=True, world=None, year=None):
    async with sessionmaker() as session, session.begin():
        fn = apply_structures_import if apply else preview_structures_import
        return await fn(session, principal, world.school_a, year or world.year_id, items)


def _outcomes(result, kind):
    return {c.key: c.outcome for c in result.changes if c.kind is kind}


async def test_preview_then_apply_a_small_structure(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    preview = await _run(sessionmaker, principal, first_file(), apply=False, world=world)
    assert not preview.applied and preview.problems == []
    assert _outcomes(preview, Kind.DIVISION) == {
        "5A": Outcome.CREATED,
        "6A": Outcome.UPDATED,
        "6B": Outcome.UNCHANGED,
    }
    [sixth_a] = [c for c in preview.changes if c.key == "6A"]
    assert sixth_a.fields == (FieldChange("planned_headcount", "28", "27"),)
    assert _outcomes(preview, Kind.GROUP) == {"ESP2": Outcome.UNCHANGED, "LAT5": Outcome.CREATED}
    assert _outcomes(preview, Kind.TEACHER) == {"T1": Outcome.CREATED, "T2": Outcome.CREATED}
    # teacher_a's service was entered by hand: STS-WEB does not know it.
    assert preview.counts()["assignment"] == {
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "removed": 1,
        "kept": 0,
    }
    assert [(t.login, t.user_id) for t in preview.new_teachers] == [
        ("emilie.dupre", None),
        ("jean.martin", None),
    ]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Division)) == 3
        assert await session.scalar(select(StaffUser.id).where(StaffUser.sts_id == "T1")) is None

    result = await _run(sessionmaker, principal, first_file(), world=world)
    assert result.applied and result.changes == preview.changes
    emilie = result.new_teachers[0]
    assert emilie.email == "emilie.dupre@ac-creteil.fr" and emilie.user_id is not None
    async with sessionmaker() as session:
        user = await session.get(StaffUser, emilie.user_id)
        assert user is not None
        assert (user.login, user.display_name, user.sts_id) == (
            "emilie.dupre",
            "Émilie Dupré",
            "T1",
        )
        assert user.password_hash is None
        assert (
            await session.scalar(
                select(RoleGrant.role).where(
                    RoleGrant.user_id == user.id, RoleGrant.school_id == world.school_a
                )
            )
            == Role.TEACHER
        )
        fifth = await session.scalar(
            select(Division).where(Division.code == "5A", Division.school_id == world.school_a)
        )
        assert fifth is not None and fifth.planned_headcount == 25
        # 5EME is profiled already; the division has it.
        assert (
            await session.scalar(
                select(DivisionMef.mef_id).where(DivisionMef.division_id == fifth.id)
            )
            == world.mef_5
        )
        latin = await session.scalar(select(Group).where(Group.code == "LAT5"))
        assert latin is not None
        assert (
            await session.scalar(
                select(GroupDivision.division_id).where(GroupDivision.group_id == latin.id)
            )
            == fifth.id
        )
        services = (
            await session.execute(
                select(StaffUser.login, Division.code, Group.code)
                .select_from(TeachingAssignment)
                .join(StaffUser, StaffUser.id == TeachingAssignment.user_id)
                .outerjoin(Division, Division.id == TeachingAssignment.division_id)
                .outerjoin(Group, Group.id == TeachingAssignment.group_id)
                .where(TeachingAssignment.school_id == world.school_a)
            )
        ).all()
        assert sorted(services, key=str) == sorted(
            [
                ("emilie.dupre", "6A", None),
                ("emilie.dupre", "5A", None),
                ("jean.martin", "5A", None),
                ("jean.martin", None, "ESP2"),
            ],
            key=str,
        )
        # Every row went through the ORM: the audit trail names the principal.
        audited = (
            await session.execute(
                select(AuditEntry.entity, AuditEntry.action).where(
                    AuditEntry.actor_id == world.users["principal_a"]
                )
            )
        ).all()
        assert ("divisions", "create") in audited
        assert ("teaching_assignments", "delete") in audited
        assert len(audited) >= 1 + 2 + 2 + 4 + 1  # division, teachers, grants, services, removed


async def test_reimport_lists_what_differs_and_matches_teachers_by_sts_id(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    first = await _run(sessionmaker, principal, first_file(), world=world)
    ids = {t.sts_id: t.user_id for t in first.new_teachers}
    changed = [
        DivisionRecord("6A", "6e A", 27, (SIXTH,), ()),
        DivisionRecord("6B", "6e B", None, (SIXTH,), ()),
        DivisionRecord(
            "5A", "5e A bilangue", 26, (FIFTH, SIXTH), (ServiceRecord(SPANISH, ("T1", "T2")),)
        ),
        GroupRecord("ESP2", "Espagnol LV2", ("6A", "6B"), (ServiceRecord(SPANISH, ("T2",)),)),
        GroupRecord("LAT5", "Latin 5e", ("5A",), ()),
        teacher("T1", "Émilie", "Dupré-Roux", "e.dupre@ac-creteil.fr"),
        # No e-mail this time: the account keeps none, nothing is erased.
        teacher("T2", "Jean", "Martin"),
    ]
    again = await _run(sessionmaker, principal, changed, world=world)
    assert again.new_teachers == []
    [fifth] = again.of(Kind.DIVISION, Outcome.UPDATED)
    assert fifth.key == "5A"
    assert set(fifth.fields) == {
        FieldChange("label", "5e A", "5e A bilangue"),
        FieldChange("planned_headcount", "25", "26"),
        FieldChange("mefs", FIFTH, f"{SIXTH}, {FIFTH}"),
    }
    [emilie] = again.of(Kind.TEACHER, Outcome.UPDATED)
    assert emilie.key == "T1" and set(emilie.fields) == {
        FieldChange("name", "Émilie Dupré", "Émilie Dupré-Roux"),
        FieldChange("email", "emilie.dupre@ac-creteil.fr", "e.dupre@ac-creteil.fr"),
    }
    assert _outcomes(again, Kind.TEACHER)["T2"] is Outcome.UNCHANGED
    assert [c.label for c in again.of(Kind.ASSIGNMENT, Outcome.REMOVED)] == [
        "Émilie Dupré : division 6A, matière 030201"
    ]
    assert again.counts()["assignment"]["unchanged"] == 3
    async with sessionmaker() as session:
        users = dict(
            (
                await session.execute(
                    select(StaffUser.sts_id, StaffUser.id).where(StaffUser.sts_id.is_not(None))
                )
            ).all()
        )
        assert users == ids
        user = await session.get(StaffUser, ids["T1"])
        assert user is not None and user.email == "e.dupre@ac-creteil.fr"
    # The same file once more: nothing differs.
    third = await _run(sessionmaker, principal, changed, world=world)
    assert {c.outcome for c in third.changes} == {Outcome.UNCHANGED}


async def test_missing_division_with_students_is_kept_an_empty_one_removed(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, principal, first_file(), world=world)
    # 6B (Noah) and ESP2 (Lina) are gone from STS-WEB, and so is the empty 5A with its group.
    smaller = [
        DivisionRecord("6A", "6e A", 27, (SIXTH,), (ServiceRecord(SPANISH, ("T1",)),)),
        teacher("T1", "Émilie", "Dupré", "emilie.dupre@ac-creteil.fr"),
    ]
    result = await _run(sessionmaker, principal, smaller, world=world)
    assert _outcomes(result, Kind.DIVISION) == {
        "5A": Outcome.REMOVED,
        "6A": Outcome.UNCHANGED,
        "6B": Outcome.KEPT,
    }
    [kept] = result.of(Kind.DIVISION, Outcome.KEPT)
    assert kept.reason == "Absente du fichier mais des élèves y sont inscrits : conservée."
    assert _outcomes(result, Kind.GROUP) == {"ESP2": Outcome.KEPT, "LAT5": Outcome.REMOVED}
    assert _outcomes(result, Kind.TEACHER) == {"T1": Outcome.UNCHANGED, "T2": Outcome.KEPT}
    async with sessionmaker() as session:
        codes = set(
            await session.scalars(select(Division.code).where(Division.school_id == world.school_a))
        )
        assert codes == {"6A", "6B"}
        assert set(await session.scalars(select(Group.code))) == {"ESP2"}
        # The kept group still draws from its divisions; T2's account stays.
        assert (
            await session.scalar(
                select(func.count())
                .select_from(GroupDivision)
                .where(GroupDivision.group_id == world.group_a)
            )
            == 2
        )
        assert await session.scalar(select(StaffUser.id).where(StaffUser.sts_id == "T2"))
        removed = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "delete", AuditEntry.entity == "divisions")
        )
        assert removed == 1


async def test_unknown_mef_refuses_the_file_whole(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    items = first_file()
    items[0] = DivisionRecord("6A", "6e A", 27, ("99999999999",), (), line=10)
    preview = await _run(sessionmaker, principal, items, apply=False, world=world)
    assert preview.problems == [
        RecordProblem(
            "DIVISION",
            "6A",
            "MEF_APPARTENANCE",
            "Le MEF 99999999999 est inconnu de la nomenclature.",
            10,
        )
    ]
    assert preview.changes == []
    with pytest.raises(StructuresRefused) as refused:
        await _run(sessionmaker, principal, items, world=world)
    assert refused.value.problems == preview.problems
    assert refused.value.errors[0].field == "MEF_APPARTENANCE"
    assert "6A" in refused.value.errors[0].message
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Division)) == 3
        assert await session.scalar(select(func.count()).select_from(StaffUser)) == len(world.users)


async def test_other_refusals_name_element_id_and_field(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    items = [
        DivisionRecord("6A", "6e A", 27, (SIXTH,), (ServiceRecord("999999", ("T9",)),), line=3),
        DivisionRecord("6A", "doublon", None, (SIXTH,), (), line=7),
        DivisionRecord("TROP-LONG-CODE", "x", None, (SIXTH,), (), line=8),
        GroupRecord("G1", "G1", ("6Z",), (), line=9),
        teacher("T1", "Émilie", "Dupré", "pas-une-adresse"),
        # What the reader could not read refuses the file as well.
        RecordProblem("INDIVIDU", "T7", "NOM_USAGE", "Nom manquant.", 40),
    ]
    preview = await _run(sessionmaker, principal, iter(items), apply=False, world=world)
    assert {(p.element, p.record_id, p.field) for p in preview.problems} == {
        ("DIVISION", "6A", "CODE"),
        ("DIVISION", "TROP-LONG-CODE", "CODE"),
        ("GROUPE", "G1", "DIVISION_APPARTENANCE"),
        ("INDIVIDU", "T1", "MEL"),
        ("INDIVIDU", "T7", "NOM_USAGE"),
        ("DIVISION", "6A", "CODE_MATIERE"),
        ("DIVISION", "6A", "ENSEIGNANT"),
    }


async def test_unique_logins_and_unprofiled_mefs(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_b")
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        session.add(
            StaffUser(academy_id=world.academy_id, login="jean.martin", display_name="J. Martin")
        )
        # School B stops offering 5EME: the file profiles it again.
        school_mef = await session.get(SchoolMef, (world.school_b, world.year_id, world.mef_5))
        await session.delete(school_mef)
    items = [
        DivisionRecord("5X", "5e X", None, (FIFTH,), (ServiceRecord(SPANISH, ("A", "B")),)),
        teacher("A", "Jean", "Martin"),
        teacher("B", "Jean", "Martin"),
    ]
    async with sessionmaker() as session, session.begin():
        result = await apply_structures_import(
            session, principal, world.school_b, world.year_id, items
        )
    assert [t.login for t in result.new_teachers] == ["jean.martin2", "jean.martin3"]
    async with sessionmaker() as session:
        assert (
            await session.get(SchoolMef, (world.school_b, world.year_id, world.mef_5)) is not None
        )


async def test_who_may_import(world, sessionmaker):
    registrar = await world.principal(sessionmaker, "registrar_a")
    result = await _run(sessionmaker, registrar, first_file(), apply=False, world=world)
    assert result.problems == []
    for login in ("cpe_a", "teacher_a", "rectorat", "bursar_a"):
        denied = await world.principal(sessionmaker, login)
        with pytest.raises(PermissionDenied):
            await _run(sessionmaker, denied, first_file(), world=world)
    other = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(sessionmaker, other, first_file(), world=world)
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(ValidationFailed) as closed:
        await _run(sessionmaker, principal, first_file(), world=world, year=world.closed_year_id)
    assert closed.value.errors[0].field == "school_year_id"

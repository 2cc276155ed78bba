"""Activation codes (CAR, CAE): every rule of seed 003's sections 1.2, 4.3 and 4.4 that the
staff side enforces."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api.auth.principal import PermissionDenied
from api.resolvers.teleservices.codes import (
    AccessFilter,
    Population,
    code_history,
    generate_codes,
    list_accesses,
    regenerate_code,
    revoke_access,
    withdraw_unnotified,
)
from api.resolvers.teleservices.services import set_service
from core import clock
from core.errors import NotFound, ValidationFailed
from db.audit import AuditEntry, set_actor
from db.teleservices import ActivationCode, CodeKind, Teleservice
from tests.conftest import TEST_SECRET_KEY
from tests.world import build_world
from tsdb.activation_codes import ALPHABET, new_code, normalised

CAR, CAE = CodeKind.CAR, CodeKind.CAE


@pytest.fixture
async def world(sessionmaker):
    return await build_world(sessionmaker)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


async def _opened(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    await _run(sessionmaker, set_service, principal, world.school_a, Teleservice.GRADES, True)
    return principal


def test_codes_look_like_the_seed_and_are_random():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}", code)
        assert not set(code.replace("-", "")) & set("0O1IL2Z5S8B")
    assert set("".join(codes).replace("-", "")) == set(ALPHABET)
    code = new_code()
    assert normalised(code.lower().replace("-", " ")) == code
    assert normalised("ABCD-EFG-HJK-MN0") is None and normalised("too short") is None


async def test_mass_generation_gives_legal_guardians_one_code_each(world, sessionmaker):
    principal = await _opened(world, sessionmaker)
    population = Population(world.school_a)
    lines = await _run(sessionmaker, list_accesses, principal, CAR, population)
    # Lina: mother (legal 1) and father (legal 2); Noah: mother; Éloïse: her mother.
    assert [(line.student_name, line.guardian_name, line.legal_rank) for line in lines] == [
        ("Élan Éloïse", "Élan Sophie", 1),
        ("Martin Lina", "Martin Claire", 1),
        ("Martin Lina", "Martin Paul", 2),
        ("Martin Noah", "Martin Claire", 1),
    ]
    report = await _run(sessionmaker, generate_codes, principal, CAR, population, TEST_SECRET_KEY)
    assert (report.created, report.already_given, report.locked) == (4, 0, 0)
    again = await _run(sessionmaker, generate_codes, principal, CAR, population, TEST_SECRET_KEY)
    assert (again.created, again.already_given) == (0, 4)
    given = await _run(
        sessionmaker, list_accesses, principal, CAR, population, AccessFilter.NOT_GIVEN
    )
    assert given == []
    caes = await _run(sessionmaker, generate_codes, principal, CAE, population, TEST_SECRET_KEY)
    assert caes.created == 3
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ActivationCode)) == 7
        audited = await session.scalar(
            select(func.count()).where(AuditEntry.entity == "activation_codes")
        )
        assert audited == 7


async def test_population_by_division_and_chosen_pairs(world, sessionmaker):
    principal = await _opened(world, sessionmaker)
    lina, mother = world.students["lina"], world.guardians["mother"]
    report = await _run(
        sessionmaker,
        generate_codes,
        principal,
        CAR,
        Population(world.school_a, division_id=world.division_a1),
        TEST_SECRET_KEY,
        chosen=[(lina, mother)],
    )
    assert report.created == 1
    lines = await _run(
        sessionmaker,
        list_accesses,
        principal,
        CAR,
        Population(world.school_a, division_id=world.division_a1),
        AccessFilter.GIVEN,
    )
    assert [(line.student_id, line.guardian_id) for line in lines] == [(lina, mother)]


async def test_codes_need_an_open_service(world, sessionmaker):
    principal = await world.principal(sessionmaker, "principal_a")
    with pytest.raises(ValidationFailed) as refused:
        await _run(
            sessionmaker,
            generate_codes,
            principal,
            CAR,
            Population(world.school_a),
            TEST_SECRET_KEY,
        )
    assert refused.value.errors[0].code == "TELESERVICES_CLOSED"


async def test_a_notified_code_is_left_alone_by_mass_screens(world, sessionmaker):
    principal = await _opened(world, sessionmaker)
    population = Population(world.school_a)
    await _run(sessionmaker, generate_codes, principal, CAR, population, TEST_SECRET_KEY)
    lina, mother, father = (
        world.students["lina"],
        world.guardians["mother"],
        world.guardians["father"],
    )
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, principal.audit_actor(world.school_a))
        code = await session.scalar(
            select(ActivationCode).where(
                ActivationCode.student_id == lina, ActivationCode.guardian_id == mother
            )
        )
        code.notified_at = clock.now()
    withdrawn = await _run(
        sessionmaker,
        withdraw_unnotified,
        principal,
        CAR,
        world.school_a,
        [(lina, mother), (lina, father)],
    )
    assert withdrawn == 1  # the father's, not yet notified
    lines = await _run(sessionmaker, list_accesses, principal, CAR, population)
    by_pair = {(line.student_id, line.guardian_id): line for line in lines}
    assert by_pair[(lina, mother)].locked and by_pair[(lina, mother)].code is not None
    assert by_pair[(lina, father)].code is None
    report = await _run(sessionmaker, generate_codes, principal, CAR, population, TEST_SECRET_KEY)
    assert (report.created, report.locked) == (1, 1)


async def test_regeneration_invalidates_and_the_history_shows_every_code(world, sessionmaker):
    principal = await _opened(world, sessionmaker)
    lina, mother = world.students["lina"], world.guardians["mother"]
    first = await _run(
        sessionmaker, regenerate_code, principal, world.school_a, lina, mother, TEST_SECRET_KEY
    )
    second = await _run(
        sessionmaker, regenerate_code, principal, world.school_a, lina, mother, TEST_SECRET_KEY
    )
    history = await _run(
        sessionmaker, code_history, principal, world.school_a, lina, mother, TEST_SECRET_KEY
    )
    assert [view.row.id for view in history] == [second.id, first.id]
    assert [view.row.is_valid for view in history] == [True, False]
    assert history[1].row.invalidated_at is not None
    assert history[0].code != history[1].code and normalised(history[0].code) == history[0].code
    # Sealed at rest: the database holds no code in clear.
    async with sessionmaker() as session:
        sealed = list(await session.scalars(select(ActivationCode.sealed_code)))
    assert all(view.code not in sealed[0] + sealed[1] for view in history)
    await _run(sessionmaker, revoke_access, principal, world.school_a, lina, mother)
    with pytest.raises(ValidationFailed) as twice:
        await _run(sessionmaker, revoke_access, principal, world.school_a, lina, mother)
    assert twice.value.errors[0].code == "NO_VALID_CODE"
    cae = await _run(
        sessionmaker, regenerate_code, principal, world.school_a, lina, None, TEST_SECRET_KEY
    )
    assert cae.kind is CAE


async def test_one_valid_code_per_pair_is_enforced_by_the_database(world, sessionmaker):
    principal = await _opened(world, sessionmaker)
    lina, mother = world.students["lina"], world.guardians["mother"]
    await _run(
        sessionmaker, regenerate_code, principal, world.school_a, lina, mother, TEST_SECRET_KEY
    )
    with pytest.raises(IntegrityError):
        async with sessionmaker() as session, session.begin():
            set_actor(session.sync_session, principal.audit_actor(world.school_a))
            session.add(
                ActivationCode(
                    kind=CAR,
                    school_id=world.school_a,
                    student_id=lina,
                    guardian_id=mother,
                    sealed_code="x",
                    code_hash="x",
                    lookup="x",
                    is_valid=True,
                    created_by_label="test",
                )
            )


async def test_only_legal_guardians_and_own_school(world, sessionmaker):
    principal = await _opened(world, sessionmaker)
    with pytest.raises(ValidationFailed) as not_legal:
        # Éloïse's guardian of Lina? Sophie Élan is no guardian of Lina at all.
        await _run(
            sessionmaker,
            regenerate_code,
            principal,
            world.school_a,
            world.students["lina"],
            world.guardians["elan"],
            TEST_SECRET_KEY,
        )
    assert not_legal.value.errors[0].field == "guardianId"
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            regenerate_code,
            principal,
            world.school_a,
            world.students["jade"],
            None,
            TEST_SECRET_KEY,
        )
    principal_b = await world.principal(sessionmaker, "principal_b")
    with pytest.raises(NotFound):
        await _run(
            sessionmaker,
            list_accesses,
            principal_b,
            CAR,
            Population(world.school_a),
        )
    teacher = await world.principal(sessionmaker, "teacher_a")
    with pytest.raises(PermissionDenied):
        await _run(sessionmaker, list_accesses, teacher, CAR, Population(world.school_a))

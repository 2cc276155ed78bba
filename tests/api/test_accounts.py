"""Account management: principals manage their school's staff, the académie administrator
the principals and académie accounts; nobody reaches beyond."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api.auth.identities import authenticate
from api.resolvers.accounts import (
    NewAccount,
    create_account,
    manageable_accounts,
    set_account_active,
)
from core.errors import NotFound, ValidationFailed
from db.accounts import StaffSession
from tests.portals.conftest import Portal, csrf_of, make_client

PASSWORD = "un-mot-de-passe-solide"


async def _create(world, sessionmaker, actor, **fields):
    principal = await world.principal(sessionmaker, actor)
    async with sessionmaker() as session, session.begin():
        return await create_account(session, principal, NewAccount(password=PASSWORD, **fields))


async def test_each_manages_their_own(world, sessionmaker):
    cpe = await _create(
        world,
        sessionmaker,
        "principal_a",
        login="mme.cpe2",
        display_name="Mme Seconde",
        role="cpe",
        school_id=world.school_a,
    )
    async with sessionmaker() as session:
        assert (await authenticate(session, "mme.cpe2", PASSWORD)).id == cpe.id
    refusals = [
        ("principal_a", {"role": "principal", "school_id": world.school_a}, ValidationFailed),
        ("principal_a", {"role": "teacher", "school_id": world.school_b}, NotFound),
        ("admin", {"role": "teacher", "school_id": world.school_a}, ValidationFailed),
        ("admin", {"role": "rectorat", "school_id": world.school_a}, ValidationFailed),
    ]
    for n, (actor, fields, refusal) in enumerate(refusals):
        with pytest.raises(refusal):
            await _create(world, sessionmaker, actor, login=f"refus{n}", display_name="X", **fields)
    principal = await _create(
        world,
        sessionmaker,
        "admin",
        login="m.nouveau",
        display_name="M. Nouveau",
        role="principal",
        school_id=world.school_b,
    )
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session:
        logins = {v.user.login for v in await manageable_accounts(session, admin)}
    assert {"principal_a", "principal_b", "m.nouveau", "rectorat", "admin"} <= logins
    assert "cpe_a" not in logins and principal.id


async def test_bad_input_names_the_fields(world, sessionmaker):
    with pytest.raises(ValidationFailed) as refused:
        principal = await world.principal(sessionmaker, "principal_a")
        async with sessionmaker() as session, session.begin():
            await create_account(
                session,
                principal,
                NewAccount(login="A B", display_name="", role="chef", password="court"),
            )
    assert {e.field for e in refused.value.errors} == {"login", "password", "displayName", "role"}
    with pytest.raises(ValidationFailed) as duplicate:
        await _create(
            world,
            sessionmaker,
            "principal_a",
            login="cpe_a",
            display_name="Doublon",
            role="cpe",
            school_id=world.school_a,
        )
    assert duplicate.value.errors[0].code == "DUPLICATE"


async def test_deactivating_ends_the_sessions_and_stays_in_reach(app, world, sessionmaker):
    async with make_client(app) as http:
        teacher = Portal(http, world)
        await teacher.login("teacher_a")
        assert (await teacher.get("/")).status_code == 200
        principal_b = await world.principal(sessionmaker, "principal_b")
        async with sessionmaker() as session, session.begin():
            with pytest.raises(NotFound):
                await set_account_active(session, principal_b, world.users["teacher_a"], False)
        principal_a = await world.principal(sessionmaker, "principal_a")
        async with sessionmaker() as session, session.begin():
            await set_account_active(session, principal_a, world.users["teacher_a"], False)
        assert (await teacher.get("/")).status_code == 303
        assert (await teacher.login("teacher_a")).status_code == 200  # refused: form again
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(StaffSession)
            .where(StaffSession.user_id == world.users["teacher_a"])
        )
        assert count == 0


async def test_the_accounts_page(app, world):
    async with make_client(app) as http:
        portal = Portal(http, world)
        await portal.login("principal_a")
        page = await portal.get("/comptes")
        assert page.status_code == 200 and "compte-teacher_a" in page.text
        assert "compte-principal_b" not in page.text
        bad = await http.post(
            "/comptes",
            data={"csrf_token": csrf_of(page.text), "login": "x", "role": "cpe", "password": "p"},
        )
        assert bad.status_code == 400 and "identifiant doit compter" in bad.text
        done = await http.post(
            "/comptes",
            data={
                "csrf_token": csrf_of(page.text),
                "login": "m.prof2",
                "display_name": "M. Prof",
                "role": "teacher",
                "school_id": str(world.school_a),
                "password": PASSWORD,
            },
        )
        assert done.status_code == 303
        assert "m.prof2" in (await portal.get(done.headers["location"])).text

"""The families portal over HTTP: an account from a code produced by the staff side and a
replication run, a second child from another school, an absence seen after the next run;
throttled guesses."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.settings import school_setup
from api.resolvers.teleservices.codes import revoke_access
from db.teleservices import ActivationCode
from replication.run import replicate
from tests.portals.familles.family_steps import (
    CSRF,
    TICKET,
    TODAY,
    give_code,
    open_account,
    post_form,
    run,
)
from tsdb.models import FamilyAccount


async def test_a_parent_creates_an_account_attaches_a_second_child_and_sees_absences(
    world, sessionmaker, ts_sessionmaker, families
):
    lina_code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["father"],
        "principal_a",
    )
    jade_code = await give_code(
        world,
        sessionmaker,
        world.school_b,
        world.students["jade"],
        world.guardians["father"],
        "principal_b",
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)

    wrong = await post_form(
        families, "/creer-un-compte", {"code": lina_code, "naissance": "2015-03-15"}
    )
    assert (
        wrong.status_code == 400
        and "Code d&#39;activation ou date de naissance incorrects." in wrong.text
    )
    step2 = await post_form(
        families,
        "/creer-un-compte",
        {"code": lina_code.lower().replace("-", " "), "naissance": "2015-03-14"},
    )
    assert step2.status_code == 200 and "Code vérifié" in step2.text
    ticket = TICKET.search(step2.text).group(1)
    short = await families.post(
        "/creer-un-compte",
        data={
            "csrf_token": CSRF.search(step2.text).group(1),
            "ticket": ticket,
            "login": "paul.martin",
            "password": "court",
            "confirmation": "court",
            "email": "paul@example.fr",
        },
    )
    assert short.status_code == 400 and 'id="erreur-password"' in short.text
    created = await families.post(
        "/creer-un-compte",
        data={
            "csrf_token": CSRF.search(step2.text).group(1),
            "ticket": ticket,
            "login": "paul.martin",
            "password": "un mot de passe long",
            "confirmation": "un mot de passe long",
            "email": "paul@example.fr",
        },
    )
    assert created.status_code == 303 and created.headers["location"] == "/enfants"
    children = await families.get("/enfants")
    assert "Lina Martin" in children.text and "Jade" not in children.text
    # The code is used: it cannot open a second account.
    reused = await post_form(
        families, "/ajouter-un-code", {"code": lina_code, "naissance": "2015-03-14"}
    )
    assert reused.status_code == 400
    attached = await post_form(
        families, "/ajouter-un-code", {"code": jade_code, "naissance": "2015-01-20"}
    )
    assert attached.status_code == 303
    children = await families.get("/enfants")
    assert "Lina Martin" in children.text and "Jade Bernard" in children.text
    assert "Collège Louise Michel" in children.text

    cpe = await world.principal(sessionmaker, "cpe_a")
    setup = await run(sessionmaker, school_setup, cpe, world.school_a)
    slot = setup.grid.slots[0].id
    await run(
        sessionmaker,
        record_absence,
        cpe,
        AbsenceEntry(
            world.students["lina"],
            world.school_a,
            date(2026, 11, 23),
            slot,
            date(2026, 11, 23),
            slot,
        ),
    )
    lina_id = re.search(r'href="/enfants/(\d+)">Lina Martin', children.text).group(1)
    before = await families.get(f"/enfants/{lina_id}")
    assert "Aucune absence" in before.text
    summary = await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    assert summary.codes_used == 2
    after = await families.get(f"/enfants/{lina_id}")
    assert "Absence du 23/11/2026 (M1) au 23/11/2026 (M1)" in after.text
    async with sessionmaker() as session:
        used = await session.scalar(
            select(func.count())
            .select_from(ActivationCode)
            .where(ActivationCode.used_at.is_not(None))
        )
    assert used == 2


async def test_sign_in_out_and_csrf(world, sessionmaker, ts_sessionmaker, families):
    code = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, code, "2015-11-02", "noah", "mot de passe de noah")
    page = await families.get("/enfants")
    out = await families.post("/deconnexion", data={"csrf_token": CSRF.search(page.text).group(1)})
    assert out.status_code == 303
    assert (await families.get("/enfants")).headers.get("location") == "/"
    forged = await families.post(
        "/connexion", data={"login": "noah", "password": "mot de passe de noah"}
    )
    assert forged.status_code == 403
    bad = await post_form(families, "/connexion", {"login": "noah", "password": "faux"}, page="/")
    assert bad.status_code == 400 and "Identifiant ou mot de passe incorrect." in bad.text
    good = await post_form(
        families, "/connexion", {"login": "noah", "password": "mot de passe de noah"}, page="/"
    )
    assert good.status_code == 303
    assert "Noah Martin" in (await families.get("/enfants")).text
    async with ts_sessionmaker() as ts:
        account = await ts.scalar(select(FamilyAccount).where(FamilyAccount.login == "noah"))
    assert account.password_hash.startswith("$argon2")


async def test_guessing_a_birth_date_locks_the_code(world, sessionmaker, ts_sessionmaker, families):
    code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    statuses = []
    for day in range(1, 8):
        wrong = await post_form(
            families, "/creer-un-compte", {"code": code, "naissance": f"2015-03-0{day}"}
        )
        statuses.append(wrong.status_code)
    assert statuses[:3] == [400, 400, 400] and statuses[-1] == 429, statuses
    right = await post_form(families, "/creer-un-compte", {"code": code, "naissance": "2015-03-14"})
    assert right.status_code == 429 and "Trop de tentatives" in right.text


async def test_password_guesses_are_slowed_down(world, sessionmaker, ts_sessionmaker, families):
    for _ in range(5):
        await post_form(families, "/connexion", {"login": "personne", "password": "faux"}, page="/")
    slowed = await post_form(
        families, "/connexion", {"login": "personne", "password": "faux"}, page="/"
    )
    assert slowed.status_code == 429 and "réessayez dans" in slowed.text


async def test_one_code_opens_all_the_guardians_children_of_the_school_until_revoked(
    world, sessionmaker, ts_sessionmaker, families
):
    """Seed 003, 1.2: subscribing in a school covers all of the guardian's children there; an
    invalidated code closes the access."""
    principal = await world.principal(sessionmaker, "principal_a")
    lina_code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["noah"],
        world.guardians["mother"],
        "principal_a",
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, lina_code, "2015-03-14", "claire", "un mot de passe long")
    page = await families.get("/enfants")
    assert "Lina Martin" in page.text and "Noah Martin" in page.text
    await run(
        sessionmaker,
        revoke_access,
        principal,
        world.school_a,
        world.students["noah"],
        world.guardians["mother"],
    )
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    page = await families.get("/enfants")
    assert "Lina Martin" in page.text and "Noah Martin" not in page.text
    await run(
        sessionmaker,
        revoke_access,
        principal,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
    )
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    assert "Aucun enfant" in (await families.get("/enfants")).text

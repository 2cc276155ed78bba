"""The families portal over HTTP: an account from a code produced by the staff side and a
replication run, a second child from another school, an absence seen after the next run;
throttled guesses."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from argon2 import PasswordHasher
from sqlalchemy import func, select

from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.settings import school_setup
from api.resolvers.teleservices.codes import revoke_access
from db.teleservices import ActivationCode
from families import accounts
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
    await open_account(families, code, "2015-11-02", "noah", "le chat de la voisine")
    page = await families.get("/enfants")
    out = await families.post("/deconnexion", data={"csrf_token": CSRF.search(page.text).group(1)})
    assert out.status_code == 303
    assert (await families.get("/enfants")).headers.get("location") == "/"
    forged = await families.post(
        "/connexion", data={"login": "noah", "password": "le chat de la voisine"}
    )
    assert forged.status_code == 403
    bad = await post_form(families, "/connexion", {"login": "noah", "password": "faux"}, page="/")
    assert bad.status_code == 400 and "Identifiant ou mot de passe incorrect." in bad.text
    good = await post_form(
        families, "/connexion", {"login": "noah", "password": "le chat de la voisine"}, page="/"
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


async def test_password_guesses_are_slowed_down(
    world, sessionmaker, ts_sessionmaker, families, stopped_clock
):
    statuses = []
    for _ in range(5):
        wrong = await post_form(
            families, "/connexion", {"login": "personne", "password": "faux"}, page="/"
        )
        statuses.append(wrong.status_code)
    # Four free mistakes; the fifth sets a one-second delay, which the clock never passes.
    assert statuses == [400, 400, 400, 400, 429], statuses
    slowed = await post_form(
        families, "/connexion", {"login": "personne", "password": "faux"}, page="/"
    )
    assert slowed.status_code == 429 and "réessayez dans 1 seconde" in slowed.text
    stopped_clock.advance(timedelta(seconds=1))
    again = await post_form(
        families, "/connexion", {"login": "personne", "password": "faux"}, page="/"
    )
    assert again.status_code == 400
    # That failure doubles the delay.
    stopped_clock.advance(timedelta(seconds=1))
    doubled = await post_form(
        families, "/connexion", {"login": "personne", "password": "faux"}, page="/"
    )
    assert doubled.status_code == 429 and "réessayez dans 1 seconde" in doubled.text


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


async def test_an_unknown_login_costs_a_password_verification_like_a_wrong_password(
    world, sessionmaker, ts_sessionmaker, families, monkeypatch
):
    code = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, code, "2015-11-02", "noah", "le chat de la voisine")
    families.cookies.clear()
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "PASSWORDS", hasher)
    wrong = await post_form(families, "/connexion", {"login": "noah", "password": "faux"}, page="/")
    assert wrong.status_code == 400 and hasher.verified == 1
    unknown = await post_form(
        families, "/connexion", {"login": "personne", "password": "faux"}, page="/"
    )
    assert unknown.status_code == 400 and hasher.verified == 2
    # The same answer as for a wrong password: in the error summary and under the field.
    refusal = "Identifiant ou mot de passe incorrect."
    assert unknown.text.count(refusal) == wrong.text.count(refusal) == 2


async def _step2(client, step2, login, password="un mot de passe long"):
    return await client.post(
        "/creer-un-compte",
        data={
            "csrf_token": CSRF.search(step2.text).group(1),
            "ticket": TICKET.search(step2.text).group(1),
            "login": login,
            "password": password,
            "confirmation": password,
            "email": "",
        },
    )


async def test_a_used_code_sends_its_holder_to_sign_in_and_its_ticket_dies(
    world, sessionmaker, ts_sessionmaker, families
):
    code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    other = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, other, "2015-11-02", "noah", "le chat de la voisine")
    step2 = await post_form(families, "/creer-un-compte", {"code": code, "naissance": "2015-03-14"})
    assert (await _step2(families, step2, "claire")).status_code == 303
    # The ticket of a used code proves nothing more: it cannot test which logins exist.
    taken = await _step2(families, step2, "noah")
    free = await _step2(families, step2, "claire2")
    for answer in (taken, free):
        assert answer.status_code == 400 and "Étape 1 sur 2" in answer.text
        assert "déjà pris" not in answer.text
        assert "Ce code a déjà servi à créer un compte : connectez-vous" in answer.text
    async with ts_sessionmaker() as ts:
        logins = set(await ts.scalars(select(FamilyAccount.login)))
    assert logins == {"noah", "claire"}
    # Typed again with the birth date, the code tells its holder to sign in.
    again = await post_form(families, "/creer-un-compte", {"code": code, "naissance": "2015-03-14"})
    assert again.status_code == 400
    assert "Ce code a déjà servi à créer un compte : connectez-vous" in again.text
    # With a wrong date, nothing is told.
    wrong = await post_form(families, "/creer-un-compte", {"code": code, "naissance": "2015-03-15"})
    assert "Code d&#39;activation ou date de naissance incorrects." in wrong.text


async def test_step_two_refusals_are_throttled(
    world, sessionmaker, ts_sessionmaker, families, stopped_clock
):
    code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    other = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(families, other, "2015-11-02", "noah", "le chat de la voisine")
    step2 = await post_form(families, "/creer-un-compte", {"code": code, "naissance": "2015-03-14"})
    statuses = [(await _step2(families, step2, "noah")).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429], statuses
    # Even the right answer waits out the delay: nothing is checked meanwhile.
    blocked = await _step2(families, step2, "claire")
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
    stopped_clock.advance(timedelta(seconds=1))
    assert (await _step2(families, step2, "claire")).status_code == 303


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


async def test_weak_passwords_are_refused_and_a_change_ends_the_other_sessions(
    world, sessionmaker, ts_sessionmaker, families
):
    code = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    step2 = await post_form(families, "/creer-un-compte", {"code": code, "naissance": "2015-11-02"})
    for weak, said in [
        ("aaaaaaaaaa", "plus courants"),
        ("4444477777", "répète"),
        ("azertyuiop", "plus courants"),
        ("abcdefghijk", "suite"),
        ("noah.martin-2015", "identifiant"),
    ]:
        refused = await _step2(families, step2, "noah.martin", weak)
        assert refused.status_code == 400 and 'id="erreur-password"' in refused.text, weak
        assert said in refused.text, weak
    assert (await _step2(families, step2, "noah.martin")).status_code == 303
    elsewhere = families.cookies["sconet_familles"]
    families.cookies.clear()
    signed_in = await post_form(
        families,
        "/connexion",
        {"login": "noah.martin", "password": "un mot de passe long"},
        page="/",
    )
    assert signed_in.status_code == 303
    here = families.cookies["sconet_familles"]
    assert here != elsewhere
    weak = await post_form(
        families,
        "/compte",
        {"current": "un mot de passe long", "password": "1111111111", "confirmation": "1111111111"},
    )
    assert weak.status_code == 400 and 'id="erreur-password"' in weak.text
    changed = await post_form(
        families,
        "/compte",
        {
            "current": "un mot de passe long",
            "password": "le chat de la voisine",
            "confirmation": "le chat de la voisine",
        },
    )
    assert changed.status_code == 200 and "Mot de passe changé." in changed.text
    # This browser goes on; the other session, which knew only the old password, is over.
    assert (await families.get("/enfants")).status_code == 200
    families.cookies.clear()
    other = await families.get("/enfants", headers={"Cookie": f"sconet_familles={elsewhere}"})
    assert other.status_code == 303 and other.headers["location"] == "/"
    still = await families.get("/enfants", headers={"Cookie": f"sconet_familles={here}"})
    assert still.status_code == 200

"""/rentree: the principal's summary (students without decision, planned enrolments,
leavers), the confirm step and the switch; the académie's view of every school and its
switch, each school reported; refused to who may not."""

from __future__ import annotations

from sqlalchemy import delete

from db.audit import set_actor
from db.passage import PassageDecision, PassageOutcome
from tests.api.rentree_scenario import ACTOR, prepare_next_year
from tests.portals.conftest import csrf_of
from tests.portals.test_etablissement_pages import text_of


async def decide_for_extras(sessionmaker, world) -> int:
    """The portal's world has more students in 6A: promoted, all of them."""
    extras = [e for key, e in world.enrollments.items() if key.startswith("extra")]
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        session.add_all(
            PassageDecision(
                enrollment_id=enrollment_id,
                outcome=PassageOutcome.PROMOTED,
                next_mef_id=world.mef_5,
            )
            for enrollment_id in extras
        )
    return len(extras)


async def test_the_principal_sees_the_summary_confirms_and_switches(
    portal, other_portal, world, sessionmaker
):
    await portal.login("registrar_a")
    assert (await portal.get("/rentree")).status_code == 403
    assert 'href="/rentree"' not in (await portal.get("/")).text

    portal = other_portal
    await portal.login("principal_a")
    assert 'href="/rentree"' in (await portal.get("/")).text
    early = text_of((await portal.get("/rentree")).text)
    assert "Aucune année en préparation" in early
    assert "Basculer sur" not in early

    await prepare_next_year(sessionmaker, world)
    extras = await decide_for_extras(sessionmaker, world)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(PassageDecision).where(
                PassageDecision.enrollment_id == world.enrollments["eloise"]
            )
        )
    waiting = text_of((await portal.get("/rentree")).text)
    assert "Élèves sans décision de passage : 1" in waiting
    assert "ÉLAN Éloïse" in waiting and "6A" in waiting
    assert "Élèves sortants : 1" in waiting and "MARTIN Noah" in waiting
    assert "Inscriptions prévues l'an prochain : 2" in waiting
    assert "La bascule n'est pas encore possible" in waiting
    assert "Basculer sur" not in waiting
    # Posting anyway: refused, explained, nothing changed.
    refused = await portal.post_form("/rentree", "/rentree", {})
    assert refused.status_code == 400
    assert "<title>Erreur" in refused.text and "sans décision de passage" in refused.text

    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, ACTOR)
        session.add(
            PassageDecision(
                enrollment_id=world.enrollments["eloise"],
                outcome=PassageOutcome.REPEATING,
                next_mef_id=world.mef_6,
            )
        )
    ready = (await portal.get("/rentree")).text
    assert 'href="/rentree?confirmer=1"' in ready and "Confirmer la bascule" not in ready
    confirm = await portal.get("/rentree?confirmer=1")
    assert "Confirmer la bascule" in confirm.text
    assert f"{3 + extras} scolarités de 2026-2027 seront closes" in text_of(confirm.text)
    done = await portal.post_form("/rentree?confirmer=1", "/rentree", {})
    assert done.status_code == 303
    after = await portal.get(done.headers["location"])
    text = text_of(after.text)
    assert 'role="status"' in after.text
    assert f"Rentrée faite : {3 + extras} scolarités closes, 1 élèves sortants" in text
    assert "La rentrée 2027-2028 est faite" in text
    again = await portal.http.post("/rentree", data={"csrf_token": csrf_of(after.text)})
    assert again.status_code == 303 and "d%C3%A9j%C3%A0+faite" in again.headers["location"]


async def test_the_academie_switches_every_school(portal, world, sessionmaker):
    await prepare_next_year(sessionmaker, world)
    extras = await decide_for_extras(sessionmaker, world)
    await portal.login("rectorat")
    overview = text_of((await portal.get("/rentree")).text)
    assert "Collège Jean Moulin" in overview
    assert f"Prête : {3 + extras} scolarités à clore" in overview
    assert "Collège Louise Michel" in overview and "BERNARD Jade" in overview
    confirm = await portal.get("/rentree?confirmer=1")
    assert "Confirmer la bascule de l'académie" in confirm.text
    report = await portal.post_form("/rentree?confirmer=1", "/rentree", {})
    assert report.status_code == 200
    text = text_of(report.text)
    assert "Des établissements n'ont pas encore basculé" in text
    assert "Basculé" in text and "Refusé" in text and "BERNARD Jade" in text

"""/absences/eleves/{id}: counts, regularisation keeping the history, phone calls."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.settings import school_setup
from db.audit import AuditEntry


async def _absence(world, sessionmaker):
    cpe = await world.principal(sessionmaker, "cpe_a")
    async with sessionmaker() as session, session.begin():
        setup = await school_setup(session, cpe, world.school_a)
        first, last = setup.grid.slots[0].id, setup.grid.slots[-1].id
        event = await record_absence(
            session,
            cpe,
            AbsenceEntry(
                world.students["lina"],
                world.school_a,
                date(2026, 11, 16),
                first,
                date(2026, 11, 17),
                last,
            ),
        )
    motives = {m.code: m.id for m in setup.motives.values()}
    proofs = {j.code: j.id for j in setup.justifications.values()}
    return event, motives, proofs


async def test_record_and_regularisation(portal, world, sessionmaker):
    event, motives, proofs = await _absence(world, sessionmaker)
    await portal.login("cpe_a")
    url = f"/absences/eleves/{world.students['lina']}"
    page = await portal.get(url)
    assert page.status_code == 200
    assert (
        'id="total-demi-journees">4<' in page.text and 'id="total-non-justifiees">4<' in page.text
    )
    done = await portal.post_form(
        url,
        f"/absences/evenements/{event.id}",
        {
            "version": "1",
            "motif": str(motives["MAL"]),
            "justificatif": str(proofs["CERT"]),
            "commentaire": "Certificat reçu",
        },
    )
    assert done.status_code == 303
    page = await portal.get(url)
    assert 'id="total-non-justifiees">0<' in page.text
    assert "Événement mis à jour." not in page.text  # only after the redirect's flag
    stale = await portal.post_form(
        url, f"/absences/evenements/{event.id}", {"version": "1", "motif": str(motives["NVA"])}
    )
    assert stale.status_code == 400 and "modifié par quelqu" in stale.text
    async with sessionmaker() as session:
        trail = list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "absence_events", AuditEntry.action == "update"
                )
            )
        )
    assert trail[-1].before["motive_id"] is None and trail[-1].after["motive_id"] == motives["MAL"]


async def test_phone_call_is_noted(portal, world, sessionmaker):
    event, _motives, _proofs = await _absence(world, sessionmaker)
    await portal.login("cpe_a")
    url = f"/absences/eleves/{world.students['lina']}"
    empty = await portal.post_form(url, f"{url}/appel-telephonique", {"resume": " "})
    assert empty.status_code == 400 and 'id="erreur-resume"' in empty.text
    done = await portal.post_form(
        url,
        f"{url}/appel-telephonique",
        {
            "resume": "Mère jointe, gastro.",
            "responsable": str(world.guardians["mother"]),
            "evenements": str(event.id),
        },
    )
    assert done.status_code == 303
    page = await portal.get(url)
    assert "Appel téléphonique" in page.text and "Mère jointe, gastro." in page.text
    assert "Mme Claire Martin" in page.text


async def test_other_school_and_teacher_limits(portal, other_portal, world, sessionmaker):
    await _absence(world, sessionmaker)
    await other_portal.login("principal_b")
    assert (await other_portal.get(f"/absences/eleves/{world.students['lina']}")).status_code == 404
    await portal.login("teacher_a")
    # Noah is in 6B, not taught by teacher_a.
    assert (await portal.get(f"/absences/eleves/{world.students['noah']}")).status_code == 404
    lina = await portal.get(f"/absences/eleves/{world.students['lina']}")
    assert lina.status_code == 200 and "Noter un appel" not in lina.text

"""/finances/comptes over HTTP: the list searched, an account's statement and its forms, errors
named on their fields in French, the remise gracieuse offered to the principal only, and who
reaches the pages."""

from __future__ import annotations

import html

from tests.api.finances.family_ledger import build_ledger
from tests.portals.conftest import Portal
from tests.world import World


def _text(response) -> str:
    return html.unescape(response.text)


async def test_the_bursar_finds_an_account_and_records_a_cheque(
    portal: Portal, world: World, sessionmaker
):
    ledger = await build_ledger(sessionmaker, world)
    await portal.login("bursar_a")
    listed = _text(await portal.get("/finances/comptes"))
    assert "2 comptes." in listed
    assert "ÉLAN Sophie" in listed and "1\u202f950,00\u00a0€" in listed
    found = _text(await portal.get("/finances/comptes?recherche=eloise"))
    assert "1 compte." in found and "MARTIN Claire" not in found
    page = f"/finances/comptes/{ledger.martin}"
    shown = _text(await portal.get(page))
    assert "<h1>Compte de MARTIN Claire</h1>" in shown
    assert "Solde : 1\u202f950,00\u00a0€ dû par la famille" in shown
    assert "remise-gracieuse" not in shown
    refused = await portal.post_form(
        page,
        f"{page}/paiement",
        {
            "paiement-method": "cheque",
            "paiement-amount": "12,345",
            "paiement-received_on": "2026-11-20",
        },
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert "<title>Erreur — Compte de MARTIN Claire" in text
    assert 'href="#champ-paiement-amount"' in text
    assert "Montant : Montant invalide" in text
    refused = await portal.post_form(
        page,
        f"{page}/paiement",
        {
            "paiement-method": "cheque",
            "paiement-amount": "1 000,00",
            "paiement-received_on": "2026-11-20",
        },
    )
    text = _text(refused)
    assert 'href="#champ-paiement-cheque_number"' in text and 'href="#champ-paiement-bank"' in text
    assert 'id="champ-paiement-amount"' in text and 'value="1 000,00"' in text
    saved = await portal.post_form(
        page,
        f"{page}/paiement",
        {
            "paiement-method": "cheque",
            "paiement-amount": "1 000,00",
            "paiement-received_on": "2026-11-20",
            "paiement-cheque_number": "1234567",
            "paiement-bank": "La Banque Postale",
        },
    )
    assert saved.status_code == 303
    shown = _text(await portal.get(saved.headers["location"]))
    assert "Le paiement est enregistré." in shown
    # 1 950,00 − 1 000,00.
    assert "Solde : 950,00\u00a0€ dû par la famille" in shown
    assert "Encaissement par chèque — Chèque n° 1234567, La Banque Postale" in shown


async def test_the_principal_grants_a_remise_gracieuse(portal: Portal, world: World, sessionmaker):
    ledger = await build_ledger(sessionmaker, world)
    await portal.login("principal_a")
    page = f"/finances/comptes/{ledger.elan}"
    shown = _text(await portal.get(page))
    assert 'id="titre-remise-gracieuse"' in shown
    refused = await portal.post_form(
        page,
        f"{page}/remise-gracieuse",
        {
            "remise-gracieuse-student_id": str(world.students["eloise"]),
            "remise-gracieuse-term_id": str(ledger.terms[0]),
            "remise-gracieuse-charge_kind": "half_board",
            "remise-gracieuse-amount": "200",
            "remise-gracieuse-reason": "",
        },
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert 'href="#champ-remise-gracieuse-reason"' in text
    assert 'href="#champ-remise-gracieuse-amount"' in text
    assert "ce qui reste dû après les autres remises (180,00\u00a0€)" in text
    saved = await portal.post_form(
        page,
        f"{page}/remise-gracieuse",
        {
            "remise-gracieuse-student_id": str(world.students["eloise"]),
            "remise-gracieuse-term_id": str(ledger.terms[0]),
            "remise-gracieuse-charge_kind": "half_board",
            "remise-gracieuse-amount": "40",
            "remise-gracieuse-reason": "Situation familiale",
        },
    )
    assert saved.status_code == 303
    shown = _text(await portal.get(saved.headers["location"]))
    # 450,00 − 40,00.
    assert (
        "Solde : 410,00\u00a0€" in shown
        and "Remise gracieuse (demi-pension) : Situation familiale" in shown
    )


async def test_who_reaches_the_accounts(portal: Portal, world: World, sessionmaker):
    ledger = await build_ledger(sessionmaker, world)
    await portal.login("teacher_a")
    assert (await portal.get("/finances/comptes")).status_code == 403
    assert (await portal.get(f"/finances/comptes/{ledger.martin}")).status_code == 403
    await portal.http.post("/deconnexion")
    portal.http.cookies.clear()
    await portal.login("principal_b")
    assert (await portal.get(f"/finances/comptes/{ledger.martin}")).status_code == 404

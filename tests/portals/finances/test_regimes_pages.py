"""/finances/regimes and /finances/remises over HTTP: the half-boarders and boarders listed,
an externe found by a search, a régime change from a day (hébergement croisé naming its
school), the closure of a service reducing everyone charged for it, errors named on their
fields in French, and who reaches the pages."""

from __future__ import annotations

import html
import re
from datetime import date

from db.enrollments import Regime
from tests.api.finances.charges_world import add_student
from tests.api.finances.family_ledger import build_ledger
from tests.portals.conftest import Portal
from tests.world import World


def _text(response) -> str:
    return html.unescape(response.text)


def _count(text: str) -> int:
    found = re.search(r"(\d+) élèves?", text)
    assert found is not None
    return int(found[1])


async def test_the_bursar_changes_a_regime_from_a_day(portal: Portal, world: World, sessionmaker):
    await add_student(sessionmaker, world, "zacharie", born=date(2014, 1, 1), regime=Regime.EXTERNE)
    await portal.login("bursar_a")
    home = _text(await portal.get("/finances"))
    assert "Régimes des élèves" in home and "Fermetures du service" in home
    listed = _text(await portal.get("/finances/regimes"))
    half_boarders = _count(listed)
    assert f"{half_boarders} élèves" in listed and "Demi-pensionnaires et internes" in listed
    assert "MARTIN Lina" in _text(await portal.get("/finances/regimes?recherche=lina"))
    found = _text(await portal.get("/finances/regimes?recherche=zachar"))
    assert "1 élève." in found and "ZACHARIE Test" in found
    enrollment = world.enrollments["zacharie"]
    page = f"/finances/regimes/{enrollment}"
    shown = _text(await portal.get(page))
    assert "<h1>Régime de ZACHARIE Test</h1>" in shown
    assert "Aujourd'hui : 0 — Externe" in shown

    # Boarded by school B without naming it, before the entry: both refused by their field.
    refused = await portal.post_form(
        page, page, {"effective_on": "2026-08-01", "regime_code": "5", "host_school_id": ""}
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert "<title>Erreur — Régime de ZACHARIE Test" in text
    assert 'href="#champ-effective_on"' in text and 'href="#champ-host_school_id"' in text
    assert "Date d'effet : Date d'effet : entre le 01/09/2026 et le 31/08/2027." in text
    assert "Établissement d'accueil : Établissement d'accueil : obligatoire" in text
    assert 'aria-invalid="true"' in text
    refused = await portal.post_form(page, page, {"effective_on": "", "regime_code": ""})
    text = _text(refused)
    assert 'href="#champ-effective_on"' in text and 'href="#champ-regime_code"' in text

    saved = await portal.post_form(
        page,
        page,
        {
            "effective_on": "2026-11-02",
            "regime_code": "5",
            "host_school_id": str(world.school_b),
        },
    )
    assert saved.status_code == 303
    shown = _text(await portal.get(saved.headers["location"]))
    assert "Le changement de régime au 02/11/2026 est enregistré." in shown
    assert "Aujourd'hui : 5 — Interne heberge, accueilli par" in shown
    # His régime until then is kept from his entry.
    assert "01/09/2026" in shown and "0 — Externe" in shown
    # Interne from 2 November: among the boarders now.
    assert _count(_text(await portal.get("/finances/regimes"))) == half_boarders + 1


async def test_the_closure_of_the_canteen(portal: Portal, world: World, sessionmaker):
    await build_ledger(sessionmaker, world)
    await portal.login("bursar_a")
    page = "/finances/remises"
    shown = _text(await portal.get(page))
    assert "Aucune fermeture enregistrée cette année." in shown
    refused = await portal.post_form(
        page,
        page,
        {"first_day": "2027-03-12", "last_day": "2027-03-08", "charge_kind": "half_board"},
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert "<title>Erreur — Fermetures du service" in text
    assert 'href="#champ-last_day"' in text
    assert "Dernier jour de fermeture : Le dernier jour précède le premier jour." in text
    assert 'value="2027-03-12"' in text
    refused = await portal.post_form(page, page, {"first_day": "8 mars", "last_day": ""})
    text = _text(refused)
    assert 'href="#champ-first_day"' in text and 'href="#champ-last_day"' in text

    saved = await portal.post_form(
        page,
        page,
        {
            "first_day": "2027-03-08",
            "last_day": "2027-03-12",
            "charge_kind": "half_board",
            "comment": "Travaux",
        },
    )
    assert saved.status_code == 303
    shown = _text(await portal.get(saved.headers["location"]))
    # Lina and Éloïse (half-board T2, 150,00 each): 150,00 × 5 / 90 calendar days = 8,33
    # each, 16,66 in all; Noah (boarding) is not concerned.
    assert "2 remises d'ordre accordées à 2 élèves, 16,66\u00a0€ au total." in shown
    assert "du 08/03/2027 au 12/03/2027" in shown and "Travaux" in shown


async def test_who_reaches_the_pages(portal: Portal, world: World, sessionmaker):
    await build_ledger(sessionmaker, world)
    lina = world.enrollments["lina"]
    await portal.login("teacher_a")
    for path in ("/finances/regimes", f"/finances/regimes/{lina}", "/finances/remises"):
        assert (await portal.get(path)).status_code == 403, path
    await portal.http.post("/deconnexion")
    portal.http.cookies.clear()
    await portal.login("principal_b")
    assert (await portal.get(f"/finances/regimes/{lina}")).status_code == 404

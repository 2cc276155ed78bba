"""/finances/avis, /finances/relances, /finances/transfert over HTTP: the bursar issues the
term's notices (errors on their field), prints them, reminds the families, then sends the
closed term's transfer once and downloads it as sent; a teacher is refused, another
school's staff reaches nothing. In a browser: the same path, each page passing axe-core."""

from __future__ import annotations

import html
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from api.resolvers.finances.terms import close_term
from tests.api.finances.term_ledger import first_term
from tests.portals.axe import assert_accessible
from tests.portals.conftest import Portal
from tests.world import PASSWORD, World, uai


def _text(response) -> str:
    return html.unescape(response.text)


async def test_issue_print_remind_and_transfer(portal: Portal, world: World, sessionmaker, clock):
    ledger = await first_term(world, sessionmaker)
    t1 = ledger.terms[0]
    await portal.login("bursar_a")
    page = _text(await portal.get("/finances/avis"))
    assert "<h1>Avis aux familles</h1>" in page and "2 familles sans avis" in page
    assert "Aucun avis émis pour ce trimestre." in page

    bad = await portal.post_form(
        "/finances/avis", "/finances/avis/emettre", {"term_id": str(t1), "due_on": "2026-11-01"}
    )
    assert bad.status_code == 400
    text = _text(bad)
    assert "<title>Erreur — Avis aux familles" in text
    assert '<a href="#champ-due_on">Date limite de paiement : entre aujourd' in text
    assert 'aria-describedby="erreur-due_on"' in text

    done = await portal.post_form(
        "/finances/avis", "/finances/avis/emettre", {"term_id": str(t1), "due_on": "2027-01-15"}
    )
    assert done.status_code == 303
    shown = _text(await portal.get(done.headers["location"]))
    assert "2 avis émis." in shown and "Chaque famille concernée a son avis." in shown
    # Claire Martin: 630,00 charged, 295,00 to pay (tests/api/finances/term_ledger.py).
    assert "Mme MARTIN Claire" in shown and "630,00\xa0€" in shown and "295,00\xa0€" in shown
    batch = await portal.get(f"/finances/avis/trimestres/{t1}/avis.pdf")
    assert batch.status_code == 200 and batch.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(batch.content)).pages) == 2

    reminders = _text(await portal.get(f"/finances/relances?trimestre={t1}"))
    assert "Familles qui doivent au moins le seuil (1)" in reminders
    assert "Mme MARTIN Claire" in reminders and "Courriel" in reminders
    bad_threshold = await portal.get(f"/finances/relances?trimestre={t1}&seuil=abc")
    assert bad_threshold.status_code == 400
    assert '<a href="#champ-seuil">Seuil : Montant invalide' in _text(bad_threshold)
    sent = await portal.post_form(
        "/finances/relances", "/finances/relances/envoyer", {"term_id": str(t1)}
    )
    assert sent.status_code == 303
    after = _text(await portal.get(sent.headers["location"]))
    assert "Relances envoyées : 1 courriel(s), aucun courrier." in after
    assert "Relancé aujourd'hui" in after

    transfer = _text(await portal.get(f"/finances/transfert?trimestre={t1}"))
    assert "n'est pas clos" in transfer and "Envoyer le transfert" not in transfer
    clock.advance(timedelta(days=34))
    bursar = await world.principal(sessionmaker, "bursar_a")
    async with sessionmaker() as session, session.begin():
        await close_term(session, bursar, t1)
    # A month later: the session has expired.
    await portal.login("bursar_a")
    transfer = _text(await portal.get(f"/finances/transfert?trimestre={t1}"))
    # 810,00 charged, 135,00 reduced, 380,00 received: net 295,00 on 7 lines.
    assert "810,00\xa0€" in transfer and "295,00\xa0€" in transfer
    assert "Envoyer le transfert" in transfer
    sent = await portal.post_form(
        f"/finances/transfert?trimestre={t1}", "/finances/transfert/envoyer", {"term_id": str(t1)}
    )
    assert sent.status_code == 303
    shown = _text(await portal.get(sent.headers["location"]))
    assert "Le transfert du 1er trimestre est envoyé." in shown and "Envoyé le 05/01/2027" in shown
    link = shown.split('href="/finances/transfert/')[1].split('"')[0]
    csv = await portal.get(f"/finances/transfert/{link}")
    assert csv.status_code == 200
    assert f"transfert_creances_{uai('0930001')}_2026_T1.csv" in csv.headers["content-disposition"]
    assert csv.content.endswith(b"TOTAL;2027-01-05;;;;SOLDE_NET;;;295.00;;;7\r\n")
    again = await portal.post_form(
        f"/finances/transfert?trimestre={t1}", "/finances/transfert/envoyer", {"term_id": str(t1)}
    )
    assert again.status_code == 400
    assert "un trimestre ne se transfère qu'une fois" in _text(again)
    assert (await portal.get(f"/finances/transfert/{link}")).content == csv.content


async def test_who_reaches_the_pages(
    portal: Portal, other_portal: Portal, world: World, sessionmaker
):
    ledger = await first_term(world, sessionmaker)
    await portal.login("teacher_a")
    for path in ("/finances/avis", "/finances/relances", "/finances/transfert"):
        assert (await portal.get(path)).status_code == 403
    await other_portal.login("principal_b")
    page = _text(await other_portal.get("/finances/avis"))
    assert "Aucun trimestre n'est défini" in page
    missing = await other_portal.get(f"/finances/avis/trimestres/{ledger.terms[0]}/avis.pdf")
    assert missing.status_code == 404


@pytest.mark.browser
async def test_the_pages_in_a_browser(browser_page, world: World, sessionmaker):
    from playwright.async_api import expect

    from tests.portals.forms_a11y import expect_error_announced, expect_result_announced

    await first_term(world, sessionmaker)
    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("bursar_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto("/finances/avis")
    await expect(page.locator("h1")).to_have_text("Avis aux familles")
    await assert_accessible(page)
    await page.locator("#champ-due_on").fill("2026-11-01")
    await page.get_by_role("button", name="Émettre les avis").click()
    await expect_error_announced(page, "due_on", "Date limite de paiement")
    await assert_accessible(page)
    await page.locator("#champ-due_on").fill("2027-01-15")
    await page.get_by_role("button", name="Émettre les avis").click()
    await expect_result_announced(page, "2 avis émis.", focused=False)
    await expect(page.locator("tbody tr")).to_have_count(2)
    await assert_accessible(page)
    await page.goto("/finances/relances")
    await expect(page.locator("caption").first).to_contain_text("Familles qui doivent")
    await assert_accessible(page)
    await page.goto("/finances/transfert")
    await expect(page.locator("caption")).to_contain_text("Totaux de contrôle")
    await assert_accessible(page)
    await page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/finances/avis", "/finances/relances", "/finances/transfert"):
        await page.goto(path)
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 320, f"{path}: {wide} px"
        await assert_accessible(page)

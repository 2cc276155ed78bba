"""/bourses over HTTP and in a browser: a file entered by the bursar, its errors named on
their fields, completed, granted by the principal with its letter; the scholars and their CSV;
a term's payment previewed then paid; the états récapitulatifs; who may go there."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from api.resolvers.finances.terms import set_terms
from db.reference import load_scholarship_scales
from tests.portals.axe import assert_accessible
from tests.portals.conftest import Portal, csrf_of
from tests.world import PASSWORD, World


def _text(response) -> str:
    return html.unescape(response.text)


@pytest.fixture
async def scales(sessionmaker, world: World) -> None:
    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        await load_scholarship_scales(session)
        await set_terms(session, principal, world.school_a, world.year_id)


async def _new_file(portal: Portal, world: World, **data: str):
    page = await portal.get(f"/bourses/nouveau?division={world.division_a1}")
    assert page.status_code == 200, page.text
    return await portal.http.post(
        "/bourses/nouveau",
        data={"csrf_token": csrf_of(page.text), "division": str(world.division_a1), **data},
    )


async def _act(portal: Portal, file_url: str, action: str, **data: str):
    page = await portal.get(file_url)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version, page.text
    return await portal.http.post(
        f"{file_url}/{action}",
        data={"csrf_token": csrf_of(page.text), "version": version.group(1), **data},
    )


async def test_a_file_from_the_bursar_to_the_principal(
    portal: Portal, other_portal: Portal, world: World, scales, clock
):
    await portal.login("bursar_a")
    home = _text(await portal.get("/"))
    assert 'href="/bourses"' in home
    bad = await _new_file(
        portal,
        world,
        student_id=str(world.students["lina"]),
        received_on="2026-09-20",
        reference_income="onze mille",
        dependent_children="0",
        pieces="passeport",
    )
    assert bad.status_code == 400
    text = _text(bad)
    assert "<title>Erreur — Nouveau dossier de bourse" in text
    assert '<a href="#champ-reference_income">Revenu fiscal de référence : Montant invalide' in text
    assert '<a href="#champ-dependent_children">Enfants à charge : entre 1 et 20.' in text
    assert '<a href="#champ-pieces">Pièces reçues : choisissez dans la liste.' in text
    assert 'aria-describedby="erreur-reference_income"' in text
    created = await _new_file(
        portal,
        world,
        student_id=str(world.students["lina"]),
        received_on="2026-09-20",
        reference_income="11 000",
        dependent_children="2",
        pieces="tax_notice",
    )
    assert created.status_code == 303, _text(created)
    file_url = created.headers["location"].split("?")[0]
    shown = _text(await portal.get(created.headers["location"]))
    assert "Le dossier est enregistré." in shown
    assert "Dossier de bourse de MARTIN Lina" in shown and "État : <strong>Reçu</strong>" in shown
    incomplete = await _act(portal, file_url, "complet")
    assert incomplete.status_code == 400
    assert '<a href="#champ-pieces">Pièces reçues : il manque Relevé d\'identité bancaire' in _text(
        incomplete
    )
    page = await portal.get(file_url)
    saved = await portal.http.post(
        f"{file_url}/enregistrer",
        data={
            "csrf_token": csrf_of(page.text),
            "version": re.search(r'name="version" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
            "received_on": "2026-09-20",
            "applicant_id": str(world.guardians["mother"]),
            "reference_income": "11 000",
            "dependent_children": "2",
            "pieces": ["tax_notice", "bank_details"],
        },
    )
    assert saved.status_code == 303, _text(saved)
    # A stale version (the page read before the save) is refused, not applied.
    stale = await portal.http.post(
        f"{file_url}/complet", data={"csrf_token": csrf_of(page.text), "version": "1"}
    )
    assert stale.status_code == 409
    assert "modifié par quelqu'un d'autre" in _text(stale)
    completed = await _act(portal, file_url, "complet")
    assert completed.status_code == 303
    bursar_view = _text(await portal.get(file_url))
    assert "État : <strong>Complet</strong>" in bursar_view
    assert "Accorder la bourse" not in bursar_view  # the principal decides
    await other_portal.login("principal_a")
    decided = await _act(other_portal, file_url, "accorder")
    assert decided.status_code == 303
    decision = _text(await other_portal.get(file_url))
    # 2 children, 11 000 € → échelon 2: 315 € a year.
    assert "État : <strong>Accordé</strong>" in decision
    assert "315,00\u00a0€" in decision and "2 (barème 2024-2025)" in decision
    letter = await other_portal.get(f"{file_url}/decision.pdf")
    assert letter.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(letter.content)).pages[0].extract_text()
    # 315 / 3 terms = 105,00 € each.
    assert "échelon 2" in text and text.count("105,00") == 3
    scholars = _text(await portal.get("/bourses/boursiers"))
    assert "MARTIN Lina" in scholars and "Boursiers (1)" in scholars
    csv = await portal.get("/bourses/boursiers.csv")
    assert csv.content.decode("utf-8-sig").splitlines() == [
        "Division;Élève;Bourse;Échelon;Montant annuel",
        "6A;MARTIN Lina;bourse de collège;2;315,00",
    ]
    listed = _text(await portal.get("/bourses?statut=granted"))
    assert "Dossiers (1)" in listed
    assert "Aucun dossier pour ces critères" in _text(await portal.get("/bourses?statut=refused"))

    # The first term's payment: previewed, refused before its end, paid after it.
    payment = _text(await portal.get("/bourses/versement"))
    term = re.search(r'<option value="(\d+)">1er trimestre</option>', payment)
    assert term, payment
    preview = _text(await portal.get(f"/bourses/versement?trimestre={term.group(1)}"))
    assert "Ce trimestre se verse après son dernier jour, le 31/12/2026." in preview
    clock.advance(timedelta(days=40))  # 11 January 2027: the session has expired meanwhile
    portal.http.cookies.clear()
    await portal.login("bursar_a")
    ready = await portal.get(f"/bourses/versement?trimestre={term.group(1)}")
    assert "Verser les 1 bourses du trimestre" in _text(ready)
    paid = await portal.http.post(
        "/bourses/versement", data={"csrf_token": csrf_of(ready.text), "trimestre": term.group(1)}
    )
    assert paid.status_code == 303
    after = _text(await portal.get(paid.headers["location"]))
    assert "1 bourses versées pour le 1er trimestre." in after and "Versé</td>" in after
    summary = _text(await portal.get("/bourses/etat?trimestre=1"))
    assert "Bourse de collège, échelon 2" in summary and "105,00\u00a0€" in summary
    # The rectorat reads the académie's état: amounts, no student.
    await other_portal.login("rectorat")
    academy = _text(await other_portal.get("/bourses/etat?trimestre=1"))
    assert "Toute l'académie" in academy and "Collège Louise Michel" in academy
    assert "105,00\u00a0€" in academy and "MARTIN" not in academy
    assert (await other_portal.get("/bourses")).status_code == 403
    assert (await other_portal.get(file_url)).status_code in (403, 404)


async def test_who_may_go_there(portal: Portal, world: World, scales):
    for login in ("teacher_a", "cpe_a", "registrar_a"):
        portal.http.cookies.clear()
        await portal.login(login)
        assert (await portal.get("/bourses")).status_code == 403, login
        assert (await portal.get("/bourses/nouveau")).status_code == 403, login
    portal.http.cookies.clear()
    await portal.login("principal_b")
    assert (await portal.get("/bourses")).status_code == 200
    assert "Aucun dossier" in _text(await portal.get("/bourses"))


@pytest.mark.browser
async def test_the_file_in_a_browser_is_accessible_by_keyboard(browser_page, world: World, scales):
    from playwright.async_api import expect

    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("principal_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto("/bourses")
    await assert_accessible(page)
    await page.goto(f"/bourses/nouveau?division={world.division_a1}")
    await assert_accessible(page)
    await page.locator("#champ-student_id").select_option(str(world.students["lina"]))
    await page.get_by_label("Revenu fiscal de référence (€)").fill("beaucoup")
    await page.get_by_role("button", name="Enregistrer le dossier").click()
    await expect(page.locator("#erreurs")).to_contain_text("Revenu fiscal de référence")
    await assert_accessible(page)
    # The summary's link takes the keyboard to the field in error.
    await page.locator("#erreurs a").first.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#champ-reference_income")).to_be_focused()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("3 000")
    await page.locator("#champ-dependent_children").fill("1")
    # The DSFR draws the boxes over their labels: ticked from the keyboard, as a user would.
    for piece in ("#pieces-tax_notice", "#pieces-bank_details"):
        await page.locator(piece).focus()
        await page.keyboard.press("Space")
        await expect(page.locator(piece)).to_be_checked()
    await page.locator("#champ-dependent_children").focus()
    await page.keyboard.press("Enter")  # submits the form from the keyboard
    await expect(page.locator("#resultat")).to_contain_text("Le dossier est enregistré.")
    await assert_accessible(page)
    await page.get_by_role("button", name="Le dossier est complet").click()
    await expect(page.locator("#resultat")).to_contain_text("Le dossier est complet.")
    await page.get_by_role("button", name="Accorder la bourse").click()
    await expect(page.locator("#resultat")).to_contain_text("La décision est prise.")
    # 1 child, 3 000 € → échelon 3 (ceiling 3 419): 495 € a year.
    await expect(page.locator("main")).to_contain_text("495,00")
    await assert_accessible(page)
    for path in ("/bourses/boursiers", "/bourses/etat", "/bourses/versement"):
        await page.goto(path)
        await assert_accessible(page)

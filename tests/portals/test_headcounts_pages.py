"""/constat over HTTP and in a browser: the school launches its constat in two steps (the day,
then the confirmation), errors named on their fields; the constat's tables, anomalies and PDF;
the EVA file; the rectorat's consolidation; who may do what."""

from __future__ import annotations

import html
import io
import re

import pytest
from pypdf import PdfReader

from tests.portals.axe import assert_accessible
from tests.portals.conftest import Portal, csrf_of
from tests.world import PASSWORD, World, uai


def _text(response) -> str:
    return html.unescape(response.text)


async def _launch(portal: Portal, world: World, **data: str):
    page = await portal.get("/constat")
    assert page.status_code == 200, page.text
    return await portal.http.post(
        "/constat/lancer",
        data={
            "csrf_token": csrf_of(page.text),
            "school_year_id": str(world.year_id),
            **data,
        },
    )


async def test_the_launch_asks_for_confirmation_then_freezes(portal: Portal, world: World):
    await portal.login("registrar_a")
    page = _text(await portal.get("/constat"))
    assert "Le constat de rentrée 2026-2027 n'est pas encore lancé." in page
    assert 'id="champ-counted_on"' in page and 'value="2026-12-02"' in page

    asked = await _launch(portal, world, counted_on="2026-09-15")
    assert asked.status_code == 200
    text = _text(asked)
    assert "<title>Confirmation — Constat de rentrée" in text
    assert "Les élèves présents le 15/09/2026 seront comptés" in text
    assert 'name="confirmer" value="1"' in text

    done = await _launch(portal, world, counted_on="2026-09-15", confirmer="1")
    assert done.status_code == 303
    shown = _text(await portal.get(done.headers["location"]))
    assert "Le constat de rentrée est figé." in shown
    assert "15/09/2026" in shown and "Registrar A (registrar_a)" in shown
    for caption in (
        "<caption>Effectifs par MEF</caption>",
        "<caption>Effectifs par âge (au 31 décembre 2026)</caption>",
        "<caption>Effectifs par MEF et par sexe</caption>",
        "Anomalies relevées le 15/09/2026 (",
    ):
        assert caption in shown
    assert '<th scope="row">Martin Noah' in shown or "Martin Noah</a></th>" in shown
    assert "Sans INE" in shown

    again = await _launch(portal, world, counted_on="2026-09-16", confirmer="1")
    assert again.status_code == 400
    text = _text(again)
    assert "<title>Erreur — Constat de rentrée" in text
    assert 'role="alert"' in text and "est déjà figé (jour compté : 15/09/2026" in text


async def test_errors_are_named_on_their_fields(portal: Portal, world: World):
    await portal.login("principal_a")
    bad = await _launch(portal, world, counted_on="31/02/2026")
    assert bad.status_code == 400
    text = _text(bad)
    assert "<title>Erreur — Constat de rentrée" in text
    assert '<a href="#champ-counted_on">Jour du constat : saisissez une date valide' in text
    assert 'id="champ-counted_on"' in text and 'aria-describedby="erreur-counted_on"' in text

    outside = await _launch(portal, world, counted_on="2026-08-01", confirmer="1")
    assert outside.status_code == 400
    assert "Jour du constat : Le jour du constat doit tomber dans l'année 2026-2027" in _text(
        outside
    )


async def test_the_pdf_and_the_eva_file(portal: Portal, world: World):
    await portal.login("principal_a")
    await _launch(portal, world, counted_on="2026-09-15", confirmer="1")
    page = _text(await portal.get("/constat"))
    match = re.search(r'href="(/constat/\d+/constat\.pdf)"', page)
    assert match, page
    pdf = await portal.get(match.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Constat de rentrée 2026-2027" in text and "Collège Jean Moulin" in text

    assert "Élèves concernés sans INE (" in page
    produced = await portal.http.post(
        "/constat/eva",
        data={"csrf_token": csrf_of(page), "school_year_id": str(world.year_id)},
    )
    assert produced.status_code == 303
    assert re.search(r"/echanges/\d+", produced.headers["location"])


async def test_who_may_go_there(portal: Portal, world: World, other_portal: Portal):
    await portal.login("teacher_a")
    assert (await portal.get("/constat")).status_code == 403
    portal.http.cookies.clear()
    await portal.login("cpe_a")
    assert (await portal.get("/constat")).status_code == 403
    portal.http.cookies.clear()
    await portal.login("principal_a")
    page = await portal.get("/constat")
    assert 'href="/constat"' in page.text
    # The rectorat reads the consolidation, and each school's constat, but launches none.
    await other_portal.login("rectorat")
    consolidation = _text(await other_portal.get("/constat"))
    assert "Consolidation académique" in consolidation
    assert "0 établissement sur 2 a figé leur constat" in consolidation
    assert "Établissements sans constat figé (2)" in consolidation
    school = _text(await other_portal.get(f"/constat/etablissements/{world.school_a}"))
    assert "Collège Jean Moulin" in school and "Lancer le constat" not in school
    refused = await other_portal.http.post(
        "/constat/lancer",
        data={"csrf_token": csrf_of(consolidation), "school_year_id": str(world.year_id)},
    )
    assert refused.status_code == 403


@pytest.mark.browser
async def test_the_launch_in_a_browser_is_accessible(browser_page, world: World):
    from playwright.async_api import expect

    page = browser_page
    await page.goto("/connexion")
    await page.locator("#champ-login").fill("registrar_a")
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")
    await page.goto("/constat")
    await assert_accessible(page)
    await page.get_by_label("Jour du constat").fill("2026-08-01")
    await page.get_by_role("button", name="Lancer le constat…").click()
    await page.get_by_role("button", name="Confirmer et figer le constat").click()
    await expect(page.locator("#erreurs")).to_contain_text("doit tomber dans l'année")
    await assert_accessible(page)
    await page.get_by_label("Jour du constat").fill("2026-09-15")
    await page.get_by_role("button", name="Lancer le constat…").click()
    await assert_accessible(page)
    await page.get_by_role("button", name="Confirmer et figer le constat").click()
    await expect(page.locator("#resultat")).to_contain_text("Le constat de rentrée est figé.")
    await assert_accessible(page)
    assert uai("0930001") in await page.content()

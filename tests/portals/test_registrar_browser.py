"""In a real browser, the registrar's screens (issue 12, point 8): moving a student (class,
groups, MEF, régime), recording a departure and undoing it, creating, editing and deleting
divisions and groups, the certificats de scolarité. Each refused form announces its errors
on its fields; each page passes axe-core. Tests run on 2 December 2026 (tests/conftest.py)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
)
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


def _history_row(page, year: str = "2026-2027"):
    return page.locator("#titre-scolarite ~ * tbody tr", has_text=year).first


async def test_move_a_student_to_another_class_mef_and_regime(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto(f"/eleves/{world.students['noah']}")
    await page.get_by_role("link", name="Modifier la scolarité").click()
    await expect(page.locator("h1")).to_have_text("Modifier la scolarité de l'élève")
    await assert_accessible(page)

    # 5EME in a 6e division: refused on the division.
    await page.locator("#champ-mef_id").select_option(label="5EME (10110001110)")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "division_id", "n'accueille pas ce MEF")
    await follow_summary_link(page, "division_id")
    await assert_accessible(page)

    await page.locator("#champ-mef_id").select_option(label="6EME (10010012110)")
    await page.locator("#champ-division_id").select_option(label="6A — 6EME")
    await page.locator(f"#group_ids-{world.group_a}").set_checked(True, force=True)
    await page.locator("#champ-regime").select_option(label="Interne")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "La scolarité de l'élève a été modifiée.", focused=False)
    row = _history_row(page)
    await expect(row).to_contain_text("6A")
    await expect(row).to_contain_text("ESP2")
    await expect(row).to_contain_text("Interne")


async def test_record_a_departure_then_undo_it(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    noah = world.students["noah"]
    await _sign_in(page, "registrar_a")
    await page.goto(f"/eleves/{noah}")
    await page.get_by_role("link", name="Enregistrer une sortie").click()
    await assert_accessible(page)
    await page.locator("#champ-exit_date").fill("15/08/2026")
    await page.get_by_role("button", name="Enregistrer la sortie").click()
    await expect_error_announced(page, "exit_date", "antérieure au 01/09/2026")
    await expect_error_announced(page, "exit_reason", "obligatoire")
    await assert_accessible(page)

    await page.locator("#champ-exit_date").fill("01/12/2026")
    await page.locator("#champ-exit_reason").select_option(label="Déménagement")
    await page.get_by_role("button", name="Enregistrer la sortie").click()
    await expect_result_announced(page, "La sortie de l'élève a été enregistrée.", focused=False)
    await expect(_history_row(page)).to_contain_text("01/12/2026")

    # Off the class list of 6B from that date, listed among those who left.
    await page.goto(f"/divisions/{world.division_a2}")
    await expect(page.locator("table")).to_have_count(0)
    await expect(page.locator("#titre-sortis + ul")).to_contain_text("MARTIN Noah")

    await page.goto(f"/eleves/{noah}")
    await page.get_by_role("link", name="Annuler la sortie").click()
    await assert_accessible(page)
    await page.get_by_role("button", name="Annuler la sortie").click()
    await expect_result_announced(page, "La sortie de l'élève a été annulée.", focused=False)
    await expect(_history_row(page)).not_to_contain_text("01/12/2026")
    await page.goto(f"/divisions/{world.division_a2}")
    await expect(page.locator("tbody")).to_contain_text("MARTIN")


async def test_create_edit_and_delete_divisions_and_groups(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto("/divisions")
    await page.get_by_role("link", name="Nouvelle division").click()
    await assert_accessible(page)
    await page.locator("#champ-code").fill("6A")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "code", "déjà utilisé")
    await follow_summary_link(page, "code")
    await assert_accessible(page)

    await page.locator("#champ-code").fill("6C")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "mef_ids", "au moins un MEF")
    await page.locator(f"#mef_ids-{world.mef_6}").set_checked(True, force=True)
    await page.locator("#champ-planned_headcount").fill("24")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "La division a été enregistrée.")
    await expect(page.locator("tbody").first).to_contain_text("6C")

    await page.get_by_role("link", name="6C").click()
    await page.get_by_role("link", name="Modifier la division").click()
    await page.locator("#champ-label").fill("6e C bilangue")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "La division a été enregistrée.")
    await expect(page.locator("h1")).to_contain_text("6e C bilangue")
    await page.get_by_role("link", name="Modifier la division").click()
    await page.get_by_role("button", name="Supprimer la division 6C").click()
    await expect_result_announced(page, "La division a été supprimée.")
    await expect(page.locator("tbody").first).not_to_contain_text("6C")

    # A division with students stays, and says why.
    await page.goto(f"/divisions/{world.division_a2}/modifier")
    await page.get_by_role("button", name="Supprimer la division 6B").click()
    summary = page.locator('#erreurs[role="alert"]')
    await expect(summary).to_contain_text("La division 6B ne peut pas être supprimée")
    await expect(summary).to_contain_text("1 élève")
    await assert_accessible(page)

    await page.goto("/divisions")
    await page.get_by_role("link", name="Nouveau groupe").click()
    await assert_accessible(page)
    await page.locator("#champ-code").fill("ESP2")
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_error_announced(page, "code", "déjà utilisé")
    await page.locator("#champ-code").fill("LAT")
    await page.locator("#champ-label").fill("Latin")
    await page.locator(f"#division_ids-{world.division_a1}").set_checked(True, force=True)
    await page.get_by_role("button", name="Enregistrer").click()
    await expect_result_announced(page, "Le groupe a été enregistré.", focused=False)
    groups = page.locator("#titre-groupes + * tbody, #titre-groupes ~ div tbody").first
    await expect(groups).to_contain_text("Latin")
    await page.get_by_role("link", name="Modifier le groupe LAT").click()
    await page.get_by_role("button", name="Supprimer le groupe LAT").click()
    await expect_result_announced(page, "Le groupe a été supprimé.", focused=False)
    await expect(groups).not_to_contain_text("Latin")


async def test_certificates_for_a_student_and_a_division(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "principal_a")
    await page.goto(f"/eleves/{world.students['lina']}")
    link = page.get_by_role("link", name="Certificat de scolarité (PDF)")
    await expect(link).to_be_visible()
    await assert_accessible(page)
    response = await page.request.get(await link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    [sheet] = PdfReader(io.BytesIO(await response.body())).pages
    text = " ".join(sheet.extract_text().split())
    assert "MARTIN Lina, née le 14/03/2015 à Montreuil" in text, text
    assert "inscrite en 6EME, division 6A pour l'année scolaire 2026-2027" in text, text

    await page.goto(f"/divisions/{world.division_a1}")
    link = page.get_by_role("link", name="Certificats de scolarité (PDF)")
    response = await page.request.get(await link.get_attribute("href"))
    pages = PdfReader(io.BytesIO(await response.body())).pages
    headcount = await page.locator("tbody tr").count()
    assert len(pages) == headcount == 57  # Lina, Éloïse and the 55 others of 6A
    assert all("CERTIFICAT DE SCOLARITÉ" in p.extract_text() for p in pages)

    # The teacher sees the class list, not the certificates.
    await page.context.clear_cookies()
    await _sign_in(page, "teacher_a")
    await page.goto(f"/divisions/{world.division_a1}")
    await expect(page.get_by_role("link", name="Certificats de scolarité (PDF)")).to_have_count(0)
    response = await page.request.get(f"/divisions/{world.division_a1}/certificats.pdf")
    assert response.status == 403

"""In a real browser, the fiche de renseignements (issue 12, point 8): from the student's
record and for a whole division, a PDF the family checks (identity, address, schooling,
guardians with their contacts, room for corrections and signatures), read back with pypdf;
its download is audited as an export; a teacher gets neither the link nor the file."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.audit import AuditEntry
from tests.portals.axe import assert_accessible
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


def _text(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


async def test_information_sheets_of_a_student_and_a_division(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto(f"/eleves/{world.students['lina']}")
    link = page.get_by_role("link", name="Fiche de renseignements (PDF)")
    await expect(link).to_be_visible()
    await assert_accessible(page)
    response = await page.request.get(await link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(_text(await response.body()))
    for expected in (
        "FICHE DE RENSEIGNEMENTS",
        "Année scolaire 2026-2027",
        "Nom de famille MARTIN",
        "Prénoms Lina",
        "Date de naissance 14/03/2015",
        "INE 1234567890A",
        "12 rue de Paris 93100 MONTREUIL",
        "MEF 6EME",
        "Division 6A",
        "Groupes ESP2",
        "Régime Demi-pensionnaire",
        "Responsable légal 1",
        "Mme MARTIN Claire",
        "claire.martin@example.fr",
        "06 12 34 56 78",
        "Corrections à apporter",
        "Date et signature du ou des responsables légaux",
    ):
        assert expected in text, (expected, text)
    async with sessionmaker() as session:
        exported = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "export",
                    AuditEntry.entity == "students",
                    AuditEntry.entity_id == world.students["lina"],
                )
            )
        ).all()
    assert {"document": "fiche_de_renseignements"} in [e.after for e in exported], [
        (e.before, e.after) for e in exported
    ]

    await page.goto(f"/divisions/{world.division_a1}")
    link = page.get_by_role("link", name="Fiches de renseignements (PDF)")
    await assert_accessible(page)
    response = await page.request.get(await link.get_attribute("href"))
    pages = _text(await response.body())
    headcount = await page.locator("tbody tr").count()
    sheets = sum(p.count("FICHE DE RENSEIGNEMENTS") for p in pages)
    assert sheets == headcount == 57  # Lina, Éloïse and the 55 others of 6A

    # The teacher sees the class list, not the sheets (no identity nor contacts).
    await page.context.clear_cookies()
    await _sign_in(page, "teacher_a")
    await page.goto(f"/divisions/{world.division_a1}")
    await expect(page.get_by_role("link", name="Fiches de renseignements (PDF)")).to_have_count(0)
    response = await page.request.get(f"/divisions/{world.division_a1}/fiches-renseignements.pdf")
    assert response.status == 403
    response = await page.request.get(f"/eleves/{world.students['lina']}/fiche-renseignements.pdf")
    assert response.status in (403, 404)

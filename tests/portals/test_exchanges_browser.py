"""In a real browser, the "Échanges" screen (issue 12, point 7): the registrar of school A
uploads SIECLE's students zip, reads the preview (counts, the refused record), applies it,
finds it in the history and downloads its report; another school's file is refused with the
reason; a form without its file announces the error; an export is produced and downloaded,
and one the format cannot carry names the student. Every state passes axe-core and reflows at
320 pixels."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import update

from db.students import Student
from tests.api.exchanges.siecle.files import students_zip
from tests.portals.axe import assert_accessible
from tests.portals.forms_a11y import (
    expect_error_announced,
    expect_result_announced,
    follow_summary_link,
)
from tests.portals.test_reflow_browser import WIDEST
from tests.world import PASSWORD, uai

pytestmark = pytest.mark.browser


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


async def _upload(page, name: str, content: bytes) -> None:
    await page.goto("/echanges")
    await page.locator("#champ-format").select_option(label="Élèves (BEE_ELEVES, SIECLE)")
    await page.locator("#champ-fichier").set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": content}]
    )
    await page.get_by_role("button", name="Prévisualiser l'import").click()
    await page.wait_for_url("**/echanges/*")


async def _downloaded(page, link_name: str) -> tuple[str, bytes]:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link_name).click()
    download = await info.value
    path = Path(await download.path())
    return download.suggested_filename, await asyncio.to_thread(path.read_bytes)


async def _reflows(page) -> None:
    """At 320 pixels the page does not scroll sideways and still passes axe-core."""
    await page.set_viewport_size({"width": 320, "height": 640})
    try:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, await page.evaluate(WIDEST)
        await assert_accessible(page, f"{page.url} (320 px)")
    finally:
        await page.set_viewport_size({"width": 1280, "height": 900})


async def test_the_registrar_imports_students_from_siecle(browser_page, world):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.get_by_role("link", name="Échanges", exact=True).first.click()
    await expect(page.locator("h1")).to_contain_text("Échanges")
    await assert_accessible(page)
    await _reflows(page)

    # No file: the error is on the field, announced and linked.
    await page.locator("#champ-format").select_option(label="Élèves (BEE_ELEVES, SIECLE)")
    await page.get_by_role("button", name="Prévisualiser l'import").click()
    await expect_error_announced(page, "fichier", "Choisissez le fichier")
    await follow_summary_link(page, "fichier")
    await assert_accessible(page)

    # The preview: what would change, the refused record; nothing written yet.
    name, content = students_zip(uai("0930001"), 2, unknown_mef_for="1001")
    await _upload(page, name, content)
    await expect(page.locator("#etat-echange")).to_have_text("En attente d'application")
    counts = page.get_by_role("table", name="Ce que l'import modifierait")
    await expect(counts.get_by_role("row", name="Élèves")).to_contain_text("3")
    refused = page.get_by_role("table", name="Enregistrements refusés (1)")
    await expect(refused).to_contain_text("1001")
    await expect(refused).to_contain_text("Le MEF 99999999999 est inconnu")
    await assert_accessible(page)
    await _reflows(page)

    await page.get_by_role("button", name="Appliquer l'import").click()
    await expect_result_announced(page, "Import appliqué.")
    await expect(page.locator("#etat-echange")).to_have_text("Appliqué")
    await assert_accessible(page)
    await page.goto("/eleves?nom=durand")
    await expect(page.locator("main")).to_contain_text("DURAND")

    # In the history, and its report downloaded again.
    await page.goto("/echanges")
    history = page.get_by_role("table", name="Imports et exports, du plus récent au plus ancien")
    row = history.get_by_role("row").filter(has_text="ElevesAvecAdresses.zip").first
    await expect(row).to_contain_text("Appliqué")
    await row.get_by_role("link").click()
    await expect(page.locator("#etat-echange")).to_have_text("Appliqué")
    file_name, report = await _downloaded(page, "Télécharger le rapport (CSV)")
    assert file_name.startswith("rapport-echange-") and file_name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == ["refusé", "ELEVE", "1001", "CODE_MEF"]

    # Another school's file: refused whole, with the reason.
    await _upload(page, *students_zip(uai("0930002"), 1))
    await expect(page.locator("#etat-echange")).to_have_text("Refusé")
    await expect(page.locator("#refus")).to_contain_text(f"établissement {uai('0930002')}")
    await expect(page.get_by_role("button", name="Appliquer l'import")).to_have_count(0)
    await assert_accessible(page)
    await _reflows(page)


async def test_the_registrar_produces_an_export(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "registrar_a")
    await page.goto("/echanges")
    await page.locator("#champ-export").select_option(label="Élèves avec adresses (BEE_ELEVES)")
    await page.get_by_role("button", name="Produire l'export").click()
    await expect_result_announced(page, "Export produit.")
    await expect(page.locator("#etat-echange")).to_have_text("Produit")
    await assert_accessible(page)
    await _reflows(page)
    file_name, content = await _downloaded(page, "Télécharger le fichier")
    assert file_name == "ElevesAvecAdresses.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("ElevesAvecAdresses.xml")
    assert b"<UAJ>" + uai("0930001").encode() + b"</UAJ>" in xml

    # A record the format cannot carry: refused, naming the student, on the field.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(Student)
            .where(Student.id == world.students["noah"])
            .values(birth_commune_code=None)
        )
    await page.goto("/echanges")
    await page.locator("#champ-export").select_option(label="Élèves sans adresses (BEE_ELEVES)")
    await page.get_by_role("button", name="Produire l'export").click()
    await expect_error_announced(page, "export", "Martin Noah")
    await follow_summary_link(page, "export")
    await assert_accessible(page)

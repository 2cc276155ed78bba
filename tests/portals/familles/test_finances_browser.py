"""In a real browser: a payer reaches "Situation financière" from the menu with the keyboard
alone, reads his balance and notice (axe-core finds no WCAG 2.1 A/AA violation), opens the
printable notice, which prints without the menu and the footer, and both pages reflow at
320 pixels."""

from __future__ import annotations

import pytest

from replication.run import replicate
from tests.portals.axe import assert_accessible
from tests.portals.conftest import browser_context, new_page
from tests.portals.familles.family_steps import TODAY, give_code
from tests.portals.familles.test_families_browser import families_server  # noqa: F401 (fixture)
from tests.portals.forms_a11y import tab_to
from tests.portals.test_reflow_browser import WIDTH, problems_of
from tests.replication.finance_rows import write_finance_rows

pytestmark = pytest.mark.browser
PASSWORD = "un mot de passe long"


async def test_a_payer_reads_and_prints_his_notice_from_the_keyboard(
    chromium,
    families_server,  # noqa: F811 (the imported fixture)
    world,
    sessionmaker,
    ts_sessionmaker,
):
    from playwright.async_api import expect

    code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["eloise"],
        world.guardians["elan"],
        "principal_a",
    )
    rows = await write_finance_rows(sessionmaker, world)
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    async with browser_context(
        chromium,
        base_url=families_server,
        locale="fr-FR",
        viewport={"width": 1280, "height": 900},
    ) as context:
        page = await new_page(context)
        await page.goto("/creer-un-compte")
        await page.locator("#champ-code").fill(code)
        await page.locator("#champ-naissance").fill("2015-03-14")
        await page.get_by_role("button", name="Vérifier le code").click()
        await page.locator("#champ-login").fill("claire")
        await page.locator("#champ-password").fill(PASSWORD)
        await page.locator("#champ-confirmation").fill(PASSWORD)
        await page.get_by_role("button", name="Créer mon compte").click()
        await page.wait_for_url("**/enfants")

        await tab_to(page, 'header a[href="/situation-financiere"]')
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/situation-financiere")
        await expect(page.locator("h1")).to_have_text("Situation financière")
        account = rows.accounts["mother"]
        await expect(page.locator(f"#solde-{account}")).to_have_text("Vous devez 400,00\u00a0€")
        await expect(page.locator("main")).not_to_contain_text("créditeur")
        await assert_accessible(page)

        await tab_to(page, f'a[href="/situation-financiere/avis/{rows.notices["mother"]}"]')
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/situation-financiere/avis/*")
        await expect(page.locator("h1")).to_have_text("Avis aux familles — 1er trimestre")
        await assert_accessible(page)
        await expect(page.locator(".fr-header__tools")).to_be_visible()
        await page.emulate_media(media="print")
        for chrome in (".fr-header__tools", ".fr-footer", ".familles-no-print"):
            await expect(page.locator(chrome).first).to_be_hidden()
        await expect(page.get_by_role("table").first).to_be_visible()
        await expect(page.locator("main")).to_contain_text("Lina Martin")
        await page.emulate_media(media="screen")
        await expect(page.locator(".fr-footer")).to_be_visible()

        await page.set_viewport_size({"width": WIDTH, "height": 640})
        problems: list[str] = []
        for path in (
            "/situation-financiere",
            f"/situation-financiere/avis/{rows.notices['mother']}",
        ):
            problems += await problems_of(page, path)
        assert not problems, "\n".join(problems)

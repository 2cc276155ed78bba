"""In a real browser: the principal grants the teacher "Base élèves — consultation export" on
/delegations, the teacher (already signed in elsewhere) can export at once; the principal
withdraws it and the teacher's next export is refused."""

from __future__ import annotations

import contextlib

import pytest

from tests.portals.axe import assert_accessible
from tests.portals.conftest import browser_context, new_page
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


async def _sign_in(page, login: str) -> None:
    await page.goto("/connexion")
    await page.locator("#champ-login").fill(login)
    await page.locator("#champ-password").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/")


async def _toggle_export(principal, checked: bool) -> None:
    from playwright.async_api import expect

    await principal.goto("/delegations")
    row = principal.locator("#personne-teacher_a")
    box = row.get_by_label("Base élèves — consultation export pour Teacher A")
    await box.set_checked(checked, force=True)
    await row.get_by_role("button", name="Enregistrer").click()
    await expect(principal.locator(".fr-alert--success")).to_contain_text("Teacher A")
    await assert_accessible(principal)


async def test_a_delegated_export_works_at_once_and_stops_when_withdrawn(
    chromium, live_server, world
):
    from playwright.async_api import expect

    division = f"/divisions/{world.division_a1}"
    export = f"/exports/students.csv?division={world.division_a1}"
    async with contextlib.AsyncExitStack() as contexts:
        principal = await new_page(
            await contexts.enter_async_context(browser_context(chromium, base_url=live_server))
        )
        teacher = await new_page(
            await contexts.enter_async_context(browser_context(chromium, base_url=live_server))
        )
        await _sign_in(principal, "principal_a")
        await _sign_in(teacher, "teacher_a")
        await teacher.goto(division)
        await expect(teacher.locator("[data-export]")).to_have_count(0)
        assert (await teacher.request.get(export)).status == 403

        await _toggle_export(principal, True)
        await expect(principal.locator("#personne-teacher_a .fr-badge")).to_contain_text(
            ["accordé"]
        )
        await teacher.goto(division)
        await expect(teacher.locator("[data-export]")).to_have_count(3)
        response = await teacher.request.get(export)
        assert response.status == 200 and "Lina" in (await response.body()).decode("utf-8-sig")

        await _toggle_export(principal, False)
        assert (await teacher.request.get(export)).status == 403
        await teacher.goto(division)
        await expect(teacher.locator("[data-export]")).to_have_count(0)

"""In a real browser: the principal creates a teacher's account, gives him a class; the teacher,
once he has chosen his password (the invitation, stood in for here), takes its roll call."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.accounts import StaffUser
from db.audit import AuditActor, set_actor
from db.reference import load_absence_references
from tests.portals.absences.test_grid_browser import MONDAY, _sign_in
from tests.portals.axe import assert_accessible
from tests.world import PASSWORD_HASH, World, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
async def world(sessionmaker) -> World:
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
    return world


async def test_a_teacher_created_by_hand_takes_the_roll_call(browser_page, world, sessionmaker):
    from playwright.async_api import expect

    page = browser_page
    await _sign_in(page, "principal_a")
    await page.goto("/divisions")
    await page.get_by_role("link", name="Services d'enseignement").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Services d'enseignement")

    # An empty form: the summary announces the errors, each field says its own.
    await page.get_by_role("button", name="Ajouter le service").click()
    await expect(page.locator("#erreurs")).to_contain_text("2 erreurs sont à corriger")
    await expect(page.locator("#champ-structure")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#erreur-structure")).to_have_text(
        "Choisissez une division ou un groupe."
    )
    await assert_accessible(page)

    await page.locator("#champ-family_name").fill("Lefèvre")
    await page.locator("#champ-first_name").fill("Anaïs")
    await page.locator("#champ-email").fill("anais.lefevre")
    await page.get_by_role("button", name="Créer le compte").click()
    await expect(page.locator("#erreur-email")).to_contain_text("n'est pas valide")
    await page.locator("#champ-email").fill("anais.lefevre@ac-creteil.fr")
    await page.get_by_role("button", name="Créer le compte").click()
    await expect(page.locator("#resultat")).to_contain_text("identifiant anais.lefevre")

    await page.locator("#champ-teacher_id").select_option(label="Anaïs Lefèvre")
    await page.locator("#champ-structure").select_option(label="Division 6B")
    await page.locator("#champ-subject_id").select_option(index=1)
    await page.get_by_role("button", name="Ajouter le service").click()
    await expect(page.locator("#resultat")).to_contain_text("Service ajouté : Anaïs Lefèvre, 6B.")
    await expect(page.locator("table")).to_contain_text("Division 6B")
    await assert_accessible(page)

    # The invitation is another screen: the teacher has chosen his password.
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="tests"))
        user = await session.scalar(select(StaffUser).where(StaffUser.login == "anais.lefevre"))
        assert user is not None and user.password_hash is None
        user.password_hash = PASSWORD_HASH
    await page.context.clear_cookies()
    await _sign_in(page, "anais.lefevre")
    await page.goto("/absences/appel")
    await expect(page.locator("#champ-classe option")).to_have_text(["Division 6B"])
    await page.locator("#champ-jour").fill(MONDAY)
    await page.locator("#champ-creneau").select_option(index=1)
    await page.get_by_role("button", name="Afficher la classe").click()
    noah = world.students["noah"]
    await page.locator(f"label[for='presence-{noah}-absent']").click()
    await page.get_by_role("button", name="Valider l'appel").click()
    await expect(page.locator(".fr-alert--success")).to_contain_text("Appel enregistré.")

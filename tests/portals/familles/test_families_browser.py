"""In real browsers: the principal gives a guardian access on the staff portal and reads the
code; after a replication run the parent creates an account with it on the families portal,
attaches a child of another school, and sees an absence entered on the staff side once the
next run has passed."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import date

import pytest
import uvicorn

from api.resolvers.absences.events import AbsenceEntry, record_absence
from api.resolvers.absences.settings import school_setup
from api.resolvers.teleservices.codes import code_history, regenerate_code
from api.resolvers.teleservices.services import set_service
from db.teleservices import Teleservice
from portals.familles.app import create_familles_app
from replication.run import replicate
from tests.conftest import TEST_SECRET_KEY
from tests.portals.axe import assert_accessible
from tests.portals.conftest import browser_context, new_page
from tests.servers import start_within
from tests.world import PASSWORD

pytestmark = pytest.mark.browser
TODAY = date(2026, 11, 25)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


@pytest.fixture
async def families_server(settings):
    app = create_familles_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await start_within(server, task)
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
        await app.state.ts_engine.dispose()


async def test_a_parent_follows_two_children_of_two_schools(
    chromium, live_server, families_server, world, sessionmaker, ts_sessionmaker
):
    from playwright.async_api import expect

    lina, jade, father = world.students["lina"], world.students["jade"], world.guardians["father"]
    # School B gives Paul Martin a code for Jade (by its own staff).
    principal_b = await world.principal(sessionmaker, "principal_b")
    await _run(sessionmaker, set_service, principal_b, world.school_b, Teleservice.ABSENCES, True)
    await _run(
        sessionmaker, regenerate_code, principal_b, world.school_b, jade, father, TEST_SECRET_KEY
    )
    jade_code = (
        await _run(
            sessionmaker, code_history, principal_b, world.school_b, jade, father, TEST_SECRET_KEY
        )
    )[0].code

    async with contextlib.AsyncExitStack() as contexts:
        staff = await new_page(
            await contexts.enter_async_context(browser_context(chromium, base_url=live_server))
        )
        parent = await new_page(
            await contexts.enter_async_context(browser_context(chromium, base_url=families_server))
        )
        await staff.goto("/connexion")
        await staff.locator("#champ-login").fill("principal_a")
        await staff.locator("#champ-password").fill(PASSWORD)
        await staff.get_by_role("button", name="Se connecter").click()
        await staff.wait_for_url("**/")
        await staff.goto("/teleservices")
        for service in ("absences", "grades"):
            await staff.locator(f"#ouvert-{service}").set_checked(True, force=True)
        await (
            staff.locator("form:has(#ouvert-grades)")
            .get_by_role("button", name="Enregistrer")
            .click()
        )
        await expect(staff.locator(".fr-alert--success")).to_contain_text(
            "Télé-services enregistrés."
        )
        await staff.goto(f"/teleservices/responsables?division={world.division_a1}")
        await staff.locator(f"[id='acces-{lina}:{father}']").set_checked(True, force=True)
        await staff.get_by_role("button", name="Valider").click()
        await expect(staff.locator(".fr-alert--success")).to_contain_text("Accès enregistrés.")
        await assert_accessible(staff)
        await staff.goto(f"/teleservices/code?eleve={lina}&responsable={father}")
        lina_code = await staff.locator("code.sconet-code").first.inner_text()

        await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)

        await parent.goto("/creer-un-compte")
        await parent.locator("#champ-code").fill(lina_code.lower())
        await parent.locator("#champ-naissance").fill("2015-03-14")
        await parent.get_by_role("button", name="Vérifier le code").click()
        await expect(parent.locator(".fr-alert--success")).to_contain_text("Code vérifié")
        await assert_accessible(parent)
        await parent.locator("#champ-login").fill("paul.martin")
        await parent.locator("#champ-password").fill("un mot de passe long")
        await parent.locator("#champ-confirmation").fill("un mot de passe long")
        await parent.locator("#champ-email").fill("paul.martin@example.fr")
        await parent.get_by_role("button", name="Créer mon compte").click()
        await parent.wait_for_url("**/enfants")
        await expect(parent.locator(".fr-card__title")).to_have_text(["Lina Martin"])
        await assert_accessible(parent)
        await parent.get_by_role("link", name="Rattacher un autre enfant").click()
        await parent.locator("#champ-code").fill(jade_code)
        await parent.locator("#champ-naissance").fill("2015-01-20")
        await parent.get_by_role("button", name="Rattacher").click()
        await parent.wait_for_url("**/enfants")
        await expect(parent.locator(".fr-card__title")).to_have_text(
            ["Jade Bernard", "Lina Martin"]
        )

        cpe = await world.principal(sessionmaker, "cpe_a")
        setup = await _run(sessionmaker, school_setup, cpe, world.school_a)
        first, last = setup.grid.slots[0].id, setup.grid.slots[3].id
        await _run(
            sessionmaker,
            record_absence,
            cpe,
            AbsenceEntry(lina, world.school_a, date(2026, 11, 23), first, date(2026, 11, 23), last),
        )
        await parent.get_by_role("link", name="Lina Martin").click()
        await expect(parent.locator("main")).to_contain_text("Aucune absence")
        await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
        await parent.reload()
        await expect(parent.locator("#absences")).to_contain_text(
            "Absence du 23/11/2026 (M1) au 23/11/2026 (M4)"
        )
        await assert_accessible(parent)

"""What the families tests do again and again: give a code on the staff side, post a form."""

from __future__ import annotations

import contextlib
import re
from datetime import date

from api.resolvers.teleservices.codes import code_history, regenerate_code
from api.resolvers.teleservices.services import set_service
from db.teleservices import Teleservice
from tests.conftest import TEST_SECRET_KEY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TICKET = re.compile(r'name="ticket" value="([^"]+)"')
TODAY = date(2026, 11, 25)


async def run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


async def give_code(world, sessionmaker, school, student, guardian, principal_login) -> str:
    """Open the school's services and give a code (guardian None: the student's); its text."""
    principal = await world.principal(sessionmaker, principal_login)
    for service in Teleservice:
        await run(sessionmaker, set_service, principal, school, service, True)
    await run(sessionmaker, regenerate_code, principal, school, student, guardian, TEST_SECRET_KEY)
    views = await run(
        sessionmaker, code_history, principal, school, student, guardian, TEST_SECRET_KEY
    )
    return str(views[0].code)


async def post_form(client, url, data, page=None):
    """Post as a browser would: with the CSRF token of the page holding the form."""
    form = await client.get(page or url)
    return await client.post(url, data={"csrf_token": CSRF.search(form.text).group(1), **data})


async def open_account(client, code: str, birth: str, login: str, password: str, email: str = ""):
    """Both steps of account creation on the families portal; the last response."""
    step2 = await post_form(client, "/creer-un-compte", {"code": code, "naissance": birth})
    return await client.post(
        "/creer-un-compte",
        data={
            "csrf_token": CSRF.search(step2.text).group(1),
            "ticket": TICKET.search(step2.text).group(1),
            "login": login,
            "password": password,
            "confirmation": password,
            "email": email,
        },
    )


@contextlib.asynccontextmanager
async def signed_up_in_browser(
    chromium, families_server, world, sessionmaker, ts_sessionmaker, *, email="", **context_options
):
    """Noah's guardian, in headless Chromium, has just created his account from a fresh code
    (replicated) on the families portal; yields the page, on "/enfants"."""
    from replication.run import replicate
    from tests.portals.conftest import browser_context, new_page

    code = await give_code(
        world, sessionmaker, world.school_a, world.students["noah"], None, "principal_a"
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    async with browser_context(chromium, base_url=families_server, **context_options) as context:
        page = await new_page(context)
        await page.goto("/creer-un-compte")
        await page.locator("#champ-code").fill(code)
        await page.locator("#champ-naissance").fill("2015-11-02")
        await page.get_by_role("button", name="Vérifier le code").click()
        await page.locator("#champ-login").fill("noah.martin")
        await page.locator("#champ-password").fill("le chat de la voisine")
        await page.locator("#champ-confirmation").fill("le chat de la voisine")
        if email:
            await page.locator("#champ-email").fill(email)
        await page.get_by_role("button", name="Créer mon compte").click()
        await page.wait_for_url("**/enfants")
        yield page

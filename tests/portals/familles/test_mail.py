"""Families' e-mails through a real SMTP server: confirming the address, resetting a
forgotten password; changing the password from the account page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from api.outbox.transports import SmtpTransport
from api.outbox.worker import run_once
from api.settings import MessagingSettings
from db.outbox import OutboxChannel
from replication.run import replicate
from tests.portals.familles.family_steps import CSRF, TODAY, give_code, open_account, post_form
from tsdb.models import FamilyMail

LINK = re.compile(r"https?://\S+")


async def _deliver(ts_sessionmaker, smtp_server):
    transports = {
        OutboxChannel.EMAIL: SmtpTransport(
            MessagingSettings(
                smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
            )
        )
    }
    return await run_once(ts_sessionmaker, transports, "test", model=FamilyMail)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _follow(families, link: str, secure: bool):
    """Follow an e-mail's link: its token leaves the URL for a cookie of that path alone."""
    path, _, query = _path(link).partition("?")
    assert query.startswith("jeton=")
    moved = await families.get(f"{path}?{query}")
    assert moved.status_code == 303 and moved.headers["location"] == path
    cookie = moved.headers["set-cookie"].lower()
    assert "jeton" not in moved.headers["location"]
    for attribute in ("httponly", "samesite=lax", f"path={path}", "max-age=900"):
        assert attribute in cookie, (attribute, cookie)
    assert ("; secure" in cookie) == secure
    page = await families.get(path)
    # No link on the page may carry the address onward, whatever it held.
    assert page.headers["referrer-policy"] in ("no-referrer", "same-origin")
    assert query.partition("=")[2] not in page.text
    return page


async def test_confirm_reset_and_change_password(
    world, sessionmaker, ts_sessionmaker, families, smtp_server, settings
):
    code = await give_code(
        world,
        sessionmaker,
        world.school_a,
        world.students["lina"],
        world.guardians["mother"],
        "principal_a",
    )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    await open_account(
        families, code, "2015-03-14", "claire", "premier mot de passe", "claire.martin@example.fr"
    )
    # Not confirmed yet: no reset mail is sent.
    await post_form(families, "/mot-de-passe-oublie", {"qui": "claire"})
    assert (await _deliver(ts_sessionmaker, smtp_server)).sent == 1
    [confirmation] = smtp_server.mailbox.to("claire.martin@example.fr")
    assert "confirmez" in confirmation["Subject"]
    confirmed = await _follow(
        families, LINK.search(confirmation.get_content()).group(0), settings.cookie_secure
    )
    assert confirmed.status_code == 200 and "Adresse confirmée" in confirmed.text
    assert "sconet_familles_lien" not in families.cookies
    again = await _follow(
        families, LINK.search(confirmation.get_content()).group(0), settings.cookie_secure
    )
    assert again.status_code == 400

    asked = await post_form(families, "/mot-de-passe-oublie", {"qui": "CLAIRE.martin@example.fr"})
    assert "Si un compte correspond" in asked.text
    assert (await _deliver(ts_sessionmaker, smtp_server)).sent == 1
    reset_mail = smtp_server.mailbox.to("claire.martin@example.fr")[-1]
    page = await _follow(
        families, LINK.search(reset_mail.get_content()).group(0), settings.cookie_secure
    )
    assert page.status_code == 200 and "jeton" not in page.text
    short = await families.post(
        "/nouveau-mot-de-passe",
        data={
            "csrf_token": CSRF.search(page.text).group(1),
            "password": "court",
            "confirmation": "court",
        },
    )
    assert short.status_code == 400 and 'id="erreur-password"' in short.text
    done = await families.post(
        "/nouveau-mot-de-passe",
        data={
            "csrf_token": CSRF.search(page.text).group(1),
            "password": "second mot de passe",
            "confirmation": "second mot de passe",
        },
    )
    assert done.status_code == 200 and "Mot de passe changé" in done.text
    assert "sconet_familles_lien" not in families.cookies
    # Without the link's cookie, the page says the link is over.
    assert (await families.get("/nouveau-mot-de-passe")).status_code == 400
    # Every session ended: the browser is signed out.
    assert (await families.get("/enfants")).headers.get("location") == "/"
    old = await post_form(
        families, "/connexion", {"login": "claire", "password": "premier mot de passe"}, page="/"
    )
    assert old.status_code == 400
    new = await post_form(
        families, "/connexion", {"login": "claire", "password": "second mot de passe"}, page="/"
    )
    assert new.status_code == 303
    wrong = await post_form(
        families,
        "/compte",
        {
            "current": "faux",
            "password": "troisième mot de passe",
            "confirmation": "troisième mot de passe",
        },
    )
    assert wrong.status_code == 400 and 'id="erreur-current"' in wrong.text
    changed = await post_form(
        families,
        "/compte",
        {
            "current": "second mot de passe",
            "password": "troisième mot de passe",
            "confirmation": "troisième mot de passe",
        },
    )
    assert changed.status_code == 200 and "Mot de passe changé." in changed.text

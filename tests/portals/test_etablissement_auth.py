"""Staff portal: sign-in, sign-out, the session requirement, CSRF, static files and headers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from api.auth.sessions import COOKIE_NAME
from tests.portals.conftest import Portal, csrf_of


def _set_cookie_headers(response) -> list[str]:
    return response.headers.get_list("set-cookie")


async def test_pages_require_a_session(portal: Portal) -> None:
    response = await portal.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion"
    response = await portal.get("/eleves?nom=mar")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/connexion"
    assert parse_qs(location.query) == {"suivant": ["/eleves?nom=mar"]}
    for path in ("/eleves/1", "/divisions", "/statistiques", "/eleves/1/modifier"):
        assert (await portal.get(path)).status_code == 303


async def test_login_page_is_french_dsfr_with_a_csrf_cookie(portal: Portal) -> None:
    response = await portal.get("/connexion")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "/static/dsfr/dsfr.min.css" in response.text
    assert "République<br>Française" in response.text
    assert "Identifiant" in response.text and "Mot de passe" in response.text
    token = csrf_of(response.text)
    cookie = next(
        c for c in _set_cookie_headers(response) if c.startswith("sconet_connexion_csrf=")
    )
    assert token in cookie and "HttpOnly" in cookie


async def test_wrong_password_gives_a_generic_french_error(portal: Portal) -> None:
    response = await portal.login("principal_a", "pas-le-bon")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.text
    assert not any(c.startswith(f"{COOKIE_NAME}=") for c in _set_cookie_headers(response))
    unknown = await portal.login("personne", "pas-le-bon")
    assert "Identifiant ou mot de passe incorrect" in unknown.text
    # The login typed is kept, the password is not.
    assert 'value="principal_a"' in response.text
    assert "pas-le-bon" not in response.text


async def test_empty_fields_are_named(portal: Portal) -> None:
    response = await portal.login("", "")
    assert "Saisissez votre identifiant." in response.text
    assert "Saisissez votre mot de passe." in response.text
    assert "fr-input-group--error" in response.text


async def test_login_opens_a_session_with_a_safe_cookie(portal: Portal, settings) -> None:
    response = await portal.login("principal_a", target="/divisions")
    assert response.status_code == 303
    assert response.headers["location"] == "/divisions"
    cookie = next(c for c in _set_cookie_headers(response) if c.startswith(f"{COOKIE_NAME}="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert ("secure" in lowered.replace("samesite", "")) is settings.cookie_secure
    home = await portal.get("/")
    assert home.status_code == 200
    assert "Principal A" in home.text


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
async def test_next_page_must_be_local(portal: Portal, target: str) -> None:
    response = await portal.login("principal_a", target=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_login_without_the_csrf_cookie_is_refused(portal: Portal) -> None:
    page = await portal.get("/connexion")
    portal.http.cookies.clear()
    response = await portal.http.post(
        "/connexion",
        data={
            "login": "principal_a",
            "password": "mot-de-passe-de-test",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 403
    assert "expiré" in response.text
    assert not any(c.startswith(f"{COOKIE_NAME}=") for c in _set_cookie_headers(response))


async def test_logout_closes_the_session(portal: Portal) -> None:
    await portal.login("principal_a")
    refused = await portal.http.post("/deconnexion", data={"csrf_token": "faux"})
    assert refused.status_code == 403
    assert (await portal.get("/")).status_code == 200
    response = await portal.post_form("/", "/deconnexion", {})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")
    assert (await portal.get("/")).status_code == 303


async def test_stolen_cookie_is_useless_after_logout(portal: Portal, other_portal: Portal) -> None:
    await portal.login("principal_a")
    token = portal.http.cookies.get(COOKIE_NAME)
    await portal.post_form("/", "/deconnexion", {})
    other_portal.http.cookies.set(COOKIE_NAME, token, domain="testserver")
    assert (await other_portal.get("/")).status_code == 303


async def test_post_without_csrf_token_is_refused(portal: Portal, world) -> None:
    await portal.login("principal_a")
    lina = world.students["lina"]
    response = await portal.http.post(
        f"/eleves/{lina}/modifier", data={"family_name": "Pirate", "version": "1"}
    )
    assert response.status_code == 403
    record = await portal.get(f"/eleves/{lina}")
    assert "PIRATE" not in record.text


async def test_static_files_are_public(portal: Portal) -> None:
    css = await portal.get("/static/dsfr/dsfr.min.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
    assert (await portal.get("/static/dsfr/dsfr.module.min.js")).status_code == 200
    assert (await portal.get("/static/dsfr/fonts/Marianne-Regular.woff2")).status_code == 200
    assert (await portal.get("/static/etablissement/sconet.css")).status_code == 200


async def test_pages_carry_security_headers(portal: Portal) -> None:
    await portal.login("principal_a")
    response = await portal.get("/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    # No inline script or style anywhere in the page.
    assert "<script>" not in response.text and "style=" not in response.text


async def test_optional_french_not_found_page() -> None:
    import httpx
    from starlette.applications import Starlette

    from portals.etablissement.routes import portal_exception_handlers, portal_routes

    app = Starlette(routes=portal_routes(), exception_handlers=portal_exception_handlers())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        page = await client.get("/nulle-part", headers={"accept": "text/html"})
        assert page.status_code == 404
        assert "Page introuvable" in page.text and "fr-header" in page.text
        api = await client.get("/nulle-part", headers={"accept": "application/json"})
        assert api.status_code == 404 and api.text == "Not Found"

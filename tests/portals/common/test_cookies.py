"""The portals' cookies: HttpOnly, SameSite=Lax, Secure from the settings; and redirects that
stay on the portal's own site."""

from __future__ import annotations

import httpx
import pytest
from starlette.responses import Response

from api.auth.sessions import COOKIE_NAME
from portals.common.cookies import delete_cookie, set_cookie
from portals.common.redirects import local_path, redirect
from portals.familles.pages import CSRF_COOKIE
from tests.portals.conftest import Portal


@pytest.mark.parametrize("secure", [True, False])
def test_a_cookie_is_http_only_lax_and_secure_as_configured(secure: bool) -> None:
    response = Response()
    set_cookie(response, "sconet_test", "valeur", secure=secure, path="/lien", max_age=60)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sconet_test=valeur;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/lien" in cookie
    assert "Max-Age=60" in cookie
    assert ("Secure" in cookie) is secure


def test_a_deleted_cookie_is_expired_with_the_same_flags() -> None:
    response = Response()
    delete_cookie(response, "sconet_test", secure=True)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith('sconet_test="";') and "Max-Age=0" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/eleves?nom=mar", "/eleves?nom=mar"),
        ("https://ailleurs.example/", "/"),
        ("//ailleurs.example/", "/"),
        ("/\\ailleurs.example", "/"),
        ("eleves", "/"),
        ("/eleves\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 2000, "/"),
    ],
)
def test_a_redirect_target_stays_on_the_site(target: str | None, expected: str) -> None:
    assert local_path(target) == expected


def test_a_redirect_after_a_post_is_a_get() -> None:
    response = redirect("/eleves")
    assert response.status_code == 303 and response.headers["location"] == "/eleves"


async def test_both_portals_set_their_cookies_with_the_same_flags(
    settings, portal: Portal, families: httpx.AsyncClient
) -> None:
    signed_in = await portal.login("principal_a")
    staff = next(
        c for c in signed_in.headers.get_list("set-cookie") if c.startswith(f"{COOKIE_NAME}=")
    )
    family_page = await families.get("/")
    family = next(
        c for c in family_page.headers.get_list("set-cookie") if c.startswith(f"{CSRF_COOKIE}=")
    )
    for cookie in (staff, family):
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert ("Secure" in cookie) is settings.cookie_secure

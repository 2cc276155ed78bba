"""One CSRF check for both portals: a missing or wrong token is refused with the same French
403 page, and the double-submit token of the forms shown before signing in."""

from __future__ import annotations

import io

import httpx
from markupsafe import escape
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from portals.common import csrf
from tests.portals.common.test_layout import main_of
from tests.portals.conftest import Portal, csrf_of


def test_a_token_matches_only_the_expected_one() -> None:
    token = csrf.new_token()
    assert csrf.matches(token, token)
    assert not csrf.matches(token + "x", token)
    assert not csrf.matches("", token)
    assert not csrf.matches(None, token)
    assert not csrf.matches(token, None)
    assert not csrf.matches(token, "")
    assert not csrf.matches(UploadFile(file=io.BytesIO(token.encode()), filename="t"), token)
    assert csrf.new_token() != token


def _request(cookie: str | None) -> Request:
    headers = [(b"cookie", f"sconet_test={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_the_anonymous_token_is_kept_in_a_cookie_until_refused() -> None:
    forms = csrf.AnonymousForms("sconet_test", path="/connexion")
    new = forms.token(_request(None))
    response = forms.keep(_request(None), Response(), new, secure=True)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"sconet_test={new};")
    assert "HttpOnly" in cookie and "Path=/connexion" in cookie and "Secure" in cookie
    # The browser sends it back: the same token, no new cookie.
    assert forms.token(_request(new)) == new
    assert "set-cookie" not in forms.keep(_request(new), Response(), new, secure=True).headers
    # After a refusal, or when the cookie was not made here, a new one.
    assert forms.token(_request(new), fresh=True) != new
    assert forms.token(_request("x" * (csrf.MAX_LENGTH + 1))) != "x" * (csrf.MAX_LENGTH + 1)


async def test_both_portals_refuse_a_missing_or_wrong_token_with_the_same_page(
    portal: Portal, families: httpx.AsyncClient
) -> None:
    await portal.login("principal_a")
    home = await portal.get("/")
    good = csrf_of(home.text)
    await families.get("/")  # the anonymous forms' cookie
    refusals = []
    for sent in ({}, {"csrf_token": "faux"}, {"csrf_token": good + "x"}):
        staff = await portal.http.post("/etablissement", data={"etablissement": "1", **sent})
        family = await families.post("/connexion", data={"login": "x", "password": "y", **sent})
        for response in (staff, family):
            assert response.status_code == 403, sent
            assert "<h1>Formulaire expiré</h1>" in response.text
            assert escape(csrf.EXPIRED_MESSAGE) in response.text
        refusals += [main_of(staff.text), main_of(family.text)]
    assert len(set(refusals)) == 1
    # The right token passes the check (the staff page then does its work).
    accepted = await portal.http.post(
        "/etablissement", data={"etablissement": "1", "csrf_token": good}
    )
    assert accepted.status_code != 403

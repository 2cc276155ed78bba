"""The académie administrator's forms (accounts, API clients) refused: the title starts with
"Erreur", a role=alert summary links each error to its field, and each field is marked
(issue 11)."""

from __future__ import annotations

import re

from tests.portals.conftest import csrf_of


def _assert_announced(html: str, names: list[str]) -> None:
    assert re.search(r"<title>Erreur — ", html)
    summary = re.search(
        r'<div class="fr-alert fr-alert--error[^"]*" role="alert" id="erreurs">.*?</div>',
        html,
        re.S,
    )
    assert summary, "no error summary"
    for name in names:
        assert f'href="#champ-{name}"' in summary.group(0), name
        assert f'id="champ-{name}"' in html, name
        marked = re.findall(
            rf'<(?:input|select|textarea)\b[^>]*aria-describedby="erreur-{name}"[^>]*>', html
        )
        assert marked and all('aria-invalid="true"' in tag for tag in marked), name
        assert f'id="erreur-{name}"' in html, name


async def test_a_refused_client_is_announced(portal):
    await portal.login("admin")
    page = await portal.get("/clients")
    refused = await portal.http.post(
        "/clients", data={"csrf_token": csrf_of(page.text), "name": ""}
    )
    assert refused.status_code == 400
    _assert_announced(refused.text, ["name", "schools", "scopes"])


async def test_a_refused_account_is_announced(portal):
    await portal.login("admin")
    page = await portal.get("/comptes")
    refused = await portal.http.post(
        "/comptes",
        data={"csrf_token": csrf_of(page.text), "login": "", "display_name": "", "password": ""},
    )
    assert refused.status_code == 400
    assert "<title>Erreur — " in refused.text
    named = re.findall(r'<a href="#champ-([a-z_]+)">', refused.text)
    assert named
    _assert_announced(refused.text, named)

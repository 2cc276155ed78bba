"""The staff portal's mandatory footer links and the pages they lead to, readable signed out."""

from __future__ import annotations

import pytest

from tests.portals.conftest import Portal, make_client
from tests.portals.test_etablissement_pages import text_of

LEGAL_PAGES = {
    "/accessibilite": (
        "Déclaration d'accessibilité",
        "partiellement conforme",
        "Défenseur des droits",
    ),
    "/mentions-legales": ("Mentions légales", "Directeur de la publication", "Hébergement"),
    "/donnees-personnelles": (
        "Données personnelles",
        "Base légale",
        "délégué à la protection des données",
    ),
}
FOOTER_LINKS = (
    '<a class="fr-footer__bottom-link" href="/accessibilite">Accessibilité : partiellement conforme</a>',
    '<a class="fr-footer__bottom-link" href="/mentions-legales">Mentions légales</a>',
    '<a class="fr-footer__bottom-link" href="/donnees-personnelles">Données personnelles</a>',
)


def assert_footer(html: str, where: str) -> None:
    for link in FOOTER_LINKS:
        assert link in html, f"{where}: {link}"


@pytest.mark.parametrize("path", sorted(LEGAL_PAGES))
async def test_legal_pages_are_readable_signed_out(app, path: str) -> None:
    async with make_client(app) as http:
        response = await http.get(path)
    assert response.status_code == 200
    text = text_of(response.text)
    for expected in LEGAL_PAGES[path]:
        assert expected in text, f"{path}: {expected}"
    assert_footer(response.text, path)


async def test_every_page_carries_the_footer_links(portal: Portal) -> None:
    signed_out = [
        await portal.get("/connexion"),
        await portal.get("/adresse-inconnue", headers={"accept": "text/html"}),
    ]
    for response in signed_out:
        assert_footer(response.text, str(response.url))
    await portal.login("principal_a")
    for path in ("/", "/eleves", "/divisions", "/absences", "/journal", "/compte", "/teleservices"):
        response = await portal.get(path)
        assert response.status_code == 200, path
        assert_footer(response.text, path)
    signed_out = await portal.post_form("/", "/deconnexion", {})
    assert signed_out.status_code == 303
    await portal.login("teacher_a")
    refused = await portal.get("/journal")
    assert refused.status_code == 403
    assert_footer(refused.text, "403")

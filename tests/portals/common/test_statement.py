"""Both portals' accessibility statement comes from the shell's model statement: the conformity
level the footers announce, what does not conform yet, the date, the test method, how to report
a problem and the recourse to the Défenseur des droits; and the shell's own files are served."""

from __future__ import annotations

import re

import httpx

from tests.portals.conftest import make_client

SECTIONS = (
    "<h1>Déclaration d'accessibilité</h1>",
    "<h2>État de conformité</h2>",
    "<strong>partiellement conforme</strong>",
    "<h3>Non-conformités</h3>",
    "<h2>Établissement de cette déclaration</h2>",
    "Cette déclaration a été établie le 3 décembre 2026.",
    "<h3>Environnement de test et outils utilisés</h3>",
    "axe-core",
    "320 pixels",
    "<h2>Retour d'information et contact</h2>",
    "<h2>Voies de recours</h2>",
    "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07",
    'href="/accessibilite">Accessibilité : partiellement conforme</a>',
    'href="/mentions-legales">Mentions légales</a>',
    'href="/donnees-personnelles">Données personnelles</a>',
)


def non_conformities(html: str) -> list[str]:
    match = re.search(r"<h3>Non-conformités</h3>\s*<ul>(.*?)</ul>", html, flags=re.DOTALL)
    assert match, "no list of non-conformities"
    return re.findall(r"<li>(.*?)</li>", match.group(1), flags=re.DOTALL)


async def test_both_portals_publish_the_model_statement(app, families: httpx.AsyncClient) -> None:
    async with make_client(app) as staff:
        staff_page = await staff.get("/accessibilite")
    families_page = await families.get("/accessibilite")
    for name, page in (("staff", staff_page), ("families", families_page)):
        assert page.status_code == 200, name
        for section in SECTIONS:
            assert section in page.text, f"{name}: {section}"
        assert "à compléter par l'académie" in page.text, name
    assert "s'applique à SCONET — Base élèves" in staff_page.text
    assert "SCONET — Base élèves, le portail des personnels" in staff_page.text
    assert "s'applique à Sconet Télé-services, espace familles." in families_page.text
    staff_items, families_items = (
        non_conformities(staff_page.text),
        non_conformities(families_page.text),
    )
    # Each portal lists its own known non-conformities, not the other's nor fixed ones.
    assert not any("paramètres des absences" in item for item in staff_items)
    assert not any("appel" in item or "période" in item for item in staff_items)
    assert any("PDF" in item for item in staff_items)
    assert not any("au clavier" in item or "contraste" in item for item in staff_items)
    assert len(families_items) == 1 and "audit" in families_items[0]
    assert not any("grille" in item for item in families_items)


async def test_the_shells_files_are_served_by_both_portals(
    app, families: httpx.AsyncClient
) -> None:
    async with make_client(app) as staff:
        for client in (staff, families):
            page = await client.get("/accessibilite")
            assert '<link rel="stylesheet" href="/static/commun/shell.css">' in page.text
            assert '<script src="/static/commun/shell.js" defer></script>' in page.text
            for asset in ("/static/commun/shell.css", "/static/commun/shell.js"):
                answer = await client.get(asset)
                assert answer.status_code == 200, asset

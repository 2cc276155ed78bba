"""Both portals' pages come from the one DSFR layout (``portals/common/templates/layout.html``):
the same skip links, landmarks, header and footer markup, with each portal's own blocks."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from jinja2 import TemplateNotFound

from portals.common.rendering import COMMON_TEMPLATES, environment
from portals.etablissement.web import anonymous_error
from portals.familles.rendering import error_page as families_error_page
from tests.portals.conftest import Portal

LAYOUT = COMMON_TEMPLATES / "layout.html"
LANDMARKS = (
    '<html lang="fr">',
    '<a class="fr-link" href="#contenu">Contenu</a>',
    '<header role="banner" class="fr-header">',
    '<main id="contenu" role="main" tabindex="-1">',
    '<footer class="fr-footer" role="contentinfo" id="pied-de-page">',
    '<a class="fr-footer__bottom-link" href="/accessibilite">Accessibilité : partiellement conforme</a>',
    '<a class="fr-footer__bottom-link" href="/mentions-legales">Mentions légales</a>',
    '<a class="fr-footer__bottom-link" href="/donnees-personnelles">Données personnelles</a>',
    '<script type="module" src="/static/dsfr/dsfr.module.min.js"></script>',
)


def layout_markup() -> list[str]:
    """The layout's own lines of markup (those without any template code), in order; not
    those of the menu, which a page without one leaves out."""
    source = re.sub(r"{#.*?#}", "", LAYOUT.read_text(encoding="utf-8"), flags=re.DOTALL)
    source = re.sub(r"{% if menu_id %}.*?{% endif %}", "", source, flags=re.DOTALL)
    return [line.strip() for line in source.splitlines() if line.strip() and "{" not in line]


def missing_layout_markup(html: str) -> list[str]:
    """The layout's lines of markup not found, in order, in ``html``."""
    lines = iter(line.strip() for line in html.splitlines())
    return [expected for expected in layout_markup() if not any(line == expected for line in lines)]


def assert_from_layout(html: str) -> None:
    assert missing_layout_markup(html) == []
    for landmark in LANDMARKS:
        assert html.count(landmark) == 1, landmark


def main_of(html: str) -> str:
    match = re.search(r"<main .*?</main>", html, flags=re.DOTALL)
    assert match
    return match.group(0)


def test_the_layout_check_sees_a_page_that_is_not_from_the_layout() -> None:
    assert len(layout_markup()) > 30
    page = "\n".join(layout_markup())
    assert missing_layout_markup(page) == []
    without_main = page.replace('<main id="contenu" role="main" tabindex="-1">', "<main>")
    assert missing_layout_markup(without_main)[:1] == [
        '<main id="contenu" role="main" tabindex="-1">'
    ]


def test_both_portals_error_pages_share_the_layout_and_the_error_template() -> None:
    staff = anonymous_error(404, "Page introuvable", "Cette fiche n'existe pas.")
    family = families_error_page(404, "Page introuvable", "Cette fiche n'existe pas.")
    for response in (staff, family):
        assert response.status_code == 404
        assert_from_layout(response.body.decode())
    staff_html, families_html = staff.body.decode(), family.body.decode()
    assert main_of(staff_html) == main_of(families_html)
    # Each portal its own name, stylesheet and menu.
    assert '<p class="fr-header__service-title">SCONET — Base élèves</p>' in staff_html
    assert '<p class="fr-header__service-title">Sconet Télé-services</p>' in families_html
    assert "/static/etablissement/sconet.css" in staff_html
    assert "/static/familles/familles.css" in families_html
    assert "<title>Page introuvable — SCONET Base élèves</title>" in staff_html
    assert "<title>Page introuvable — Sconet Télé-services</title>" in families_html
    assert 'id="menu-principal"' not in staff_html  # no menu before signing in
    assert 'aria-controls="menu-familles"' in families_html


def test_a_portal_template_comes_before_the_shells(tmp_path: Path) -> None:
    (tmp_path / "error.html").write_text("own {{ title }}", encoding="utf-8")
    env = environment(tmp_path, "/static/test")
    assert env.get_template("error.html").render(title="T") == "own T"
    assert env.get_template("layout.html").filename == str(LAYOUT)
    with pytest.raises(TemplateNotFound):
        env.get_template("absent.html")


async def test_served_pages_of_both_portals_come_from_the_layout(
    portal: Portal, families: httpx.AsyncClient
) -> None:
    login_page = await portal.get("/connexion")
    assert_from_layout(login_page.text)
    await portal.login("principal_a")
    home = await portal.get("/")
    assert home.status_code == 200
    assert_from_layout(home.text)
    # Signed in: the skip link to the menu, and the menu in the layout's modal.
    assert '<a class="fr-link" href="#navigation-principale">Menu</a>' in home.text
    assert 'id="menu-principal" aria-labelledby="bouton-menu"' in home.text
    assert 'id="navigation-principale" role="navigation"' in home.text
    families_home = await families.get("/")
    assert families_home.status_code == 200
    assert_from_layout(families_home.text)
    assert 'id="menu-familles" aria-labelledby="bouton-menu"' in families_home.text

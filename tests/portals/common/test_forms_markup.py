"""Every form of both portals leaves checking to the product (``novalidate``), and the shell's
field macros mark a field in error the one way (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from portals.common.rendering import COMMON_TEMPLATES

PORTALS = Path(__file__).resolve().parents[3] / "portals"
FORM_TAG = re.compile(r"<form\b(?:[^>{]|\{\{.*?\}\}|\{%.*?%\})*>", re.DOTALL)


def test_every_form_of_every_template_has_novalidate():
    templates = sorted(PORTALS.glob("*/templates/**/*.html"))
    assert len(templates) > 40
    forms = 0
    for template in templates:
        for tag in FORM_TAG.findall(template.read_text()):
            forms += 1
            assert re.search(r"\snovalidate[\s>]", tag), f"{template}: {tag}"
    assert forms > 40


def _fields():
    env = Environment(
        loader=FileSystemLoader(COMMON_TEMPLATES),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("_fields.html").module


def _tag(html: str, element: str, ident: str) -> str:
    match = re.search(rf'<{element}\b[^>]*\bid="{ident}"[^>]*>', html)
    assert match, (ident, html)
    return match.group(0)


def test_a_field_in_error_is_marked_and_described_by_its_message():
    fields = _fields()
    for html, element in [
        (str(fields.input("nom", "Nom", "x", "Saisissez le nom.")), "input"),
        (str(fields.date("jour", "Jour", "", "Saisissez le nom.")), "input"),
        (str(fields.select("eleve", "Élève", [(1, "A")], "", "Saisissez le nom.")), "select"),
        (str(fields.checkbox("oui", "Oui", False, "Saisissez le nom.")), "input"),
    ]:
        name = re.search(r'id="champ-(\w+)"', html).group(1)
        tag = _tag(html, element, f"champ-{name}")
        assert 'aria-invalid="true"' in tag and f'aria-describedby="erreur-{name}"' in tag, tag
        assert f'<p id="erreur-{name}" class="fr-error-text">Saisissez le nom.</p>' in html
    right = str(fields.input("nom", "Nom", "x"))
    assert "aria-invalid" not in right and "erreur-" not in right and "--error" not in right


def test_a_password_is_described_by_its_rules_then_its_error():
    fields = _fields()
    html = str(fields.password("password", "Mot de passe", "Trop court.", ["10 caractères"]))
    tag = _tag(html, "input", "champ-password")
    assert 'aria-describedby="regles-password erreur-password"' in tag
    assert 'type="password"' in tag and 'aria-invalid="true"' in tag
    assert 'id="regles-password"' in html and "10 caractères" in html


def test_every_radio_button_of_a_group_in_error_is_marked():
    html = str(_fields().radios("nature", "Nature", [("a", "A"), ("r", "R")], "a", "Choisissez."))
    assert html.count('aria-invalid="true"') == 2
    assert html.count('aria-describedby="erreur-nature"') == 2
    assert 'id="champ-nature"' in _tag(html, "fieldset", "champ-nature")


def test_the_summary_links_each_error_to_its_field_and_counts_them():
    fields = _fields()
    html = str(fields.error_summary({"nom": "Saisissez le nom."}, "Non enregistré", ["Conflit."]))
    assert 'role="alert"' in html and "2 erreurs sont à corriger." in html
    assert '<a href="#champ-nom">Saisissez le nom.</a>' in html and "<li>Conflit.</li>" in html
    assert str(fields.error_summary({}, "Non enregistré")).strip() == ""

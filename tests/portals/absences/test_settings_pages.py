"""/absences/parametres: each part saves on its own; errors come back in French."""

from __future__ import annotations

import io
import re

from PIL import Image

URL = "/absences/parametres"


async def test_every_part_saves(portal, world):
    await portal.login("cpe_a")
    page = await portal.get(URL)
    assert page.status_code == 200 and "Grille horaire" in page.text
    done = await portal.post_form(URL, f"{URL}/general", {"zone": "A", "signature": "La CPE"})
    assert done.status_code == 303
    page = await portal.get(URL)
    assert 'value="A" selected' in page.text and 'value="La CPE"' in page.text
    week = {f"matin-{d}": "on" for d in range(5)} | {f"apres-midi-{d}": "on" for d in (0, 1, 3, 4)}
    week["apres-midi-2"] = "on"
    assert (await portal.post_form(URL, f"{URL}/semaine", week)).status_code == 303
    assert 'id="apres-midi-2" name="apres-midi-2" checked' in (await portal.get(URL)).text
    motive = await portal.post_form(
        URL,
        f"{URL}/motif",
        {
            "code": "SPO",
            "libelle": "Compétition",
            "generique": "SPO",
            "couleur": "#123456",
            "absences": "on",
            "actif": "on",
        },
    )
    assert motive.status_code == 303
    assert 'value="Compétition"' in (await portal.get(URL)).text
    closed = await portal.post_form(
        URL, f"{URL}/fermeture", {"jour": "2026-12-07", "libelle": "Journée pédagogique"}
    )
    assert closed.status_code == 303
    page = await portal.get(URL)
    assert "Journée pédagogique" in page.text
    closed_id = re.search(
        r'name="id" value="(\d+)"><button class="fr-btn fr-btn--sm fr-btn--tertiary-no-outline"',
        page.text,
    ).group(1)
    assert (
        await portal.post_form(URL, f"{URL}/fermeture-supprimee", {"id": closed_id})
    ).status_code == 303
    buffer = io.BytesIO()
    Image.new("RGB", (60, 30), "#000091").save(buffer, format="PNG")
    form = await portal.get(URL)
    from tests.portals.conftest import csrf_of

    logo = await portal.http.post(
        f"{URL}/logo",
        data={"csrf_token": csrf_of(form.text)},
        files={"logo": ("logo.png", buffer.getvalue(), "image/png")},
    )
    assert logo.status_code == 303
    assert "Un logo est enregistré" in (await portal.get(URL)).text


async def test_grid_and_template_errors_come_back(portal, world):
    await portal.login("cpe_a")
    page = await portal.get(URL)
    rows = int(re.search(r'name="lignes" value="(\d+)"', page.text).group(1))
    grid = {
        "lignes": str(rows),
        "code-0": "M1",
        "debut-0": "09:00",
        "fin-0": "08:00",
        "demi-0": "morning",
    }
    refused = await portal.post_form(URL, f"{URL}/grille", grid)
    assert refused.status_code == 400 and 'id="erreurs"' in refused.text
    assert "M1 finit avant de commencer." in refused.text
    template = await portal.post_form(
        URL,
        f"{URL}/modele",
        {"code": "X1", "libelle": "Essai", "canal": "letter", "texte": "Bonjour {{ eleve.age }}"},
    )
    assert template.status_code == 400 and "Champ de fusion inconnu : eleve.age." in template.text
    assert "Bonjour {{ eleve.age }}" in template.text  # what was typed is kept
    ok = await portal.post_form(
        URL,
        f"{URL}/modele",
        {
            "code": "X1",
            "libelle": "Essai",
            "canal": "sms",
            "texte": "{{ eleve.prenom }} absent",
            "actif": "on",
        },
    )
    assert ok.status_code == 303
    assert "X1 — Essai" in (await portal.get(URL)).text


async def test_teachers_have_no_settings(portal, world):
    await portal.login("teacher_a")
    assert (await portal.get(URL)).status_code == 403

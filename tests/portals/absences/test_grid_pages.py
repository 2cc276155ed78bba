"""/absences over HTTP: the week's grid of a division, recording from its form, errors."""

from __future__ import annotations

import re

MONDAY = "2026-11-16"


def _slot_ids(html: str) -> dict[str, str]:
    options = re.findall(r'<option value="(\d+)">(\w+) \(\d\d:\d\d\)</option>', html)
    return {code: value for value, code in options}


async def test_the_grid_records_an_absence_and_a_lateness(portal, world):
    await portal.login("cpe_a")
    url = f"/absences?division={world.division_a1}&semaine={MONDAY}"
    page = await portal.get(url)
    assert page.status_code == 200
    assert "Lundi 16/11" in page.text and "Vendredi 20/11" in page.text
    assert "Martin Lina" in page.text and "Martin Noah" not in page.text  # 6B
    slots = _slot_ids(page.text)
    lina = str(world.students["lina"])
    saved = await portal.post_form(
        url,
        "/absences",
        {
            "division": str(world.division_a1),
            "semaine": MONDAY,
            "eleve": lina,
            "nature": "absence",
            "debut_jour": MONDAY,
            "debut_creneau": slots["M1"],
            "fin_jour": MONDAY,
            "fin_creneau": slots["M4"],
        },
    )
    assert saved.status_code == 303 and "enregistre=absence" in saved.headers["location"]
    grid = await portal.get(saved.headers["location"])
    assert "Absence enregistrée." in grid.text
    assert grid.text.count("sconet-cell--absence") == 4
    late = await portal.post_form(
        url,
        "/absences",
        {
            "division": str(world.division_a1),
            "semaine": MONDAY,
            "eleve": lina,
            "nature": "retard",
            "debut_jour": "2026-11-17",
            "debut_creneau": slots["M1"],
            "minutes": "12",
        },
    )
    assert late.status_code == 303
    grid = await portal.get(url)
    assert grid.text.count("sconet-cell--lateness") == 1
    assert "Retard de 12 min — sans motif" in grid.text


async def test_errors_are_named_in_french_and_nothing_is_written(portal, world):
    await portal.login("cpe_a")
    url = f"/absences?division={world.division_a1}&semaine={MONDAY}"
    slots = _slot_ids((await portal.get(url)).text)
    refused = await portal.post_form(
        url,
        "/absences",
        {
            "eleve": str(world.students["lina"]),
            "nature": "absence",
            "debut_jour": "2026-11-17",
            "debut_creneau": slots["M1"],
            "fin_jour": MONDAY,
            "fin_creneau": slots["M1"],
        },
    )
    assert refused.status_code == 400
    assert 'id="erreur-fin_jour"' in refused.text and "précède son début" in refused.text
    weekend = await portal.post_form(
        url,
        "/absences",
        {
            "eleve": str(world.students["lina"]),
            "nature": "retard",
            "debut_jour": "2026-11-21",
            "debut_creneau": slots["M1"],
            "minutes": "5",
        },
    )
    assert weekend.status_code == 400 and "pas cours à ce moment" in weekend.text
    missing = await portal.post_form(url, "/absences", {"nature": "retard"})
    assert (
        "Choisissez l&#39;élève." in missing.text
        and "Indiquez le retard en minutes." in missing.text
    )
    grid = await portal.get(url)
    assert "sconet-cell--absence" not in grid.text and "sconet-cell--lateness" not in grid.text


async def test_a_teacher_sees_only_the_classes_taught(portal, world):
    await portal.login("teacher_a")
    page = await portal.get(f"/absences?division={world.division_a2}&semaine={MONDAY}")
    assert page.status_code == 200
    # 6B is not taught: the grid falls back to 6A.
    assert "Division 6B" not in page.text and "Martin Lina" in page.text


async def test_the_day_view_shows_one_day(portal, world):
    await portal.login("cpe_a")
    page = await portal.get(f"/absences?division={world.division_a1}&semaine=2026-11-18&vue=jour")
    assert "Mercredi 18/11" in page.text and "Lundi 16/11" not in page.text
    assert "Jour suivant" in page.text and "semaine=2026-11-19" in page.text


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


async def test_the_skip_links_lead_to_the_form_and_back(portal, world):
    await portal.login("cpe_a")
    page = await portal.get(f"/absences?division={world.division_a1}&semaine={MONDAY}")
    ids = _ids(page.text)
    skip = re.search(r'<a [^>]*href="#(\w+)"[^>]*>Aller au formulaire de saisie</a>', page.text)
    back = re.search(r'<a [^>]*href="#(\w+)"[^>]*>Revenir à la grille</a>', page.text)
    assert skip and back
    assert skip.group(1) == "saisie" and back.group(1) == "grille"
    assert {"saisie", "grille", "saisie-titre", "grille-aide", "grille-choix"} <= ids
    # The skip link comes before the grid, the way back after it, in the form.
    assert page.text.index(skip.group(0)) < page.text.index('id="grille"')
    assert page.text.index('id="saisie"') < page.text.index(back.group(0))
    # The form takes the focus from the skip link and is named by its heading.
    form = re.search(r'<form [^>]*id="saisie"[^>]*>', page.text)
    assert form and 'tabindex="-1"' in form.group(0)
    assert 'aria-labelledby="saisie-titre"' in form.group(0)

"""Motive colours on the staff portal: a colour too light is refused on the settings form, and
the grid writes each event's motive code on its colour, in letters that can be read."""

from __future__ import annotations

import re

from tests.portals.absences.test_grid_pages import MONDAY, _slot_ids

SETTINGS = "/absences/parametres"


def _motive_ids(html: str) -> dict[str, str]:
    select = html[html.index('id="champ-motif"') :]
    select = select[: select.index("</select>")]
    return {label: value for value, label in re.findall(r'<option value="(\d+)">([^<]+)<', select)}


async def test_a_colour_too_light_is_refused_on_the_settings_form(portal, world):
    await portal.login("cpe_a")
    refused = await portal.post_form(
        SETTINGS,
        f"{SETTINGS}/motif",
        {
            "code": "JAU",
            "libelle": "Sortie au soleil",
            "generique": "SCO",
            "couleur": "#f3a35c",
            "absences": "on",
            "actif": "on",
        },
    )
    assert refused.status_code == 400
    assert "Couleur trop claire : son contraste avec le fond blanc est de 2,06:1" in refused.text
    assert "il faut au moins 3:1" in refused.text
    assert "contraster au moins à 3:1 avec le fond blanc" in refused.text  # said beforehand
    assert 'value="Sortie au soleil"' not in (await portal.get(SETTINGS)).text
    saved = await portal.post_form(
        SETTINGS,
        f"{SETTINGS}/motif",
        {
            "code": "JAU",
            "libelle": "Sortie au soleil",
            "generique": "SCO",
            "couleur": "#8a6d00",
            "absences": "on",
            "actif": "on",
        },
    )
    assert saved.status_code == 303
    assert 'value="Sortie au soleil"' in (await portal.get(SETTINGS)).text


async def test_the_grid_writes_the_motive_code_in_each_cell(portal, world):
    await portal.login("cpe_a")
    url = f"/absences?division={world.division_a1}&semaine={MONDAY}"
    page = await portal.get(url)
    slots, motives = _slot_ids(page.text), _motive_ids(page.text)
    lina = str(world.students["lina"])
    event = {"division": str(world.division_a1), "semaine": MONDAY, "eleve": lina}
    absence = event | {
        "nature": "absence",
        "debut_jour": MONDAY,
        "debut_creneau": slots["M1"],
        "fin_jour": MONDAY,
        "fin_creneau": slots["M2"],
        "motif": motives["Rendez-vous médical"],
    }
    assert (await portal.post_form(url, "/absences", absence)).status_code == 303
    late = event | {
        "nature": "retard",
        "debut_jour": "2026-11-17",
        "debut_creneau": slots["M1"],
        "minutes": "5",
    }
    assert (await portal.post_form(url, "/absences", late)).status_code == 303
    grid = (await portal.get(url)).text
    assert grid.count(" sconet-cell--absence") == 2 and grid.count(" sconet-cell--lateness") == 1
    # The code on the motive's colour, in dark letters on this light one (4.5:1).
    med = '<span class="sconet-cell__text sconet-ink-161616" aria-hidden="true">MED</span>'
    assert grid.count(med) == 2 and grid.count('fill="#b38c27"') == 3  # two cells, the legend
    # Without a motive: "?" in white on near-black.
    none = '<span class="sconet-cell__text sconet-ink-ffffff" aria-hidden="true">?</span>'
    assert grid.count(none) == 1
    # The legend gives each code its label, on the same colours.
    assert 'sconet-swatch__code sconet-ink-ffffff">MAL</span></span> Maladie</li>' in grid
    assert 'sconet-swatch__code sconet-ink-161616">MED</span></span> Rendez-vous médical' in grid
    assert 'sconet-swatch__code sconet-ink-ffffff">?</span></span> Sans motif</li>' in grid

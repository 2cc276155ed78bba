"""The absence settings, the roll call and the period forms refused: the title starts with
"Erreur", a role=alert summary links each error to its field's id, and that field is marked
(aria-invalid) and described by its message (issue 11)."""

from __future__ import annotations

import re

import pytest

SETTINGS = "/absences/parametres"


def assert_announced(html: str, field_ids: list[str], message: str = "") -> None:
    assert re.search(r"<title>Erreur — ", html)
    summary = re.search(
        r'<div class="fr-alert fr-alert--error[^"]*" role="alert" id="erreurs">.*?</div>',
        html,
        re.S,
    )
    assert summary, "no error summary"
    assert message in summary.group(0)
    for field_id in field_ids:
        assert f'href="#{field_id}"' in summary.group(0), field_id
        tag = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field_id}"[^>]*>', html)
        assert tag, field_id
        assert 'aria-invalid="true"' in tag.group(0), field_id
        described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
        assert described, field_id
        for error_id in described.group(1).split():
            assert re.search(rf'<p id="{error_id}" class="fr-error-text">', html), error_id


@pytest.mark.parametrize(
    ("part", "data", "field_ids", "message"),
    [
        ("general", {"zone": "Z", "signature": "x"}, ["champ-zone"], "Choisissez une zone."),
        ("general", {"zone": "A", "signature": "x" * 130}, ["champ-signature"], "120 caract"),
        ("semaine", {}, ["matin-0"], "au moins une demi-journée"),
        (
            "motif",
            {"code": "?", "libelle": "", "generique": "NOPE", "couleur": "#ffffff"},
            [
                "motif-code-nouveau",
                "motif-libelle-nouveau",
                "motif-generique-nouveau",
                "motif-couleur-nouveau",
                "motif-absences-nouveau",
            ],
            "Couleur trop claire",
        ),
        (
            "justificatif",
            {"code": "", "libelle": ""},
            ["justificatif-code-nouveau", "justificatif-libelle-nouveau"],
            "Code de 1 à 10",
        ),
        ("fermeture", {"jour": "demain", "libelle": "x"}, ["champ-fermeture-jour"], "invalide"),
        ("fermeture", {"jour": "2026-12-07", "libelle": " "}, ["champ-fermeture-libelle"], ""),
        (
            "modele",
            {"code": "x y", "libelle": "", "canal": "email", "texte": "{{ eleve.age }}"},
            [
                "champ-modele-code",
                "champ-modele-libelle",
                "champ-modele-objet",
                "champ-modele-texte",
            ],
            "Champ de fusion inconnu",
        ),
    ],
)
async def test_a_refused_setting_is_announced(portal, world, part, data, field_ids, message):
    await portal.login("cpe_a")
    refused = await portal.post_form(SETTINGS, f"{SETTINGS}/{part}", data)
    assert refused.status_code == 400
    assert_announced(refused.text, field_ids, message)
    if part == "semaine":  # the week's error is about every half-day: all are marked
        boxes = re.findall(
            r'<input type="checkbox" id="(?:matin|apres-midi)-\d"[^>]*>', refused.text
        )
        assert len(boxes) == 14
        assert all('aria-describedby="erreur-matin-0"' in box for box in boxes)


async def test_a_refused_grid_names_the_rows_fields(portal, world):
    await portal.login("cpe_a")
    page = await portal.get(SETTINGS)
    rows = int(re.search(r'name="lignes" value="(\d+)"', page.text).group(1))
    kept = {
        f"{name}-{n}": value
        for n in range(rows)
        for name in ("id", "code", "debut", "fin", "demi")
        if (value := re.search(rf'id="{name}-{n}"[^>]*value="([^"]*)"', page.text) or None)
        and (value := value.group(1))
    }
    assert kept, "the test world has a grid"
    last = rows - 1  # a blank row, filled wrongly: the errors name its fields, not an index
    grid = {"lignes": str(rows)} | {
        key: value for key, value in kept.items() if not key.startswith("demi")
    }
    for n in range(rows - 2):
        grid[f"demi-{n}"] = "morning" if grid.get(f"debut-{n}", "12:00") < "12:00" else "afternoon"
    grid |= {f"code-{last}": "Z9", f"debut-{last}": "9h", f"fin-{last}": "", f"demi-{last}": "?"}
    refused = await portal.post_form(SETTINGS, f"{SETTINGS}/grille", grid)
    assert refused.status_code == 400
    assert_announced(refused.text, [f"debut-{last}", f"fin-{last}", f"demi-{last}"], "HH:MM")
    # An error of the domain on a slot is shown on the row it came from.
    grid[f"code-{last}"], grid[f"debut-{last}"], grid[f"fin-{last}"] = "", "", ""
    grid["fin-0"] = "00:01"
    refused = await portal.post_form(SETTINGS, f"{SETTINGS}/grille", grid)
    assert refused.status_code == 400
    assert_announced(refused.text, ["fin-0"], "finit avant de commencer")


async def test_a_refused_roll_call_is_announced(portal, world):
    await portal.login("teacher_a")
    page = await portal.get("/absences/appel")
    division = re.search(
        r'<select class="fr-select" id="champ-classe"[^>]*>\s*<option value="([^"]+)"', page.text
    )
    slot = re.search(
        r'<select class="fr-select" id="champ-creneau"[^>]*>\s*<option value="([^"]+)"', page.text
    )
    assert division and slot
    eloise = world.students["eloise"]
    refused = await portal.post_form(
        "/absences/appel",
        "/absences/appel",
        {
            "classe": division.group(1),
            "jour": "2026-11-16",
            "creneau": slot.group(1),
            f"presence-{eloise}": "retard",
            f"minutes-{eloise}": "0",
        },
    )
    assert refused.status_code == 400
    assert_announced(refused.text, [f"minutes-{eloise}"], "Retard en minutes (1 à 240).")
    unchosen = await portal.post_form("/absences/appel", "/absences/appel", {"classe": "x"})
    assert unchosen.status_code == 400
    assert_announced(unchosen.text, ["champ-classe"], "Choisissez la classe")


@pytest.mark.parametrize("url", ["/absences/statistiques", "/absences/suivi"])
async def test_an_inverted_period_marks_both_days(portal, world, url):
    await portal.login("cpe_a")
    refused = await portal.get(f"{url}?du=2026-11-30&au=2026-11-01")
    assert refused.status_code == 200
    assert_announced(refused.text, ["champ-au"], "La fin de la période précède son début.")
    for name in ("du", "au"):
        tag = re.search(rf'<input[^>]*id="champ-{name}"[^>]*>', refused.text).group(0)
        assert 'aria-invalid="true"' in tag and 'aria-describedby="erreur-au"' in tag, name
    assert refused.text.count('id="erreur-au"') == 1
    fine = await portal.get(f"{url}?du=2026-11-01&au=2026-11-30")
    assert "aria-invalid" not in fine.text and 'role="alert"' not in fine.text

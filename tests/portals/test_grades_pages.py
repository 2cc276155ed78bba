"""/notes: a teacher's classes, a new assessment, the grid of marks (French decimals, errors per
cell, nothing written while a cell is wrong), the period averages; who reaches what."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from db.grades import Assessment, Mark, MarkStatus

NEW = "/notes/classe/nouveau-devoir?classe={key}"


def _student_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-student="(\d+)"', html)]


async def _create(portal, world, key: str, **changes: str):
    data = {
        "titre": "Contrôle de grammaire",
        "matiere": str(world.subject),
        "jour": "2026-11-16",
        "publication": "2026-11-20",
        "bareme": "20",
        "coefficient": "1,5",
    } | changes
    return await portal.post_form(NEW.format(key=key), NEW.format(key=key), data)


async def test_a_teacher_creates_an_assessment_and_enters_the_grid(portal, world, sessionmaker):
    await portal.login("teacher_a")
    home = await portal.get("/")
    assert 'href="/notes"' in home.text
    classes = await portal.get("/notes")
    assert classes.status_code == 200
    key = f"d{world.division_a1}"
    # His one class, in the subject he teaches there; not 6A2.
    assert f"/notes/classe?classe={key}" in classes.text
    assert f"classe=d{world.division_a2}" not in classes.text
    assert (await portal.get(f"/notes/classe?classe=d{world.division_a2}")).status_code == 404

    created = await _create(portal, world, key)
    assert created.status_code == 303, created.text
    grid_url = created.headers["location"]
    grid = await portal.get(grid_url)
    assert "Devoir créé" in grid.text
    async with sessionmaker() as session:
        assessment = await session.scalar(select(Assessment))
    assert assessment.coefficient == Decimal("1.5") and assessment.subject_id == world.subject
    lina, eloise = world.students["lina"], world.students["eloise"]
    rows = _student_ids(grid.text)
    assert lina in rows and eloise in rows
    assert re.search(
        rf'<label class="fr-label fr-sr-only" for="note-{lina}">Note de [^<]+ Lina</label>',
        grid.text,
    )
    action = f"/notes/devoirs/{assessment.id}"
    other = next(r for r in rows if r not in (lina, eloise))

    # Two cells wrong: nothing is written, each cell says why, the summary links to it.
    refused = await portal.post_form(
        grid_url,
        action,
        {
            f"note-{lina}": "12,5",
            f"note-{eloise}": "25",
            f"note-{other}": "dix",
            f"statut-{other}": "graded",
        },
    )
    assert refused.status_code == 400
    assert "Aucune note n&#39;a été enregistrée : 2 erreurs sont à corriger." in refused.text
    assert f'href="#note-{eloise}"' in refused.text and f'href="#note-{other}"' in refused.text
    assert f'aria-invalid="true" aria-describedby="erreur-note-{eloise}"' in refused.text
    assert "La note est comprise entre 0 et 20." in refused.text
    # What was typed is kept.
    assert f'name="note-{lina}" value="12,5"' in refused.text
    async with sessionmaker() as session:
        assert list(await session.scalars(select(Mark))) == []

    saved = await portal.post_form(
        grid_url,
        action,
        {f"note-{lina}": "12,5", f"note-{eloise}": "", f"statut-{eloise}": "absent"},
    )
    assert saved.status_code == 303, saved.text
    async with sessionmaker() as session:
        marks = {m.student_id: (m.status, m.value) for m in await session.scalars(select(Mark))}
    assert marks == {lina: (MarkStatus.GRADED, Decimal("12.50")), eloise: (MarkStatus.ABSENT, None)}
    again = await portal.get(saved.headers["location"])
    assert "Notes enregistrées." in again.text
    # The marks entered are there when the grid comes back.
    assert f'name="note-{lina}" value="12,5"' in again.text
    assert re.search(rf'id="statut-{eloise}".*?<option value="absent" selected>', again.text, re.S)

    listing = await portal.get(f"/notes/classe?classe={key}")
    assert "Contrôle de grammaire" in listing.text and "1,5" in listing.text
    current = await portal.get(f"/notes/classe/moyennes?classe={key}")
    # The test's day is in the second trimester: shown first, without marks yet.
    assert current.status_code == 200 and "12,5" not in current.text
    first = re.search(r'<option value="(\d+)"[^>]*>Trimestre 1', current.text).group(1)
    averages = await portal.get(f"/notes/classe/moyennes?classe={key}&periode={first}")
    # 12.5/20 is Lina's only mark of the first trimester.
    assert "12,5" in averages.text and "Trimestre 1" in averages.text


async def test_a_bad_assessment_names_each_field_in_french(portal, world, sessionmaker):
    await portal.login("teacher_a")
    key = f"d{world.division_a1}"
    refused = await _create(
        portal,
        world,
        key,
        titre=" ",
        bareme="vingt",
        coefficient="0",
        jour="",
        publication="2026-11-01",
    )
    assert refused.status_code == 400
    assert 'href="#champ-bareme"' in refused.text and 'href="#champ-jour"' in refused.text
    assert "Le barème est un nombre" in refused.text
    # The domain's rules once the form reads: coefficient out of range, title, publication.
    domain = await _create(portal, world, key, titre=" ", coefficient="0", publication="2026-11-01")
    assert domain.status_code == 400
    for field in ("titre", "coefficient", "publication"):
        assert f'href="#champ-{field}"' in domain.text, field
    async with sessionmaker() as session:
        assert await session.scalar(select(Assessment.id)) is None


async def test_the_principal_grades_every_class_and_others_have_no_notes(portal, world):
    await portal.login("principal_a")
    classes = await portal.get("/notes")
    assert f"classe=d{world.division_a1}" in classes.text
    assert f"classe=d{world.division_a2}" in classes.text
    created = await _create(portal, world, f"d{world.division_a2}")
    assert created.status_code == 303, created.text


async def test_staff_without_marks_do_not_reach_them(portal, world):
    await portal.login("cpe_a")
    assert (await portal.get("/notes")).status_code == 403
    assert 'href="/notes"' not in (await portal.get("/")).text


async def test_a_colleagues_assessment_is_read_only(portal, other_portal, world):
    await portal.login("principal_a")
    created = await _create(portal, world, f"d{world.division_a1}")
    grid_url = created.headers["location"]
    await other_portal.login("teacher_a")  # teaches 6A: he reads the principal's assessment
    grid = await other_portal.get(grid_url)
    assert grid.status_code == 200
    assert "seul son auteur les saisit" in grid.text
    assert "<form" not in grid.text.split("<h1>", 1)[1].split("</main>", 1)[0]

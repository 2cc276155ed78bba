"""/absences/statistiques: the school's table, chart and CSV; the indicator for the rectorat."""

from __future__ import annotations

from tests.portals.absences.scenario import november_in_school_a


async def test_school_statistics_by_division(portal, world, sessionmaker):
    await november_in_school_a(world, sessionmaker)
    await portal.login("cpe_a")
    page = await portal.get("/absences/statistiques?du=2026-11-01&au=2026-11-30&par=division")
    assert page.status_code == 200
    assert '<th scope="row">6A</th>' in page.text
    assert "10,81" in page.text  # 8 half-days over 2 students x 37 taught half-days
    assert (
        'role="img"' in page.text and "8 demi-journées (0 justifiée, 8 non justifiées)" in page.text
    )
    csv = await portal.get(
        f"/exports/absence-statistics.csv?school={world.school_a}&since=2026-11-01&until=2026-11-30&by=division"
    )
    assert csv.status_code == 200 and "6A;2;2;8;8;10,81;1;1" in csv.content.decode("utf-8-sig")
    bad = await portal.get("/absences/statistiques?du=2026-11-30&au=2026-11-01")
    assert 'id="erreur-au"' in bad.text


async def test_the_rectorat_sees_the_indicator_of_every_school(portal, world, sessionmaker):
    await november_in_school_a(world, sessionmaker)
    await portal.login("rectorat")
    home = await portal.get("/")
    assert 'href="/absences/statistiques"' in home.text and "Absentéisme" in home.text
    page = await portal.get("/absences/statistiques?mois=2026-11")
    assert page.status_code == 200
    assert 'id="statistiques"' not in page.text  # no absence rows for the rectorat
    assert "Collège Jean Moulin" in page.text and "Collège Louise Michel" in page.text
    assert "66,67" in page.text and "50,00" in page.text

"""Staff portal pages: home, student search, the record, divisions and statistics, per role."""

from __future__ import annotations

import re
from html import unescape

from tests.portals.conftest import Portal


def text_of(html: str) -> str:
    """The page's visible text, tags removed, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def test_home_shows_the_user_roles_and_links(portal: Portal) -> None:
    await portal.login("principal_a")
    page = text_of((await portal.get("/")).text)
    assert "SCONET — Base élèves" in page
    assert "Bonjour Principal A" in page
    assert "Chef d'établissement — Collège Jean Moulin" in page
    for link in ("Rechercher un élève", "Divisions et groupes", "Statistiques"):
        assert link in page
    # One school only: no school selector.
    assert "Changer d'établissement" not in page


async def test_teacher_has_no_statistics_link_and_is_refused_the_page(portal: Portal) -> None:
    await portal.login("teacher_a")
    home = (await portal.get("/")).text
    assert 'href="/statistiques"' not in home
    refused = await portal.get("/statistiques")
    assert refused.status_code == 403
    assert "Accès refusé" in refused.text


async def test_rectorat_chooses_the_school(portal: Portal) -> None:
    world = portal.world
    await portal.login("rectorat")
    home = text_of((await portal.get("/")).text)
    assert "Changer d'établissement" in home
    assert "Collège Jean Moulin (0930001" in home
    response = await portal.post_form(
        "/", "/etablissement", {"etablissement": str(world.school_b), "retour": "/divisions"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/divisions"
    divisions = text_of((await portal.get("/divisions")).text)
    assert "Collège Louise Michel" in divisions
    assert "6X" in divisions and "6A" not in divisions


async def test_unknown_school_choice_is_refused(portal: Portal) -> None:
    await portal.login("principal_a")
    response = await portal.post_form(
        "/", "/etablissement", {"etablissement": str(portal.world.school_b)}
    )
    assert response.status_code == 400


async def test_search_by_name_prefix_without_accents(portal: Portal) -> None:
    await portal.login("principal_a")
    page = text_of((await portal.get("/eleves", params={"nom": "ela"})).text)
    assert "1 élève trouvé." in page
    assert "ÉLAN Éloïse 30/06/2015 6A 6EME" in page
    martin = text_of((await portal.get("/eleves", params={"nom": "martin"})).text)
    assert "2 élèves trouvés." in martin
    assert "MARTIN Lina 14/03/2015 6A 6EME 1234567890A" in martin
    assert "MARTIN Noah 02/11/2015 6B 6EME" in martin


async def test_search_by_ine_division_group_and_mef(portal: Portal) -> None:
    world = portal.world
    await portal.login("registrar_a")
    by_ine = text_of((await portal.get("/eleves", params={"ine": "1234567890a"})).text)
    assert "1 élève trouvé." in by_ine and "Lina" in by_ine
    by_division = text_of(
        (await portal.get("/eleves", params={"division": world.division_a2})).text
    )
    assert "1 élève trouvé." in by_division and "Noah" in by_division
    by_group = text_of((await portal.get("/eleves", params={"groupe": world.group_a})).text)
    assert "1 élève trouvé." in by_group and "Lina" in by_group
    by_mef = text_of((await portal.get("/eleves", params={"mef": world.mef_5})).text)
    assert "Aucun élève ne correspond à ces critères." in by_mef


async def test_search_paginates_with_a_cursor(portal: Portal) -> None:
    await portal.login("principal_a")
    first = await portal.get("/eleves")
    assert "58 élèves trouvés (50 par page)." in text_of(first.text)
    assert len(re.findall(r'href="/eleves/\d+"', first.text)) == 50
    next_url = re.search(r'href="([^"]+)"[^>]*>Page suivante', first.text)
    assert next_url
    second = await portal.get(unescape(next_url.group(1)))
    assert len(re.findall(r'href="/eleves/\d+"', second.text)) == 8
    assert "Première page" in second.text
    assert not re.search(r'href="[^"]+"[^>]*>Page suivante', second.text)
    seen = set(re.findall(r'href="/eleves/(\d+)"', first.text + second.text))
    assert len(seen) == 58


async def test_bad_cursor_gives_a_french_message(portal: Portal) -> None:
    await portal.login("principal_a")
    response = await portal.get("/eleves", params={"apres": "n'importe quoi"})
    assert response.status_code == 200
    assert "Le curseur de pagination est invalide." in response.text


async def test_teacher_searches_only_taught_students(portal: Portal) -> None:
    await portal.login("teacher_a")
    page = text_of((await portal.get("/eleves", params={"nom": "martin"})).text)
    assert "1 élève trouvé." in page
    assert "Lina" in page and "Noah" not in page


async def test_teacher_cannot_search_by_ine(portal: Portal) -> None:
    await portal.login("teacher_a")
    response = await portal.get("/eleves", params={"ine": "1234567890A"})
    assert response.status_code == 200
    page = text_of(response.text)
    assert "La recherche par INE est réservée" in page and "Lina" not in page
    assert 'name="ine"' not in response.text


async def test_student_record(portal: Portal) -> None:
    world = portal.world
    await portal.login("principal_a")
    response = await portal.get(f"/eleves/{world.students['lina']}")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "MARTIN Lina" in page
    assert "Date de naissance 14/03/2015" in page
    assert "Sexe Féminin" in page
    assert "Montreuil (code INSEE 93048)" in page
    assert "Pays de naissance France" in page
    assert "INE 1234567890A" in page
    # Guardians, in French, with their contacts and flags.
    assert "Représentant légal 1 Mme MARTIN Claire Lien avec l'élève : Mère" in page
    assert "Représentant légal 2 M. MARTIN Paul Lien avec l'élève : Père" in page
    assert "claire.martin@example.fr" in page
    assert "06 12 34 56 78" in page
    assert "12 rue de Paris 93100 Montreuil" in page
    assert "Vit avec l'élève" in page and "Ne paie pas les frais scolaires" in page
    # Schooling history.
    assert "2026-2027 Collège Jean Moulin (0930001" in page
    assert "6EME 6A ESP2 Demi-pensionnaire 01/09/2026" in page
    assert f'href="/eleves/{world.students["lina"]}/modifier"' in response.text


async def test_teacher_sees_no_contacts_and_no_edit_button(portal: Portal) -> None:
    world = portal.world
    await portal.login("teacher_a")
    response = await portal.get(f"/eleves/{world.students['lina']}")
    assert response.status_code == 200
    assert "claire.martin@example.fr" not in response.text
    assert "06 12 34 56 78" not in response.text
    assert "ne sont pas accessibles avec votre profil" in response.text
    assert "/modifier" not in response.text
    assert (await portal.get(f"/eleves/{world.students['lina']}/modifier")).status_code == 403


async def test_cpe_reads_but_cannot_edit(portal: Portal) -> None:
    world = portal.world
    await portal.login("cpe_a")
    response = await portal.get(f"/eleves/{world.students['lina']}")
    assert "claire.martin@example.fr" in response.text
    assert "/modifier" not in response.text


async def test_another_schools_student_is_not_found(portal: Portal) -> None:
    world = portal.world
    await portal.login("principal_b")
    for path in (
        f"/eleves/{world.students['lina']}",
        f"/eleves/{world.students['lina']}/modifier",
        f"/divisions/{world.division_a1}",
    ):
        response = await portal.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.text
    assert (await portal.get("/eleves/999999")).status_code == 404


async def test_divisions_list_with_headcounts(portal: Portal) -> None:
    world = portal.world
    await portal.login("principal_a")
    page = text_of((await portal.get("/divisions")).text)
    assert "6A 6e A 6EME 57 28" in page
    assert "6B 6e B 6EME 1 —" in page
    assert "Total 58" in page
    assert "ESP2 Espagnol LV2 6A, 6B 1" in page
    assert f'href="/divisions/{world.division_a1}"' in (await portal.get("/divisions")).text


async def test_division_class_list_with_exports(portal: Portal) -> None:
    world = portal.world
    await portal.login("principal_a")
    response = await portal.get(f"/divisions/{world.division_a2}")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Division 6B — 6e B" in page
    assert "Effectif : 1 élève" in page
    assert "MARTIN Noah M 02/11/2015 Demi-pensionnaire 6EME" in page
    query = f"school={world.school_a}&amp;division={world.division_a2}"
    assert f'href="/exports/students.csv?{query}"' in response.text
    assert f'href="/exports/students.xlsx?{query}"' in response.text
    assert f'href="/exports/class-list.pdf?{query}"' in response.text
    assert "Liste de classe (PDF)" in page


async def test_teacher_class_list_has_no_exports(portal: Portal) -> None:
    world = portal.world
    await portal.login("teacher_a")
    response = await portal.get(f"/divisions/{world.division_a1}")
    assert response.status_code == 200
    assert "/exports/" not in response.text


async def test_statistics_tables_and_accessible_charts(portal: Portal) -> None:
    await portal.login("principal_a")
    response = await portal.get("/statistiques")
    assert response.status_code == 200
    page = text_of(response.text)
    for title in (
        "Effectifs par MEF",
        "Effectifs par division",
        "Effectifs par sexe",
        "Effectifs par âge",
        "Effectifs par régime",
    ):
        assert title in page
    assert response.text.count('<svg class="sconet-chart" role="img"') == 5
    assert '<title id="graphique-mef-titre">Effectifs par MEF</title>' in response.text
    assert "6EME : 58 élèves (" in response.text
    assert "Demi-pensionnaire 28 30 58" in page
    assert "11 ans" in page
    assert "Âge atteint au 31 décembre 2026." in page


async def test_rectorat_statistics_for_the_whole_academy(portal: Portal) -> None:
    await portal.login("rectorat")
    response = await portal.get("/statistiques", params={"perimetre": "academie"})
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Toute l'académie" in page
    assert "6EME : 59 élèves (" in response.text
    # Division codes mean nothing across schools.
    assert "Effectifs par division" not in page


async def test_division_export_links_download_with_the_portal_session(
    portal: Portal, other_portal: Portal
) -> None:
    await portal.login("registrar_a")
    page = (await portal.get(f"/divisions/{portal.world.division_a1}")).text
    links = [unescape(href) for href in re.findall(r'href="(/exports/[^"]+)"', page)]
    assert {link.split("?")[0] for link in links} == {
        "/exports/students.csv",
        "/exports/students.xlsx",
        "/exports/class-list.pdf",
    }
    for link in links:
        response = await portal.get(link)
        assert response.status_code == 200, (link, response.text)
        assert "attachment" in response.headers["content-disposition"]
    csv_link = next(link for link in links if ".csv" in link)
    csv_text = (await portal.get(csv_link)).content.decode("utf-8-sig")
    assert "Martin;Lina" in csv_text.replace('"', "")
    # A teacher sees the division but not the export buttons, and the files are refused.
    await other_portal.login("teacher_a")
    page = (await other_portal.get(f"/divisions/{portal.world.division_a1}")).text
    assert "/exports/" not in page
    assert (await other_portal.get(csv_link)).status_code == 403

"""The "Tableau de bord des liaisons" and the rectorat's probable duplicates over HTTP: who
reaches them, the INE requests sent from "Échanges", the returns' acknowledgement offered on
the run's page, and a decision whose error is linked to its field."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select

from db.immatriculation import IneRequest, ProbableDuplicate
from exchanges import bea_files
from exchanges.records import FileHeader, IneReturnRecord
from tests.api.test_immatriculation import _twin_in_school_b
from tests.portals.conftest import Portal, csrf_of
from tests.world import World, uai

RUN_URL = re.compile(r"/echanges/(\d+)")


def _count(page: str, label: str) -> int:
    found = re.search(re.escape(label) + r" : <strong>(\d+)</strong>", page)
    assert found, label
    return int(found.group(1))


async def _send(portal: Portal, world: World) -> int:
    answer = await portal.post_form(
        "/echanges",
        "/echanges/export",
        {"export": "demandes_ine", "school_year_id": str(world.year_id)},
    )
    assert answer.status_code == 303, answer.text
    match = RUN_URL.search(answer.headers["location"])
    assert match
    return int(match.group(1))


async def test_the_school_sends_imports_and_follows_its_liaisons(
    portal: Portal, world: World, sessionmaker
) -> None:
    await portal.login("registrar_a")
    exchanges_page = await portal.get("/echanges")
    assert 'value="demandes_ine"' in exchanges_page.text
    assert 'value="ine_returns"' in exchanges_page.text
    board = html.unescape((await portal.get("/liaisons")).text)
    to_send = _count(board, "Élèves sans INE encore à envoyer")
    assert to_send >= 2
    assert "<caption>Fichiers de demandes d'INE envoyés" in board
    await _send(portal, world)
    async with sessionmaker() as session:
        ids = {r.student_id: str(r.id) for r in (await session.scalars(select(IneRequest))).all()}
    board = html.unescape((await portal.get("/liaisons")).text)
    assert _count(board, "Demandes en attente de réponse") == to_send
    assert _count(board, "Élèves sans INE encore à envoyer") == 0
    assert "MARTIN Noah" in board

    header = FileHeader("", None, uai("0930001"), 2026, date(2026, 10, 1))
    content = bea_files.returns_bytes(
        header,
        [IneReturnRecord(ids[world.students["noah"]], bea_files.ASSIGNED, "123456789AB", None)],
    )
    page = await portal.get("/echanges")
    preview = await portal.http.post(
        "/echanges/import",
        data={"csrf_token": csrf_of(page.text), "format": "ine_returns"},
        files={"fichier": ("Retour.xml", content, "application/xml")},
    )
    assert preview.status_code == 303, preview.text
    run_url = preview.headers["location"]
    applied = await portal.post_form(run_url, f"{run_url}/appliquer", {})
    assert applied.status_code == 303
    run_page = html.unescape((await portal.get(run_url)).text)
    assert "Télécharger l'accusé de réception" in run_page
    board = html.unescape((await portal.get("/liaisons")).text)
    assert _count(board, "Demandes en attente de réponse") == to_send - 1
    assert "Retours reçus" in board and "l'accusé de réception du" in board


async def test_a_teacher_has_no_liaisons_and_a_school_no_duplicates(
    portal: Portal, world: World
) -> None:
    await portal.login("teacher_a")
    assert (await portal.get("/liaisons")).status_code == 403
    portal.http.cookies.clear()
    await portal.login("principal_a")
    assert (await portal.get("/liaisons")).status_code == 200
    assert (await portal.get("/liaisons/doublons")).status_code == 403


async def test_the_rectorat_settles_a_duplicate(portal: Portal, world: World, sessionmaker) -> None:
    await _twin_in_school_b(sessionmaker, world)
    await portal.login("registrar_a")
    await _send(portal, world)
    portal.http.cookies.clear()
    await portal.login("rectorat")
    board = html.unescape((await portal.get("/liaisons?perimetre=academie")).text)
    assert "toute l'académie" in board
    assert "Doublons probables en attente de décision du rectorat : <strong>1</strong>" in board
    async with sessionmaker() as session:
        duplicate_id = await session.scalar(select(ProbableDuplicate.id))
    page = await portal.get("/liaisons/doublons")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "<caption>Les deux élèves du doublon" in text
    assert "Collège Louise Michel" in text
    refused = await portal.post_form("/liaisons/doublons", f"/liaisons/doublons/{duplicate_id}", {})
    assert refused.status_code == 400
    field = f"resolution-{duplicate_id}"
    assert f'href="#champ-{field}"' in refused.text
    assert f'id="erreur-{field}"' in refused.text
    done = await portal.post_form(
        "/liaisons/doublons", f"/liaisons/doublons/{duplicate_id}", {field: "distinct"}
    )
    assert done.status_code == 303
    settled = html.unescape((await portal.get("/liaisons/doublons?tranches=1")).text)
    assert "Deux élèves distincts" in settled

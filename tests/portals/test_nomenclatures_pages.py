"""/nomenclatures: the principal profiles the school's MEFs and subjects, errors on the field."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.nomenclatures import Mef, SchoolMef
from db.reference import load_reference_nomenclatures

TROISIEME, SECONDE = "10310019110", "20010018110"


async def _mef_ids(sessionmaker) -> dict[str, int]:
    async with sessionmaker() as session, session.begin():
        await load_reference_nomenclatures(session)
        return dict((await session.execute(select(Mef.code, Mef.id))).all())


async def test_the_page_is_the_principals_and_lists_the_profile(portal, sessionmaker):
    await _mef_ids(sessionmaker)
    await portal.login("registrar_a")
    assert (await portal.get("/nomenclatures")).status_code == 403
    home = await portal.get("/")
    assert "/nomenclatures" not in home.text
    await portal.http.post("/deconnexion", data={})
    portal.http.cookies.clear()
    await portal.login("principal_a")
    assert 'href="/nomenclatures"' in (await portal.get("/")).text
    page = await portal.get("/nomenclatures")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Nomenclatures de l&#39;établissement</h1>" in html or (
        "<h1>Nomenclatures de l'établissement</h1>" in html
    )
    assert 'id="mef-10010012110"' in html and 'id="matiere-030201"' in html
    # The MEFs the school already uses are not offered again.
    add = re.search(r'<select[^>]*id="champ-mef_ajout".*?</select>', html, re.S)
    assert add and "6EME" not in add.group(0) and "3EME" in add.group(0)


async def test_add_a_mef_choose_its_next_and_see_errors_on_the_field(portal, sessionmaker, world):
    ids = await _mef_ids(sessionmaker)
    await portal.login("principal_a")
    added = await portal.post_form(
        "/nomenclatures",
        "/nomenclatures",
        {"formulaire": "ajout-mef", "mef_ajout": str(ids[TROISIEME])},
    )
    assert added.status_code == 303 and "MEF+3EME+ajout" in added.headers["location"]
    saved = await portal.get(added.headers["location"])
    assert 'role="status"' in saved.text and 'id="mef-10310019110"' in saved.text

    missing = await portal.post_form(
        "/nomenclatures", "/nomenclatures", {"formulaire": "ajout-mef", "mef_ajout": ""}
    )
    assert missing.status_code == 400
    assert "<title>Erreur" in missing.text
    assert 'href="#champ-mef_ajout"' in missing.text
    assert 'aria-describedby="erreur-mef_ajout"' in missing.text

    same = await portal.post_form(
        "/nomenclatures",
        "/nomenclatures",
        {
            "formulaire": "mef-suivant",
            "mef_suivi": str(ids[TROISIEME]),
            "mef_suivant": str(ids[TROISIEME]),
        },
    )
    assert same.status_code == 400 and 'id="erreur-mef_suivant"' in same.text
    chosen = await portal.post_form(
        "/nomenclatures",
        "/nomenclatures",
        {
            "formulaire": "mef-suivant",
            "mef_suivi": str(ids[TROISIEME]),
            "mef_suivant": str(ids[SECONDE]),
        },
    )
    assert chosen.status_code == 303
    async with sessionmaker() as session:
        row = await session.get(SchoolMef, (world.school_a, world.year_id, ids[TROISIEME]))
        assert row is not None and row.next_mef_id == ids[SECONDE]

    in_use = await portal.post_form(
        "/nomenclatures", "/nomenclatures", {"formulaire": "retrait-mef", "id": str(world.mef_6)}
    )
    assert in_use.status_code == 400 and "ne peut être retiré" in in_use.text
    removed = await portal.post_form(
        "/nomenclatures",
        "/nomenclatures",
        {"formulaire": "retrait-mef", "id": str(ids[TROISIEME])},
    )
    assert removed.status_code == 303


async def test_the_enrolment_form_offers_the_regimes_of_the_nomenclature(
    portal, sessionmaker, world
):
    from db.enrollments import Enrollment, Regime
    from db.students import Student
    from tests.portals.conftest import csrf_of

    await portal.login("registrar_a")
    before = await portal.get("/eleves/nouveau")
    # No nomenclature loaded yet: the régime's kinds.
    assert '<option value="externe">Externe</option>' in before.text
    await _mef_ids(sessionmaker)
    form = await portal.get("/eleves/nouveau")
    assert '<option value="2">Demi-pensionnaire dans l&#39;etablissement</option>' in form.text
    assert '<option value="38">Demi interne</option>' in form.text
    data = {
        "csrf_token": csrf_of(form.text),
        "family_name": "Nouveau",
        "first_name": "Élève",
        "sex": "F",
        "birth_date": "14/03/2015",
        "birth_commune_code": "93048",
        "mef_id": str(world.mef_6),
        "regime": "38",
        "entry_date": "02/11/2026",
    }
    created = await portal.http.post("/eleves/nouveau", data=data)
    assert created.status_code == 303, created.text
    async with sessionmaker() as session:
        enrollment = await session.scalar(
            select(Enrollment)
            .join(Student, Student.id == Enrollment.student_id)
            .where(Student.family_name == "Nouveau")
        )
        assert enrollment is not None
        assert (enrollment.regime, enrollment.regime_code) == (Regime.INTERNE, "38")
    refused = await portal.http.post(
        "/eleves/nouveau", data={**data, "family_name": "Autre", "regime": "77"}
    )
    assert refused.status_code == 400 and 'id="erreur-regime"' in refused.text

"""/finances over HTTP: the home's parts, the parameters (terms, rules), the tariffs' grid with
errors on their cells, the term's generation (preview, application, closing); who may do
what."""

from __future__ import annotations

import html

from sqlalchemy import func, select

from db.finances import Charge, FinanceTerm
from tests.portals.conftest import Portal
from tests.world import World


def _text(response) -> str:
    return html.unescape(response.text)


async def _terms(portal: Portal) -> None:
    done = await portal.post_form(
        "/finances/parametres", "/finances/parametres/trimestres", {"defaut": "1"}
    )
    assert done.status_code == 303, done.text


async def test_the_bursar_sets_terms_rules_and_tariffs(portal: Portal, world: World, sessionmaker):
    await portal.login("bursar_a")
    home = _text(await portal.get("/finances"))
    for part in ("Paramètres financiers", "Tarifs", "Génération des droits constatés"):
        assert part in home
    await _terms(portal)
    page = _text(await portal.get("/finances/parametres"))
    assert "Trimestres enregistrés." not in page  # shown only after the save's redirect
    assert "1er trimestre" in page and "01/09/2026" in page and "31/12/2026" in page

    refused = await portal.post_form(
        "/finances/parametres",
        "/finances/parametres/regles",
        {"proration_rule": "weeks", "order_reduction_min_days": "0"},
    )
    assert refused.status_code == 400
    text = _text(refused)
    assert "<title>Erreur — Paramètres financiers" in text
    assert 'href="#champ-service_weekdays"' in text
    assert 'href="#champ-order_reduction_min_days"' in text
    saved = await portal.post_form(
        "/finances/parametres",
        "/finances/parametres/regles",
        {
            "proration_rule": "calendar_days",
            "service_weekdays": ["1", "2", "4", "5"],  # type: ignore[dict-item]
            "order_reduction_min_days": "10",
            "board_decision": "CA du 3 juillet 2026",
        },
    )
    assert saved.status_code == 303
    page = _text(await portal.get(saved.headers["location"]))
    assert "Règles enregistrées." in page and 'value="CA du 3 juillet 2026"' in page

    async with sessionmaker() as session:
        terms = list(
            await session.scalars(
                select(FinanceTerm.id)
                .where(FinanceTerm.school_id == world.school_a)
                .order_by(FinanceTerm.rank)
            )
        )
    grid = _text(await portal.get("/finances/tarifs"))
    assert f'name="t-2-{terms[0]}"' in grid and 'name="t-29-' not in grid
    wrong = await portal.post_form(
        "/finances/tarifs", "/finances/tarifs", {f"t-2-{terms[0]}": "12,345"}
    )
    assert wrong.status_code == 400
    assert f'href="#champ-t-2-{terms[0]}"' in _text(wrong)
    assert f'id="erreur-t-2-{terms[0]}"' in _text(wrong)
    ok = await portal.post_form(
        "/finances/tarifs",
        "/finances/tarifs",
        {"t-2-basis": "flat_term", **{f"t-2-{t}": "220,00" for t in terms}},
    )
    assert ok.status_code == 303, ok.text
    assert 'value="220,00"' in _text(await portal.get("/finances/tarifs"))


async def test_preview_apply_and_close(portal: Portal, world: World, sessionmaker):
    await portal.login("principal_a")
    await _terms(portal)
    async with sessionmaker() as session:
        terms = list(
            await session.scalars(
                select(FinanceTerm.id)
                .where(FinanceTerm.school_id == world.school_a)
                .order_by(FinanceTerm.rank)
            )
        )
    await portal.post_form("/finances/tarifs", "/finances/tarifs", {f"t-2-{terms[0]}": "220,00"})
    preview = _text(await portal.get(f"/finances/generation?trimestre={terms[0]}"))
    # The portal's world: Lina, Noah, Éloïse and 55 more of 6A, half-boarders all the
    # first term (1 September to 31 December): 58 × 220,00 = 12 760,00.
    assert "Martin Lina" in preview and "Élan Éloïse" in preview
    assert "<dd>12\u202f760,00\u00a0€</dd>" in preview
    applied = await portal.post_form(
        f"/finances/generation?trimestre={terms[0]}",
        "/finances/generation/appliquer",
        {"trimestre": str(terms[0])},
    )
    assert applied.status_code == 303
    shown = _text(await portal.get(applied.headers["location"]))
    assert "Génération appliquée : 58 droits constatés (12\u202f760,00\u00a0€)" in shown
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Charge)) == 58
    # The first term ends on 31 December: not yet closable on 2 December.
    refused = await portal.post_form(
        "/finances/generation", "/finances/generation/clore", {"trimestre": str(terms[0])}
    )
    assert refused.status_code == 400
    assert "se clôt après son dernier jour" in _text(refused)


async def test_who_goes_where(portal: Portal, other_portal: Portal, world: World):
    await portal.login("teacher_a")
    for path in ("/finances", "/finances/parametres", "/finances/tarifs", "/finances/generation"):
        assert (await portal.get(path)).status_code == 403, path
    await other_portal.login("registrar_a")
    assert (await other_portal.get("/finances")).status_code == 403

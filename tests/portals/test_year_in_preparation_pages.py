"""The portal with two years open: the administrator opens the year in preparation on
/annees, the year selector says each year's state for the school, next year's divisions are
copied from the current year's, and a closed year's pages show no edit button and refuse a
write."""

from __future__ import annotations

from sqlalchemy import select

from db.schools import SchoolYear, SchoolYearState
from db.structures import Division


async def _open_next(portal) -> int:
    await portal.login("admin")
    opened = await portal.post_form("/annees", "/annees/preparer", {})
    assert opened.status_code == 303, opened.text
    shown = await portal.get(opened.headers["location"])
    assert "L&#39;année 2027-2028 est ouverte en préparation" in shown.text
    assert "profil de nomenclatures repris pour 2 établissement(s)" in shown.text
    return 0


async def test_next_year_is_opened_and_its_structures_copied(portal, world, sessionmaker):
    await _open_next(portal)
    async with sessionmaker() as session:
        following = await session.scalar(
            select(SchoolYear).where(
                SchoolYear.academy_id == world.academy_id, SchoolYear.start_year == 2027
            )
        )
    assert following is not None and following.state is SchoolYearState.IN_PREPARATION

    await portal.http.get("/deconnexion")
    portal.http.cookies.clear()
    await portal.login("principal_a")
    current = await portal.get("/divisions")
    assert "2026-2027 (en cours)" in current.text
    assert "2027-2028 (en préparation)" in current.text
    assert "2025-2026 (close)" in current.text
    assert "Reprendre les divisions et groupes" not in current.text

    page = f"/divisions?annee={following.id}"
    shown = await portal.get(page)
    assert "Reprendre les divisions et groupes" in shown.text
    copied = await portal.post_form(page, f"/divisions/reprendre?annee={following.id}", {})
    assert copied.status_code == 303, copied.text
    after = await portal.get(copied.headers["location"])
    assert "2 division(s) et 1 groupe(s) repris de 2026-2027." in after.text
    assert 'href="/divisions/nouvelle?annee=' in after.text
    async with sessionmaker() as session:
        codes = list(
            await session.scalars(
                select(Division.code)
                .where(
                    Division.school_year_id == following.id, Division.school_id == world.school_a
                )
                .order_by(Division.code)
            )
        )
    assert codes == ["6A", "6B"]


async def test_a_closed_year_is_shown_without_edit_buttons_and_refuses_writes(portal, world):
    await portal.login("principal_a")
    closed = f"/divisions?annee={world.closed_year_id}"
    shown = await portal.get(closed)
    assert shown.status_code == 200
    assert "est close pour l'établissement" in shown.text
    assert "Nouvelle division" not in shown.text and "Nouveau groupe" not in shown.text
    open_year = await portal.get("/divisions")
    assert "Nouvelle division" in open_year.text

    refused = await portal.post_form(
        f"/divisions/nouvelle?annee={world.year_id}",
        f"/divisions/nouvelle?annee={world.closed_year_id}",
        {"code": "7Z", "label": "7Z", "mef_ids": str(world.mef_6)},
    )
    assert refused.status_code == 400
    assert "est close pour cet établissement" in refused.text

    profile = await portal.get(f"/nomenclatures?annee={world.closed_year_id}")
    assert profile.status_code == 200
    assert "Profil de l'année 2025-2026 (close)" in profile.text
    assert "Ajouter un MEF" not in profile.text and "Retirer" not in profile.text
    current = await portal.get("/nomenclatures")
    assert "Ajouter un MEF" in current.text

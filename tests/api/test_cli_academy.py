"""A fresh académie from the command line, without the demo: ``sconet academy create``, then
its schools (one by one and from a CSV), a school year and a principal, each invitation link
printed on the console."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from api.resolvers.invitations import accept_invitation
from db.absences import AbsenceSettings, HolidayZone
from db.accounts import RoleGrant, StaffUser
from db.exchanges import ExchangeRun, ExchangeState
from db.schools import Academy, School, SchoolYear
from tests.api.test_cli import environment, query, run
from tests.world import uai

CHOSEN = "Vingt-trois chats gris"


def _link(output: str) -> str:
    match = re.search(r"https://sconet\.example/invitation/(\S+)", output)
    assert match, output
    return match.group(1)


def test_a_fresh_academy_set_up_from_the_command_line(database_urls, tmp_path):
    env = environment(database_urls, tmp_path)
    created = run(
        env,
        "academy", "create", "--code", "24", "--name", "Créteil",
        "--admin-login", "admin.creteil", "--admin-email", "dsi@example.fr",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    token = _link(created.output)
    assert "dsi@example.fr" in created.output
    again = run(env, "academy", "create", "--code", "25", "--name", "X", "--admin-login", "aa.b")
    assert again.exit_code == 1 and "déjà une académie" in again.output
    # bin/start loads the demo only into an empty base: not into this académie.
    demo = run(env, "demo", "--if-empty", "--scale", "1")
    assert demo.exit_code == 0 and "non rechargées" in demo.output

    bad = run(env, "school", "create", "--uai", "0750654A", "--name", "L", "--kind", "lgt")
    assert bad.exit_code == 1 and "uai" in bad.output and "lettre clé" in bad.output
    school = run(
        env,
        "school", "create", "--uai", uai("0940002"), "--name", "Collège Louise Michel",
        "--kind", "college", "--zone", "C", "--postal-code", "94200", "--city", "Ivry",
    )  # fmt: skip
    assert school.exit_code == 0, school.output
    renamed = run(env, "school", "update", uai("0940002"), "--sector", "private_under_contract")
    assert renamed.exit_code == 0, renamed.output
    year = run(env, "year", "create", "--start-year", "2026", "--state", "current")
    assert year.exit_code == 0 and "2026-2027" in year.output
    overlap = run(env, "year", "create", "--start-year", "2027", "--starts-on", "2027-08-01")
    assert overlap.exit_code == 1 and "chevauchent" in overlap.output
    following = run(env, "year", "open-next")
    assert following.exit_code == 0, following.output
    assert "Année 2027-2028 ouverte en préparation" in following.output
    again = run(env, "year", "open-next")
    assert again.exit_code == 0 and "2027-2028 déjà ouverte" in again.output
    head = run(
        env,
        "principal", "create", "--school", uai("0940002"), "--login", "ce.0940002",
        "--name", "Mme Michel", "--email", "ce@example.fr",
    )  # fmt: skip
    assert head.exit_code == 0, head.output
    principal_token = _link(head.output)

    csv_file = tmp_path / "etablissements.csv"
    csv_file.write_bytes(
        "uai;nom;nature;zone\n"
        f"{uai('0930001')};Collège Jean Moulin;Collège;C\n"
        "0930002A;Collège faux;Collège;\n".encode("cp1252")
    )
    preview = run(env, "school", "import", str(csv_file))
    assert preview.exit_code == 0, preview.output
    assert "school : créés 1" in preview.output and "rien n'est modifié" in preview.output
    assert "refusé : ligne 3, établissement 0930002A, uai : Colonne uai" in preview.output
    applied = run(env, "school", "import", str(csv_file), "--apply")
    assert applied.exit_code == 0 and "appliqué" in applied.output

    async def check(sessionmaker, _engine):
        async with sessionmaker() as session:
            academy = await session.scalar(select(Academy))
            schools = {s.uai: s for s in await session.scalars(select(School))}
            zone = await session.get(AbsenceSettings, schools[uai("0940002")].id)
            admin = await session.scalar(
                select(StaffUser).where(StaffUser.login == "admin.creteil")
            )
            grant = await session.scalar(select(RoleGrant).where(RoleGrant.user_id == admin.id))
            runs = list(await session.scalars(select(ExchangeRun.state).order_by(ExchangeRun.id)))
            years = await session.scalar(select(func.count()).select_from(SchoolYear))
        async with sessionmaker() as session, session.begin():
            await accept_invitation(session, token, CHOSEN, CHOSEN, None)
            await accept_invitation(session, principal_token, CHOSEN, CHOSEN, None)
        return academy, schools, zone, admin, grant, runs, years

    academy, schools, zone, admin, grant, runs, years = query(database_urls.admin, check)
    assert (academy.code, academy.name) == ("24", "Créteil")
    assert set(schools) == {uai("0940002"), uai("0930001")}
    assert schools[uai("0940002")].sector.value == "private_under_contract"
    # 2026-2027 created, 2027-2028 opened in preparation.
    assert zone.holiday_zone is HolidayZone.C and years == 2
    assert admin.password_hash is None and grant.role.value == "academy_admin"
    # The preview left waiting is abandoned when the same file is then imported at once.
    assert runs == [ExchangeState.ABANDONED, ExchangeState.APPLIED]

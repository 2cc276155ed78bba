"""Loading the académie's schools from a CSV: a preview (created / updated / unchanged,
refused lines naming the column), then the application in one transaction; every load
recorded as an ExchangeRun."""

from __future__ import annotations

from sqlalchemy import func, select

from api.resolvers.school_imports import apply_previewed_schools, load_schools
from db.absences import AbsenceSettings, HolidayZone
from db.exchanges import ExchangeFile, ExchangeFormat, ExchangeRun, ExchangeState
from db.schools import School, SchoolSector
from tests.world import uai


def _file() -> bytes:
    lines = [
        "uai;nom;nature;secteur;code_postal;commune;zone",
        # New.
        f"{uai('0750654')};Lycée Condorcet;LGT;privé;75009;Paris;C",
        # School A, renamed; its empty sector cell keeps what it has.
        f"{uai('0930001')};Collège Jean Moulin (Montreuil);collège;;93100;Montreuil;",
        # School B as it is.
        f"{uai('0940002')};Collège Louise Michel;Collège;;94200;Ivry-sur-Seine;",
        # Refused: the check letter, the nature, the postal code.
        "0750655A;Lycée X;école;;7500;Paris;",
        # Refused: the same UAI twice.
        f"{uai('0750654')};Lycée Condorcet bis;LGT;;;;",
    ]
    return "\n".join(lines).encode("cp1252")


async def test_preview_then_apply(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        preview = await load_schools(session, admin, "etablissements.csv", _file())
    assert {p.uai: p.action for p in preview.planned} == {
        uai("0750654"): "created",
        uai("0930001"): "updated",
        uai("0940002"): "unchanged",
    }
    [renamed] = [p for p in preview.planned if p.action == "updated"]
    assert renamed.changes == ("nom",)
    refused = {(p.line, p.field) for p in preview.problems}
    assert refused == {(5, "uai"), (5, "nature"), (5, "code_postal"), (6, "uai")}
    assert all(p.message.startswith(f"Colonne {p.field} : ") for p in preview.problems)
    async with sessionmaker() as session:
        # Nothing written by a preview, but the run and its file are kept.
        assert await session.scalar(select(func.count()).select_from(School)) == 2
        run = await session.get(ExchangeRun, preview.run.id)
        assert (run.format, run.state, run.error_count) == (
            ExchangeFormat.SCHOOLS_CSV,
            ExchangeState.PREVIEWED,
            4,
        )
        assert run.counts == {"schools": {"created": 1, "updated": 1, "unchanged": 1, "refused": 2}}
        assert await session.get(ExchangeFile, run.id) is not None

    async with sessionmaker() as session, session.begin():
        applied = await apply_previewed_schools(session, admin, preview.run.id)
    assert applied.applied
    async with sessionmaker() as session:
        condorcet = await session.scalar(select(School).where(School.uai == uai("0750654")))
        a = await session.get(School, world.school_a)
        run = await session.get(ExchangeRun, preview.run.id)
        assert condorcet.sector is SchoolSector.PRIVATE_UNDER_CONTRACT
        assert (await session.get(AbsenceSettings, condorcet.id)).holiday_zone is HolidayZone.C
        assert a.name == "Collège Jean Moulin (Montreuil)" and a.sector is SchoolSector.PUBLIC
        assert run.state is ExchangeState.APPLIED and run.actor_label.startswith("Admin")
        assert await session.get(ExchangeFile, run.id) is None


async def test_apply_at_once_and_a_refused_file_is_recorded(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    async with sessionmaker() as session, session.begin():
        done = await load_schools(session, admin, "a.csv", _file(), apply=True)
        refused = await load_schools(session, admin, "b.csv", b"nom;ville\n")
    assert done.run.state is ExchangeState.APPLIED and done.count("created") == 1
    assert (
        refused.refusal and "uai" in refused.refusal and refused.run.state is ExchangeState.REFUSED
    )
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(School)) == 3
        states = list(await session.scalars(select(ExchangeRun.state).order_by(ExchangeRun.id)))
    assert states == [ExchangeState.APPLIED, ExchangeState.REFUSED]

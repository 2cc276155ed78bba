"""Loading the académie's schools from a CSV: a preview (created / updated / unchanged,
refused lines naming the column), then the application in one transaction; every load
recorded as an ExchangeRun."""

from __future__ import annotations

from sqlalchemy import func, select

from api.resolvers.exchanges.runs import apply_import, import_file, preview_import
from api.resolvers.work import Work
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


async def _load(sessionmaker, principal, name: str, content: bytes, *, apply: bool = False):
    action = import_file if apply else preview_import
    async with Work(sessionmaker, principal).writing() as transaction:
        return await transaction.run(action, ExchangeFormat.SCHOOLS_CSV, None, name, content)


async def test_preview_then_apply(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    preview = await _load(sessionmaker, admin, "etablissements.csv", _file())
    assert {(c["id"], c["action"]) for c in preview.report["changes"]} == {
        (uai("0750654"), "created"),
        (uai("0930001"), "updated"),
    }
    [renamed] = [c for c in preview.report["changes"] if c["action"] == "updated"]
    assert renamed["fields"] == ["nom"]
    problems = preview.report["problems"]
    refused = {(p["line"], p["field"]) for p in problems}
    assert refused == {(5, "uai"), (5, "nature"), (5, "code_postal"), (6, "uai")}
    assert all(p["message"].startswith(f"Colonne {p['field']} : ") for p in problems)
    async with sessionmaker() as session:
        # Nothing written by a preview, but the run and its file are kept.
        assert await session.scalar(select(func.count()).select_from(School)) == 2
        run = await session.get(ExchangeRun, preview.id)
        assert (run.format, run.state, run.error_count) == (
            ExchangeFormat.SCHOOLS_CSV,
            ExchangeState.PREVIEWED,
            4,
        )
        assert run.counts == {"school": {"created": 1, "updated": 1, "unchanged": 1, "refused": 2}}
        assert await session.get(ExchangeFile, run.id) is not None

    async with Work(sessionmaker, admin).writing() as transaction:
        applied = await transaction.run(apply_import, preview.id)
    assert applied.state is ExchangeState.APPLIED
    async with sessionmaker() as session:
        condorcet = await session.scalar(select(School).where(School.uai == uai("0750654")))
        a = await session.get(School, world.school_a)
        run = await session.get(ExchangeRun, preview.id)
        assert condorcet.sector is SchoolSector.PRIVATE_UNDER_CONTRACT
        assert (await session.get(AbsenceSettings, condorcet.id)).holiday_zone is HolidayZone.C
        assert a.name == "Collège Jean Moulin (Montreuil)" and a.sector is SchoolSector.PUBLIC
        assert run.state is ExchangeState.APPLIED and run.actor_label.startswith("Admin")
        assert await session.get(ExchangeFile, run.id) is None


async def test_apply_at_once_and_a_refused_file_is_recorded(world, sessionmaker):
    admin = await world.principal(sessionmaker, "admin")
    done = await _load(sessionmaker, admin, "a.csv", _file(), apply=True)
    refused = await _load(sessionmaker, admin, "b.csv", b"nom;ville\n")
    assert done.state is ExchangeState.APPLIED and done.counts["school"]["created"] == 1
    assert refused.state is ExchangeState.REFUSED and "uai" in refused.report["refusal"]["message"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(School)) == 3
        states = list(await session.scalars(select(ExchangeRun.state).order_by(ExchangeRun.id)))
    assert states == [ExchangeState.APPLIED, ExchangeState.REFUSED]

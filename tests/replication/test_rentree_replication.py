"""After a school's rentrée switch, one ordinary (incremental) replication run brings the
families' database to the new year: the new divisions in, the leavers out, guardians keeping
their other children, as a full run would."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from api.resolvers.rentree import switch_rentree
from db.teleservices import ActivationCode, CodeKind
from families.accounts import children
from replication.run import replicate
from tests.api.rentree_scenario import prepare_next_year
from tests.api.test_rentree import give_codes
from tests.world import build_world
from tsdb.models import (
    FamilyAccount,
    FamilyCodeUse,
    ReplicationState,
    TsAbsence,
    TsCode,
    TsMark,
    TsSchool,
    TsStudent,
)

JUNE = date(2027, 6, 20)
SEPTEMBER = date(2027, 9, 2)
REPLICATED = (TsSchool, TsStudent, TsAbsence, TsMark, TsCode)


async def _dump(ts_sessionmaker) -> dict[str, list[tuple]]:
    dump = {}
    async with ts_sessionmaker() as ts:
        for model in REPLICATED:
            rows = (await ts.execute(select(model.__table__).order_by(model.id))).all()
            dump[model.__tablename__] = [tuple(row) for row in rows]
    return dump


async def _divisions(ts_sessionmaker) -> dict[str, str | None]:
    async with ts_sessionmaker() as ts:
        rows = await ts.execute(select(TsStudent.first_name, TsStudent.division_code))
        return dict(rows.all())


async def _children_of(ts_sessionmaker, account_id: int) -> list[tuple[str, str | None]]:
    async with ts_sessionmaker() as ts:
        account = await ts.get(FamilyAccount, account_id)
        return [(child.first_name, child.division_code) for child in await children(ts, account)]


async def test_an_ordinary_run_after_the_switch_shows_the_new_year(sessionmaker, ts_sessionmaker):
    world = await build_world(sessionmaker)
    await give_codes(sessionmaker, world)
    await prepare_next_year(sessionmaker, world)
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=JUNE)
    assert await _divisions(ts_sessionmaker) == {"Lina": "6A", "Noah": "6B", "Éloïse": "6A"}

    # Noah's mother signed up with her code for Noah: her account reaches Lina too.
    async with sessionmaker() as session:
        noah_mother_code = await session.scalar(
            select(ActivationCode.id).where(
                ActivationCode.student_id == world.students["noah"],
                ActivationCode.guardian_id == world.guardians["mother"],
                ActivationCode.is_valid.is_(True),
            )
        )
        noah_own_code = await session.scalar(
            select(ActivationCode.id).where(
                ActivationCode.student_id == world.students["noah"],
                ActivationCode.kind == CodeKind.CAE,
            )
        )
    async with ts_sessionmaker() as ts, ts.begin():
        mother = FamilyAccount(login="claire.martin", password_hash="-")
        noah = FamilyAccount(login="noah.martin", password_hash="-")
        ts.add_all([mother, noah])
        await ts.flush()
        ts.add_all(
            [
                FamilyCodeUse(account_id=mother.id, code_id=noah_mother_code),
                FamilyCodeUse(account_id=noah.id, code_id=noah_own_code),
            ]
        )
    assert await _children_of(ts_sessionmaker, mother.id) == [("Lina", "6A"), ("Noah", "6B")]
    assert await _children_of(ts_sessionmaker, noah.id) == [("Noah", "6B")]

    principal = await world.principal(sessionmaker, "principal_a")
    async with sessionmaker() as session, session.begin():
        await switch_rentree(session, principal, world.school_a)
    summary = await replicate(sessionmaker, ts_sessionmaker, today=SEPTEMBER)
    assert not summary.full
    assert await _divisions(ts_sessionmaker) == {"Lina": "5A", "Éloïse": "6C"}
    assert await _children_of(ts_sessionmaker, mother.id) == [("Lina", "5A")]
    assert await _children_of(ts_sessionmaker, noah.id) == []
    async with ts_sessionmaker() as ts:
        assert await ts.get(TsCode, noah_own_code) is None

    # Exactly what a full run gives.
    after = await _dump(ts_sessionmaker)
    async with ts_sessionmaker() as ts, ts.begin():
        for model in (*REPLICATED, ReplicationState):
            await ts.execute(delete(model))
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=SEPTEMBER)
    assert await _dump(ts_sessionmaker) == after

"""Finances in the télé-services database: only the accounts of payers it holds (a guardian
with a valid code), with their balance and notices, nothing else of the ledger; an ordinary
run after a payment, a generation, a charge by hand, a notice or a code change gives exactly
what a full run gives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from api.resolvers.teleservices.codes import regenerate_code, revoke_access
from db.finances import ChargeGeneration, ChargeKind, FinanceTerm, PaymentMethod
from replication.run import replicate
from replication.snapshot import notice_lines
from tests.api.test_rentree import give_codes
from tests.conftest import TEST_SECRET_KEY
from tests.replication.finance_rows import (
    BURSAR,
    charge,
    notice,
    payment,
    write_finance_rows,
)
from tests.world import build_world
from tsdb.models import (
    ReplicationState,
    TsAbsence,
    TsCode,
    TsFinanceAccount,
    TsFinanceNotice,
    TsMark,
    TsSchool,
    TsStudent,
)

TODAY = date(2026, 12, 2)
REPLICATED = (TsSchool, TsStudent, TsAbsence, TsMark, TsCode, TsFinanceAccount, TsFinanceNotice)


async def _run(sessionmaker, fn, *args, **kwargs):
    async with sessionmaker() as session, session.begin():
        return await fn(session, *args, **kwargs)


@pytest.fixture
async def world(sessionmaker):
    world = await build_world(sessionmaker)
    await give_codes(sessionmaker, world)
    principal = await world.principal(sessionmaker, "principal_a")
    # Paul Martin has no valid code: the families' database does not hold him.
    await _run(
        sessionmaker,
        revoke_access,
        principal,
        world.school_a,
        world.students["lina"],
        world.guardians["father"],
    )
    world.finance = await write_finance_rows(sessionmaker, world)  # type: ignore[attr-defined]
    world.principal_a = principal  # type: ignore[attr-defined]
    return world


async def _dump(ts_sessionmaker) -> dict[str, list[tuple]]:
    dump = {}
    async with ts_sessionmaker() as ts:
        for model in REPLICATED:
            columns = [c for c in model.__table__.columns if c.name != "code_hash"]
            rows = (await ts.execute(select(*columns).order_by(model.id))).all()
            dump[model.__tablename__] = [tuple(row) for row in rows]
    return dump


async def _full_from_scratch(sessionmaker, ts_sessionmaker) -> dict[str, list[tuple]]:
    async with ts_sessionmaker() as ts, ts.begin():
        for model in (*REPLICATED, ReplicationState):
            await ts.execute(delete(model))
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    return await _dump(ts_sessionmaker)


async def _balances(ts_sessionmaker) -> dict[int, Decimal]:
    async with ts_sessionmaker() as ts:
        rows = await ts.execute(select(TsFinanceAccount.id, TsFinanceAccount.balance))
        return dict(rows.all())


async def test_a_full_run_copies_the_held_payers_accounts_and_notices(
    world, sessionmaker, ts_sessionmaker
):
    rows = world.finance
    summary = await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    assert summary.by_table["finance_accounts"] == 2
    async with ts_sessionmaker() as ts:
        accounts = {account.id: account for account in await ts.scalars(select(TsFinanceAccount))}
        notices = {notice.id: notice for notice in await ts.scalars(select(TsFinanceNotice))}
    # Paul Martin's account in school B (120,00 €) stays out: he holds no valid code.
    assert set(accounts) == {rows.accounts["mother"], rows.accounts["elan"]}
    mother = accounts[rows.accounts["mother"]]
    # 180,00 + 450,00 − 30,00 − 200,00 = 400,00; Élan: 150,00 − 200,00 = −50,00.
    assert (mother.balance, accounts[rows.accounts["elan"]].balance) == (
        Decimal("400.00"),
        Decimal("-50.00"),
    )
    assert (mother.guardian_id, mother.school_id, mother.school_name) == (
        world.guardians["mother"],
        world.school_a,
        "Collège Jean Moulin",
    )
    assert mother.updated_at is not None
    assert set(notices) == {rows.notices["mother"], rows.notices["elan"]}
    issued = notices[rows.notices["mother"]]
    assert (issued.account_id, issued.term_label, issued.issued_on) == (
        rows.accounts["mother"],
        "1er trimestre",
        TODAY,
    )
    assert (issued.charges, issued.reductions, issued.payments, issued.balance) == (
        Decimal("630.00"),
        Decimal("30.00"),
        Decimal("200.00"),
        Decimal("400.00"),
    )
    # The documented fields only: no student id, tariff, kind nor internal key.
    assert issued.lines == {
        "children": [
            {
                "name": "Lina Martin",
                "lines": [
                    {
                        "label": "Demi-pension, 1er trimestre",
                        "detail": "48 jours sur 60",
                        "amount": "180.00",
                    }
                ],
                "total": "180.00",
            },
            {
                "name": "Noah Martin",
                "lines": [
                    {"label": "Internat, 1er trimestre", "detail": None, "amount": "450.00"},
                    {
                        "label": "Remise gracieuse",
                        "detail": "Décision du chef d'établissement",
                        "amount": "-30.00",
                    },
                ],
                "total": "420.00",
            },
        ],
        "payments": [{"label": "Chèque n° 1234", "day": "2026-10-05", "amount": "-200.00"}],
    }


async def test_an_ordinary_run_after_a_payment_gives_what_a_full_run_gives(
    world, sessionmaker, ts_sessionmaker
):
    rows = world.finance
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    async with sessionmaker() as session, session.begin():
        from db.audit import set_actor

        set_actor(session.sync_session, BURSAR)
        session.add(
            payment(
                world.school_a, rows.terms_a[1], rows.accounts["mother"], PaymentMethod.CARD, "40"
            )
        )
    summary = await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    assert not summary.full
    # Only the account paid into is copied again.
    assert summary.by_table == {"finance_accounts": 1}
    # 400,00 − 40,00 = 360,00.
    assert (await _balances(ts_sessionmaker))[rows.accounts["mother"]] == Decimal("360.00")
    after = await _dump(ts_sessionmaker)
    assert await _full_from_scratch(sessionmaker, ts_sessionmaker) == after


async def test_ordinary_runs_follow_generations_hand_charges_notices_and_codes(
    world, sessionmaker, ts_sessionmaker
):
    rows = world.finance
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    second = rows.terms_a[2]
    async with sessionmaker() as session, session.begin():
        from db.audit import set_actor

        set_actor(session.sync_session, BURSAR)
        generation = ChargeGeneration(
            school_id=world.school_a,
            term_id=second,
            actor_label=BURSAR.label,
            lines=1,
            total=Decimal("175.50"),
        )
        session.add(generation)
        await session.flush()
        session.add_all(
            [
                charge(
                    world,
                    world.school_a,
                    second,
                    rows.accounts["mother"],
                    "lina",
                    ChargeKind.HALF_BOARD,
                    Decimal("175.50"),
                    generation.id,
                ),
                # By hand, outside any generation: no audit entry of its own.
                charge(
                    world,
                    world.school_a,
                    second,
                    rows.accounts["elan"],
                    "eloise",
                    ChargeKind.HALF_BOARD,
                    Decimal("12.30"),
                    None,
                ),
            ]
        )
        second_notice = notice(world.school_a, second, rows.accounts["mother"], "175.50", "0")
        second_notice.balance = Decimal("575.50")
        session.add(second_notice)
        term = await session.get(FinanceTerm, rows.terms_a[1])
        term.label = "Trimestre d'automne"
    summary = await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    assert not summary.full
    # Claire Martin: 400,00 + 175,50 = 575,50; Élan: −50,00 + 12,30 = −37,70.
    assert await _balances(ts_sessionmaker) == {
        rows.accounts["mother"]: Decimal("575.50"),
        rows.accounts["elan"]: Decimal("-37.70"),
    }
    async with ts_sessionmaker() as ts:
        labels = dict(
            (await ts.execute(select(TsFinanceNotice.id, TsFinanceNotice.term_label))).all()
        )
    assert labels == {
        rows.notices["mother"]: "Trimestre d'automne",
        rows.notices["elan"]: "Trimestre d'automne",
        second_notice.id: "2e trimestre",
    }
    after = await _dump(ts_sessionmaker)
    assert await _full_from_scratch(sessionmaker, ts_sessionmaker) == after

    # Sophie Élan's access is taken away; Paul Martin gets a code: her account and notice
    # go, his account in school B (which opened no service) comes.
    principal = world.principal_a
    await _run(
        sessionmaker,
        revoke_access,
        principal,
        world.school_a,
        world.students["eloise"],
        world.guardians["elan"],
    )
    await _run(
        sessionmaker,
        regenerate_code,
        principal,
        world.school_a,
        world.students["lina"],
        world.guardians["father"],
        TEST_SECRET_KEY,
    )
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    # Jade's half-board in school B: 120,00.
    assert await _balances(ts_sessionmaker) == {
        rows.accounts["mother"]: Decimal("575.50"),
        rows.accounts["father"]: Decimal("120.00"),
    }
    async with ts_sessionmaker() as ts:
        assert await ts.get(TsFinanceNotice, rows.notices["elan"]) is None
        father = await ts.get(TsFinanceAccount, rows.accounts["father"])
        assert father is not None and father.school_name == "Collège Louise Michel"
    after = await _dump(ts_sessionmaker)
    assert await _full_from_scratch(sessionmaker, ts_sessionmaker) == after


async def test_a_closed_service_takes_the_accounts_away(world, sessionmaker, ts_sessionmaker):
    from api.resolvers.teleservices.services import set_service
    from db.teleservices import Teleservice

    await replicate(sessionmaker, ts_sessionmaker, full=True, today=TODAY)
    for service in Teleservice:
        await _run(sessionmaker, set_service, world.principal_a, world.school_a, service, False)
    await replicate(sessionmaker, ts_sessionmaker, today=TODAY)
    dump = await _dump(ts_sessionmaker)
    assert dump["ts_finance_accounts"] == dump["ts_finance_notices"] == []
    assert await _full_from_scratch(sessionmaker, ts_sessionmaker) == dump


def test_notice_lines_keep_the_documented_fields_only() -> None:
    assert notice_lines("pas du JSON") == {"children": [], "payments": []}
    assert notice_lines('["une liste"]') == {"children": [], "payments": []}
    assert notice_lines('{"family": "pas un objet"}') == {"children": [], "payments": []}
    lines = notice_lines(
        '{"family": {"children": [{"name": "Lina", "lines": ['
        '{"label": "Sans montant"}, {"label": "Flottant", "amount": 1.5},'
        '{"label": "Demi-pension", "amount": "180.005", "iban": "FR76..."}, "pas un objet"],'
        '"total": 12}, {"lines": []}],'
        '"payments": [{"label": "Chèque", "day": "5 octobre", "amount": "-10"}],'
        '"tariffs": [{"amount": "3.90"}]}}'
    )
    # Rounded half away from zero (180,005 → 180,01); a float amount is refused.
    assert lines == {
        "children": [
            {
                "name": "Lina",
                "lines": [{"label": "Demi-pension", "detail": None, "amount": "180.01"}],
                "total": None,
            }
        ],
        "payments": [{"label": "Chèque", "day": None, "amount": "-10.00"}],
    }

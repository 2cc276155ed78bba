"""A family of the demo académie reaches its "Situation financière" the way every demo family
reaches the families portal: the principal gives its payer an activation code (Télé-services),
the replication runs, the parent creates his account with the code and his child's birth date;
he then reads his account's balance, as the ledger has it to the cent, and the first term's
notice."""

from __future__ import annotations

from sqlalchemy import select

from api.auth.identities import load_principal
from api.resolvers.finances.ledger import account_balances
from api.resolvers.teleservices.codes import code_history, regenerate_code
from api.resolvers.teleservices.services import set_service
from core import clock
from db.accounts import StaffUser
from db.finances import Charge, FamilyAccount, FamilyNotice
from db.students import Student
from db.teleservices import Teleservice
from portals.familles.rendering import balance_fr
from replication.run import replicate
from tests.conftest import TEST_SECRET_KEY
from tests.portals.familles.family_steps import open_account


async def test_a_paying_demo_parent_sees_his_balance_and_notice(
    demo, sessionmaker, ts_sessionmaker, families
) -> None:
    async with sessionmaker() as session:
        # A family that still owes something for the first term, and one of its children.
        notice = await session.scalar(
            select(FamilyNotice)
            .where(FamilyNotice.school_id == demo["school"], FamilyNotice.balance > 0)
            .order_by(FamilyNotice.id)
            .limit(1)
        )
        assert notice is not None
        account = await session.get(FamilyAccount, notice.account_id)
        child = await session.scalar(
            select(Student)
            .join(Charge, Charge.student_id == Student.id)
            .where(Charge.account_id == notice.account_id)
            .limit(1)
        )
        balance = (await account_balances(session, [notice.account_id]))[notice.account_id]
        head = await load_principal(
            session,
            await session.scalar(select(StaffUser.id).where(StaffUser.login == "demo.principal")),
        )
    assert account is not None and child is not None and head is not None
    async with sessionmaker() as session, session.begin():
        for service in Teleservice:
            await set_service(session, head, demo["school"], service, True)
        await regenerate_code(
            session, head, demo["school"], child.id, account.guardian_id, TEST_SECRET_KEY
        )
        [code, *_] = await code_history(
            session, head, demo["school"], child.id, account.guardian_id, TEST_SECRET_KEY
        )
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=clock.today())

    await open_account(
        families,
        str(code.code),
        child.birth_date.isoformat(),
        "parent.demo",
        "un mot de passe long",
    )
    page = await families.get("/situation-financiere")
    assert page.status_code == 200
    # Every row of the demo's ledger is the first term's: the notice's balance is the account's.
    assert notice.balance == balance > 0
    assert balance_fr(balance) in page.text
    assert f"1er trimestre — avis du {notice.issued_at:%d/%m/%Y}" in page.text
    printable = await families.get(f"/situation-financiere/avis/{notice.id}")
    assert printable.status_code == 200 and balance_fr(balance) in printable.text

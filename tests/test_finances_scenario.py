"""Issue 14's "Done when", as one story on both engines: a collège's bursar sets the year's
terms and tariffs, generates the first term (a preview, then its application: an arrival in
the middle of the term prorated, a family of three half-boarders given the remise de
principe), records a remise d'ordre and payments, instructs a scholarship file that the
principal grants and that is paid after the term, deducted from the board charges; the
term's notices are issued and printed, the term closed and transferred once; the second
term's generation spends a family's credit; the families' database follows one replication
run, and the payer reads his balance on the families portal.

The world is the tests' (``tests.world``: collège A, Claire Martin paying for Lina and Noah,
Sophie Élan for Éloïse) with two more students, so that every figure can be computed by hand
below and written as a literal; each step goes through the domain functions as the portals
call them, and the test reads the database only to check what a step wrote.

The service calendar, by hand (Monday to Friday, zone C of the académie de Créteil, outside
its school holidays and the public holidays):

- 1st term, 1 September – 31 December 2026: September 22 days (Tuesday 1st to Wednesday
  30th), October 12 (1st–16th; Toussaint from the 17th to 1 November), November 20 (2nd–30th
  but Wednesday the 11th), December 14 (1st–18th; Noël from the 19th): 68 service days.
- 2nd term, 1 January – 31 March 2027: January 20 (4th–29th; Noël until the 3rd), February
  10 (1st–5th and 22nd–26th; winter holidays 6–21), March 22 (1st–31st but Easter Monday the
  29th): 52 service days.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from api.auth.principal import PermissionDenied, Principal
from api.resolvers.finances import ledger
from api.resolvers.finances.charge_transfers import transfer_file, transfer_preview, transfer_term
from api.resolvers.finances.charges import apply_charges, charge_preview
from api.resolvers.finances.notices import issue_notices, notice_pdf, term_notices_pdf
from api.resolvers.finances.payments import ReceiptInput, account_credit, record_receipt
from api.resolvers.finances.reductions import OrderReductionInput, grant_order_reduction
from api.resolvers.finances.statements import account_statement, family_accounts
from api.resolvers.finances.tariffs import (
    SettingsInput,
    TariffInput,
    set_finance_settings,
    set_tariffs,
)
from api.resolvers.finances.terms import close_term, set_terms
from api.resolvers.scholarships.files import (
    FileInput,
    complete_file,
    create_file,
    grant_file,
    update_file,
)
from api.resolvers.scholarships.payments import pay_term, term_payment_preview
from api.resolvers.work import Work
from core.clock import SetClock
from core.errors import ValidationFailed
from db.audit import AuditActor, set_actor
from db.enrollments import Enrollment, Regime
from db.finances import (
    Charge,
    ChargeKind,
    OrderMotive,
    PaymentAllocation,
    PaymentMethod,
    ReductionKind,
)
from db.guardians import Civility, Guardian, GuardianLink, Relationship
from db.reference import load_absence_references, load_scholarship_scales
from db.scholarships import ScholarshipStatus
from db.students import Sex, Student
from portals.familles.app import create_familles_app
from replication.run import replicate
from tests.portals.familles.family_steps import CSRF, give_code, open_account
from tests.world import World, build_world
from tsdb.models import TsFinanceAccount

NBSP = "\u00a0"
D = Decimal


def _move_to(clock: SetClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def _day(clock: SetClock, year: int, month: int, day: int) -> date:
    """Move the clock to 10:00 (Paris) on that day; the day."""
    _move_to(clock, datetime(year, month, day, 9, 0, tzinfo=UTC))
    return clock.now().date()


async def _write(
    sessionmaker, principal: Principal, school_id: int, fn: Callable[..., Awaitable[Any]], *args
) -> Any:
    """One command in its own transaction, as a portal request runs it."""
    async with Work(sessionmaker, principal).writing(school_id) as transaction:
        return await transaction.run(fn, *args)


async def _read(sessionmaker, principal: Principal, fn: Callable[..., Awaitable[Any]], *args):
    async with Work(sessionmaker, principal) as work:
        return await work.read(fn, *args)


def _pdf_text(content: bytes) -> list[str]:
    """Each page's text, line breaks and (narrow) no-break spaces read as spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


async def _add_student(
    sessionmaker,
    world: World,
    key: str,
    first_name: str,
    family_name: str,
    born: date,
    *,
    regime: Regime,
    regime_code: str | None,
    entry: date,
    division_id: int,
    payer: int,
) -> None:
    """A student of collège A from ``entry``, his payer his legal guardian 1 (as the
    secretariat enrols him)."""
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="secrétariat"))
        student = Student(
            family_name=family_name,
            first_name=first_name,
            sex=Sex.M,
            birth_date=born,
            birth_commune_code="93048",
            birth_city="Montreuil",
        )
        session.add(student)
        await session.flush()
        enrollment = Enrollment(
            student_id=student.id,
            school_id=world.school_a,
            school_year_id=world.year_id,
            mef_id=world.mef_6,
            division_id=division_id,
            regime=regime,
            regime_code=regime_code,
            entry_date=entry,
        )
        session.add(enrollment)
        session.add(
            GuardianLink(
                student_id=student.id,
                guardian_id=payer,
                legal_rank=1,
                relationship=Relationship.MOTHER
                if payer == world.guardians["mother"]
                else Relationship.FATHER,
            )
        )
        await session.flush()
        world.students[key], world.enrollments[key] = student.id, enrollment.id


async def _new_guardian(sessionmaker, world: World, key: str, first: str, family: str) -> int:
    async with sessionmaker() as session, session.begin():
        set_actor(session.sync_session, AuditActor(kind="system", id=None, label="secrétariat"))
        guardian = Guardian(civility=Civility.M, family_name=family, first_name=first)
        session.add(guardian)
        await session.flush()
        world.guardians[key] = guardian.id
    return guardian.id


async def _reconciled(sessionmaker, principal: Principal, account_id: int) -> Decimal:
    """The account's balance, once its statement's lines, its debts, its children and the
    ledger's balance are checked to say the same to the cent."""
    statement = await _read(sessionmaker, principal, account_statement, account_id)
    running = sum((line.debit - line.credit for line in statement.lines), D("0"))
    assert statement.lines[-1].balance == running == statement.balance
    async with sessionmaker() as session:
        balances = await ledger.account_balances(session, [account_id])
        credit = await account_credit(session, account_id)
    assert balances[account_id] == statement.balance
    assert statement.charged - statement.reduced - statement.received + (
        statement.refunded + statement.reversed
    ) == (statement.balance)
    owed = sum((debt.due for debt in statement.debts), D("0"))
    assert owed - credit == statement.balance
    assert sum((s.balance for s in statement.students), D("0")) == owed
    assert statement.account.balance == statement.balance
    return statement.balance


@pytest.fixture
async def world(sessionmaker) -> World:
    world = await build_world(sessionmaker)
    async with sessionmaker() as session, session.begin():
        await load_absence_references(session)
        await load_scholarship_scales(session)
    return world


async def test_a_term_of_finances_from_the_tariffs_to_the_familys_balance(
    world: World, sessionmaker, ts_sessionmaker, settings, clock: SetClock
) -> None:
    bursar = await world.principal(sessionmaker, "bursar_a")
    head = await world.principal(sessionmaker, "principal_a")
    school = world.school_a
    claire, sophie = world.guardians["mother"], world.guardians["elan"]
    # Claire Martin's third child, half-boarder four days a week (DP 4 jours, code 24):
    # with Lina and Noah, three half-boarders in public schools.
    await _add_student(
        sessionmaker,
        world,
        "leo",
        "Léo",
        "Martin",
        date(2013, 5, 20),
        regime=Regime.DEMI_PENSIONNAIRE,
        regime_code="24",
        entry=date(2026, 9, 1),
        division_id=world.division_a1,
        payer=claire,
    )

    # ------------------------------------------------------------ September: the board's vote
    _day(clock, 2026, 9, 14)
    terms = await _write(sessionmaker, bursar, school, set_terms, school, world.year_id, None)
    t1, t2, t3 = (t.id for t in terms)
    assert [(t.first_day, t.last_day) for t in terms] == [
        (date(2026, 9, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 8, 31)),
    ]
    await _write(
        sessionmaker,
        bursar,
        school,
        set_finance_settings,
        school,
        world.year_id,
        SettingsInput("service_days", "12345", 14, "Délibération n° 2026-11 du 30 juin 2026"),
    )
    voted = {"2": ("flat_term", "204,00"), "3": ("flat_term", "650,00"), "24": ("per_meal", "4,10")}
    tariffs = await _write(
        sessionmaker,
        bursar,
        school,
        set_tariffs,
        school,
        world.year_id,
        [
            TariffInput(term_id=term, regime_code=code, basis=basis, amount=amount)
            for term in (t1, t2, t3)
            for code, (basis, amount) in voted.items()
        ],
    )
    assert len(tariffs) == 9
    assert {(t.regime_code, t.basis.value, t.amount) for t in tariffs} == {
        ("2", "flat_term", D("204.00")),
        ("3", "flat_term", D("650.00")),
        ("24", "per_meal", D("4.10")),
    }

    # ------------------------------------------------------------ October: a scholarship file
    _day(clock, 2026, 10, 5)
    file = await _write(
        sessionmaker,
        bursar,
        school,
        create_file,
        school,
        world.year_id,
        world.students["eloise"],
        FileInput(received_on=date(2026, 10, 5), pieces=["tax_notice"]),
    )
    assert file.status is ScholarshipStatus.RECEIVED and file.applicant_id == sophie
    assert file.missing_pieces == ["bank_details"]
    with pytest.raises(ValidationFailed) as incomplete:
        await _write(sessionmaker, bursar, school, complete_file, file.id, file.version)
    assert {e.field for e in incomplete.value.errors} == {
        "reference_income",
        "dependent_children",
        "pieces",
    }
    _day(clock, 2026, 10, 12)
    file = await _write(
        sessionmaker,
        bursar,
        school,
        update_file,
        file.id,
        FileInput(
            received_on=date(2026, 10, 5),
            reference_income="11 000,00",
            dependent_children=2,
            pieces=["tax_notice", "bank_details"],
        ),
        file.version,
    )
    file = await _write(sessionmaker, bursar, school, complete_file, file.id, file.version)
    assert file.status is ScholarshipStatus.COMPLETE
    # The bursar instructs; only the principal decides.
    with pytest.raises(PermissionDenied):
        await _write(sessionmaker, bursar, school, grant_file, file.id, file.version)
    _day(clock, 2026, 10, 15)
    file = await _write(sessionmaker, head, school, grant_file, file.id, file.version)
    # 2024 table, 2 children: échelon 2 up to 11 928 €, échelon 3 up to 4 208 €; 11 000 €
    # gives échelon 2, 315,00 € a year.
    assert (file.status, file.echelon, file.annual_amount, file.scale_year) == (
        ScholarshipStatus.GRANTED,
        2,
        D("315.00"),
        2024,
    )

    # ------------------------------------------------------------ November: an arrival, then
    # the first term's charges.
    _day(clock, 2026, 11, 16)
    petit = await _new_guardian(sessionmaker, world, "petit", "Karim", "Petit")
    await _add_student(
        sessionmaker,
        world,
        "adam",
        "Adam",
        "Petit",
        date(2015, 2, 11),
        regime=Regime.INTERNE,
        regime_code=None,
        entry=date(2026, 11, 16),
        division_id=world.division_a2,
        payer=petit,
    )
    _day(clock, 2026, 11, 20)
    preview = await _read(sessionmaker, bursar, charge_preview, t1)
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Charge)) == 0
    lines = {(line.student_id, line.kind): line for line in preview.lines}
    s = world.students
    expected = {
        # Full term at the flat rate: 204,00.
        (s["lina"], ChargeKind.HALF_BOARD): ("204.00", "68 jours de service sur 68", "20"),
        (s["noah"], ChargeKind.HALF_BOARD): ("204.00", "68 jours de service sur 68", "20"),
        (s["eloise"], ChargeKind.HALF_BOARD): ("204.00", "68 jours de service sur 68", None),
        # 68 service days × 4 days / 5 = 54,4 → 54 meals × 4,10 = 221,40.
        (s["leo"], ChargeKind.HALF_BOARD): ("221.40", "54 repas à 4,10\u00a0€", "20"),
        # From Monday 16 November: 5 + 5 + 1 in November, 4 + 5 + 5 in December = 25 service
        # days; 650,00 × 25 / 68 = 238,970… → 238,97.
        (s["adam"], ChargeKind.BOARDING): ("238.97", "25 jours de service sur 68", None),
    }
    assert {
        key: (
            str(line.expected),
            line.basis,
            None if line.principle_rate is None else f"{line.principle_rate:.0f}",
        )
        for key, line in lines.items()
    } == expected
    assert all(not line.warnings and line.already == 0 for line in preview.lines)
    # 204 × 3 + 221,40 + 238,97 = 1 072,37.
    assert preview.total_expected == preview.total_adjustment == D("1072.37")
    # 20 % of 204,00 = 40,80 (Lina, Noah); 20 % of 221,40 = 44,28 (Léo): 125,88.
    assert {s_: str(line.principle_expected) for (s_, _k), line in lines.items()} == {
        s["lina"]: "40.80",
        s["noah"]: "40.80",
        s["leo"]: "44.28",
        s["eloise"]: "0.00",
        s["adam"]: "0.00",
    }
    assert preview.total_principle == D("125.88") and preview.lines_to_write == 5
    assert lines[(s["leo"], ChargeKind.HALF_BOARD)].family_children == 3

    applied = await _write(sessionmaker, bursar, school, apply_charges, t1)
    assert (applied.charges, applied.reductions) == (5, 3)
    assert (applied.total, applied.principle_total) == (D("1072.37"), D("125.88"))
    # Applied again with nothing changed: nothing written.
    again = await _write(sessionmaker, bursar, school, apply_charges, t1)
    assert (again.generation_id, again.charges, again.reductions) == (None, 0, 0)
    page = await _read(sessionmaker, bursar, family_accounts, school)
    accounts = {summary.guardian_id: summary.id for summary in page.accounts}
    martin, elan, petit_account = accounts[claire], accounts[sophie], accounts[petit]
    assert set(accounts) == {claire, sophie, petit}
    # 204 + 204 + 221,40 − 125,88 = 503,52.
    assert await _reconciled(sessionmaker, bursar, martin) == D("503.52")

    # A cheque partly paying Éloïse's term.
    _day(clock, 2026, 11, 23)
    await _write(
        sessionmaker,
        bursar,
        school,
        record_receipt,
        ReceiptInput(
            account_id=elan,
            method=PaymentMethod.CHEQUE,
            amount=D("150.00"),
            received_on=date(2026, 11, 23),
            cheque_number="0004521",
            bank="Banque Postale",
        ),
    )
    # 204,00 − 150,00 = 54,00.
    assert await _reconciled(sessionmaker, bursar, elan) == D("54.00")

    # Lina ill for two weeks: a remise d'ordre.
    _day(clock, 2026, 11, 30)
    [order] = await _write(
        sessionmaker,
        bursar,
        school,
        grant_order_reduction,
        OrderReductionInput(
            account_id=martin,
            student_id=s["lina"],
            motive=OrderMotive.ILLNESS,
            first_day=date(2026, 11, 16),
            last_day=date(2026, 11, 29),
            comment="Certificat médical du 16/11/2026",
        ),
    )
    # Monday 16 to Sunday 29 November: 14 days, 10 service days; 204,00 × 10 / 68 = 30,00.
    assert (order.kind, order.charge_kind, order.amount) == (
        ReductionKind.ORDER,
        ChargeKind.HALF_BOARD,
        D("30.00"),
    )
    assert "10 jours de service sur 68" in order.reason
    # 503,52 − 30,00 = 473,52.
    assert await _reconciled(sessionmaker, bursar, martin) == D("473.52")

    # ------------------------------------------------------------ December: a transfer that
    # pays more than owed.
    _day(clock, 2026, 12, 10)
    await _write(
        sessionmaker,
        bursar,
        school,
        record_receipt,
        ReceiptInput(
            account_id=martin,
            method=PaymentMethod.TRANSFER,
            amount=D("600.00"),
            received_on=date(2026, 12, 10),
            reference="VIR MARTIN DP T1",
        ),
    )
    # 473,52 − 600,00 = −126,48: a credit nothing is allocated to yet.
    assert await _reconciled(sessionmaker, bursar, martin) == D("-126.48")
    async with sessionmaker() as session:
        assert await account_credit(session, martin) == D("126.48")

    # ------------------------------------------------------------ January: the term is over.
    # Its scholarships are paid (the term still open: recorded in it).
    _day(clock, 2027, 1, 5)
    plan = await _read(sessionmaker, bursar, term_payment_preview, school, t1)
    [line] = plan.lines
    # 315,00 / 3 = 105,00 for the term; Éloïse still owes 54,00 for it, taken off; 105,00 −
    # 54,00 = 51,00 paid to her mother.
    assert (line.share, line.deducted, line.paid_to_family) == (
        D("105.00"),
        D("54.00"),
        D("51.00"),
    )
    paid = await _write(sessionmaker, bursar, school, pay_term, school, t1)
    [line] = paid.lines
    assert paid.paid_now == 1 and line.state == "paid"
    assert (line.share, line.deducted, line.paid_to_family) == (
        D("105.00"),
        D("54.00"),
        D("51.00"),
    )
    assert await _reconciled(sessionmaker, bursar, elan) == D("0.00")
    # 238,97 owed by the Petits, nothing paid.
    assert await _reconciled(sessionmaker, bursar, petit_account) == D("238.97")

    # The term's notices.
    _day(clock, 2027, 1, 6)
    issue = await _write(sessionmaker, bursar, school, issue_notices, t1, None, date(2027, 2, 5))
    notices = {n.account_id: n for n in issue.notices}
    assert set(notices) == {martin, elan, petit_account}

    def figures(notice) -> tuple[Decimal, ...]:
        return (
            notice.charges,
            notice.reductions,
            notice.scholarships,
            notice.payments,
            notice.balance,
        )

    # Martin: 204 + 204 + 221,40 = 629,40 charged; 125,88 + 30,00 = 155,88 reduced; 600,00
    # paid; 629,40 − 155,88 − 600,00 = −126,48.
    assert figures(notices[martin]) == (
        D("629.40"),
        D("155.88"),
        D("0.00"),
        D("600.00"),
        D("-126.48"),
    )
    # Élan: 204,00 − 54,00 scholarship − 150,00 = 0,00.
    assert figures(notices[elan]) == (D("204.00"), D("0.00"), D("54.00"), D("150.00"), D("0.00"))
    assert figures(notices[petit_account]) == (
        D("238.97"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("238.97"),
    )
    # Every row of the ledger is the first term's so far: each notice's balance is its
    # account's.
    for account_id, notice in notices.items():
        assert await _reconciled(sessionmaker, bursar, account_id) == notice.balance

    _name, martin_pdf = await _read(sessionmaker, bursar, notice_pdf, notices[martin].id)
    [text] = _pdf_text(martin_pdf)
    for shown in (
        "Avis aux familles — 1er trimestre 2026-2027",
        "Martin Léo",
        "Demi-pension — 1er trimestre 54 repas à 4,10 € 221,40 €",
        "Remise de principe 20,00 % — demi-pension, 1er trimestre",
        "-44,28 €",
        "Remise d'ordre — demi-pension, 1er trimestre",
        "-30,00 €",
        "Droits constatés du trimestre 629,40 €",
        "Remises -155,88 €",
        "Paiements reçus -600,00 €",
        "Crédit en votre faveur 126,48 €",
    ):
        assert shown in text, shown
    _name, term_pdf = await _read(sessionmaker, bursar, term_notices_pdf, t1)
    pages = _pdf_text(term_pdf)
    assert len(pages) == 3
    [elan_page] = [p for p in pages if "Élan" in p and "Éloïse" in p]
    for shown in (
        "Bourse — demi-pension, 1er trimestre",
        "-54,00 €",
        "Bourses déduites -54,00 €",
        "Paiements reçus -150,00 €",
        "Solde 0,00 €",
    ):
        assert shown in elan_page, shown
    [petit_page] = [p for p in pages if "Petit" in p]
    assert "Internat — 1er trimestre 25 jours de service sur 68 238,97 €" in petit_page
    assert "Solde à payer 238,97 €" in petit_page
    assert "à régler avant le 5 février 2027" in petit_page

    # ------------------------------------------------------------ the term closed, transferred
    _day(clock, 2027, 1, 7)
    await _write(sessionmaker, bursar, school, close_term, t1)
    transfer = await _write(sessionmaker, bursar, school, transfer_term, t1)
    name, content = await _read(sessionmaker, bursar, transfer_file, transfer.id)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8")), delimiter=";"))
    header, records = rows[0], rows[1:]
    assert header[0] == "type" and header[8] == "montant"
    controls = {row[5]: (D(row[8]), int(row[11])) for row in records if row[0] == "TOTAL"}
    assert controls == {
        # 204 × 3 + 221,40 + 238,97.
        "DROIT": (D("1072.37"), 5),
        # 3 remises de principe (125,88), the remise d'ordre (30,00), the scholarship (54,00).
        "REMISE": (D("209.88"), 5),
        # 150,00 + 600,00.
        "ENCAISSEMENT": (D("750.00"), 2),
        "REMBOURSEMENT": (D("0.00"), 0),
        "ANNULATION": (D("0.00"), 0),
        # 1 072,37 − 209,88 − 750,00 = 112,49, over 12 lines.
        "SOLDE_NET": (D("112.49"), 12),
    }
    # Each control total is its lines' sum, and the lines are the ledger's.
    for record_type, (total, count) in controls.items():
        if record_type == "SOLDE_NET":
            continue
        mine = [D(row[8]) for row in records if row[0] == record_type]
        assert (sum(mine, D("0")), len(mine)) == (total, count), record_type
    async with sessionmaker() as session:
        charged = await session.scalar(select(func.sum(Charge.amount)).where(Charge.term_id == t1))
        balances = await ledger.account_balances(session, [martin, elan, petit_account])
    assert D(str(charged)) == controls["DROIT"][0]
    # −126,48 + 0,00 + 238,97 = 112,49: the accounts' balances are the file's net.
    assert sum(balances.values(), D("0")) == controls["SOLDE_NET"][0]
    assert (transfer.total_charges, transfer.total_reductions, transfer.total_payments) == (
        D("1072.37"),
        D("209.88"),
        D("750.00"),
    )
    assert name == transfer.file_name and name.endswith("_2026_T1.csv")
    with pytest.raises(ValidationFailed) as twice:
        await _write(sessionmaker, bursar, school, transfer_term, t1)
    assert twice.value.errors[0].code == "ALREADY_TRANSFERRED"
    sent = await _read(sessionmaker, bursar, transfer_preview, t1)
    assert sent.transfer_id == transfer.id and sent.net == D("112.49")

    # ------------------------------------------------------------ the second term: the credit
    # pays its charges.
    _day(clock, 2027, 1, 8)
    preview = await _read(sessionmaker, bursar, charge_preview, t2)
    second = {(line.student_id, line.kind): line.expected for line in preview.lines}
    assert second == {
        (s["lina"], ChargeKind.HALF_BOARD): D("204.00"),
        (s["noah"], ChargeKind.HALF_BOARD): D("204.00"),
        (s["eloise"], ChargeKind.HALF_BOARD): D("204.00"),
        # 52 × 4 / 5 = 41,6 → 42 meals × 4,10 = 172,20.
        (s["leo"], ChargeKind.HALF_BOARD): D("172.20"),
        # The whole term now: the flat rate.
        (s["adam"], ChargeKind.BOARDING): D("650.00"),
    }
    applied = await _write(sessionmaker, bursar, school, apply_charges, t2)
    # 204 × 3 + 172,20 + 650,00 = 1 434,20; the remise de principe, 20 % of 204,00, 204,00
    # and 172,20: 40,80 + 40,80 + 34,44 = 116,04.
    assert (applied.charges, applied.total, applied.principle_total) == (
        5,
        D("1434.20"),
        D("116.04"),
    )
    async with sessionmaker() as session:
        assert await account_credit(session, martin) == D("0.00")
        spent = await session.scalar(
            select(func.sum(PaymentAllocation.amount)).where(
                PaymentAllocation.term_id == t2, PaymentAllocation.student_id == s["lina"]
            )
        )
    # The 126,48 € of credit went to the oldest debt of the new term: Lina's.
    assert D(str(spent)) == D("126.48")
    statement = await _read(sessionmaker, bursar, account_statement, martin)
    lina_t2 = next(d for d in statement.debts if d.student_id == s["lina"] and d.term_id == t2)
    # 204,00 − 40,80 − 126,48 = 36,72 still due for Lina's second term.
    assert (lina_t2.charged, lina_t2.reduced, lina_t2.allocated, lina_t2.due) == (
        D("204.00"),
        D("40.80"),
        D("126.48"),
        D("36.72"),
    )
    # −126,48 + (204 − 40,80) + (204 − 40,80) + (172,20 − 34,44) = −126,48 + 464,16 = 337,68.
    assert await _reconciled(sessionmaker, bursar, martin) == D("337.68")
    # Élan 0,00 + 204,00; Petit 238,97 + 650,00.
    assert await _reconciled(sessionmaker, bursar, elan) == D("204.00")
    assert await _reconciled(sessionmaker, bursar, petit_account) == D("888.97")

    # ------------------------------------------------------------ the families' portal
    code = await give_code(world, sessionmaker, school, s["lina"], claire, "principal_a")
    await replicate(sessionmaker, ts_sessionmaker, full=True, today=clock.now().date())
    async with ts_sessionmaker() as ts:
        held = dict((await ts.execute(select(TsFinanceAccount.id, TsFinanceAccount.balance))).all())
    # Only the account of the payer with a code reaches the families' database.
    assert held == {martin: D("337.68")}
    app = create_familles_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://familles") as client:
            await open_account(client, code, "2015-03-14", "claire.martin", "un mot de passe long")
            page = await client.get("/situation-financiere")
            assert page.status_code == 200 and CSRF.search(page.text)
            text = page.text
    finally:
        await app.state.ts_engine.dispose()
    assert f"Vous devez 337,68{NBSP}€" in text
    assert "1er trimestre — avis du 06/01/2027" in text
    for shown in (
        "Martin Léo",
        f"221,40{NBSP}€",
        f"-44,28{NBSP}€",
        f"-30,00{NBSP}€",
        f"629,40{NBSP}€",
        f"Votre compte est créditeur de 126,48{NBSP}€",
    ):
        assert shown in text, shown
    for foreign in ("Éloïse", "Petit", "238,97", "54,00"):
        assert foreign not in text, foreign

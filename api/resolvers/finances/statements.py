"""The bursar's reading of family accounts: a school's accounts with their payer, children
and balance, and one account's statement (relevé de compte): every ledger line in date
order with a running balance, the debts per student and term, each student's balance and
the credit set against no debt. Every figure is a sum of ledger rows, so that the lines,
the debts and the balance reconcile to the cent."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances import ledger
from api.resolvers.finances.ledger import CHARGE_KIND_LABELS
from api.resolvers.finances.payments import account_credit
from api.resolvers.finances.reach import account_in_reach, school_in_reach
from api.resolvers.finances.reductions import MOTIVE_LABELS
from core.errors import ValidationFailed
from core.money import ZERO
from db.finances import (
    Charge,
    ChargeKind,
    FamilyAccount,
    FinanceTerm,
    LedgerOrigin,
    Payment,
    PaymentKind,
    PaymentMethod,
    Reduction,
    ReductionKind,
)
from db.guardians import Guardian
from db.schools import SchoolYear
from db.students import Student, search_key

MAX_PAGE = 100
SEARCH_MAX = 80

REDUCTION_KIND_LABELS = {
    ReductionKind.PRINCIPLE: "Remise de principe",
    ReductionKind.ORDER: "Remise d'ordre",
    ReductionKind.GRACE: "Remise gracieuse",
    ReductionKind.SCHOLARSHIP: "Bourse",
}
METHOD_LABELS = {
    PaymentMethod.CASH: "espèces",
    PaymentMethod.CHEQUE: "chèque",
    PaymentMethod.TRANSFER: "virement",
    PaymentMethod.CARD: "carte bancaire",
    PaymentMethod.SEPA_DEBIT: "prélèvement SEPA",
}


class LineKind(enum.StrEnum):
    CHARGE = "charge"
    REDUCTION = "reduction"
    RECEIPT = "receipt"
    REFUND = "refund"
    REVERSAL = "reversal"


# Same day: what is owed first, then what reduces it, then the money.
_LINE_ORDER = {
    LineKind.CHARGE: 0,
    LineKind.REDUCTION: 1,
    LineKind.RECEIPT: 2,
    LineKind.REVERSAL: 3,
    LineKind.REFUND: 4,
}


@dataclass
class FamilyAccountSummary:
    id: int
    school_id: int
    guardian_id: int
    payer_name: str
    children: list[str]
    balance: Decimal


@dataclass
class FamilyAccountPage:
    total_count: int
    offset: int
    accounts: list[FamilyAccountSummary]


@dataclass
class StatementLine:
    """One ledger row: ``debit`` raises what the family owes (a charge, a refund, a
    reversal), ``credit`` lowers it (a reduction, a receipt); ``balance`` is the running
    balance after the line."""

    kind: LineKind
    entry_id: int
    day: date
    label: str
    term_label: str | None
    student_id: int | None
    student_name: str | None
    debit: Decimal
    credit: Decimal
    balance: Decimal
    # A receipt not reversed, a remise d'ordre or gracieuse not reversed.
    reversible: bool = False
    reduction_kind: ReductionKind | None = None


@dataclass
class StatementDebt:
    student_id: int
    student_name: str
    term_id: int
    term_label: str
    kind: ChargeKind
    charged: Decimal
    reduced: Decimal
    allocated: Decimal
    due: Decimal


@dataclass
class StudentBalance:
    """Charged − reduced − allocated for one child of the account."""

    student_id: int
    student_name: str
    charged: Decimal
    reduced: Decimal
    allocated: Decimal
    balance: Decimal


@dataclass
class AccountStatement:
    account: FamilyAccountSummary
    lines: list[StatementLine]
    debts: list[StatementDebt]
    students: list[StudentBalance]
    charged: Decimal
    reduced: Decimal
    received: Decimal
    refunded: Decimal
    reversed: Decimal
    unallocated_credit: Decimal
    balance: Decimal


def _name(family: str, first: str) -> str:
    return f"{family.upper()} {first}"


async def _children(session: AsyncSession, account_ids: list[int]) -> dict[int, list[str]]:
    rows = await session.execute(
        select(Charge.account_id, Student.family_name, Student.first_name)
        .join(Student, Student.id == Charge.student_id)
        .where(Charge.account_id.in_(account_ids))
        .distinct()
    )
    children: dict[int, list[str]] = defaultdict(list)
    for account_id, family, first in rows.all():
        children[account_id].append(_name(family, first))
    return {account_id: sorted(names) for account_id, names in children.items()}


@requires(Permission.FINANCES_READ)
async def family_accounts(
    session: AsyncSession,
    principal: Principal,
    school_id: int,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> FamilyAccountPage:
    """A school's family accounts by payer name, found by the payer's or a child's name
    (accents and case aside), a page at a time."""
    school = await school_in_reach(session, principal, school_id, Permission.FINANCES_READ)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed.single(
            "limit", "OUT_OF_RANGE", f"De 1 à {MAX_PAGE} comptes par page."
        )
    if not 0 <= offset <= 1_000_000:
        raise ValidationFailed.single("offset", "OUT_OF_RANGE", "Position invalide.")
    if search is not None and len(search) > SEARCH_MAX:
        raise ValidationFailed.single(
            "search", "TOO_LONG", f"Recherche : {SEARCH_MAX} caractères au plus."
        )
    payers = (
        await session.execute(
            select(
                FamilyAccount.id,
                FamilyAccount.guardian_id,
                Guardian.family_name,
                Guardian.first_name,
            )
            .join(Guardian, Guardian.id == FamilyAccount.guardian_id)
            .where(FamilyAccount.school_id == school.id)
        )
    ).all()
    # By name without accents, whatever the database's collation ("Élan" before "Martin").
    payers = sorted(payers, key=lambda row: (search_key(row[2], row[3]), row[0]))
    wanted = search_key(search) if search else ""
    children = await _children(session, [row[0] for row in payers]) if payers else {}
    if wanted:
        payers = [
            row
            for row in payers
            if wanted in search_key(row[2], row[3])
            or wanted in search_key(row[3], row[2])
            or any(wanted in search_key(child) for child in children.get(row[0], []))
        ]
    page = payers[offset : offset + limit]
    balances = await ledger.account_balances(session, [row[0] for row in page])
    return FamilyAccountPage(
        total_count=len(payers),
        offset=offset,
        accounts=[
            FamilyAccountSummary(
                id=account_id,
                school_id=school.id,
                guardian_id=guardian_id,
                payer_name=_name(family, first),
                children=children.get(account_id, []),
                balance=balances[account_id],
            )
            for account_id, guardian_id, family, first in page
        ],
    )


async def _term_labels(session: AsyncSession, school_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(FinanceTerm.id, FinanceTerm.label, SchoolYear.start_year)
        .join(SchoolYear, SchoolYear.id == FinanceTerm.school_year_id)
        .where(FinanceTerm.school_id == school_id)
        .order_by(FinanceTerm.first_day)
    )
    return {id_: f"{label} {start}-{start + 1}" for id_, label, start in rows.all()}


@requires(Permission.FINANCES_READ)
async def account_statement(
    session: AsyncSession, principal: Principal, account_id: int
) -> AccountStatement:
    """One account's statement: lines in date order with a running balance, debts per
    student and term, each child's balance and the unallocated credit."""
    account = await account_in_reach(session, principal, account_id, Permission.FINANCES_READ)
    payer = await session.get(Guardian, account.guardian_id)
    assert payer is not None
    terms = await _term_labels(session, account.school_id)
    charges = list(await session.scalars(select(Charge).where(Charge.account_id == account.id)))
    reductions = list(
        await session.scalars(select(Reduction).where(Reduction.account_id == account.id))
    )
    payments = list(await session.scalars(select(Payment).where(Payment.account_id == account.id)))
    student_ids = {c.student_id for c in charges} | {r.student_id for r in reductions}
    names = {
        id_: _name(family, first)
        for id_, family, first in (
            await session.execute(
                select(Student.id, Student.family_name, Student.first_name).where(
                    Student.id.in_(student_ids)
                )
            )
        ).all()
    }
    reversed_receipts = {p.reverses_payment_id for p in payments if p.kind is PaymentKind.REVERSAL}
    reversed_reductions = {r.reverses_reduction_id for r in reductions}
    granted_on = {r.id: r.created_at.date() for r in reductions}
    received_on = {p.id: p.received_on for p in payments}
    lines: list[StatementLine] = []
    for charge in charges:
        label = f"{CHARGE_KIND_LABELS[charge.kind]} : {charge.basis}"
        if charge.origin is LedgerOrigin.ADJUSTMENT:
            label = f"Régularisation {label[0].lower()}{label[1:]}"
        if charge.reason:
            label = f"{label} ({charge.reason})"
        lines.append(
            StatementLine(
                LineKind.CHARGE,
                charge.id,
                charge.created_at.date(),
                label,
                terms.get(charge.concerns_term_id),
                charge.student_id,
                names.get(charge.student_id),
                charge.amount if charge.amount >= 0 else ZERO,
                -charge.amount if charge.amount < 0 else ZERO,
                ZERO,
            )
        )
    for reduction in reductions:
        what = REDUCTION_KIND_LABELS[reduction.kind]
        if reduction.reverses_reduction_id is not None:
            granted = granted_on.get(reduction.reverses_reduction_id)
            what = f"Annulation de la {what.lower()}" + (
                f" du {granted:%d/%m/%Y}" if granted else ""
            )
        elif reduction.amount < 0:
            what = f"Annulation — {what.lower()}"
        lines.append(
            StatementLine(
                LineKind.REDUCTION,
                reduction.id,
                reduction.created_at.date(),
                f"{what} ({CHARGE_KIND_LABELS[reduction.charge_kind].lower()}) : {reduction.reason}",
                terms.get(reduction.concerns_term_id),
                reduction.student_id,
                names.get(reduction.student_id),
                -reduction.amount if reduction.amount < 0 else ZERO,
                reduction.amount if reduction.amount >= 0 else ZERO,
                ZERO,
                reversible=reduction.kind in (ReductionKind.ORDER, ReductionKind.GRACE)
                and reduction.amount > 0
                and reduction.id not in reversed_reductions,
                reduction_kind=reduction.kind,
            )
        )
    for payment in payments:
        method = METHOD_LABELS[payment.method]
        if payment.kind is PaymentKind.RECEIPT:
            label = f"Encaissement par {method}"
        elif payment.kind is PaymentKind.REFUND:
            label = f"Remboursement par {method}"
        else:
            first = received_on.get(payment.reverses_payment_id or 0)
            label = "Annulation de l'encaissement" + (f" du {first:%d/%m/%Y}" if first else "")
        if payment.reference:
            label = f"{label} — {payment.reference}"
        if payment.reason:
            label = f"{label} — motif : {payment.reason}"
        receipt = payment.kind is PaymentKind.RECEIPT
        lines.append(
            StatementLine(
                LineKind(payment.kind.value),
                payment.id,
                payment.received_on,
                label,
                terms.get(payment.term_id),
                None,
                None,
                ZERO if receipt else payment.amount,
                payment.amount if receipt else ZERO,
                ZERO,
                reversible=receipt and payment.id not in reversed_receipts,
            )
        )
    lines.sort(key=lambda line: (line.day, _LINE_ORDER[line.kind], line.entry_id))
    running = ZERO
    for line in lines:
        running += line.debit - line.credit
        line.balance = running
    debts = [
        StatementDebt(
            d.student_id,
            names.get(d.student_id, ""),
            d.term_id,
            terms.get(d.term_id, ""),
            d.kind,
            d.charged,
            d.reduced,
            d.allocated,
            d.due,
        )
        for d in await ledger.debts(session, account.id)
    ]
    per_student: dict[int, StudentBalance] = {}
    for debt in debts:
        student = per_student.setdefault(
            debt.student_id,
            StudentBalance(debt.student_id, debt.student_name, ZERO, ZERO, ZERO, ZERO),
        )
        student.charged += debt.charged
        student.reduced += debt.reduced
        student.allocated += debt.allocated
        student.balance += debt.due

    def paid(kind: PaymentKind) -> Decimal:
        return sum((p.amount for p in payments if p.kind is kind), ZERO)

    summary = FamilyAccountSummary(
        id=account.id,
        school_id=account.school_id,
        guardian_id=account.guardian_id,
        payer_name=_name(payer.family_name, payer.first_name),
        children=sorted({names[id_] for id_ in student_ids if id_ in names}),
        balance=running,
    )
    return AccountStatement(
        account=summary,
        lines=lines,
        debts=debts,
        students=sorted(per_student.values(), key=lambda s: s.student_name),
        charged=sum((c.amount for c in charges), ZERO),
        reduced=sum((r.amount for r in reductions), ZERO),
        received=paid(PaymentKind.RECEIPT),
        refunded=paid(PaymentKind.REFUND),
        reversed=paid(PaymentKind.REVERSAL),
        unallocated_credit=await account_credit(session, account.id),
        balance=running,
    )


__all__ = [
    "CHARGE_KIND_LABELS",
    "METHOD_LABELS",
    "MOTIVE_LABELS",
    "REDUCTION_KIND_LABELS",
    "AccountStatement",
    "FamilyAccountPage",
    "FamilyAccountSummary",
    "LineKind",
    "StatementDebt",
    "StatementLine",
    "StudentBalance",
    "account_statement",
    "family_accounts",
]

"""What a family reads of its finances: the accounts its payer has in the schools (their
balance) and the terms' notices, as replication copied them.

A family member reaches the accounts of the guardians whose codes his account used and that
are still valid: a guardian's own accounts, in any school (a student fed or lodged by another
school is charged there). A student's account (opened with a student's code) reaches none:
what the family owes is the payer's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tsdb.models import FamilyAccount, FamilyCodeUse, TsCode, TsFinanceAccount, TsFinanceNotice


@dataclass(frozen=True)
class NoticeLine:
    label: str
    detail: str | None
    # Signed as it acts on what the family owes: a charge positive, a reduction negative.
    amount: Decimal


@dataclass(frozen=True)
class NoticeChild:
    name: str
    lines: list[NoticeLine]
    total: Decimal | None


@dataclass(frozen=True)
class NoticePayment:
    label: str
    day: date | None
    amount: Decimal


@dataclass(frozen=True)
class Notice:
    id: int
    term_label: str
    issued_on: date
    charges: Decimal
    reductions: Decimal
    scholarships: Decimal
    payments: Decimal
    balance: Decimal
    children: list[NoticeChild]
    payment_lines: list[NoticePayment]


@dataclass(frozen=True)
class FinanceAccount:
    id: int
    school_name: str
    # Positive: the family owes it; negative: a credit.
    balance: Decimal
    updated_at: datetime | None
    # The latest term first.
    notices: list[Notice]


async def _payers(ts: AsyncSession, account: FamilyAccount) -> set[int]:
    """The guardians whose codes, still valid, the account used."""
    return set(
        await ts.scalars(
            select(TsCode.guardian_id)
            .join(FamilyCodeUse, FamilyCodeUse.code_id == TsCode.id)
            .where(FamilyCodeUse.account_id == account.id, TsCode.guardian_id.is_not(None))
        )
    )


def _notice(row: TsFinanceNotice) -> Notice:
    lines: dict[str, Any] = row.lines or {}
    children = [
        NoticeChild(
            child["name"],
            [
                NoticeLine(line["label"], line.get("detail"), Decimal(line["amount"]))
                for line in child.get("lines", [])
            ],
            Decimal(child["total"]) if child.get("total") is not None else None,
        )
        for child in lines.get("children", [])
    ]
    payments = [
        NoticePayment(
            payment["label"],
            date.fromisoformat(payment["day"]) if payment.get("day") else None,
            Decimal(payment["amount"]),
        )
        for payment in lines.get("payments", [])
    ]
    return Notice(
        row.id,
        row.term_label,
        row.issued_on,
        row.charges,
        row.reductions,
        row.scholarships,
        row.payments,
        row.balance,
        children,
        payments,
    )


async def finance_accounts(ts: AsyncSession, account: FamilyAccount) -> list[FinanceAccount]:
    """The payer's accounts the family member reaches, by school name, with their notices."""
    payers = await _payers(ts, account)
    if not payers:
        return []
    rows = list(
        await ts.scalars(
            select(TsFinanceAccount)
            .where(TsFinanceAccount.guardian_id.in_(sorted(payers)))
            .order_by(TsFinanceAccount.school_name, TsFinanceAccount.id)
        )
    )
    notices: dict[int, list[Notice]] = {row.id: [] for row in rows}
    if rows:
        for notice in await ts.scalars(
            select(TsFinanceNotice)
            .where(TsFinanceNotice.account_id.in_(sorted(notices)))
            .order_by(TsFinanceNotice.term_first_day.desc(), TsFinanceNotice.id.desc())
        ):
            notices[notice.account_id].append(_notice(notice))
    return [
        FinanceAccount(row.id, row.school_name, row.balance, row.updated_at, notices[row.id])
        for row in rows
    ]


async def finance_notice(
    ts: AsyncSession, account: FamilyAccount, notice_id: int
) -> tuple[FinanceAccount, Notice] | None:
    """One notice with its account, or ``None`` when the member does not reach it."""
    for found in await finance_accounts(ts, account):
        for notice in found.notices:
            if notice.id == notice_id:
                return found, notice
    return None

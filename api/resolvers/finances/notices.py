"""The term's notice to each family (avis aux familles): what was recorded on its account in
the term (charges with how they were reached, reductions, scholarships deducted, payments),
the balance carried from the earlier terms, the balance due and its due date.

A notice is issued once per account and term (the database's unique constraint backs it),
and frozen as issued (``frozen_lines``, JSON): it reads the same later, in the school and on
the families' portal. Issuing the term again issues only the accounts that have none yet
(a family charged after the first issue) and is refused when every account has its notice:
the ledger is append-only, so what changes on an account after its notice (a correction, a
late payment) is recorded in a later term and appears on that term's notice, through the
previous balance and the term's own lines. A notice is never rewritten.

The figures (``docs/finances.md``): the notice of term T shows the rows recorded in T
(``term_id``, whatever term they are about); the previous balance is the balance of every
row recorded in the school's terms before T; the balance due is the previous balance plus
charges − reductions − scholarships − payments (receipts less refunds and reversals) of T.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.absences.calendar import french_date
from api.resolvers.absences.family_contacts import guardian_postal_lines, school_lines
from api.resolvers.finances.ledger import (
    CHARGE_KIND_LABELS,
    TermFigures,
    figures_by_term,
    term_records,
)
from api.resolvers.finances.reach import account_in_reach, school_in_reach, term_in_reach
from core import clock
from core.errors import NotFound, ValidationFailed
from core.money import ZERO, format_euros
from db.audit import set_actor
from db.finances import (
    ChargeKind,
    FamilyAccount,
    FamilyNotice,
    FinanceTerm,
    LedgerOrigin,
    PaymentKind,
    PaymentMethod,
    ReductionKind,
)
from db.guardians import Guardian
from db.schools import School, SchoolYear
from db.students import Student
from documents.family_notice import NoticeChild, NoticeDocument, NoticeRow, write_notices

# The families pay within a month of the notice unless the bursar sets another day.
DAYS_TO_PAY = 30
# The due day is at most a year after the issue.
LONGEST_DELAY = 366
# The version of ``frozen_lines``' layout (docs/finances.md).
FROZEN_FORMAT = 1

REDUCTION_KIND_LABELS = {
    ReductionKind.PRINCIPLE: "Remise de principe",
    ReductionKind.ORDER: "Remise d'ordre",
    ReductionKind.GRACE: "Remise gracieuse",
    ReductionKind.SCHOLARSHIP: "Bourse",
}
ORIGIN_LABELS = {
    LedgerOrigin.GENERATION: "",
    LedgerOrigin.ADJUSTMENT: "régularisation",
    LedgerOrigin.MANUAL: "saisie",
}
PAYMENT_KIND_LABELS = {
    PaymentKind.RECEIPT: "Paiement",
    PaymentKind.REFUND: "Remboursement",
    PaymentKind.REVERSAL: "Annulation de paiement",
}
PAYMENT_METHOD_LABELS = {
    PaymentMethod.CASH: "espèces",
    PaymentMethod.CHEQUE: "chèque",
    PaymentMethod.TRANSFER: "virement",
    PaymentMethod.CARD: "carte bancaire",
    PaymentMethod.SEPA_DEBIT: "prélèvement SEPA",
}


def account_number(account_id: int) -> str:
    """The family account's number as the notices and the accounting software show it."""
    return f"F{account_id:07d}"


@dataclass
class NoticeIssue:
    """What an issue wrote: the new notices, and how many accounts already had theirs."""

    notices: list[FamilyNotice] = field(default_factory=list)
    already_issued: int = 0


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _text(amount: Decimal) -> str:
    return f"{amount:.2f}"


async def _school_and_year(session: AsyncSession, term: FinanceTerm) -> tuple[School, SchoolYear]:
    school = await session.get(School, term.school_id)
    year = await session.get(SchoolYear, term.school_year_id)
    assert school is not None and year is not None
    return school, year


async def _school_terms(session: AsyncSession, school_id: int) -> dict[int, FinanceTerm]:
    return {
        term.id: term
        for term in await session.scalars(
            select(FinanceTerm).where(FinanceTerm.school_id == school_id)
        )
    }


def _check_due_on(due_on: date | None) -> date:
    today = clock.today()
    if due_on is None:
        return today + timedelta(days=DAYS_TO_PAY)
    if not today <= due_on <= today + timedelta(days=LONGEST_DELAY):
        raise ValidationFailed.single(
            "due_on",
            "OUT_OF_RANGE",
            "Date limite de paiement : entre aujourd'hui et un an plus tard.",
        )
    return due_on


@requires(Permission.FINANCES_MANAGE)
async def issue_notices(
    session: AsyncSession,
    principal: Principal,
    term_id: int,
    account_id: int | None = None,
    due_on: date | None = None,
) -> NoticeIssue:
    """Issue the term's notice of every account of the school with rows recorded in the term
    that has none yet (or of one account): its figures and lines frozen as they are now."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_MANAGE)
    if account_id is not None:
        account = await account_in_reach(session, principal, account_id, Permission.FINANCES_MANAGE)
        if account.school_id != term.school_id:
            raise NotFound("FamilyAccount", account_id)
    due = _check_due_on(due_on)
    records = await term_records(session, term.id, None if account_id is None else [account_id])
    concerned = records.account_ids
    field_name = "account_id" if account_id is not None else "term_id"
    if not concerned:
        raise ValidationFailed.single(
            field_name,
            "NOTHING_RECORDED",
            f"Rien n'est enregistré au {term.label} "
            f"{'sur ce compte' if account_id is not None else 'pour aucune famille'} : "
            "aucun avis à émettre.",
        )
    existing = set(
        await session.scalars(
            select(FamilyNotice.account_id).where(
                FamilyNotice.term_id == term.id, FamilyNotice.account_id.in_(concerned)
            )
        )
    )
    pending = sorted(concerned - existing)
    if not pending:
        raise ValidationFailed.single(
            field_name,
            "ALREADY_ISSUED",
            f"L'avis du {term.label} est déjà émis pour cette famille."
            if account_id is not None
            else f"Les avis du {term.label} sont déjà émis pour toutes les familles concernées.",
        )
    school, year = await _school_and_year(session, term)
    terms = await _school_terms(session, school.id)
    figures = await figures_by_term(session, school.id, pending)
    accounts = {
        account.id: account
        for account in await session.scalars(
            select(FamilyAccount).where(FamilyAccount.id.in_(pending))
        )
    }
    guardians = {
        guardian.id: guardian
        for guardian in await session.scalars(
            select(Guardian).where(Guardian.id.in_({a.guardian_id for a in accounts.values()}))
        )
    }
    student_ids = {row.student_id for row in records.charges} | {
        row.student_id for row in records.reductions
    }
    students = {
        student.id: student
        for student in await session.scalars(select(Student).where(Student.id.in_(student_ids)))
    }
    set_actor(session.sync_session, principal.audit_actor(school.id))
    issue = NoticeIssue(already_issued=len(existing))
    for account_id_ in pending:
        guardian = guardians[accounts[account_id_].guardian_id]
        by_term = figures.get(account_id_, {})
        own = by_term.get(term.id, TermFigures())
        previous = sum(
            (
                f.net
                for t, f in by_term.items()
                if t in terms and terms[t].first_day < term.first_day
            ),
            ZERO,
        )
        content = {
            "format": FROZEN_FORMAT,
            "school": {"name": school.name, "uai": school.uai, "lines": school_lines(school)},
            "year": year.label,
            "term": {
                "id": term.id,
                "rank": term.rank,
                "label": term.label,
                "first_day": term.first_day.isoformat(),
                "last_day": term.last_day.isoformat(),
            },
            "account": {"id": account_id_, "number": account_number(account_id_)},
            "payer": {
                "name": guardian.display_name,
                "address": await guardian_postal_lines(session, guardian),
            },
            "issued_on": clock.today().isoformat(),
            "children": _children(records, account_id_, students, terms),
            "payments": [
                {
                    "id": p.id,
                    "received_on": p.received_on.isoformat(),
                    "kind": p.kind.value,
                    "method": p.method.value,
                    "reference": p.reference,
                    "amount": _text(p.amount),
                }
                for p in records.payments
                if p.account_id == account_id_
            ],
            "previous_balance": _text(previous),
            "charges": _text(own.charges),
            "reductions": _text(own.reductions),
            "scholarships": _text(own.scholarships),
            "payments_total": _text(own.payments),
            "balance": _text(previous + own.net),
            "due_on": due.isoformat(),
        }
        content["family"] = family_view(content)
        issue.notices.append(
            FamilyNotice(
                school_id=school.id,
                term_id=term.id,
                account_id=account_id_,
                issued_at=clock.now(),
                charges=own.charges,
                reductions=own.reductions,
                scholarships=own.scholarships,
                payments=own.payments,
                balance=previous + own.net,
                frozen_lines=json.dumps(content, ensure_ascii=False, sort_keys=True),
                actor_label=principal.label[:120],
            )
        )
    session.add_all(issue.notices)
    try:
        await session.flush()
    except IntegrityError:
        # Issued by someone else between our check and our insert.
        raise ValidationFailed.single(
            field_name,
            "ALREADY_ISSUED",
            f"Les avis du {term.label} viennent d'être émis par ailleurs : rechargez la page.",
        ) from None
    return issue


def _children(
    records: Any, account_id: int, students: dict[int, Student], terms: dict[int, FinanceTerm]
) -> list[dict[str, Any]]:
    def concerns(term_id: int) -> str:
        term = terms.get(term_id)
        return term.label if term is not None else ""

    children: dict[int, dict[str, Any]] = {}

    def child(student_id: int) -> dict[str, Any]:
        if student_id not in children:
            student = students[student_id]
            children[student_id] = {
                "student_id": student_id,
                "name": f"{student.family_name} {student.first_name}",
                "charges": [],
                "reductions": [],
                "scholarships": [],
            }
        return children[student_id]

    for charge in records.charges:
        if charge.account_id != account_id:
            continue
        child(charge.student_id)["charges"].append(
            {
                "id": charge.id,
                "kind": charge.kind.value,
                "origin": charge.origin.value,
                "concerns_term_id": charge.concerns_term_id,
                "concerns": concerns(charge.concerns_term_id),
                "basis": charge.basis,
                "reason": charge.reason,
                "amount": _text(charge.amount),
            }
        )
    for reduction in records.reductions:
        if reduction.account_id != account_id:
            continue
        line = {
            "id": reduction.id,
            "kind": reduction.kind.value,
            "charge_kind": reduction.charge_kind.value,
            "concerns_term_id": reduction.concerns_term_id,
            "concerns": concerns(reduction.concerns_term_id),
            "rate": None if reduction.rate is None else f"{reduction.rate:.2f}",
            "reason": reduction.reason,
            "reverses_reduction_id": reduction.reverses_reduction_id,
            "amount": _text(reduction.amount),
        }
        target = "scholarships" if reduction.kind == ReductionKind.SCHOLARSHIP else "reductions"
        child(reduction.student_id)[target].append(line)
    for line in children.values():
        total = sum((_money(c["amount"]) for c in line["charges"]), ZERO)
        total -= sum((_money(r["amount"]) for r in line["reductions"]), ZERO)
        total -= sum((_money(s["amount"]) for s in line["scholarships"]), ZERO)
        line["total"] = _text(total)
    return sorted(children.values(), key=lambda c: (c["name"], c["student_id"]))


async def _notice_in_reach(
    session: AsyncSession, principal: Principal, notice_id: int
) -> FamilyNotice:
    notice = await session.get(FamilyNotice, notice_id)
    if notice is None:
        raise NotFound("FamilyNotice", notice_id)
    try:
        await school_in_reach(session, principal, notice.school_id, Permission.FINANCES_READ)
    except NotFound:
        raise NotFound("FamilyNotice", notice_id) from None
    return notice


@requires(Permission.FINANCES_READ)
async def family_notice(
    session: AsyncSession, principal: Principal, notice_id: int
) -> FamilyNotice:
    return await _notice_in_reach(session, principal, notice_id)


@requires(Permission.FINANCES_READ)
async def term_notices(
    session: AsyncSession, principal: Principal, term_id: int
) -> list[FamilyNotice]:
    """The term's notices, by payer's name."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_READ)
    notices = list(
        await session.scalars(select(FamilyNotice).where(FamilyNotice.term_id == term.id))
    )
    return sorted(notices, key=lambda n: (sort_key(payer_name(n)), n.id))


@requires(Permission.FINANCES_READ)
async def notices_to_issue(session: AsyncSession, principal: Principal, term_id: int) -> int:
    """How many accounts have rows recorded in the term and no notice yet."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_READ)
    concerned = (await term_records(session, term.id)).account_ids
    issued = set(
        await session.scalars(
            select(FamilyNotice.account_id).where(FamilyNotice.term_id == term.id)
        )
    )
    return len(concerned - issued)


def frozen(notice: FamilyNotice) -> dict[str, Any]:
    """The notice's lines as issued."""
    content: dict[str, Any] = json.loads(notice.frozen_lines)
    return content


def sort_key(name: str) -> str:
    """A name as a directory sorts it: "Élan" beside "Elan", before "Martin"."""
    return "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).casefold()


def payer_name(notice: FamilyNotice) -> str:
    return str(frozen(notice)["payer"]["name"])


def _euros(text: str) -> str:
    return format_euros(_money(text))


def _child_rows(child: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    """A child's lines as the family reads them: label, detail, amount signed by its effect
    on what the family owes (a charge positive, a reduction or a scholarship negative)."""
    rows: list[tuple[str, str, Decimal]] = []
    for charge in child["charges"]:
        origin = ORIGIN_LABELS[LedgerOrigin(charge["origin"])]
        label = f"{CHARGE_KIND_LABELS[ChargeKind(charge['kind'])]} — {charge['concerns']}"
        detail = charge["basis"] + (f" ({origin})" if origin else "")
        if charge["reason"]:
            detail += f" : {charge['reason']}"
        rows.append((label, detail, _money(charge["amount"])))
    for reduction in child["reductions"] + child["scholarships"]:
        kind = REDUCTION_KIND_LABELS[ReductionKind(reduction["kind"])]
        # Frozen before 0016, a reversal said so in its reason; since, it names the reduction.
        if reduction.get("reverses_reduction_id"):
            kind = f"Annulation — {kind.lower()}"
        rate = f" {reduction['rate'].replace('.', ',')} %" if reduction["rate"] else ""
        on = CHARGE_KIND_LABELS[ChargeKind(reduction["charge_kind"])].lower()
        rows.append(
            (
                f"{kind}{rate} — {on}, {reduction['concerns']}",
                reduction["reason"],
                -_money(reduction["amount"]),
            )
        )
    return rows


def _payment_rows(content: dict[str, Any]) -> list[tuple[date, str, str, Decimal]]:
    """The term's payments: day, label, reference, amount signed like the children's lines
    (a receipt negative, a refund or a reversal positive)."""
    rows = []
    for payment in content["payments"]:
        kind = PaymentKind(payment["kind"])
        sign = -1 if kind is PaymentKind.RECEIPT else 1
        method = PAYMENT_METHOD_LABELS[PaymentMethod(payment["method"])]
        rows.append(
            (
                date.fromisoformat(payment["received_on"]),
                f"{PAYMENT_KIND_LABELS[kind]} ({method})",
                payment["reference"] or "",
                sign * _money(payment["amount"]),
            )
        )
    return rows


def family_view(content: dict[str, Any]) -> dict[str, Any]:
    """What the families' portal shows of a notice (frozen with it under ``family``, copied
    by the replication): per child its lines and total, and the term's payments, in French,
    amounts as strings signed by their effect on what the family owes."""
    return {
        "children": [
            {
                "name": child["name"],
                "lines": [
                    {"label": label, "detail": detail or None, "amount": _text(amount)}
                    for label, detail, amount in _child_rows(child)
                ],
                "total": child["total"],
            }
            for child in content["children"]
        ],
        "payments": [
            {
                "label": f"{label} {reference}".strip(),
                "day": day.isoformat(),
                "amount": _text(amount),
            }
            for day, label, reference, amount in _payment_rows(content)
        ],
    }


def notice_document(notice: FamilyNotice) -> NoticeDocument:
    """The printed form of a notice, from its frozen lines only."""
    content = frozen(notice)
    school = content["school"]
    children = [
        NoticeChild(
            child["name"],
            [
                NoticeRow(label, detail, format_euros(amount))
                for label, detail, amount in _child_rows(child)
            ],
            _euros(child["total"]),
        )
        for child in content["children"]
    ]
    payments = [
        (day.strftime("%d/%m/%Y"), label, reference, format_euros(amount))
        for day, label, reference, amount in _payment_rows(content)
    ]
    balance = _money(content["balance"])
    due_on = date.fromisoformat(content["due_on"])
    if balance > 0:
        closing = (
            f"Montant à régler avant le {french_date(due_on)} auprès du service de gestion "
            f"de l'établissement, en rappelant le numéro de compte {content['account']['number']}."
        )
        last = "Solde à payer"
    elif balance < 0:
        closing = "Votre compte présente un crédit : il sera déduit du prochain avis."
        last = "Crédit en votre faveur"
    else:
        closing = "Votre compte est soldé : vous n'avez rien à payer."
        last = "Solde"
    payer = content["payer"]
    return NoticeDocument(
        school_lines=school["lines"],
        recipient_lines=payer["address"] or [payer["name"]],
        title=f"Avis aux familles — {content['term']['label']} {content['year']}",
        reference=(
            f"Compte famille {content['account']['number']} · {payer['name']} · émis le "
            f"{date.fromisoformat(content['issued_on']):%d/%m/%Y}"
        ),
        children=children,
        payments=payments,
        summary=[
            ("Solde des trimestres précédents", _euros(content["previous_balance"])),
            ("Droits constatés du trimestre", _euros(content["charges"])),
            ("Remises", _euros(str(-_money(content["reductions"])))),
            ("Bourses déduites", _euros(str(-_money(content["scholarships"])))),
            ("Paiements reçus", _euros(str(-_money(content["payments_total"])))),
            (last, _euros(str(abs(balance)))),
        ],
        closing=closing,
    )


@requires(Permission.FINANCES_READ)
async def notice_pdf(
    session: AsyncSession, principal: Principal, notice_id: int
) -> tuple[str, bytes]:
    """One notice as a PDF: (file name, content)."""
    notice = await _notice_in_reach(session, principal, notice_id)
    content = frozen(notice)
    name = f"avis_{content['school']['uai']}_T{content['term']['rank']}_{content['account']['number']}.pdf"
    return name, write_notices([notice_document(notice)], "Avis aux familles")


@requires(Permission.FINANCES_READ)
async def term_notices_pdf(
    session: AsyncSession, principal: Principal, term_id: int
) -> tuple[str, bytes]:
    """Every notice of the term in one PDF, a page per family, by payer's name."""
    notices = await term_notices(session, principal, term_id)
    if not notices:
        raise ValidationFailed.single(
            "term_id", "NO_NOTICE", "Aucun avis n'est émis pour ce trimestre."
        )
    term = await session.get(FinanceTerm, term_id)
    school = await session.get(School, notices[0].school_id)
    assert term is not None and school is not None
    return (
        f"avis_{school.uai}_T{term.rank}.pdf",
        write_notices([notice_document(n) for n in notices], f"Avis aux familles — {term.label}"),
    )

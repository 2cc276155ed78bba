"""The term's transfer to the accounting software (transfert de créances): one CSV file of
every charge, reduction and payment recorded in the term, then its control totals. A term is
transferred once: the file is stored as sent (``ChargeTransfer``, unique per term, which the
database backs even when two bursars send at once) and downloaded again byte for byte.

Only a closed term is transferred. A transfer carries everything recorded in the term, and
only a closed term's records are final: an open term still receives payments and
corrections, which a transfer sent earlier would leave out of the accounts for good (a
term is sent once). What changes about a closed term is recorded in an open one and goes
with that term's transfer.

The format, column by column, and the control totals are in ``docs/finances.md``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.guard import requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from api.resolvers.finances.ledger import term_records
from api.resolvers.finances.notices import account_number
from api.resolvers.finances.reach import term_in_reach
from core import clock
from core.errors import NotFound, ValidationFailed
from core.money import ZERO
from db.audit import set_actor
from db.finances import (
    ChargeKind,
    ChargeTransfer,
    FamilyAccount,
    FinanceTerm,
    LedgerOrigin,
    PaymentKind,
    PaymentMethod,
    ReductionKind,
)
from db.guardians import Guardian
from db.schools import School, SchoolYear
from db.students import Student

COLUMNS = (
    "type",
    "date",
    "compte",
    "payeur",
    "eleve",
    "nature",
    "service",
    "trimestre_concerne",
    "montant",
    "mode_paiement",
    "piece",
    "reference",
)
CHARGE, REDUCTION = "DROIT", "REMISE"
PAYMENT_TYPES = {
    PaymentKind.RECEIPT: "ENCAISSEMENT",
    PaymentKind.REFUND: "REMBOURSEMENT",
    PaymentKind.REVERSAL: "ANNULATION",
}
# In the file's order, with the sign each brings to the net total.
RECORD_TYPES = (
    (CHARGE, 1, "Droits constatés"),
    (REDUCTION, -1, "Remises et bourses"),
    ("ENCAISSEMENT", -1, "Encaissements"),
    ("REMBOURSEMENT", 1, "Remboursements"),
    ("ANNULATION", 1, "Annulations d'encaissement"),
)
CONTROL, NET = "TOTAL", "SOLDE_NET"
CHARGE_NATURES = {
    LedgerOrigin.GENERATION: "CONSTATE",
    LedgerOrigin.ADJUSTMENT: "REGULARISATION",
    LedgerOrigin.MANUAL: "SAISIE",
}
REDUCTION_NATURES = {
    ReductionKind.PRINCIPLE: "REMISE_PRINCIPE",
    ReductionKind.ORDER: "REMISE_ORDRE",
    ReductionKind.GRACE: "REMISE_GRACIEUSE",
    ReductionKind.SCHOLARSHIP: "BOURSE",
}
SERVICES = {ChargeKind.HALF_BOARD: "DEMI_PENSION", ChargeKind.BOARDING: "INTERNAT"}
METHODS = {
    PaymentMethod.CASH: "ESPECES",
    PaymentMethod.CHEQUE: "CHEQUE",
    PaymentMethod.TRANSFER: "VIREMENT",
    PaymentMethod.CARD: "CARTE",
    PaymentMethod.SEPA_DEBIT: "PRELEVEMENT",
}


@dataclass
class TransferTotal:
    """The count and the total of one record type of a transfer."""

    record_type: str
    label: str
    count: int = 0
    total: Decimal = ZERO


@dataclass
class TransferPreview:
    """What the term's transfer holds (or held, once sent)."""

    term_id: int
    term_label: str
    closed: bool
    totals: list[TransferTotal]
    # Charges − reductions − receipts + refunds + reversals.
    net: Decimal
    lines: int
    transferred_at: datetime | None = None
    transferred_by: str | None = None
    transfer_id: int | None = None


@dataclass
class _File:
    name: str
    text: str
    totals: list[TransferTotal] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        signs = {record: sign for record, sign, _label in RECORD_TYPES}
        return sum((signs[t.record_type] * t.total for t in self.totals), ZERO)

    @property
    def lines(self) -> int:
        return sum(t.count for t in self.totals)

    def total(self, record_type: str) -> Decimal:
        return next(t.total for t in self.totals if t.record_type == record_type)


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _person(family_name: str, usage_name: str | None, first_name: str) -> str:
    return f"{(usage_name or family_name).upper()} {first_name}"


async def _file(session: AsyncSession, term: FinanceTerm) -> _File:
    """The term's transfer file as it would be sent now."""
    school = await session.get(School, term.school_id)
    year = await session.get(SchoolYear, term.school_year_id)
    assert school is not None and year is not None
    records = await term_records(session, term.id)
    accounts = {
        a.id: a
        for a in await session.scalars(
            select(FamilyAccount).where(FamilyAccount.id.in_(records.account_ids))
        )
    }
    payers = {
        g.id: _person(g.family_name, g.usage_name, g.first_name)
        for g in await session.scalars(
            select(Guardian).where(Guardian.id.in_({a.guardian_id for a in accounts.values()}))
        )
    }
    student_ids = {c.student_id for c in records.charges} | {
        r.student_id for r in records.reductions
    }
    students = {
        s.id: f"{s.family_name.upper()} {s.first_name}"
        for s in await session.scalars(select(Student).where(Student.id.in_(student_ids)))
    }
    concerned = {c.concerns_term_id for c in records.charges} | {
        r.concerns_term_id for r in records.reductions
    }
    terms: dict[int, str] = {}
    for concerned_term, concerned_year in await session.execute(
        select(FinanceTerm, SchoolYear)
        .join(SchoolYear, SchoolYear.id == FinanceTerm.school_year_id)
        .where(FinanceTerm.id.in_(concerned))
    ):
        terms[concerned_term.id] = f"{concerned_year.label} T{concerned_term.rank}"
    totals = {record: TransferTotal(record, label) for record, _sign, label in RECORD_TYPES}

    def payer(account_id: int) -> str:
        return payers[accounts[account_id].guardian_id]

    def day(moment: datetime) -> str:
        return moment.astimezone(clock.PARIS).date().isoformat()

    rows: list[list[str]] = []
    for charge in records.charges:
        rows.append(
            [
                CHARGE,
                day(charge.created_at),
                account_number(charge.account_id),
                payer(charge.account_id),
                students[charge.student_id],
                CHARGE_NATURES[charge.origin],
                SERVICES[charge.kind],
                terms[charge.concerns_term_id],
                _amount(charge.amount),
                "",
                f"C{charge.id}",
                "",
            ]
        )
        totals[CHARGE].count += 1
        totals[CHARGE].total += charge.amount
    for reduction in records.reductions:
        rows.append(
            [
                REDUCTION,
                day(reduction.created_at),
                account_number(reduction.account_id),
                payer(reduction.account_id),
                students[reduction.student_id],
                REDUCTION_NATURES[reduction.kind],
                SERVICES[reduction.charge_kind],
                terms[reduction.concerns_term_id],
                _amount(reduction.amount),
                "",
                f"R{reduction.id}",
                "",
            ]
        )
        totals[REDUCTION].count += 1
        totals[REDUCTION].total += reduction.amount
    for payment in records.payments:
        record = PAYMENT_TYPES[payment.kind]
        rows.append(
            [
                record,
                payment.received_on.isoformat(),
                account_number(payment.account_id),
                payer(payment.account_id),
                "",
                "",
                "",
                "",
                _amount(payment.amount),
                METHODS[payment.method],
                f"P{payment.id}",
                payment.reference or "",
            ]
        )
        totals[record].count += 1
        totals[record].total += payment.amount
    built = _File(
        f"transfert_creances_{school.uai}_{year.start_year}_T{term.rank}.csv",
        "",
        list(totals.values()),
    )
    today = clock.today().isoformat()
    for total in built.totals:
        rows.append(
            [
                *(CONTROL, today, "", "", "", total.record_type, "", ""),
                *(_amount(total.total), "", "", str(total.count)),
            ]
        )
    rows.append(
        [CONTROL, today, "", "", "", NET, "", "", _amount(built.net), "", "", str(built.lines)]
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    built.text = buffer.getvalue()
    return built


async def _sent(session: AsyncSession, term_id: int) -> ChargeTransfer | None:
    transfer: ChargeTransfer | None = await session.scalar(
        select(ChargeTransfer).where(ChargeTransfer.term_id == term_id)
    )
    return transfer


def _term_name(term: FinanceTerm, year: SchoolYear) -> str:
    return f"{term.label} {year.label}"


@requires(Permission.FINANCES_READ)
async def transfer_preview(
    session: AsyncSession, principal: Principal, term_id: int
) -> TransferPreview:
    """The counts and totals of the term's transfer: as it would be sent now, or as sent."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_READ)
    sent = await _sent(session, term.id)
    built = await _file(session, term)
    preview = TransferPreview(
        term.id, term.label, term.closed_at is not None, built.totals, built.net, built.lines
    )
    if sent is not None:
        preview.transferred_at, preview.transferred_by = sent.created_at, sent.actor_label
        preview.transfer_id = sent.id
    return preview


@requires(Permission.FINANCES_MANAGE)
async def transfer_term(
    session: AsyncSession, principal: Principal, term_id: int
) -> ChargeTransfer:
    """Send the closed term's transfer: its file is stored, once for good."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_MANAGE)
    year = await session.get(SchoolYear, term.school_year_id)
    assert year is not None
    name = _term_name(term, year)
    sent = await _sent(session, term.id)
    if sent is not None:
        raise ValidationFailed.single(
            "term_id",
            "ALREADY_TRANSFERRED",
            f"Le transfert du {name} est déjà envoyé (le "
            f"{sent.created_at.astimezone(clock.PARIS):%d/%m/%Y à %H:%M} par "
            f"{sent.actor_label}) : un trimestre ne se transfère qu'une fois.",
        )
    if term.closed_at is None:
        raise ValidationFailed.single(
            "term_id",
            "TERM_OPEN",
            f"Le {name} n'est pas clos : clôturez-le avant son transfert, pour que le "
            "fichier porte toutes ses écritures.",
        )
    built = await _file(session, term)
    if built.lines == 0:
        raise ValidationFailed.single(
            "term_id", "NOTHING_RECORDED", f"Rien n'est enregistré au {name} : rien à transférer."
        )
    set_actor(session.sync_session, principal.audit_actor(term.school_id))
    transfer = ChargeTransfer(
        school_id=term.school_id,
        term_id=term.id,
        created_at=clock.now(),
        actor_label=principal.label[:120],
        file_name=built.name,
        file_text=built.text,
        lines=built.lines,
        total_charges=built.total(CHARGE),
        total_reductions=built.total(REDUCTION),
        total_payments=built.total("ENCAISSEMENT")
        - built.total("REMBOURSEMENT")
        - built.total("ANNULATION"),
    )
    session.add(transfer)
    try:
        await session.flush()
    except IntegrityError:
        # Sent by someone else between our check and our insert: the unique constraint held.
        raise ValidationFailed.single(
            "term_id",
            "ALREADY_TRANSFERRED",
            f"Le transfert du {name} vient d'être envoyé par ailleurs : un trimestre ne se "
            "transfère qu'une fois.",
        ) from None
    return transfer


@requires(Permission.FINANCES_READ)
async def charge_transfer(
    session: AsyncSession, principal: Principal, term_id: int
) -> ChargeTransfer | None:
    """The term's transfer once sent, else None."""
    term = await term_in_reach(session, principal, term_id, Permission.FINANCES_READ)
    return await _sent(session, term.id)


@requires(Permission.FINANCES_READ)
async def transfer_file(
    session: AsyncSession, principal: Principal, transfer_id: int
) -> tuple[str, bytes]:
    """The file as it was sent: (name, UTF-8 bytes)."""
    transfer = await session.get(ChargeTransfer, transfer_id)
    if transfer is None:
        raise NotFound("ChargeTransfer", transfer_id)
    try:
        await term_in_reach(session, principal, transfer.term_id, Permission.FINANCES_READ)
    except NotFound:
        raise NotFound("ChargeTransfer", transfer_id) from None
    return transfer.file_name, transfer.file_text.encode("utf-8")

"""The student's finances (gestion financière de l'élève, GFE): each school's terms and
tariffs, the régime each enrolment had over time, family accounts, the charges (droits
constatés) generated per term, reductions, payments and their allocation, reminders, the
notices sent to families and the term's transfer to the accounting software.

Money is ``Numeric(12, 2)`` here and ``Decimal`` in Python, never a float. The ledger is
append-only: a charge, a reduction or a payment is never updated once written; a change is
a new row (an adjustment, a reversal) that says why, so that every total can be rebuilt and
reconciled to the cent.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column, utcnow

MONEY = Numeric(12, 2)


class ProrationRule(enum.StrEnum):
    """How a flat rate is prorated when a student is charged for part of a term."""

    # Days enrolled over the term's days.
    CALENDAR_DAYS = "calendar_days"
    # Days the service runs (the school's service weekdays, outside school holidays).
    SERVICE_DAYS = "service_days"
    # Weeks begun over the term's weeks.
    WEEKS = "weeks"


class FinanceSettings(Audited, Versioned, Base):
    """A school's rules for a year, voted with its tariffs."""

    __tablename__ = "finance_settings"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), primary_key=True)
    proration_rule: Mapped[ProrationRule] = mapped_column(
        enum_column(ProrationRule, 16), default=ProrationRule.SERVICE_DAYS
    )
    # ISO weekdays the canteen and the boarding serve ("1245": Monday, Tuesday, Thursday,
    # Friday).
    service_weekdays: Mapped[str] = mapped_column(String(7), default="12345")
    # A remise d'ordre is granted for an absence of at least this many consecutive days.
    order_reduction_min_days: Mapped[int] = mapped_column(default=14)
    # Reference of the school board's vote (délibération du conseil d'administration).
    board_decision: Mapped[str | None] = mapped_column(String(120))


class FinanceTerm(Audited, Base):
    """A financial term (trimestre) of a school's year. Closed, it is immutable: what changes
    about it afterwards is an adjustment recorded in an open term."""

    __tablename__ = "finance_terms"
    __table_args__ = (
        UniqueConstraint("school_id", "school_year_id", "rank"),
        CheckConstraint("first_day <= last_day", name="starts_before_it_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    rank: Mapped[int]
    label: Mapped[str] = mapped_column(String(40))
    first_day: Mapped[date]
    last_day: Mapped[date]
    closed_at: Mapped[datetime | None]
    closed_by_label: Mapped[str | None] = mapped_column(String(120))


class TariffBasis(enum.StrEnum):
    # A flat rate for the term (forfait), prorated for part of it.
    FLAT_TERM = "flat_term"
    # A price per meal, times the meals the régime gives over the days enrolled.
    PER_MEAL = "per_meal"


class Tariff(Audited, Versioned, Base):
    """What a régime (a SIECLE régime code) costs in a school for a term."""

    __tablename__ = "tariffs"
    __table_args__ = (
        UniqueConstraint("term_id", "regime_code"),
        CheckConstraint("amount >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    regime_code: Mapped[str] = mapped_column(String(3))
    basis: Mapped[TariffBasis] = mapped_column(enum_column(TariffBasis, 10))
    amount: Mapped[Decimal] = mapped_column(MONEY)


class RegimePeriod(Audited, Base):
    """The régime of an enrolment from a day on (until the next period or the exit date).
    An enrolment without periods has its own régime for its whole span. ``host_school_id``
    names the school that feeds or lodges the student when it is not his own (hébergement
    croisé): that school charges him, by its tariff."""

    __tablename__ = "regime_periods"
    __table_args__ = (UniqueConstraint("enrollment_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    effective_on: Mapped[date]
    regime_code: Mapped[str] = mapped_column(String(3))
    host_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))


class FamilyAccount(Audited, Versioned, Timestamped, Base):
    """A payer's account in a school (compte famille): all his children's charges there."""

    __tablename__ = "family_accounts"
    __table_args__ = (UniqueConstraint("school_id", "guardian_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id"), index=True)
    # Children of the family boarding or half-boarding in public schools this base does not
    # hold (another académie), on a certificate: they count for the remise de principe.
    children_elsewhere: Mapped[int] = mapped_column(default=0)


class ChargeKind(enum.StrEnum):
    HALF_BOARD = "half_board"
    BOARDING = "boarding"


class LedgerOrigin(enum.StrEnum):
    # Written by a term's generation.
    GENERATION = "generation"
    # A correction: a later generation, a régime change, a closed term corrected.
    ADJUSTMENT = "adjustment"
    # Entered by hand.
    MANUAL = "manual"


class ChargeGeneration(Audited, Base):
    """One application of a term's generation: every charge and reduction it wrote points
    to it."""

    __tablename__ = "charge_generations"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"), index=True)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))
    lines: Mapped[int]
    total: Mapped[Decimal] = mapped_column(MONEY)


# Not audited row by row: charges are written in mass and never changed; the generation
# that wrote them is audited, and each row says who wrote it and why.
class Charge(Base):
    """A droit constaté: what an account owes for a student's board or half-board for a term
    (``concerns_term_id``), recorded in a term (``term_id``, the same unless it corrects a
    closed term). Adjustments are further rows, negative or positive."""

    __tablename__ = "charges"
    __table_args__ = (
        Index("ix_charges_term_account", "term_id", "account_id"),
        Index("ix_charges_student_term", "student_id", "concerns_term_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    concerns_term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollments.id"))
    kind: Mapped[ChargeKind] = mapped_column(enum_column(ChargeKind, 12))
    origin: Mapped[LedgerOrigin] = mapped_column(enum_column(LedgerOrigin, 12))
    regime_code: Mapped[str] = mapped_column(String(3))
    tariff_id: Mapped[int | None] = mapped_column(ForeignKey("tariffs.id"))
    # How the amount was reached, for the family and the bursar ("48 jours sur 60",
    # "132 repas à 3,90").
    basis: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    generation_id: Mapped[int | None] = mapped_column(
        ForeignKey("charge_generations.id"), index=True
    )
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))


class ReductionKind(enum.StrEnum):
    # Decree 63-629: three or more children boarding or half-boarding at once.
    PRINCIPLE = "principle"
    # Absence (illness, work placement, exclusion) or closure of the service.
    ORDER = "order"
    # Decided by the principal.
    GRACE = "grace"
    # A scholarship's term deducted from the board charges.
    SCHOLARSHIP = "scholarship"


class OrderMotive(enum.StrEnum):
    ILLNESS = "illness"
    WORK_PLACEMENT = "work_placement"
    EXCLUSION = "exclusion"
    SERVICE_CLOSURE = "service_closure"
    OTHER = "other"


class Reduction(Audited, Base):
    """A remise: what is taken off a student's charge of a kind for a term. Positive reduces
    what is owed; a reversal is a further, negative row naming the reduction it undoes
    (``reverses_reduction_id``), with its own reason."""

    __tablename__ = "reductions"
    __table_args__ = (
        Index("ix_reductions_term_account", "term_id", "account_id"),
        Index("ix_reductions_student_term", "student_id", "concerns_term_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    concerns_term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    charge_kind: Mapped[ChargeKind] = mapped_column(enum_column(ChargeKind, 12))
    kind: Mapped[ReductionKind] = mapped_column(enum_column(ReductionKind, 12))
    origin: Mapped[LedgerOrigin] = mapped_column(enum_column(LedgerOrigin, 12))
    motive: Mapped[OrderMotive | None] = mapped_column(enum_column(OrderMotive, 16))
    first_day: Mapped[date | None]
    last_day: Mapped[date | None]
    # The remise de principe's rate, in percent.
    rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(String(300))
    generation_id: Mapped[int | None] = mapped_column(ForeignKey("charge_generations.id"))
    scholarship_payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("scholarship_payments.id")
    )
    # A reversal: the remise d'ordre or gracieuse it undoes. Unique: a reduction is reversed
    # once, even by two commands at the same instant.
    reverses_reduction_id: Mapped[int | None] = mapped_column(
        ForeignKey("reductions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    CHEQUE = "cheque"
    TRANSFER = "transfer"
    CARD = "card"
    SEPA_DEBIT = "sepa_debit"


class PaymentKind(enum.StrEnum):
    # Money received from the family.
    RECEIPT = "receipt"
    # A credit balance paid back to the family.
    REFUND = "refund"
    # A receipt cancelled (cheque returned unpaid, entered twice): a further row.
    REVERSAL = "reversal"


class Payment(Audited, Base):
    """Money received from or paid back to a family account. ``amount`` is positive; the
    kind says which way it goes. A reversal keeps the reference of the receipt it cancels
    and says why in ``reason``."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_term_account", "term_id", "account_id"),
        CheckConstraint("amount > 0", name="positive_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # The term it is recorded in (the open one on ``received_on``).
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(enum_column(PaymentKind, 10))
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod, 10))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    received_on: Mapped[date]
    # Cheque number and bank, transfer or mandate reference.
    reference: Mapped[str | None] = mapped_column(String(80))
    reverses_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    # Why a receipt was reversed (cheque returned unpaid, entered twice) or a credit refunded.
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))


class PaymentAllocation(Base):
    """The part of a receipt set against what a student owed for a kind and a term
    (lettrage), oldest debts first. Written with the receipt or when a later charge meets
    an unallocated credit; never changed (a reversal writes negative allocations)."""

    __tablename__ = "payment_allocations"
    __table_args__ = (Index("ix_payment_allocations_student_term", "student_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    # The term the debt is about (a charge's ``concerns_term_id``).
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    kind: Mapped[ChargeKind] = mapped_column(enum_column(ChargeKind, 12))
    amount: Mapped[Decimal] = mapped_column(MONEY)


class ReminderChannel(enum.StrEnum):
    EMAIL = "email"
    LETTER = "letter"


class PaymentReminder(Audited, Base):
    """A reminder (relance) of what an account owed that day."""

    __tablename__ = "payment_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    channel: Mapped[ReminderChannel] = mapped_column(enum_column(ReminderChannel, 8))
    balance: Mapped[Decimal] = mapped_column(MONEY)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))


class FamilyNotice(Audited, Base):
    """The term's notice to a family (avis aux familles) as it was issued: its lines are
    frozen in ``frozen_lines`` (JSON) so that the notice reads the same later, in the school and
    on the families' portal."""

    __tablename__ = "family_notices"
    __table_args__ = (UniqueConstraint("term_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    charges: Mapped[Decimal] = mapped_column(MONEY)
    reductions: Mapped[Decimal] = mapped_column(MONEY)
    scholarships: Mapped[Decimal] = mapped_column(MONEY)
    payments: Mapped[Decimal] = mapped_column(MONEY)
    balance: Mapped[Decimal] = mapped_column(MONEY)
    frozen_lines: Mapped[str] = mapped_column(Text)
    actor_label: Mapped[str] = mapped_column(String(120))


class ChargeTransfer(Audited, Base):
    """A term's transfer to the accounting software (transfert de créances): sent once."""

    __tablename__ = "charge_transfers"
    __table_args__ = (UniqueConstraint("term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))
    file_name: Mapped[str] = mapped_column(String(120))
    file_text: Mapped[str] = mapped_column(Text)
    lines: Mapped[int]
    total_charges: Mapped[Decimal] = mapped_column(MONEY)
    total_reductions: Mapped[Decimal] = mapped_column(MONEY)
    total_payments: Mapped[Decimal] = mapped_column(MONEY)

"""Tables of the télé-services database.

Replicated tables (``ts_*``, written by ``replication/`` only, read by the families portal)
hold exactly what families may see; their ids are the admin database's. Account tables
(``family_*``) are the families' own, written by the families portal; replication reads
``family_code_uses`` to tell the admin side that a code was used. Replication's own
bookkeeping (runs, cursor) is here too: it commits with the rows it describes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import clock


def utcnow() -> datetime:
    return clock.now()


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: DateTime(timezone=True)}


class ReplicationRun(Base):
    """One run of ``sconet replicate``: when, how it ended, how many rows it moved."""

    __tablename__ = "replication_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    full: Mapped[bool] = mapped_column(default=False)
    rows_copied: Mapped[int] = mapped_column(default=0)
    rows_deleted: Mapped[int] = mapped_column(default=0)


class ReplicationState(Base):
    """One row: how far the admin database's change feed (its audit log) has been applied,
    and when marks were last published (marks become visible with time, not with a change)."""

    __tablename__ = "replication_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_cursor: Mapped[int] = mapped_column(default=0)
    # Audit ids missing below the cursor, looked for again: {"id": "first missed at"}.
    audit_gaps: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    published_through: Mapped[date | None]


class TsSchool(Base):
    __tablename__ = "ts_schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    uai: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80))
    # Comma-separated open services: "absences,grades".
    services: Mapped[str] = mapped_column(String(40))


class TsStudent(Base):
    """A child as families see him: in one school this year (admin enrolment id)."""

    __tablename__ = "ts_students"
    __table_args__ = (Index("ix_ts_students_student", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int]
    school_id: Mapped[int] = mapped_column(index=True)
    family_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[date]
    division_code: Mapped[str | None] = mapped_column(String(8))


class TsAbsence(Base):
    __tablename__ = "ts_absences"
    __table_args__ = (Index("ix_ts_absences_student", "student_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int]
    school_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date]
    start_slot: Mapped[str] = mapped_column(String(8))
    end_date: Mapped[date]
    end_slot: Mapped[str] = mapped_column(String(8))
    minutes_late: Mapped[int | None]
    motive: Mapped[str | None] = mapped_column(String(80))
    justified: Mapped[bool]


class TsMark(Base):
    """A published mark (admin mark id)."""

    __tablename__ = "ts_marks"
    __table_args__ = (Index("ix_ts_marks_student", "student_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int]
    school_id: Mapped[int]
    subject: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(120))
    day: Mapped[date]
    status: Mapped[str] = mapped_column(String(12))
    value: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    scale: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    coefficient: Mapped[Decimal] = mapped_column(Numeric(4, 2))


class TsCode(Base):
    """A valid activation code: its hash, and the birth date it pairs with."""

    __tablename__ = "ts_codes"
    __table_args__ = (Index("ix_ts_codes_lookup", "birth_date", "lookup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(3))
    school_id: Mapped[int]
    student_id: Mapped[int]
    guardian_id: Mapped[int | None]
    birth_date: Mapped[date]
    lookup: Mapped[str] = mapped_column(String(4))
    code_hash: Mapped[str] = mapped_column(String(255))


class TsFinanceAccount(Base):
    """A payer's account in a school (admin family account id), copied only when the payer is
    a guardian this database holds (he has a valid code here): its balance, nothing of the
    ledger's rows. The school's name is kept here because the school that charges may have
    no télé-service open (a student fed or lodged by another school)."""

    __tablename__ = "ts_finance_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(index=True)
    school_id: Mapped[int]
    school_name: Mapped[str] = mapped_column(String(120))
    # Positive: the family owes it; negative: a credit.
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # When the account's ledger last moved (None: nothing charged, reduced nor paid yet).
    updated_at: Mapped[datetime | None]


class TsFinanceNotice(Base):
    """A term's notice to a family (admin notice id) as it was issued: its totals, and its
    lines reduced to what a family reads (``replication.snapshot.notice_lines`` says which)."""

    __tablename__ = "ts_finance_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(index=True)
    school_id: Mapped[int]
    term_label: Mapped[str] = mapped_column(String(40))
    term_first_day: Mapped[date]
    issued_on: Mapped[date]
    charges: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reductions: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    scholarships: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    payments: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    balance: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    lines: Mapped[dict[str, Any]] = mapped_column(JSON)


class FamilyAccount(Base):
    __tablename__ = "family_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FamilyCodeUse(Base):
    """A code used to create or extend an account: the account sees the code's child for as
    long as the code stays valid (its ``ts_codes`` row exists). Replication reports it back."""

    __tablename__ = "family_code_uses"
    __table_args__ = (UniqueConstraint("code_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    code_id: Mapped[int]
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]


class FamilySession(Base):
    """A signed-in family member: the cookie holds a random token, this table its SHA-256."""

    __tablename__ = "family_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class FamilyFailureCounter(Base):
    """Failed guesses on the families portal (codes, passwords), per code, account and
    address: the same counters as the staff side's (``core.guess_counters``)."""

    __tablename__ = "family_failure_counters"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class FamilyMail(Base):
    """An e-mail to a family (address confirmation, password reset), sent by ``sconet worker``
    like the staff side's outbox (same columns, same claims and retries)."""

    __tablename__ = "family_mails"
    __table_args__ = (Index("ix_family_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    delivered_by: Mapped[str | None] = mapped_column(String(20))
    provider_reference: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class FamilyToken(Base):
    """A one-time link sent by e-mail: confirming the address, or choosing a new password."""

    __tablename__ = "family_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("family_accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to (a confirmation confirms that address only).
    email: Mapped[str] = mapped_column(String(254))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

"""Scholarships (bourses de collège and de lycée): the national tables by year, each
student's file, and what is paid each term after the term (à terme échu)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column, utcnow
from db.finances import MONEY


class ScholarshipKind(enum.StrEnum):
    COLLEGE = "college"
    LYCEE = "lycee"


class ScholarshipAmount(Base):
    """What an échelon is worth a year, in the national table that applies from
    ``first_year`` (the starting year of a school year: 2024 for 2024-2025) until a later
    table. Shipped as reference data; the rectorat loads a new table each year."""

    __tablename__ = "scholarship_amounts"
    __table_args__ = (UniqueConstraint("kind", "first_year", "echelon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ScholarshipKind] = mapped_column(enum_column(ScholarshipKind, 8))
    first_year: Mapped[int]
    echelon: Mapped[int]
    annual_amount: Mapped[Decimal] = mapped_column(MONEY)


class ScholarshipCeiling(Base):
    """The highest reference tax income that gives an échelon, by number of dependent
    children (the last row's number stands for "that many or more")."""

    __tablename__ = "scholarship_ceilings"
    __table_args__ = (UniqueConstraint("kind", "first_year", "dependent_children", "echelon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ScholarshipKind] = mapped_column(enum_column(ScholarshipKind, 8))
    first_year: Mapped[int]
    dependent_children: Mapped[int]
    echelon: Mapped[int]
    ceiling: Mapped[Decimal] = mapped_column(MONEY)


class ScholarshipStatus(enum.StrEnum):
    RECEIVED = "received"
    COMPLETE = "complete"
    GRANTED = "granted"
    REFUSED = "refused"


class ScholarshipFile(Audited, Versioned, Timestamped, Base):
    """A student's scholarship file for a year (dossier de bourse)."""

    __tablename__ = "scholarship_files"
    __table_args__ = (
        UniqueConstraint("student_id", "school_year_id"),
        CheckConstraint("reference_income >= 0", name="income_not_negative"),
        CheckConstraint("dependent_children >= 1", name="at_least_one_child"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    kind: Mapped[ScholarshipKind] = mapped_column(enum_column(ScholarshipKind, 8))
    # The guardian who applied and receives the aid.
    applicant_id: Mapped[int] = mapped_column(ForeignKey("guardians.id"))
    received_on: Mapped[date]
    # The household's revenu fiscal de référence and dependent children, from the tax notice.
    reference_income: Mapped[Decimal | None] = mapped_column(MONEY)
    dependent_children: Mapped[int | None]
    # Codes of the pieces received, comma-separated (see the domain's list).
    pieces: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ScholarshipStatus] = mapped_column(
        enum_column(ScholarshipStatus, 10), default=ScholarshipStatus.RECEIVED
    )
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    # Computed when granted, from the table of ``scale_year``.
    echelon: Mapped[int | None]
    annual_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    scale_year: Mapped[int | None]
    decided_on: Mapped[date | None]
    decided_by_label: Mapped[str | None] = mapped_column(String(120))


class ScholarshipPayment(Audited, Base):
    """A granted scholarship's term, paid after the term: deducted first from the student's
    board charges (a ``Reduction`` of kind scholarship), the rest paid to the applicant."""

    __tablename__ = "scholarship_payments"
    __table_args__ = (UniqueConstraint("file_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("scholarship_files.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("finance_terms.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    deducted: Mapped[Decimal] = mapped_column(MONEY)
    paid_to_family: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))

"""INE immatriculation: students sent to the académie base (BEA) for an INE, what came back,
and the probable duplicates reported to the rectorat instead of being merged."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, enum_column, utcnow


class ImmatriculationOutcome(enum.StrEnum):
    ASSIGNED = "assigned"
    # The base found him already known: probable duplicate, for the rectorat to settle.
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class IneRequest(Base):
    """One student in one file sent to the base; answered when the return file names him."""

    __tablename__ = "ine_requests"
    __table_args__ = (Index("ix_ine_requests_school_answered", "school_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    sent_run_id: Mapped[int] = mapped_column(ForeignKey("exchange_runs.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_run_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_runs.id"))
    answered_at: Mapped[datetime | None]
    outcome: Mapped[ImmatriculationOutcome | None] = mapped_column(
        enum_column(ImmatriculationOutcome, 12)
    )
    ine: Mapped[str | None] = mapped_column(String(11))
    message: Mapped[str | None] = mapped_column(String(200))


class ProbableDuplicate(Base):
    """Two students of different schools with the same name, birth date and birth place:
    reported to the rectorat, who decides; never merged by the product."""

    __tablename__ = "probable_duplicates"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    other_student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    settled_by_label: Mapped[str | None] = mapped_column(String(120))
    # "distinct" (two people) or "same" (the rectorat merges by hand in the base).
    resolution: Mapped[str | None] = mapped_column(String(12))

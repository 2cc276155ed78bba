"""Passage: each student's decision for next year (promoted, repeating, leaving), taken while
the current year goes on; the planned enrolments of the year in preparation are ordinary
``Enrollment`` rows of that year."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column
from db.enrollments import ExitReason


class PassageOutcome(enum.StrEnum):
    # To the MEF that follows his own in the school's profile (SchoolMef.next_mef_id).
    PROMOTED = "promoted"
    REPEATING = "repeating"
    LEAVING = "leaving"


class PassageDecision(Audited, Versioned, Timestamped, Base):
    __tablename__ = "passage_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The enrolment of the year the decision closes: one decision each.
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[PassageOutcome] = mapped_column(enum_column(PassageOutcome, 12))
    # Next year's MEF (promoted: the following one unless the decision says otherwise;
    # repeating: his own); empty for a leaver.
    next_mef_id: Mapped[int | None] = mapped_column(ForeignKey("mefs.id"))
    # A leaver's motive (the nomenclature's CODE_MOTIF_SORTIE and its kind) and, when
    # known, where he goes.
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_column(ExitReason, 20))
    exit_motive_code: Mapped[str | None] = mapped_column(String(3))
    destination_uai: Mapped[str | None] = mapped_column(String(8))
    destination_name: Mapped[str | None] = mapped_column(String(120))

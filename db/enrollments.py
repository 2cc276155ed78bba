"""Enrolments (scolarités): a student in a school for a year; the schooling history reads from them."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned, enum_column


class Regime(enum.StrEnum):
    EXTERNE = "externe"
    DEMI_PENSIONNAIRE = "demi_pensionnaire"
    INTERNE = "interne"


# The SIECLE régime code standing for each kind when an enrolment gives none (CODE_REGIME:
# 0 externe libre, 2 demi-pensionnaire dans l'établissement, 3 interne).
REGIME_CODES = {Regime.EXTERNE: "0", Regime.DEMI_PENSIONNAIRE: "2", Regime.INTERNE: "3"}


class ExitReason(enum.StrEnum):
    """Motifs de sortie, after the SIECLE nomenclature."""

    END_OF_CYCLE = "end_of_cycle"
    CHANGE_OF_SCHOOL = "change_of_school"
    MOVE = "move"
    ORIENTATION = "orientation"
    APPRENTICESHIP = "apprenticeship"
    WORK = "work"
    HOME_SCHOOLING = "home_schooling"
    ABROAD = "abroad"
    OTHER = "other"
    # Not a departure: the year ended and the student goes on in the school (promoted or
    # repeating); the rentrée switch closes his enrolment with it.
    END_OF_YEAR = "end_of_year"


class Enrollment(Audited, Versioned, Timestamped, Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("student_id", "school_id", "school_year_id"),
        Index("ix_enrollments_school_year", "school_id", "school_year_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    mef_id: Mapped[int] = mapped_column(ForeignKey("mefs.id"))
    division_id: Mapped[int | None] = mapped_column(ForeignKey("divisions.id"), index=True)
    regime: Mapped[Regime] = mapped_column(enum_column(Regime, 20))
    entry_date: Mapped[date]
    exit_date: Mapped[date | None]
    exit_reason: Mapped[ExitReason | None] = mapped_column(enum_column(ExitReason, 20))
    previous_school_uai: Mapped[str | None] = mapped_column(String(8))
    previous_school_name: Mapped[str | None] = mapped_column(String(120))
    # Last year's schooling as SIECLE gives it (SCOLARITE_AN_DERNIER).
    previous_mef_code: Mapped[str | None] = mapped_column(String(11))
    previous_division_code: Mapped[str | None] = mapped_column(String(8))
    # The nomenclature codes behind ``regime`` and ``exit_reason`` (CODE_REGIME, e.g. 2 "DP
    # dans l'établissement"; CODE_MOTIF_SORTIE), the student's status (CODE_STATUT: ST
    # scolaire, AP apprenti...) and whether he repeats the year (DOUBLEMENT).
    regime_code: Mapped[str | None] = mapped_column(String(3))
    exit_motive_code: Mapped[str | None] = mapped_column(String(3))
    status_code: Mapped[str | None] = mapped_column(String(3))
    repeating: Mapped[bool] = mapped_column(default=False)
    # ELENOET: the student's number in the school's base.
    elenoet: Mapped[str | None] = mapped_column(String(12))


class EnrollmentOption(Audited, Base):
    """A subject the student elected (OPTIONS_ELEVE): its rank and how it is elected."""

    __tablename__ = "enrollment_options"

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    rank: Mapped[int]
    election_modality: Mapped[str] = mapped_column(String(1))


class EnrollmentGroup(Audited, Base):
    __tablename__ = "enrollment_groups"

    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), primary_key=True, index=True)

"""National nomenclatures (MEF, subjects, coded lists) and each school's profiled subset.

The académie loads them from SIECLE's ``BEE_NOMENCLATURES`` export (event B) for a school year;
the project ships a default set (``db/reference``) so that a new académie works before its
first import.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped


class Mef(Base):
    """Module élémentaire de formation: an 11-digit code and its labels."""

    __tablename__ = "mefs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(11), unique=True)
    short_label: Mapped[str] = mapped_column(String(20))
    long_label: Mapped[str] = mapped_column(String(120))
    edition_label: Mapped[str | None] = mapped_column(String(120))
    duration_years: Mapped[int] = mapped_column(default=1)
    # Age reached, in the calendar year the school year starts, by a student
    # who has neither skipped nor repeated a year (11 in 6e): demo data and
    # the "behind / ahead" statistics read it.
    typical_age: Mapped[int | None]
    next_mef_id: Mapped[int | None] = mapped_column(ForeignKey("mefs.id"))
    # MEF_RATTACHEMENT: the MEF this one is attached to (itself for most), and CODE_MEFSTAT,
    # the statistics code the national headcounts group by.
    attachment_code: Mapped[str | None] = mapped_column(String(11))
    statistics_code: Mapped[str | None] = mapped_column(String(11))
    # DATE_OUVERTURE / DATE_FERMETURE: the school years the MEF may be used in.
    opens_on: Mapped[date | None]
    closes_on: Mapped[date | None]


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    management_code: Mapped[str] = mapped_column(String(10))
    short_label: Mapped[str] = mapped_column(String(40))
    long_label: Mapped[str] = mapped_column(String(120))
    edition_label: Mapped[str | None] = mapped_column(String(120))


class MefSubject(Base):
    """A subject in a MEF's programme (PROGRAMMES): how it is elected and its weekly hours."""

    __tablename__ = "mef_subjects"

    mef_id: Mapped[int] = mapped_column(ForeignKey("mefs.id", ondelete="CASCADE"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    # CODE_MODALITE_ELECT: S tronc commun, O option obligatoire, F facultative...
    election_modality: Mapped[str] = mapped_column(String(1), primary_key=True)
    weekly_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))


class NomenclatureList(enum.StrEnum):
    """The coded lists of BEE_NOMENCLATURES other than MEFs and subjects."""

    REGIME = "regime"
    EXIT_MOTIVE = "exit_motive"
    KINSHIP = "kinship"
    PROFESSION = "profession"
    STUDENT_STATUS = "student_status"
    SCHOLARSHIP_TYPE = "scholarship_type"
    ELECTION_MODALITY = "election_modality"
    COURSE_MODALITY = "course_modality"
    PROVENANCE = "provenance"
    RESPONSIBILITY_LEVEL = "responsibility_level"
    CIVILITY = "civility"
    CONTRACT = "contract"
    SCHOOL_TYPE = "school_type"


class NomenclatureEntry(Timestamped, Base):
    """One code of a coded list, as the nomenclature of a school year gives it.

    A list is read for a year from the latest year at or before it that has the list, so a
    year without an import keeps the previous one's codes.
    """

    __tablename__ = "nomenclature_entries"
    __table_args__ = (UniqueConstraint("list", "year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list: Mapped[str] = mapped_column(String(24))
    # The starting year of the school year the entry applies to (2025 for 2025-2026).
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(10))
    short_label: Mapped[str] = mapped_column(String(40))
    long_label: Mapped[str] = mapped_column(String(120))
    edition_label: Mapped[str | None] = mapped_column(String(120))
    # What the product does with the code: the régime's kind (externe, demi_pensionnaire,
    # interne), the exit motive's ``ExitReason``, "national" for a national scholarship.
    category: Mapped[str | None] = mapped_column(String(24))
    sort_order: Mapped[int | None]


class SchoolMef(Audited, Base):
    """A MEF the school has profiled (chosen among the national list) for a school year: the
    year in preparation gets its own profile, copied from the current one when it opens."""

    __tablename__ = "school_mefs"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), primary_key=True)
    mef_id: Mapped[int] = mapped_column(ForeignKey("mefs.id"), primary_key=True)
    # The MEF its students are promoted to next year in this school (the national one when
    # empty): a school may continue 3e into a MEF of its own.
    next_mef_id: Mapped[int | None] = mapped_column(ForeignKey("mefs.id"))


class SchoolSubject(Audited, Base):
    """A subject the school has profiled for a school year (see ``SchoolMef``)."""

    __tablename__ = "school_subjects"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)

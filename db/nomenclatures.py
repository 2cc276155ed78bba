"""National nomenclatures (MEF, subjects) and each school's profiled subset."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


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


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    management_code: Mapped[str] = mapped_column(String(10))
    short_label: Mapped[str] = mapped_column(String(40))
    long_label: Mapped[str] = mapped_column(String(120))


class SchoolMef(Base):
    """A MEF the school has profiled (chosen among the national list)."""

    __tablename__ = "school_mefs"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    mef_id: Mapped[int] = mapped_column(ForeignKey("mefs.id"), primary_key=True)


class SchoolSubject(Base):
    __tablename__ = "school_subjects"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)

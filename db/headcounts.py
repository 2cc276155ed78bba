"""Headcounts: the constat de rentrée, a frozen snapshot of a school's students at a date,
kept at the finest grain so that any breakdown (MEF, division, sex, régime, age, status) and
the académie's consolidation are sums of its lines, comparable between years."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, utcnow


# Audited: launching the constat is an act of the school, in its audit trail (the lines are
# its content, written with it and never changed).
class HeadcountSnapshot(Audited, Base):
    __tablename__ = "headcount_snapshots"
    __table_args__ = (UniqueConstraint("school_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_years.id"))
    # The day the students are counted on, and when and by whom it was frozen.
    counted_on: Mapped[date]
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(120))
    total: Mapped[int]


class HeadcountLine(Base):
    __tablename__ = "headcount_lines"
    __table_args__ = (Index("ix_headcount_lines_snapshot", "snapshot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("headcount_snapshots.id", ondelete="CASCADE")
    )
    # Codes and labels as they were that day: the snapshot must not move when a MEF or a
    # division is renamed later.
    mef_code: Mapped[str] = mapped_column(String(11))
    mef_label: Mapped[str] = mapped_column(String(120))
    division_code: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str] = mapped_column(String(1))
    regime_code: Mapped[str | None] = mapped_column(String(3))
    # Age reached on 31 December of the year's first calendar year (the ministry's rule).
    age: Mapped[int]
    status_code: Mapped[str | None] = mapped_column(String(3))
    count: Mapped[int]


class HeadcountAnomaly(Base):
    __tablename__ = "headcount_anomalies"
    __table_args__ = (Index("ix_headcount_anomalies_snapshot", "snapshot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("headcount_snapshots.id", ondelete="CASCADE")
    )
    # "no_division", "no_mef", "no_ine".
    kind: Mapped[str] = mapped_column(String(16))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id", ondelete="SET NULL"))
    # Who, as he was that day.
    label: Mapped[str] = mapped_column(String(200))

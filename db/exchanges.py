"""Exchanges: every file read (import) or written (export) in a national format, with its
report (``ExchangeRun``), and the file itself while an import waits to be applied."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, enum_column, utcnow


class ExchangeFormat(enum.StrEnum):
    SCHOOLS_CSV = "schools_csv"
    NOMENCLATURES = "bee_nomenclatures"
    STRUCTURES = "sts_edt"
    STUDENTS = "bee_eleves"
    GUARDIANS = "bee_responsables"
    PRIVATE_IMPORT = "import_eleves"
    # The BEA's immatriculation files (docs/immatriculation.md): the requests a school sends,
    # the base's answers, and the school's accusé de réception of them.
    INE_REQUESTS = "ine_requests"
    INE_RETURNS = "ine_returns"
    INE_ACKNOWLEDGEMENTS = "ine_acknowledgements"
    # The académie's assignments of new students to a school for next year (CSV).
    ASSIGNMENTS = "affectations"
    # Headcounts per structure sent to STS-WEB, and the rentrée evaluation survey (EVA).
    HEADCOUNTS = "sts_effectifs"
    EVALUATION_SURVEY = "eva"


class ExchangeDirection(enum.StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class ExchangeState(enum.StrEnum):
    # An import read and checked, waiting for someone to apply it.
    PREVIEWED = "previewed"
    APPLIED = "applied"
    # The file could not be read, or belongs to another school: nothing was written.
    REFUSED = "refused"
    # A preview nobody applied, replaced by a newer one or expired.
    ABANDONED = "abandoned"
    # An export written.
    WRITTEN = "written"


class ExchangeRun(Base):
    __tablename__ = "exchange_runs"
    __table_args__ = (Index("ix_exchange_runs_school_started", "school_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"))
    # Empty for académie-wide files (schools, nomenclatures).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    school_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_years.id"))
    format: Mapped[ExchangeFormat] = mapped_column(enum_column(ExchangeFormat, 24))
    direction: Mapped[ExchangeDirection] = mapped_column(enum_column(ExchangeDirection, 8))
    state: Mapped[ExchangeState] = mapped_column(enum_column(ExchangeState, 12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Who, as shown in the history even after the account is gone ("système" for the CLI).
    actor_label: Mapped[str] = mapped_column(String(120))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # {"created": n, "updated": n, "unchanged": n, "refused": n} per kind of record.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error_count: Mapped[int] = mapped_column(default=0)
    # The report as shown and downloaded: refused records (element, id, field, message) and
    # the changes a preview found.
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ExchangeFile(Base):
    """The bytes of a file: an import between its preview and its application, an export
    until it is downloaded again."""

    __tablename__ = "exchange_files"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_runs.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)

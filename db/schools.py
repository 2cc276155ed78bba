"""Académies, schools (EPLE identified by their UAI) and school years."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from db.base import Audited, Base, Timestamped, enum_column

UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(digits: str) -> str:
    return UAI_CHECK_LETTERS[int(digits) % 23]


def is_valid_uai(uai: str) -> bool:
    """Seven digits (the first three being the département) and the check letter."""
    if len(uai) != 8 or not uai[:7].isdigit():
        return False
    return uai[7].upper() == uai_check_letter(uai[:7])


class SchoolKind(enum.StrEnum):
    """Nature of the EPLE, after the national list (SIECLE's CODE_NATURE)."""

    COLLEGE = "college"
    LGT = "lgt"
    LP = "lp"
    EREA = "erea"


class SchoolSector(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE_UNDER_CONTRACT = "private_under_contract"


class SchoolYearState(enum.StrEnum):
    IN_PREPARATION = "in_preparation"
    CURRENT = "current"
    CLOSED = "closed"


class Academy(Audited, Base):
    __tablename__ = "academies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # When set, every staff member must enrol a second factor at next login.
    second_factor_required: Mapped[bool] = mapped_column(default=False)

    schools: Mapped[list[School]] = relationship(back_populates="academy")


class School(Timestamped, Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"), index=True)
    uai: Mapped[str] = mapped_column(String(8), unique=True)
    kind: Mapped[SchoolKind] = mapped_column(enum_column(SchoolKind, 16))
    sector: Mapped[SchoolSector] = mapped_column(
        enum_column(SchoolSector, 24), default=SchoolSector.PUBLIC
    )
    name: Mapped[str] = mapped_column(String(120))
    address_line: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    # The school's current year once its rentrée switch has moved it (see db.rentree);
    # empty, the school follows its académie's current year (``current_year_id_of``).
    current_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_years.id"))

    academy: Mapped[Academy] = relationship(back_populates="schools")

    @validates("uai")
    def _check_uai(self, _key: str, uai: str) -> str:
        uai = uai.strip().upper()
        if not is_valid_uai(uai):
            raise ValueError(f"UAI invalide : {uai!r} (7 chiffres et la lettre clé attendus)")
        return uai


def _first_day(context: Any) -> date:
    return date(context.get_current_parameters()["start_year"], 9, 1)


def _last_day(context: Any) -> date:
    return date(context.get_current_parameters()["start_year"] + 1, 8, 31)


class SchoolYear(Audited, Base):
    """A school year of the académie, e.g. 2025-2026 (start year 2025).

    Around the end-of-year rollover (bascule) two years are open at once: the
    current one and the one in preparation.
    """

    __tablename__ = "school_years"
    __table_args__ = (UniqueConstraint("academy_id", "start_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"))
    start_year: Mapped[int]
    # The administrative year (1 September to 31 August unless the académie says otherwise):
    # enrolments of the year fall between these days.
    starts_on: Mapped[date] = mapped_column(default=lambda context: _first_day(context))
    ends_on: Mapped[date] = mapped_column(default=lambda context: _last_day(context))
    state: Mapped[SchoolYearState] = mapped_column(enum_column(SchoolYearState, 16))

    @property
    def label(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"


def current_year_id_of(school_id: Any) -> Any:
    """SQL for the id of the current year of the school ``school_id`` (a column or a value):
    its own once it has switched, else its académie's."""
    academy_current = (
        select(SchoolYear.id)
        .where(
            SchoolYear.academy_id == School.academy_id, SchoolYear.state == SchoolYearState.CURRENT
        )
        .correlate(School)
        .scalar_subquery()
    )
    return (
        select(func.coalesce(School.current_year_id, academy_current))
        .where(School.id == school_id)
        .scalar_subquery()
    )

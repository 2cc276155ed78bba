"""Académies, schools (EPLE identified by their UAI) and school years."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
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
    COLLEGE = "college"
    LGT = "lgt"
    LP = "lp"


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
    name: Mapped[str] = mapped_column(String(120))
    address_line: Mapped[str] = mapped_column(String(120), default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))

    academy: Mapped[Academy] = relationship(back_populates="schools")

    @validates("uai")
    def _check_uai(self, _key: str, uai: str) -> str:
        uai = uai.strip().upper()
        if not is_valid_uai(uai):
            raise ValueError(f"UAI invalide : {uai!r} (7 chiffres et la lettre clé attendus)")
        return uai


class SchoolYear(Base):
    """A school year of the académie, e.g. 2025-2026 (start year 2025).

    Around the end-of-year rollover (bascule) two years are open at once: the
    current one and the one in preparation.
    """

    __tablename__ = "school_years"
    __table_args__ = (UniqueConstraint("academy_id", "start_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("academies.id"))
    start_year: Mapped[int]
    state: Mapped[SchoolYearState] = mapped_column(enum_column(SchoolYearState, 16))

    @property
    def label(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"

"""Postal addresses, as SIECLE gives them: one address may be shared by the people who live
together (a student and the guardians he lives with)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Audited, Base, Timestamped, Versioned


class Address(Audited, Versioned, Timestamped, Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # ADRESSE_ID in SIECLE's exports: a re-import updates the same address.
    siecle_id: Mapped[str | None] = mapped_column(String(12), index=True)
    line1: Mapped[str | None] = mapped_column(String(120))
    line2: Mapped[str | None] = mapped_column(String(120))
    line3: Mapped[str | None] = mapped_column(String(120))
    line4: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    # In France, the INSEE commune and its postal name (LIBELLE_POSTAL); abroad, the city as
    # written (COMMUNE_ETRANGERE) and the INSEE country code.
    commune_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(80))
    foreign_city: Mapped[str | None] = mapped_column(String(80))
    country_code: Mapped[str] = mapped_column(String(3), default="100")

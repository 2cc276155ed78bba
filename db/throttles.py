"""Counters that slow down guessing and flooding, shared by every process through the database.

Keys are SHA-256 hashes of what is counted (``login:<login>``,
``address:<ip>``, ``otp:<user id>``, ``client:<client id>``...), so the table
holds no login or address in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class FailureCounter(Base):
    """Consecutive failures of one key; a success or the end of the window clears them."""

    __tablename__ = "failure_counters"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[datetime]
    last_failure_at: Mapped[datetime]
    # No attempt is examined before this moment (growing delay, then a lock).
    blocked_until: Mapped[datetime | None]


class RequestWindow(Base):
    """Requests made by one key in one fixed window (per-client rate limits)."""

    __tablename__ = "request_windows"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    requests: Mapped[int] = mapped_column(default=0)

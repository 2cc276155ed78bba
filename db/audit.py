"""Append-only audit log of every change to personal data.

Models marked ``Audited`` are watched at flush time: each insert, update and
delete writes an entry with who, when, the entity, and the values before and
after. A flush that changes audited data without an identified actor is
refused, so no write path can bypass the log. The migration adds triggers
that refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base, utcnow

ACTOR_KEY = "audit_actor"
PENDING_KEY = "audit_pending"
# Besides bookkeeping columns, what is derived and frozen with an audited row whose totals
# are audited: a notice's lines, a transfer's file.
UNAUDITED_COLUMNS = frozenset(
    {
        "search_name",
        "usage_search_name",
        "version",
        "created_at",
        "updated_at",
        "totp_last_step",
        "frozen_lines",
        "file_text",
    }
)
# Recorded as changed, never with their value: secrets, and what is derived from them
# (hashes, ciphertexts, the 16-bit fingerprint of an activation code). A hash of a short
# code can be reversed by trying every code; a ciphertext is one key away from the secret.
REDACTED_COLUMNS = frozenset(
    {
        "password_hash",
        "totp_secret_encrypted",
        "secret_hash",
        "sealed_code",
        "code_hash",
        "lookup",
        "private_key_encrypted",
        "token_hash",
        "key_hash",
    }
)
REDACTED = "[masqué]"


def is_redacted(column: str) -> bool:
    """Whether a column's values stay out of the audit log (by name, so that a new
    ``*_hash`` or ``*_encrypted`` column is masked without being listed)."""
    return (
        column in REDACTED_COLUMNS
        or column.endswith(("_hash", "_encrypted", "_secret"))
        or column.startswith("sealed_")
    )


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_entity", "entity", "entity_id"),
        Index("ix_audit_entries_school_at", "school_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(120))
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@dataclass(frozen=True)
class AuditActor:
    """Who is changing data: a staff member, a third-party client or the system."""

    kind: str
    id: int | None
    label: str
    remote_addr: str | None = None
    school_id: int | None = None


def set_actor(session: Session, actor: AuditActor) -> None:
    session.info[ACTOR_KEY] = actor


def _jsonable(value: Any, key: str = "") -> Any:
    if value is not None and is_redacted(key):
        return REDACTED
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        # As written, so that 15.50 stays 15.50.
        return str(value)
    if isinstance(value, bytes):
        # A document or an image: its size only. An update entry is written only when the
        # value changed, so no fingerprint is needed to tell that it did.
        return f"{len(value)} octets"
    return value


def _columns(obj: Any) -> list[str]:
    return [
        attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in UNAUDITED_COLUMNS
    ]


def snapshot(obj: Any) -> dict[str, Any]:
    """A row as an entry's values hold it (dates as ISO text, secrets redacted)."""
    return {key: _jsonable(getattr(obj, key), key) for key in _columns(obj)}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        before[key] = _jsonable(history.deleted[0], key) if history.deleted else None
        after[key] = _jsonable(history.added[0], key) if history.added else None
    return before, after


def _is_audited(obj: Any) -> bool:
    return getattr(type(obj), "__audited__", False)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _flush_context: Any, _instances: Any) -> None:
    pending: list[tuple[str, Any, dict[str, Any] | None, dict[str, Any] | None]] = []
    for obj in session.new:
        if _is_audited(obj):
            pending.append(("create", obj, None, None))
    for obj in session.dirty:
        if _is_audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                pending.append(("update", obj, before, after))
    for obj in session.deleted:
        if _is_audited(obj):
            pending.append(("delete", obj, snapshot(obj), None))
    if not pending:
        return
    if not isinstance(session.info.get(ACTOR_KEY), AuditActor):
        raise RuntimeError("personal data changed without an identified actor for the audit log")
    session.info.setdefault(PENDING_KEY, []).extend(pending)


@event.listens_for(Session, "after_flush")
def _write(session: Session, _flush_context: Any) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    actor: AuditActor = session.info[ACTOR_KEY]
    now = utcnow()
    rows = []
    for action, obj, before, after in pending:
        if action == "create":
            after = snapshot(obj)
        rows.append(
            {
                "at": now,
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "actor_label": actor.label,
                "remote_addr": actor.remote_addr,
                "school_id": getattr(obj, "school_id", None) or actor.school_id,
                "action": action,
                "entity": type(obj).__tablename__,
                "entity_id": getattr(obj, "id", None),
                "before": before,
                "after": after,
            }
        )
    session.connection().execute(insert(AuditEntry), rows)

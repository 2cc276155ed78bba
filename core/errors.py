"""Errors every layer may raise or catch: domain functions raise them, the API and the portals
turn them into field messages. At the bottom (core) so that auth, the exports and the portals
use them without importing the domain layer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """An error tied to an input field; ``message`` is French, shown as is on the portal."""

    field: str
    code: str
    message: str


class ValidationFailed(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @classmethod
    def single(cls, field: str, code: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, code, message)])


class NotFound(Exception):
    """Unknown id, or an id the caller may not see: the two are indistinguishable on purpose."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id} introuvable")
        self.entity = entity
        self.entity_id = entity_id


class StaleVersion(ValidationFailed):
    """The record was saved by someone else between the check of its version and the write:
    the caller reloads it (a portal answers 409)."""

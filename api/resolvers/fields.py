"""Parsing of input fields into clean values, collecting every error with its field name.

The same parser serves GraphQL inputs and portal forms: values may arrive as
strings (a form) or typed (GraphQL), and come out typed.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Any, TypeVar

from core.errors import FieldError, ValidationFailed

E = TypeVar("E", bound=enum.Enum)

NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*\.?$")


class FieldParser:
    """Reads fields from a mapping; ``errors`` collects what is wrong, named by field."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: list[FieldError] = []

    def fail(self, field: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def _raw_text(self, field: str) -> str | None:
        value = self.data.get(field)
        if value is None:
            return None
        text = " ".join(str(value).split())
        return text or None

    def text(
        self,
        field: str,
        label: str,
        *,
        required: bool = False,
        max_length: int = 200,
        pattern: re.Pattern[str] | None = None,
        pattern_hint: str = "",
    ) -> str | None:
        value = self._raw_text(field)
        if value is None:
            if required:
                self.fail(field, "REQUIRED", f"{label} est obligatoire.")
            return None
        if len(value) > max_length:
            self.fail(field, "TOO_LONG", f"{label} ne doit pas dépasser {max_length} caractères.")
            return None
        if pattern is not None and not pattern.match(value):
            self.fail(field, "INVALID", f"{label} n'est pas valide{pattern_hint}.")
            return None
        return value

    def person_name(self, field: str, label: str, *, required: bool = False) -> str | None:
        return self.text(
            field,
            label,
            required=required,
            max_length=60 if "first" in field else 100,
            pattern=NAME_PATTERN,
            pattern_hint=" : lettres, espaces, tirets et apostrophes uniquement",
        )

    def date(
        self,
        field: str,
        label: str,
        *,
        required: bool = False,
        earliest: date | None = None,
        latest: date | None = None,
    ) -> date | None:
        value = self.data.get(field)
        if value is None or value == "":
            if required:
                self.fail(field, "REQUIRED", f"{label} est obligatoire.")
            return None
        if isinstance(value, date):
            parsed = value
        else:
            try:
                parsed = _parse_date(str(value).strip())
            except ValueError:
                self.fail(field, "INVALID", f"{label} n'est pas une date valide (JJ/MM/AAAA).")
                return None
        if earliest is not None and parsed < earliest:
            self.fail(
                field,
                "OUT_OF_RANGE",
                f"{label} ne peut pas être antérieure au {earliest:%d/%m/%Y}.",
            )
            return None
        if latest is not None and parsed > latest:
            self.fail(
                field, "OUT_OF_RANGE", f"{label} ne peut pas être postérieure au {latest:%d/%m/%Y}."
            )
            return None
        return parsed

    def choice(
        self, field: str, label: str, enum_class: type[E], *, required: bool = False
    ) -> E | None:
        value = self.data.get(field)
        if value is None or value == "":
            if required:
                self.fail(field, "REQUIRED", f"{label} est obligatoire.")
            return None
        if isinstance(value, enum_class):
            return value
        raw = value.value if isinstance(value, enum.Enum) else str(value)
        for member in enum_class:
            if raw in (member.value, member.name):
                return member
        self.fail(field, "INVALID", f"{label} n'est pas une valeur admise.")
        return None

    def boolean(self, field: str, default: bool) -> bool:
        value = self.data.get(field)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "on", "oui", "yes")


def _parse_date(text: str) -> date:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    raise ValueError(text)

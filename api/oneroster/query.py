"""The query parameters of a OneRoster collection: ``limit`` / ``offset``, ``sort`` /
``orderBy``, ``filter`` and ``fields``, parsed once and bounded.

The filter grammar is the specification's: ``field operator 'value'`` clauses joined by
``AND`` or ``OR`` (AND binds tighter), operators ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``
and ``~`` (contains, ignoring case). A field may name a sub-field (``roles.role``,
``class.sourcedId``): a list matches when one of its items does. Dates and times compare as
instants, the rest as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from api.oneroster.errors import RosterRequestError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10_000_000
MAX_FILTER_LENGTH = 1000
MAX_CLAUSES = 10
MAX_FIELDS = 60
OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~")
CLAUSE = re.compile(
    r"\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*(>=|<=|!=|=|>|<|~)\s*'([^']*)'\s*"
)
JOINER = re.compile(r"(AND|OR)\b", re.IGNORECASE)
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Clause:
    path: tuple[str, ...]
    operator: str
    value: str


@dataclass(frozen=True)
class RosterQuery:
    limit: int
    offset: int
    sort: str | None
    descending: bool
    # OR of AND groups; empty: everything.
    filter: tuple[tuple[Clause, ...], ...]
    fields: tuple[str, ...] | None


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise RosterRequestError(
            400, "invaliddata", f"{name} must be an integer from {low} to {high}"
        )
    return int(raw)


def parse_filter(text: str, known: frozenset[str]) -> tuple[tuple[Clause, ...], ...]:
    if len(text) > MAX_FILTER_LENGTH:
        raise RosterRequestError(
            400, "invalid_filter_field", f"filter is longer than {MAX_FILTER_LENGTH} characters"
        )
    groups: list[list[Clause]] = [[]]
    position, count = 0, 0
    while True:
        match = CLAUSE.match(text, position)
        if match is None:
            raise RosterRequestError(
                400,
                "invalid_filter_field",
                f"filter: expected field operator 'value' at character {position + 1}",
            )
        path = tuple(match.group(1).split("."))
        if path[0] not in known:
            raise RosterRequestError(
                400, "invalid_filter_field", f"filter: unknown field {match.group(1)}"
            )
        count += 1
        if count > MAX_CLAUSES:
            raise RosterRequestError(
                400, "invalid_filter_field", f"filter: at most {MAX_CLAUSES} clauses"
            )
        groups[-1].append(Clause(path, match.group(2), match.group(3)))
        position = match.end()
        if position == len(text):
            return tuple(tuple(group) for group in groups)
        joiner = JOINER.match(text, position)
        if joiner is None:
            raise RosterRequestError(
                400,
                "invalid_filter_field",
                f"filter: expected AND or OR at character {position + 1}",
            )
        if joiner.group(1).upper() == "OR":
            groups.append([])
        position = joiner.end()


def _names(raw: str, known: frozenset[str], what: str, code: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    if len(names) > MAX_FIELDS:
        raise RosterRequestError(400, code, f"{what}: at most {MAX_FIELDS} fields")
    for name in names:
        if not FIELD_NAME.match(name) or name not in known:
            raise RosterRequestError(400, code, f"{what}: unknown field {name[:60]}")
    return names


def parse_query(params: Mapping[str, str], known: frozenset[str]) -> RosterQuery:
    """The query of a collection whose records have the fields ``known``."""
    limit = _integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer(params, "offset", 0, 0, MAX_OFFSET)
    sort = (params.get("sort") or "").strip() or None
    if sort is not None:
        _names(sort, known, "sort", "invaliddata")
        if "," in sort:
            raise RosterRequestError(400, "invaliddata", "sort: one field only")
    order = (params.get("orderBy") or "asc").strip().lower()
    if order not in ("asc", "desc"):
        raise RosterRequestError(400, "invaliddata", "orderBy must be asc or desc")
    raw_filter = params.get("filter")
    filters = parse_filter(raw_filter, known) if raw_filter else ()
    raw_fields = params.get("fields")
    fields = _names(raw_fields, known, "fields", "invalid_selection_field") if raw_fields else None
    return RosterQuery(limit, offset, sort, order == "desc", filters, fields or None)


def instant(text: str) -> datetime | None:
    """A date or date-time written in ISO 8601, as an instant (a date: its midnight, UTC)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def since_of(filters: tuple[tuple[Clause, ...], ...]) -> datetime | None:
    """The start of a delta: a ``dateLastModified > (or >=) 'instant'`` clause ANDed with
    the rest of the filter. Records that left since then are returned with them."""
    if len(filters) != 1:
        return None
    for clause in filters[0]:
        if clause.path == ("dateLastModified",) and clause.operator in (">", ">="):
            moment = instant(clause.value)
            if moment is None:
                raise RosterRequestError(
                    400, "invalid_filter_field", "filter: dateLastModified needs an ISO 8601 date"
                )
            return moment - timedelta(microseconds=1) if clause.operator == ">=" else moment
    return None


def _leaves(value: Any, path: tuple[str, ...]) -> list[Any]:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    if not path:
        return [value]
    if isinstance(value, dict) and path[0] in value:
        return _leaves(value[path[0]], path[1:])
    return []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(leaf: str, operator: str, value: str) -> bool:
    if operator == "~":
        return value.casefold() in leaf.casefold()
    left: Any
    right: Any
    left, right = instant(leaf), instant(value)
    if left is None or right is None:
        left, right = leaf, value
    if operator == "=":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if operator == ">":
        return bool(left > right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<":
        return bool(left < right)
    return bool(left <= right)


def clause_holds(record: dict[str, Any], clause: Clause) -> bool:
    leaves = [t for t in (_text(v) for v in _leaves(record, clause.path)) if t is not None]
    if clause.operator == "!=":
        return all(_compare(leaf, "!=", clause.value) for leaf in leaves)
    return any(_compare(leaf, clause.operator, clause.value) for leaf in leaves)


def matches(record: dict[str, Any], filters: tuple[tuple[Clause, ...], ...]) -> bool:
    if not filters:
        return True
    return any(all(clause_holds(record, clause) for clause in group) for group in filters)


def sorted_records(
    records: list[dict[str, Any]], field: str | None, descending: bool
) -> list[dict[str, Any]]:
    """By the field (records without it last), then by sourcedId, in the order asked."""
    if field is None:
        return list(reversed(records)) if descending else records

    def key(record: dict[str, Any]) -> tuple[bool, str]:
        value = _text(record.get(field))
        return (value is None, value or "")

    present = [r for r in records if _text(r.get(field)) is not None]
    missing = [r for r in records if _text(r.get(field)) is None]
    present.sort(key=key, reverse=descending)
    return present + missing


def selected(record: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    if fields is None:
        return record
    return {name: record[name] for name in fields if name in record}

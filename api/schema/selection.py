"""What a request selects under the field being resolved, so a resolver can skip work
(a count, a join) whose result nobody asked for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from api.schema.context import Info


def _below(selections: Iterable[Any], path: tuple[str, ...]) -> bool:
    if not path:
        return True
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and _below(selection.selections, path[1:]):
                return True
        elif isinstance(selection, FragmentSpread | InlineFragment) and _below(
            selection.selections, path
        ):
            return True
    return False


def selects_path(info: Info, *path: str) -> bool:
    """True when the fields ``path`` (GraphQL names, each under the previous) are selected
    under the current field, through fragments too: ``selects_path(info, "edges", "node",
    "guardians")``."""
    return any(_below(field.selections, path) for field in info.selected_fields)


def selects(info: Info, name: str) -> bool:
    """True when ``name`` (its GraphQL name) is selected directly under the current field,
    in the field itself or in any fragment spread into it."""
    return selects_path(info, name)

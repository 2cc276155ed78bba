"""The divisions and groups a staff member works on for absences: all of the school's for the
vie scolaire, the classes taught for a teacher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.resolvers.structures import list_divisions, list_groups
from portals.etablissement.web import Page


@dataclass(frozen=True)
class ClassChoice:
    key: str  # "d12" for a division, "g7" for a group
    label: str
    division_id: int | None
    group_id: int | None


async def class_choices(page: Page, fn: Callable[..., Any]) -> list[ClassChoice]:
    school, year = page.school, page.year
    if school is None or year is None:
        return []
    restricted = page.only_taught(fn, school.id)
    choices = [
        ClassChoice(f"d{s.division.id}", f"Division {s.division.code}", s.division.id, None)
        for s in await page.work.read(list_divisions, school.id, year.id)
        if not restricted or s.division.id in page.principal.taught_division_ids
    ]
    choices += [
        ClassChoice(f"g{s.group.id}", f"Groupe {s.group.code}", None, s.group.id)
        for s in await page.work.read(list_groups, school.id, year.id)
        if not restricted or s.group.id in page.principal.taught_group_ids
    ]
    return choices


def chosen(choices: list[ClassChoice], key: str | None) -> ClassChoice | None:
    return next((c for c in choices if c.key == key), None)

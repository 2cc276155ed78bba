"""Absences in GraphQL: entry (grid, events, roll call), follow-up, statistics."""

from __future__ import annotations

from strawberry.tools import merge_types

from api.schema.absences import entry, follow_up, statistics

Query = merge_types("AbsencesQuery", (entry.Query, follow_up.Query, statistics.Query))
Mutation = entry.Mutation

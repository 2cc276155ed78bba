"""Absences in GraphQL: settings, entry (grid, events, roll call), follow-up, family
communication, statistics."""

from __future__ import annotations

from strawberry.tools import merge_types

from api.schema.absences import communication, configuration, entry, follow_up, statistics

Query = merge_types(
    "AbsencesQuery", (entry.Query, follow_up.Query, communication.Query, statistics.Query)
)
Mutation = merge_types(
    "AbsencesMutation", (entry.Mutation, configuration.Mutation, communication.Mutation)
)

"""The student's finances in GraphQL (the ``finances`` domain): each part of the domain
(tariffs and terms, charges, accounts and payments, notices and transfers) contributes its
Query and Mutation fields here."""

from __future__ import annotations

from strawberry.tools import merge_types

# The parts' types, added as the parts land.
QUERIES: tuple[type, ...] = ()
MUTATIONS: tuple[type, ...] = ()


Query = merge_types("FinancesQuery", QUERIES) if QUERIES else None
Mutation = merge_types("FinancesMutation", MUTATIONS) if MUTATIONS else None

"""The student's finances in GraphQL (the ``finances`` domain): each part of the domain
(terms, tariffs and charges, accounts and payments, notices and transfers) contributes its
Query and Mutation fields here."""

from __future__ import annotations

from strawberry.tools import merge_types

from api.schema.finances import accounts, charges, notices, tariffs, terms

PARTS = (terms, tariffs, charges, accounts, notices)

Query = merge_types("FinancesQuery", tuple(part.Query for part in PARTS))
Mutation = merge_types("FinancesMutation", tuple(part.Mutation for part in PARTS))

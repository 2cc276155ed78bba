"""The student's finances in GraphQL (the ``finances`` domain): each part of the domain
(terms, tariffs and charges, accounts and payments, notices and transfers) contributes its
Query and Mutation fields here."""

from __future__ import annotations

from strawberry.tools import merge_types

from api.schema.finances import accounts, terms

Query = merge_types("FinancesQuery", (terms.Query, accounts.Query))
Mutation = merge_types("FinancesMutation", (terms.Mutation, accounts.Mutation))

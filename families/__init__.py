"""The families' domain over the télé-services database: accounts, their sessions and codes,
and what a family may read of its children's school life.

A package of its own, beside the staff domain (``api.resolvers``) rather than inside it,
because it lives in the other trust zone (DESIGN.md, "two databases"): it reads and writes
the télé-services database only and imports nothing of the admin database, which
tests/test_layers.py checks. The families portal calls it; nothing here knows HTTP.
"""

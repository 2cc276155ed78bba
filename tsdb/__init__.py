"""The télé-services database: what families may see, replicated from the admin
database, plus the families' own accounts.

A package of its own, apart from ``db/``, because it is a separate trust zone:
the families portal imports this package and never ``db/``, and on PostgreSQL
connects with a role limited to these tables.
"""

from tsdb import models
from tsdb.models import Base

__all__ = ["Base", "models"]

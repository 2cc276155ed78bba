"""The admin database: SQLAlchemy models (one module per domain), engine, migrations.

Importing this package registers every model on ``Base.metadata`` so that
Alembic and the tests see the whole schema.
"""

from db import accounts, audit, enrollments, guardians, nomenclatures, schools, structures, students
from db.base import Base

__all__ = [
    "Base",
    "accounts",
    "audit",
    "enrollments",
    "guardians",
    "nomenclatures",
    "schools",
    "structures",
    "students",
]

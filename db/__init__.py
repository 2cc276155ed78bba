"""The admin database: SQLAlchemy models (one module per domain), engine, migrations.

Importing this package registers every model on ``Base.metadata`` so that
Alembic and the tests see the whole schema.
"""

from db import (
    absences,
    accounts,
    addresses,
    audit,
    clients,
    delegations,
    enrollments,
    exchanges,
    finances,
    grades,
    guardians,
    headcounts,
    immatriculation,
    nomenclatures,
    outbox,
    passage,
    rentree,
    scholarships,
    schools,
    structures,
    students,
    teleservices,
    throttles,
)
from db.base import Base

__all__ = [
    "Base",
    "absences",
    "accounts",
    "addresses",
    "audit",
    "clients",
    "delegations",
    "enrollments",
    "exchanges",
    "finances",
    "grades",
    "guardians",
    "headcounts",
    "immatriculation",
    "nomenclatures",
    "outbox",
    "passage",
    "rentree",
    "scholarships",
    "schools",
    "structures",
    "students",
    "teleservices",
    "throttles",
]

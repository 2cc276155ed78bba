"""Imports of SIECLE's students and guardians files into a school for a year: a plan of what
would change (``plan_students_import``, ``plan_guardians_import``), then its application in
the caller's transaction (``apply_plan``).

The files are read by ``exchanges`` into records; this package is the domain side: it matches
the records with the school's rows by their SIECLE ids, checks them (each refusal names the
element, its id and the field, like the readers' problems), and writes through the ORM so that
the audit log and the optimistic versions apply as for any other write.
"""

from api.resolvers.exchanges.siecle.guardians import plan_guardians_import
from api.resolvers.exchanges.siecle.plan import (
    Action,
    Counts,
    Entity,
    ImportPlan,
    PlannedRow,
    apply_plan,
)
from api.resolvers.exchanges.siecle.students import plan_students_import

__all__ = [
    "Action",
    "Counts",
    "Entity",
    "ImportPlan",
    "PlannedRow",
    "apply_plan",
    "plan_guardians_import",
    "plan_students_import",
]

"""The domain's value types that pages name (kinds, states, codes), in one place.

They are stored by the models, so they are defined beside them in ``db``; the portals take
them from here, which keeps them off the database layer (tests/test_layers.py).
"""

from __future__ import annotations

from db.absences import ContactChannel, EventKind, HalfDay, HolidayZone
from db.accounts import SessionStage
from db.audit import REDACTED, is_redacted
from db.delegations import Right
from db.enrollments import ExitReason, Regime
from db.exchanges import ExchangeDirection, ExchangeFormat, ExchangeState
from db.grades import MarkStatus
from db.guardians import Relationship
from db.passage import PassageOutcome
from db.schools import SchoolKind, SchoolSector, SchoolYearState
from db.students import Sex
from db.teleservices import CodeKind, GradesPublication, Teleservice

__all__ = [
    "REDACTED",
    "CodeKind",
    "ContactChannel",
    "EventKind",
    "ExchangeDirection",
    "ExchangeFormat",
    "ExchangeState",
    "ExitReason",
    "GradesPublication",
    "HalfDay",
    "HolidayZone",
    "MarkStatus",
    "PassageOutcome",
    "Regime",
    "Relationship",
    "Right",
    "SchoolKind",
    "SchoolSector",
    "SchoolYearState",
    "SessionStage",
    "Sex",
    "Teleservice",
    "is_redacted",
]

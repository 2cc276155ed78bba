"""The state a demo build fills: rows per table with ids allocated in Python, and the plan of each school."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from db.reference import Commune
from db.schools import SchoolKind

# Tables in an order that respects their foreign keys.
TABLE_ORDER = (
    "schools",
    "school_mefs",
    "school_subjects",
    "staff_users",
    "role_grants",
    "divisions",
    "division_mefs",
    "groups",
    "group_divisions",
    "teaching_assignments",
    "addresses",
    "students",
    "guardians",
    "guardian_links",
    "enrollments",
    "enrollment_groups",
    "absence_settings",
    "time_slots",
    "school_weekdays",
    "absence_motives",
    "justifications",
    "letter_templates",
    "absence_events",
)


@dataclass(frozen=True)
class DemoAccount:
    login: str
    password: str
    role: str
    school_uai: str | None
    display_name: str


@dataclass
class DemoReport:
    schools: int = 0
    students: int = 0
    guardians: int = 0
    enrollments: int = 0
    divisions: int = 0
    groups: int = 0
    absence_events: int = 0
    # The first term's finances (``api.demo.finances``).
    charges: int = 0
    receipts: int = 0
    reductions: int = 0
    scholarship_files: int = 0
    notices: int = 0
    # The first trimester's marks (``api.demo.grades``).
    assessments: int = 0
    marks: int = 0
    accounts: list[DemoAccount] = field(default_factory=list)


@dataclass(frozen=True)
class Catalog:
    """What the build needs from the database: ids of the reference MEFs and subjects."""

    mef_ids: dict[str, int]
    mef_ages: dict[str, int | None]
    subject_ids: dict[str, int]
    generic_motive_ids: dict[str, int] = field(default_factory=dict)
    # The académie's zone's holidays: (first day, last day).
    holidays: tuple[tuple[date, date], ...] = ()


@dataclass
class DivisionPlan:
    id: int
    school: SchoolPlan
    code: str
    mef_code: str
    planned: int


@dataclass
class SchoolPlan:
    id: int
    index: int
    uai: str
    name: str
    kind: SchoolKind
    commune: Commune
    has_bts: bool = False
    divisions: list[DivisionPlan] = field(default_factory=list)
    mef_codes: set[str] = field(default_factory=set)
    # current-year enrolments by division id: (enrolment id, student id)
    members: dict[int, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class OutsideSchool:
    uai: str
    name: str


@dataclass
class Build:
    """Everything generated so far; ``rows`` maps a table name to the dicts to insert."""

    rng: random.Random
    catalog: Catalog
    academy_id: int
    previous_year_id: int
    current_year_id: int
    start_year: int
    today: date
    now: datetime
    next_ids: dict[str, int]
    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {table: [] for table in TABLE_ORDER}
    )
    schools: list[SchoolPlan] = field(default_factory=list)
    used_uais: set[str] = field(default_factory=set)
    used_ines: set[str] = field(default_factory=set)
    # previous-year enrolment rows waiting for a division, by (school id, MEF code)
    previous: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)

    def new_id(self, table: str) -> int:
        value = self.next_ids.get(table, 1)
        self.next_ids[table] = value + 1
        return value

    def add(self, table: str, **values: Any) -> dict[str, Any]:
        row = dict(values)
        self.rows[table].append(row)
        return row

    def mef_id(self, code: str) -> int:
        return self.catalog.mef_ids[code]

    def subject_id(self, code: str) -> int:
        return self.catalog.subject_ids[code]

"""Every domain function reached with a principal declares the permission it needs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import api.exports
import api.resolvers
from api.auth.guard import permission_of
from api.auth.permissions import Permission
from api.auth.principal import PermissionDenied, Principal
from api.resolvers import students
from api.resolvers.students import StudentFilter
from db.accounts import Role

# Académie-level reference reads that carry no school's data.
UNGUARDED = {
    # Labels audit entries of rows the caller has already been checked to reach; grants nothing.
    "api.resolvers.audit.attribute_to_student_school",
    "api.resolvers.schools.school_years",
    "api.resolvers.schools.current_school_year",
    "api.resolvers.schools.get_school_year",
    # The caller's own account (second factor enrolled, codes left): nobody else's.
    "api.resolvers.second_factor.second_factor_status",
    # Reach checks: they check the permission their caller passes them.
    "api.resolvers.finances.reach.account_in_reach",
    "api.resolvers.finances.reach.term_in_reach",
    "api.resolvers.finances.reach.school_in_reach",
    # The académie's school years: reference data, like schools.school_years.
    "api.resolvers.finances.reach.year_of_academy",
    # OneRoster: each collection needs its own permission (COLLECTION_PERMISSIONS), checked
    # before any query; a single function serves them all.
    "api.resolvers.oneroster.records.roster_records",
    "api.resolvers.oneroster.records.roster_record",
    "api.resolvers.oneroster.records.roster_collection",
    # Reads the schools the caller's permissions already name; called by the two above.
    "api.resolvers.oneroster.reach.roster_reach",
    # The change feed: open to every caller, each entity shown only with its own permission
    # in the entry's school (api.resolvers.changes.PUBLISHED); the start is a position only.
    "api.resolvers.changes.changes_after",
    "api.resolvers.changes.change_feed_start",
}


def domain_functions():
    for package in (api.resolvers, api.exports):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
                if name.startswith("_") or fn.__module__ != module.__name__:
                    continue
                params = list(inspect.signature(fn).parameters)
                if params[:2] == ["session", "principal"]:
                    yield f"{module.__name__}.{name}", fn


def test_every_domain_function_declares_its_permission():
    functions = dict(domain_functions())
    assert len(functions) > 20
    unguarded = {name for name, fn in functions.items() if permission_of(fn) is None}
    assert unguarded == UNGUARDED


async def test_the_guard_refuses_before_touching_the_database():
    nobody = Principal(kind="staff", id=1, label="x", academy_id=1, grants=frozenset())
    with pytest.raises(PermissionDenied) as refused:
        await students.search_students(None, nobody, StudentFilter())  # type: ignore[arg-type]
    assert refused.value.permission is Permission.STUDENTS_READ
    teacher = Principal(
        kind="staff", id=1, label="x", academy_id=1, grants=frozenset({(7, Role.TEACHER)})
    )
    with pytest.raises(PermissionDenied):
        await students.update_student(None, teacher, 1, {})  # type: ignore[arg-type]

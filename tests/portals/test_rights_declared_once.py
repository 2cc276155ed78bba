"""What a staff page shows or allows is asked of the domain function its action calls
(``page.may(update_student, school_id)``), answered from that function's ``@requires``: no
module of the staff portal names a permission again."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from api.auth.guard import permission_of
from api.auth.principal import Principal
from api.auth.requests import Caller
from api.auth.sessions import OpenSession
from api.exports.rows import export_rows
from api.resolvers.absences.follow_up import division_sheet
from api.resolvers.second_factor import reset_second_factor, set_second_factor_required
from api.resolvers.statistics import headcounts
from api.resolvers.students import search_students_by_ine, update_student
from db.accounts import Role
from portals.etablissement.web import Page

STAFF_PORTAL = Path(__file__).resolve().parents[2] / "portals" / "etablissement"
# Modules of the staff portal that may name a permission, each with the reason: a permission
# tied to no domain function. There is none.
ALLOWED: dict[str, str] = {}


def permissions_named(root: Path) -> list[str]:
    """``module:line Permission.X`` for every use of a permission (``Permission.X``,
    ``Permission("...")``, ``Permission["X"]``) in the modules under ``root``."""
    found: list[tuple[str, int, str]] = []
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = isinstance(node, ast.Attribute | ast.Subscript) and node.value
            called = isinstance(node, ast.Call) and node.func
            target = named or called
            if isinstance(target, ast.Name) and target.id == "Permission":
                what = node.attr if isinstance(node, ast.Attribute) else ast.unparse(node)
                found.append((module, node.lineno, what))
    return [f"{module}:{line} {what}" for module, line, what in sorted(found)]


def test_no_module_of_the_staff_portal_names_a_permission() -> None:
    named = permissions_named(STAFF_PORTAL)
    assert [n for n in named if n.split(":")[0] not in ALLOWED] == []


def test_a_permission_named_in_a_page_is_found(tmp_path: Path) -> None:
    (tmp_path / "absences").mkdir()
    (tmp_path / "absences" / "grid.py").write_text(
        "def grid(page, school):\n"
        "    return page.can(Permission.ABSENCES_WRITE, school.id)\n"
        "WRITE = Permission('absences:write')\n",
        encoding="utf-8",
    )
    assert permissions_named(tmp_path) == [
        "absences/grid.py:2 ABSENCES_WRITE",
        "absences/grid.py:3 Permission('absences:write')",
    ]


def _page(*grants: tuple[int | None, Role]) -> Page:
    principal = Principal(
        kind="staff", id=7, label="Camille Martin (cmartin)", academy_id=1, grants=frozenset(grants)
    )
    caller = Caller(principal, OpenSession("token", 7, "csrf"), via_cookie=True)
    return Page(request=None, services=None, caller=caller, work=None, nav="accueil")  # type: ignore[arg-type]


def test_may_answers_from_the_function_s_declaration_in_the_school_asked() -> None:
    registrar = _page((1, Role.REGISTRAR))
    assert registrar.may(update_student, 1)
    assert not registrar.may(update_student, 2)
    assert registrar.may(update_student)  # in at least one school
    assert registrar.may(export_rows, 1)
    assert not registrar.may(reset_second_factor)
    # The rectorat reads every school's identity data, and changes none.
    rectorat = _page((None, Role.RECTORAT))
    assert rectorat.may(search_students_by_ine) and rectorat.may(headcounts, 2)
    assert not rectorat.may(update_student, 1)


def test_may_academy_wide_asks_for_an_academie_role() -> None:
    principal = _page((1, Role.PRINCIPAL))
    admin = _page((None, Role.ACADEMY_ADMIN))
    assert principal.may(set_second_factor_required, 1)
    assert not principal.may_academy_wide(set_second_factor_required)
    assert admin.may_academy_wide(set_second_factor_required)


def test_a_teacher_reaches_only_the_classes_taught() -> None:
    assert _page((1, Role.TEACHER)).only_taught(division_sheet, 1)
    assert not _page((1, Role.CPE)).only_taught(division_sheet, 1)


def test_the_refusal_names_the_declared_permission() -> None:
    refusal = _page((1, Role.CPE)).refusal(update_student)
    assert refusal.permission == permission_of(update_student)


def test_a_function_without_declaration_cannot_be_asked_about() -> None:
    async def undeclared(_session: object, _principal: Principal) -> None:
        return None

    page = _page((1, Role.PRINCIPAL))
    for ask in (
        lambda: page.may(undeclared, 1),
        lambda: page.may_academy_wide(undeclared),
        lambda: page.only_taught(undeclared, 1),
        lambda: page.refusal(undeclared),
    ):
        with pytest.raises(TypeError, match="undeclared has no @requires"):
            ask()

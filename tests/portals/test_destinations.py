"""A destination's guard is derived from the domain functions its page opens with: the
permissions are declared once, by ``@requires`` on those functions, never in the portal."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from starlette.routing import Route

from api.auth.guard import permission_of, requires
from api.auth.permissions import Permission
from api.auth.principal import Principal
from portals.etablissement import destinations
from portals.etablissement.destinations import Destination
from portals.etablissement.routes import portal_routes

DESTINATIONS = {
    name: value for name, value in vars(destinations).items() if isinstance(value, Destination)
}
GUARDED = sorted(name for name, d in DESTINATIONS.items() if d.opens)


def test_the_destinations_module_names_no_permission() -> None:
    tree = ast.parse(Path(destinations.__file__).read_text(encoding="utf-8"))
    named = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Permission"
    ]
    assert named == []


@pytest.mark.parametrize("name", GUARDED)
def test_a_destination_holds_the_permissions_of_the_functions_it_opens(name: str) -> None:
    destination = DESTINATIONS[name]
    assert destination.permissions
    assert set(destination.permissions) == {permission_of(fn) for fn in destination.opens}


def test_only_home_and_account_are_open_to_every_signed_in_user() -> None:
    assert sorted(n for n, d in DESTINATIONS.items() if not d.permissions) == ["ACCOUNT", "HOME"]


def _page_module(path: str) -> str:
    """The source of the module whose handler answers a GET of ``path``."""
    for route in portal_routes():
        if isinstance(route, Route) and route.path == path and "GET" in (route.methods or ()):
            return inspect.getsource(inspect.getmodule(inspect.unwrap(route.endpoint)))
    raise AssertionError(f"no page at {path}")


@pytest.mark.parametrize("name", GUARDED)
def test_the_page_of_a_destination_runs_the_functions_it_opens(name: str) -> None:
    """The declaration is the page's: its module runs each function through the page's work."""
    destination = DESTINATIONS[name]
    run = [
        node.args[0]
        for node in ast.walk(ast.parse(_page_module(destination.path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("read", "run")
        and node.args
    ]
    # ``fn`` or ``module.fn``
    calls = {f.id if isinstance(f, ast.Name) else getattr(f, "attr", "") for f in run}
    assert {fn.__name__ for fn in destination.opens} <= calls


def test_a_destination_opening_an_undeclared_function_is_refused() -> None:
    async def undeclared(_session: object, _principal: Principal) -> None:
        return None

    @requires(Permission.STUDENTS_READ)
    async def declared(_session: object, _principal: Principal) -> None:
        return None

    with pytest.raises(TypeError, match="/nulle-part"):
        Destination("x", "X", "/nulle-part", (declared, undeclared))
    assert Destination("x", "X", "/ici", (declared, declared)).permissions == (
        Permission.STUDENTS_READ,
    )

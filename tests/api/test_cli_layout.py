"""Where the ``sconet`` command and the top of ``api/`` stand: the top keeps what composes the
application, and the commands reach the databases through ``api.cli.runner`` only."""

from __future__ import annotations

import ast
from pathlib import Path

import api
import api.cli

# What composes the staff application; everything else belongs to the package that owns it.
COMPOSITION = {"__init__", "__main__", "app", "settings", "graphql", "services"}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_the_top_of_api_keeps_only_what_composes_the_application():
    top = {path.stem for path in Path(api.__file__).parent.glob("*.py")}
    assert top <= COMPOSITION, f"à ranger dans leur paquet : {sorted(top - COMPOSITION)}"


def test_only_the_runner_opens_the_databases():
    folder = Path(api.cli.__file__).parent
    reaching = {
        path.name
        for path in folder.glob("*.py")
        if any(
            module.split(".")[0] == "sqlalchemy" or module == "databases.engines"
            for module in imported_modules(path)
        )
    }
    # serving.py probes each database at start-up with its own throwaway engine.
    assert reaching == {"runner.py", "serving.py"}

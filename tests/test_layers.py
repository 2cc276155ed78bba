"""The layers hold by themselves: imports point down only (DESIGN.md, "Architecture").

Checked from the source, by reading every ``import`` of every module of the project (at any
place in the module: top level, inside functions, under ``TYPE_CHECKING``):

- a portal imports no database layer: neither ``db``, ``tsdb`` nor ``sqlalchemy``; it calls
  domain functions;
- ``api.auth`` imports no domain layer (``api.resolvers``) nor anything above it;
- the domain layer does not import the exports, the schema nor the portals (they sit above);
- the GraphQL schema imports no ``sqlalchemy`` (it runs domain functions through the
  request's unit of work and never handles a session), nor what sits above it;
- ``core`` and ``documents`` (the bottom) import nothing of the project above them;
- the families' domain (``families``) imports neither the admin database nor the staff domain;
- the families portal reaches nothing of the admin database: no module it imports,
  directly or through other modules of the project, is ``db`` or under it;
- no portal opens a database session itself: none reaches for a sessionmaker or begins a
  transaction; pages run domain functions through a unit of work (``api.resolvers.work``,
  ``families.work``).
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "core",
    "documents",
    "exchanges",
    "families",
    "api",
    "db",
    "tsdb",
    "portals",
    "replication",
)


@dataclass(frozen=True)
class Rule:
    """Modules under ``importer`` may not import modules under any of ``forbidden``."""

    importer: str
    forbidden: tuple[str, ...]
    why: str


RULES = (
    Rule("portals", ("db", "tsdb", "sqlalchemy"), "a portal calls domain functions only"),
    Rule(
        "api.auth",
        ("api.resolvers", "api.exports", "api.schema", "api.endpoints", "portals"),
        "auth sits below the domain layer",
    ),
    Rule(
        "api.resolvers",
        (
            "api.exports",
            "api.oneroster",
            "api.schema",
            "api.endpoints",
            "api.app",
            "api.cli",
            "portals",
        ),
        "the domain layer does not reach up",
    ),
    Rule(
        "api.oneroster",
        ("db", "api.schema", "api.app", "api.cli", "portals"),
        "the OneRoster binding reads its records from the domain: no model, no SQL",
    ),
    Rule(
        "api.schema",
        ("sqlalchemy", "api.endpoints", "api.app", "api.cli", "portals"),
        "GraphQL runs domain functions through the request's unit of work",
    ),
    Rule(
        "core", ("api", "db", "tsdb", "portals", "replication", "documents"), "core is the bottom"
    ),
    Rule("documents", ("api", "db", "tsdb", "portals", "replication"), "documents know no model"),
    Rule(
        "exchanges",
        ("api", "tsdb", "portals", "replication", "families", "sqlalchemy"),
        "the exchange formats are files and records, not the domain nor the database",
    ),
    Rule(
        "families",
        ("db", "api.resolvers", "api.schema", "api.exports", "portals"),
        "the families' domain lives in the télé-services trust zone",
    ),
)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def project_modules(root: Path) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue  # Alembic's scripts are run by Alembic, not imported by the product.
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports_of(module: str, path: Path, modules: Collection[str]) -> set[str]:
    """Every module name the file imports, absolute; ``from a import b`` yields ``a``, and
    ``a.b`` too when it is a module of the project."""
    names: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                parent = parent if is_package else parent[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules
            )
    return names


def violations(root: Path, rules: tuple[Rule, ...] = RULES) -> list[tuple[str, str, str]]:
    """(module, what it imports, the rule's reason) for every import a rule forbids."""
    found = []
    modules = project_modules(root)
    for module, path in modules.items():
        for rule in rules:
            if not _within(module, rule.importer):
                continue
            for name in sorted(imports_of(module, path, modules)):
                if any(_within(name, forbidden) for forbidden in rule.forbidden):
                    found.append((module, name, rule.why))
    return found


def reached_from(root: Path, start: str) -> dict[str, str]:
    """The project's modules imported, directly or not, by the modules under ``start``, each
    with the module that first imports it (a module also runs its parent packages)."""
    modules = project_modules(root)

    def loaded(name: str) -> list[str]:
        parts = name.split(".")
        return [
            ".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules
        ]

    origin: dict[str, str] = {}
    todo = [module for module in modules if _within(module, start)]
    for module in todo:
        origin.setdefault(module, module)
    while todo:
        module = todo.pop()
        for name in imports_of(module, modules[module], modules):
            for reached in loaded(name):
                if reached not in origin:
                    origin[reached] = module
                    todo.append(reached)
    return origin


def admin_database_reached_by_families(root: Path) -> list[str]:
    return sorted(
        f"{module} (imported by {importer})"
        for module, importer in reached_from(root, "portals.familles").items()
        if _within(module, "db")
    )


# What opening a session takes: the application's sessionmaker (``services.sessionmaker``, a
# ``sessionmaker`` variable) and a transaction's ``begin()``.
SESSION_OPENERS = frozenset({"sessionmaker", "_sessionmaker", "begin", "begin_nested"})


def sessions_opened(root: Path, package: str = "portals") -> list[str]:
    """``module:line name`` wherever a module under ``package`` reaches for a sessionmaker or
    begins a transaction."""
    found = []
    for module, path in project_modules(root).items():
        if not _within(module, package):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else None
            )
            if name in SESSION_OPENERS:
                found.append((module, node.lineno, name))
    return [f"{module}:{line} {name}" for module, line, name in sorted(found)]


def test_imports_point_down_only() -> None:
    assert violations(ROOT) == []


def test_families_portal_reaches_nothing_of_the_admin_database() -> None:
    assert admin_database_reached_by_families(ROOT) == []


def test_no_portal_opens_a_session() -> None:
    assert sessions_opened(ROOT) == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_portal_importing_a_model_is_refused(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "portals/__init__.py": "",
            "portals/pages.py": "def page():\n    from db.students import Student\n",
            "db/__init__.py": "",
            "db/students.py": "",
        },
    )
    assert violations(root) == [
        ("portals.pages", "db.students", "a portal calls domain functions only")
    ]


def test_auth_importing_the_domain_layer_is_refused(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/auth/__init__.py": "",
            "api/auth/scopes.py": "from ..resolvers import audit\n",
            "api/resolvers/__init__.py": "",
            "api/resolvers/audit.py": "",
        },
    )
    why = "auth sits below the domain layer"
    assert violations(root) == [
        ("api.auth.scopes", "api.resolvers", why),
        ("api.auth.scopes", "api.resolvers.audit", why),
    ]


def test_the_schema_handling_a_session_is_refused(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/schema/__init__.py": "",
            "api/schema/motives.py": "from sqlalchemy.ext.asyncio import AsyncSession\n",
        },
    )
    why = "GraphQL runs domain functions through the request's unit of work"
    assert violations(root) == [("api.schema.motives", "sqlalchemy.ext.asyncio", why)]


def test_the_admin_database_reached_through_another_module_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "portals/__init__.py": "",
            "portals/familles/__init__.py": "",
            "portals/familles/pages.py": "import api.engines\n",
            "api/__init__.py": "",
            "api/engines.py": "from db.base import Base\n",
            "db/__init__.py": "",
            "db/base.py": "",
        },
    )
    assert admin_database_reached_by_families(root) == [
        "db (imported by api.engines)",
        "db.base (imported by api.engines)",
    ]


def test_a_portal_opening_a_session_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "portals/__init__.py": "",
            "portals/login.py": (
                "async def login(services):\n"
                "    async with services.sessionmaker() as session, session.begin():\n"
                "        pass\n"
            ),
        },
    )
    assert sessions_opened(root) == [
        "portals.login:2 begin",
        "portals.login:2 sessionmaker",
    ]

"""axe-core in the browser tests: the WCAG 2.1 A and AA rules run on the page a test has
opened, and any violation fails the test.

axe-core is an npm development dependency (``package.json``): its script is read from the
project's ``node_modules`` and evaluated in the page through the DevTools protocol, so that
nothing comes from a CDN and the portals' content security policy (no inline script) stays
as it is for the page itself.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from api.settings import PROJECT_ROOT

AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class AxeMissing(RuntimeError):
    """axe-core is not installed beside the project."""


@cache
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        raise AxeMissing(
            f"axe-core est introuvable ({AXE_SCRIPT}) : lancez `npm ci` à la racine du dépôt."
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
  }));
}"""


def describe(violations: list[dict[str, Any]], where: str) -> str:
    """A readable account of the violations: rule, impact, and the first elements at fault."""
    lines = [f"axe-core : {len(violations)} règle(s) WCAG 2.1 A/AA non respectée(s) sur {where}"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}) : {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])} {node['html'][:200]}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      "))
        if len(violation["nodes"]) > 5:
            lines.append(f"    … et {len(violation['nodes']) - 5} autre(s)")
    return "\n".join(lines)


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.1 A and AA violations axe-core finds on ``page`` as it is now."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated as a script (not a function): it defines window.axe.
        await page.evaluate(axe_source())
    violations: list[dict[str, Any]] = await page.evaluate(RUN, WCAG_21_AA)
    return violations


async def assert_accessible(page: Any, where: str | None = None) -> None:
    """Fails with the list of violations if axe-core finds any on ``page`` as it is now."""
    violations = await axe_violations(page)
    assert not violations, describe(violations, where or page.url)

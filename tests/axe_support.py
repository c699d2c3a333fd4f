"""Accessibility checks with axe-core (vendored from the npm package, ``tests/vendor/``) for
browser tests: ``assert_no_axe_violations(page)`` on any page a test has opened.

axe runs every rule of its default set (WCAG 2.0–2.2 A and AA, and the best practices) on
the page as it is. A test fails on any violation, and on any result axe could not decide
by itself ("needs review") whose impact is critical: those are the ones a person would
otherwise have to check by hand on every change.

The script is evaluated through the browser's debugging protocol, so the page's own
Content-Security-Policy (no inline script) stays in force for everything else.
"""

from functools import cache
from pathlib import Path

AXE_PATH = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# Results axe cannot decide alone with this impact fail the test as a violation does.
BLOCKING_REVIEW_IMPACTS = frozenset({"critical"})


@cache
def _axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def axe_inject(page) -> None:
    """Load axe into the page once (a navigation clears it)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {_axe_source()}\n }}")
        # Evaluated inside a function, axe assigned itself to window (its UMD fallback).
        assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"


def axe_run(page, *, include: str | None = None) -> dict:
    """axe's results for the whole page (or the elements matching ``include``)."""
    axe_inject(page)
    return page.evaluate(
        """async (include) => {
            const context = include ? {include: [include]} : document;
            const results = await window.axe.run(context, {
                resultTypes: ["violations", "incomplete"],
            });
            const brief = (items) => items.map((item) => ({
                id: item.id,
                impact: item.impact,
                help: item.help,
                nodes: item.nodes.map((node) => ({
                    target: node.target.join(" "),
                    impact: node.impact,
                    summary: node.failureSummary || "",
                    html: node.html.slice(0, 200),
                })),
            }));
            return {
                violations: brief(results.violations),
                incomplete: brief(results.incomplete),
            };
        }""",
        include,
    )


def blocking_results(results: dict) -> list[dict]:
    """Violations, and "needs review" results of a blocking impact (node by node)."""
    blocking = list(results["violations"])
    for item in results["incomplete"]:
        nodes = [n for n in item["nodes"] if n["impact"] in BLOCKING_REVIEW_IMPACTS]
        if nodes:
            blocking.append({**item, "id": f"{item['id']} (needs review)", "nodes": nodes})
    return blocking


def describe(items: list[dict]) -> str:
    lines = []
    for item in items:
        lines.append(f"- {item['id']} [{item['impact']}]: {item['help']}")
        for node in item["nodes"]:
            lines.append(f"    {node['target']}: {node['html']}")
            if node["summary"]:
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)


def assert_no_axe_violations(page, *, include: str | None = None) -> None:
    """Fail with a readable list when axe finds a violation (or a critical "needs review")
    on the page as it is now."""
    blocking = blocking_results(axe_run(page, include=include))
    assert not blocking, f"axe-core on {page.url}:\n{describe(blocking)}"

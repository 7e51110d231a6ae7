"""Render a rule's documentation page from its docstring and metadata.

`docs/rules/<CODE>.md` and `errlint explain CODE` both come from `render_rule_page`, so the two
can never disagree; `tests/test_docs.py` fails when a generated page is stale.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

from errlint.rule import LintRule

REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Example")
_FIX_WORDS = {"none": "no fix", "safe": "safe fix", "unsafe": "unsafe fix", "sometimes": "fix sometimes available"}


def rule_doc(rule: type[LintRule]) -> str:
    """The rule's docstring, dedented and stripped."""
    return inspect.cleandoc(rule.__doc__ or "")


def section(rule: type[LintRule], heading: str) -> str:
    """The text under `## heading` (up to the next `## `), or ""."""
    doc = rule_doc(rule)
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", doc, re.M | re.S)
    return match.group(1).strip() if match else ""


def code_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, re.S)]


def render_rule_page(rule: type[LintRule]) -> str:
    """Markdown for one rule: title, metadata table, then the docstring sections."""
    status = "preview" if rule.PREVIEW else "stable"
    lines = [
        f"# {rule.CODE} {rule.NAME}",
        "",
        "| family | default severity | impact | status | fix |",
        "|---|---|---|---|---|",
        f"| {rule.family()} | {rule.SEVERITY.value} | {rule.IMPACT.value} | {status} | {_FIX_WORDS[rule.FIX.value]} |",
        "",
    ]
    if rule.PREVIEW:
        lines += [
            "This rule is in **preview**: enable it with `preview = true`, `--preview`, or by selecting "
            f"`{rule.CODE}` explicitly.",
            "",
        ]
    lines.append(rule_doc(rule))
    if rule.Options is not None and "## Options" not in rule_doc(rule):
        lines += ["", "## Options", ""]
        for field in dataclasses.fields(rule.Options):
            lines.append(f"- `{field.name.replace('_', '-')}` (default `{field.default!r}`)")
    lines += [
        "",
        f"Configure with `[tool.errlint]` (`select`, `ignore`, `per-file-ignores`) or silence one "
        f"line with `# noqa: {rule.CODE}`.",
        "",
    ]
    return "\n".join(lines)

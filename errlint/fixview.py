"""Fixes seen from the command line: the fixed text of a file without writing it (for `--diff`,
`--fix -` and `--fix`), which codes were fixed (`--show-fixes`), and unified diffs.

Fixes are applied pass after pass until none applies (at most `MAX_FIX_PASSES`), re-linting in
between, exactly as `--fix` does; writing the result is the caller's business.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from errlint.finding import Finding, FixSafety

MAX_FIX_PASSES = 10


@dataclass
class Fixed:
    text: str
    applied: int
    result: Any  # the FileResult of the last lint
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, name) -> fixed count


def fixable(finding: Finding, unsafe: bool) -> bool:
    if finding.fix is None:
        return False
    return finding.fix.safety is FixSafety.SAFE or (unsafe and finding.fix.safety is FixSafety.UNSAFE)


def fixed_text(text: str, result: Any, relint: Callable[[str], Any], unsafe: bool) -> Fixed:
    """Apply the fixes of `result` (the lint of `text`) until none applies."""
    from errlint.fixes import applicable, apply_fixes

    outcome = Fixed(text, 0, result)
    for _ in range(MAX_FIX_PASSES):
        fixes = applicable(outcome.result.findings, unsafe)
        if not fixes:
            break
        new_text, applied = apply_fixes(outcome.text, fixes)
        if not applied or new_text == outcome.text:
            break
        before = Counter((f.code, f.name) for f in outcome.result.findings if fixable(f, unsafe))
        all_before = Counter((f.code, f.name) for f in outcome.result.findings)
        outcome.text = new_text
        outcome.applied += applied
        outcome.result = relint(new_text)
        after = Counter((f.code, f.name) for f in outcome.result.findings)
        for key, count in before.items():
            gone = all_before[key] - after[key]
            if gone > 0:
                outcome.codes[key] += min(count, gone)
    return outcome


def unified_diff(path: str, before: str, after: str) -> str:
    """`before` -> `after` as a unified diff naming `path` on both sides (as ruff's `--diff`)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=path, tofile=path
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)

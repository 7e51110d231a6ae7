"""The one fix path: apply the fixes of a linted file, write it back or not, and say what changed.

`fix_result` is the only caller of `errlint.writeback.fix_file`: `errlint check --fix` (through
`errlint.api.check`), `--diff`, `--fix -` and the editor server's "fix all" all come here.
Fixes are applied pass after pass until none applies (at most `errlint.fixes.MAX_FIX_PASSES`),
re-linting in between (`errlint.fixes.fix_text`). With a `path` the file is written once through
`errlint.writeback` (atomic, in the file's own encoding, never over a newer edit); without one
the fixed text is returned (for `--diff`, `--fix -` and editors).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generic, Optional

from errlint.finding import Finding, FixSafety
from errlint.writeback import S


@dataclass
class Fixed(Generic[S]):
    """What fixing one file did."""

    result: S  # the lint of the file as it is now (the original result when nothing was written)
    applied: int = 0  # fixes applied (0 when the file could not be written)
    text: Optional[str] = None  # the fixed text (not kept when the file was written)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, name) -> fixed count
    error: Optional[str] = None  # the file was not written: one line, without the path
    notes: list[str] = field(default_factory=list)  # fixes skipped: one line each, "line:col: ..."


def fixable(finding: Finding, unsafe: bool) -> bool:
    if finding.fix is None:
        return False
    return finding.fix.safety is FixSafety.SAFE or (unsafe and finding.fix.safety is FixSafety.UNSAFE)


def fix_result(result: S, relint: Callable[[str], S], *, unsafe: bool, path: Optional[Path] = None) -> Fixed[S]:
    """Fix the file linted as `result` (with its source kept) until no fix applies.

    With `path`, write the file once (`errlint.writeback.fix_file`); otherwise return the fixed
    text and write nothing. `codes` counts the fixed findings per rule (`--show-fixes`).
    """
    if result.source is None:
        return Fixed(result)
    if path is None:
        from errlint.fixes import fix_text

        done = fix_text(result.source, result, relint, unsafe=unsafe)
        return Fixed(done.result, done.applied, done.text, fixed_codes(result, done.result, unsafe))
    from errlint.writeback import fix_file

    written = fix_file(path, result, relint, unsafe=unsafe)
    if written.error is not None or not written.applied:
        return Fixed(written.result, error=written.error, notes=written.notes)
    codes = fixed_codes(result, written.result, unsafe)
    return Fixed(written.result, written.applied, codes=codes, notes=written.notes)


def fixed_codes(before: S, after: S, unsafe: bool) -> Counter[tuple[str, str]]:
    """(code, name) -> how many fixable findings of `before` are gone in `after` (`--show-fixes`)."""
    left = Counter((f.code, f.name) for f in after.findings)
    gone: Counter[tuple[str, str]] = Counter()
    for key, count in Counter((f.code, f.name) for f in before.findings if fixable(f, unsafe)).items():
        if left[key] < count:
            gone[key] = count - left[key]
    return gone


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

"""Apply the edits of fixes to source text.

Fixes of one pass must not overlap: when two do, the later one waits for the next pass (the
caller re-lints and applies again, as ruff does), so no edit is ever applied to stale positions.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from errlint.finding import Edit, Finding, Fix, FixSafety

_LINE_START_RE = re.compile(r"\r\n|\r|\n")


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _LINE_START_RE.finditer(text))
    return starts


def _offset(starts: Sequence[int], text: str, line: int, column: int) -> int:
    if line - 1 >= len(starts):
        return len(text)
    return min(starts[line - 1] + column - 1, len(text))


def applicable(findings: Iterable[Finding], unsafe: bool) -> list[Fix]:
    """The fixes to apply: safe ones, plus unsafe ones when asked (never display-only)."""
    allowed = {FixSafety.SAFE, FixSafety.UNSAFE} if unsafe else {FixSafety.SAFE}
    return [f.fix for f in findings if f.fix is not None and f.fix.safety in allowed]


def apply_fixes(text: str, fixes: Sequence[Fix]) -> tuple[str, int]:
    """Apply the non-overlapping `fixes` to `text`; return the new text and how many applied."""
    starts = _line_starts(text)
    chosen: list[tuple[int, int, Edit]] = []
    taken: list[tuple[int, int]] = []
    applied = 0
    for fix in sorted(fixes, key=lambda f: (f.edits[0].line, f.edits[0].column) if f.edits else (0, 0)):
        spans = [
            (_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column), e)
            for e in fix.edits
        ]
        if any(_overlaps(a, b, c, d) for a, b, _ in spans for c, d in taken):
            continue
        chosen.extend(spans)
        taken.extend((a, b) for a, b, _ in spans)
        applied += 1
    for start, end, edit in sorted(chosen, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + edit.content + text[end:]
    return text, applied


def _overlaps(a: int, b: int, c: int, d: int) -> bool:
    if a == b or c == d:  # insertions conflict only at the same point or strictly inside
        return a == c or (c < a < d) or (a < c < b)
    return a < d and c < b

"""Apply the edits of fixes to source text, pass after pass, in the file's own newlines.

Fixes of one pass must not overlap: when two do, the later one waits for the next pass (the
caller re-lints and applies again, as ruff does), so no edit is ever applied to stale positions.
A line break inside a fix is written as the line break of the line the edit starts on, so a CRLF
(or CR, or mixed) file keeps its bytes outside the edits. A fix whose text cannot be encoded in
the file's encoding is not applied and is returned as skipped (`fix_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Generic, Iterable, Optional, Protocol, Sequence, TypeVar

from errlint.finding import Edit, Finding, Fix, FixSafety

MAX_FIX_PASSES = 10


class Linted(Protocol):
    """What the fix loop needs of a lint result (`errlint.engine.FileResult`): its findings."""

    @property
    def findings(self) -> Sequence[Finding]: ...


R = TypeVar("R", bound=Linted)  # the lint result type: what `relint` returns
_LINE_START_RE = re.compile(r"\r\n|\r|\n")
_ANY_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _LINE_START_RE.finditer(text))
    return starts


def _line_ending(starts: Sequence[int], text: str, line: int) -> str:
    """The line break that ends `line` (1-based); the last line takes the one before it."""
    for number in (line, line - 1):
        if 1 <= number < len(starts):
            end = starts[number]
            return "\r\n" if text[end - 2 : end] == "\r\n" else text[end - 1]
    return "\n"


def _in_file_newlines(content: str, newline: str) -> str:
    if "\n" not in content and "\r" not in content:
        return content
    return _ANY_NEWLINE_RE.sub(lambda _: newline, content)


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
    original = text
    for start, end, edit in sorted(chosen, key=lambda s: (s[0], s[1]), reverse=True):
        content = _in_file_newlines(edit.content, _line_ending(starts, original, edit.line))
        text = text[:start] + content + text[end:]
    return text, applied


@dataclass
class FixOutcome(Generic[R]):
    """What `fix_text` did: the new text, how many fixes applied, the findings left after them."""

    text: str
    applied: int
    result: R  # the lint result of `text` (the last relint, or the one given when nothing applied)
    unencodable: list[Finding] = field(default_factory=list)


def fix_text(
    text: str,
    result: R,
    relint: Callable[[str], R],
    *,
    unsafe: bool,
    can_encode: Optional[Callable[[str], bool]] = None,
) -> FixOutcome[R]:
    """Apply fixes to `text` (linted as `result`) until none applies, at most MAX_FIX_PASSES.

    `relint(text)` lints a fixed text again. A fix with an edit `can_encode` refuses is skipped
    and listed in `unencodable` (once per finding), so the caller can say so.
    """
    applied_total = 0
    skipped: dict[tuple[str, int, int], Finding] = {}
    current = result
    for _ in range(MAX_FIX_PASSES):
        usable = []
        for finding in current.findings:
            fix = finding.fix
            if fix is None or fix not in applicable([finding], unsafe):
                continue
            if can_encode is not None and not all(can_encode(e.content) for e in fix.edits):
                skipped.setdefault((finding.code, finding.line, finding.column), finding)
                continue
            usable.append(fix)
        if not usable:
            break
        text, applied = apply_fixes(text, usable)
        if not applied:
            break
        applied_total += applied
        current = relint(text)
    return FixOutcome(text, applied_total, current, list(skipped.values()))


def _overlaps(a: int, b: int, c: int, d: int) -> bool:
    if a == b or c == d:  # insertions conflict only at the same point or strictly inside
        return a == c or (c < a < d) or (a < c < b)
    return a < d and c < b

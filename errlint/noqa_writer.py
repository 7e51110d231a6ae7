"""`errlint check --add-noqa`: silence today's findings with `# noqa: XH…` comments.

For each line with findings, the codes are added to the line's noqa comment: merged into an
existing `# noqa: A, B` (sorted, no duplicates), or appended as `  # noqa: XH101` after the code and
any other comment. A blanket `# noqa` already silences everything and is left alone. A comment is
never put inside a string: when the flagged line ends inside a multi-line string, the comment goes
on the last line of the statement (a noqa comment anywhere on a statement covers all of it). When
the flagged line would grow past `max_length` characters and another line of the same statement
has room, the comment goes there. `--reason "…"` appends ` - reason` after the codes, which flake8,
ruff and errlint all accept. XH000 (unparsable files) cannot be silenced and is skipped.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Optional, Sequence

from errlint.finding import Finding
from errlint.noqa import NOQA_INLINE_RE, _CODE_SPLIT_RE
from errlint.source import split_lines

MAX_LENGTH = 100
NEVER = ("XH000",)
_LINE_END_RE = re.compile(r"(\r\n|\r|\n)$")


@dataclass(frozen=True)
class _Statements:
    """Per physical line: (first, last) line of its statement, and whether the line ends in a string."""

    ranges: dict[int, tuple[int, int]]
    in_string: set[int]
    comments: dict[int, int]  # line -> 0-based column where its comment starts


def _statements(text: str) -> Optional[_Statements]:
    ranges: dict[int, tuple[int, int]] = {}
    in_string: set[int] = set()
    comments: dict[int, int] = {}
    start: Optional[int] = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING or getattr(tokenize, "FSTRING_MIDDLE", -1) == tok.type:
                in_string.update(range(tok.start[0], tok.end[0]))  # every line the string spans past
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.start[1]
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
                continue
            if start is None:
                start = tok.start[0]
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                for number in range(start, tok.start[0] + 1):
                    ranges[number] = (start, tok.start[0])
                start = None
    except (tokenize.TokenError, SyntaxError):
        return None
    return _Statements(ranges, in_string, comments)


def _merged(existing: Optional[tuple[str, ...]], codes: Sequence[str]) -> list[str]:
    return sorted(set(existing or ()) | set(codes))


def _noqa_in_comment(line: str, comment: Optional[int]) -> Optional[re.Match[str]]:
    """The noqa directive of `line` when it is in the line's comment (never one inside a string)."""
    if comment is None:
        return None
    return NOQA_INLINE_RE.search(line, comment)


def _with_codes(line: str, codes: Sequence[str], reason: Optional[str], comment: Optional[int]) -> Optional[str]:
    """`line` (without its line ending) carrying a noqa comment for `codes`; None: nothing to do."""
    match = _noqa_in_comment(line, comment)
    if match is not None:
        codes_text = match.group("codes")
        if not codes_text:
            return None  # a blanket noqa already covers every code
        existing = tuple(c.upper() for c in _CODE_SPLIT_RE.split(match.group(0).split(":", 1)[1].strip()) if c)
        merged = _merged(existing, codes)
        if merged == sorted(set(existing)):
            return None
        directive = match.group(0)
        trail = directive[len(directive.rstrip()) :]
        return line[: match.start()] + "# noqa: " + ", ".join(merged) + trail + line[match.end() :]
    suffix = f" - {reason}" if reason else ""
    return line.rstrip() + "  # noqa: " + ", ".join(sorted(set(codes))) + suffix


def add_noqa(text: str, findings: Sequence[Finding], reason: Optional[str] = None, max_length: int = MAX_LENGTH) -> tuple[str, int]:
    """Return `text` with noqa comments for `findings` (of this file) and how many lines changed."""
    wanted: dict[int, set[str]] = {}
    statements = _statements(text)
    if statements is None:
        return text, 0  # the tokenizer rejects the file: a comment could land inside a string
    lines = split_lines(text)
    raw = text.splitlines(keepends=True)
    for finding in findings:
        if finding.code in NEVER or not 1 <= finding.line <= len(lines):
            continue
        target = _target_line(finding.line, lines, statements, finding.code, reason, max_length)
        if target is not None:
            wanted.setdefault(target, set()).add(finding.code)
    changed = 0
    for number, codes in sorted(wanted.items()):
        original = raw[number - 1]
        ending_match = _LINE_END_RE.search(original)
        ending = ending_match.group(1) if ending_match else ""
        body = original[: len(original) - len(ending)]
        new = _with_codes(body, sorted(codes), reason, statements.comments.get(number))
        if new is not None and new != body:
            raw[number - 1] = new + ending
            changed += 1
    return "".join(raw), changed


def _target_line(
    line: int, lines: Sequence[str], statements: _Statements, code: str, reason: Optional[str], max_length: int
) -> Optional[int]:
    first, last = statements.ranges.get(line, (line, line))
    candidates = [
        n for n in range(first, last + 1) if n not in statements.in_string and not lines[n - 1].rstrip().endswith("\\")
    ]
    if not candidates:
        return None
    # The flagged line itself when possible, else the statement's last line (never inside a string).
    preferred = line if line in candidates else candidates[-1]
    comments = statements.comments
    for number in range(first, last + 1):
        if number in candidates and _noqa_in_comment(lines[number - 1], comments.get(number)):
            return number  # merge into the statement's existing noqa comment
    grown = _with_codes(lines[preferred - 1], [code], reason, comments.get(preferred))
    if grown is None or len(grown) <= max_length:
        return preferred
    for number in candidates:
        candidate = _with_codes(lines[number - 1], [code], reason, comments.get(number))
        if candidate is not None and len(candidate) <= max_length:
            return number
    return preferred

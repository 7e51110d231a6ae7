"""`# noqa` suppression with flake8's syntax, applied to every line of a logical line.

`# noqa` alone silences every code on the line; `# noqa: XH101,XH103` only those codes (flake8's
`NOQA_INLINE_REGEXP`). As in flake8, a comment on any physical line of a multi-line statement
applies to the whole statement.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Optional, Sequence

# flake8's src/flake8/defaults.py NOQA_INLINE_REGEXP (7.x), verbatim.
NOQA_INLINE_RE = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
_CODE_SPLIT_RE = re.compile(r"[,\s]+")
_NON_LOGICAL = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
)
SKIP_FILE_RE = re.compile(r"^[ \t]*#[ \t]*errlint:[ \t]*skip-file\b", re.MULTILINE)


@dataclass
class NoqaComment:
    line: int
    column: int  # 1-based, where "# noqa" starts
    end_column: int
    codes: Optional[tuple[str, ...]]  # None: blanket
    used: set[str] = field(default_factory=set)


class NoqaMap:
    """The noqa comments of one file and the logical-line ranges they cover."""

    def __init__(self, text: str, lines: Sequence[str]) -> None:
        self.comments: dict[int, NoqaComment] = {}
        for number, line in enumerate(lines, start=1):
            if "noqa" not in line.lower() or "#" not in line:
                continue
            match = NOQA_INLINE_RE.search(line)
            if match is None:
                continue
            codes_text = match.group("codes")
            codes = None
            if codes_text:
                raw = match.group(0).split(":", 1)[1]
                codes = tuple(c.upper() for c in _CODE_SPLIT_RE.split(raw.strip()) if c)
            self.comments[number] = NoqaComment(number, match.start() + 1, match.end() + 1, codes)
        self._text = text
        self._logical: Optional[dict[int, tuple[int, int]]] = None

    def __bool__(self) -> bool:
        return bool(self.comments)

    def _logical_ranges(self) -> dict[int, tuple[int, int]]:
        """Map each physical line of a multi-line logical line to its (first, last) lines."""
        if self._logical is None:
            ranges: dict[int, tuple[int, int]] = {}
            start: Optional[int] = None
            try:
                for tok in tokenize.generate_tokens(io.StringIO(self._text).readline):
                    if tok.type in _NON_LOGICAL:
                        continue
                    if start is None:
                        start = tok.start[0]
                    if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                        end = tok.start[0]
                        for line in range(start, end + 1):
                            ranges[line] = (start, end)
                        start = None
            except (tokenize.TokenError, SyntaxError):
                pass
            self._logical = ranges
        return self._logical

    def suppresses(self, code: str, line: int) -> bool:
        """True (and the comment marked used) when a noqa covering `line` names `code`."""
        candidates = [line]
        if line not in self.comments:
            first, last = self._logical_ranges().get(line, (line, line))
            candidates = list(range(first, last + 1))
        for number in candidates:
            comment = self.comments.get(number)
            if comment is None:
                continue
            if comment.codes is None:
                comment.used.add(code)
                return True
            for listed in comment.codes:
                if code.startswith(listed):
                    comment.used.add(listed)
                    return True
        return False


# --- XH001 unused-noqa ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnusedNoqa:
    """One directive that suppressed nothing errlint can vouch for, with its fix."""

    line: int
    column: int
    end_column: int
    message: str
    replacement: str  # what replaces columns [fix_column, fix_end_column) on the line
    fix_column: int
    fix_end_column: int
    safe: bool


def _comment_starts(text: str) -> Optional[set[tuple[int, int]]]:
    """(line, 1-based column) of every real comment token; None when the text cannot be tokenized."""
    starts: set[tuple[int, int]] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                starts.add((tok.start[0], tok.start[1] + 1))
    except (tokenize.TokenError, SyntaxError):
        return None  # no fix offered for a file the tokenizer rejects: nothing is reported
    return starts


def unused_directives(
    noqa: NoqaMap, lines: Sequence[str], ran: Sequence[str], known: Sequence[str], all_ran: bool
) -> list[UnusedNoqa]:
    """The directives, or codes in them, that errlint can prove unused.

    `ran` are the codes of the rules that ran on the file, `known` every errlint code, `all_ran`
    whether every errlint rule ran. Only XH codes are judged: other tools own their codes. A code
    (or prefix) is unused when it suppressed nothing and every rule it names ran; a code naming no
    rule is unknown. A blanket `# noqa` is judged only when every errlint rule ran, and its fix is
    unsafe: another tool (flake8, ruff, pylint) may still rely on it.
    """
    out: list[UnusedNoqa] = []
    starts: Optional[set[tuple[int, int]]] = None
    for number, comment in sorted(noqa.comments.items()):
        if comment.codes is not None and "XH001" in comment.codes:
            continue  # the directive silences this very rule
        unused: list[str] = []
        unknown: list[str] = []
        if comment.codes is None:
            if comment.used or not all_ran:
                continue
        else:
            for code in comment.codes:
                if not code.startswith("XH") or code in comment.used:
                    continue
                named = [k for k in known if k.startswith(code)]
                if not named:
                    unknown.append(code)
                elif all(k in ran for k in named):
                    unused.append(code)
            if not unused and not unknown:
                continue
        if starts is None:
            starts = _comment_starts(noqa._text)
            if starts is None:
                return []
        line = lines[number - 1]
        if not any(n == number and col <= comment.column for n, col in starts):
            continue  # "# noqa" inside a string, not a comment
        out.append(_unused(comment, line, unused, unknown))
    return out


def _unused(comment: NoqaComment, line: str, unused: list[str], unknown: list[str]) -> UnusedNoqa:
    start, end = comment.column, comment.end_column  # 1-based, end exclusive
    if comment.codes is None:
        message = "Unused blanket `noqa` directive: no errlint finding here to suppress"
        keep: list[str] = []
        safe = False
    else:
        parts = []
        if unused:
            parts.append("unused: " + ", ".join(f"`{c}`" for c in unused))
        if unknown:
            parts.append("unknown: " + ", ".join(f"`{c}`" for c in unknown))
        message = f"Unused `noqa` directive ({'; '.join(parts)})"
        drop = set(unused) | set(unknown)
        keep = [c for c in comment.codes if c not in drop]
        safe = True
    rest = line[end - 1 :]
    directive = line[start - 1 : end - 1]
    trail = directive[len(directive.rstrip()) :]  # the pattern takes the separator after the codes
    if keep:
        return UnusedNoqa(comment.line, start, end, message, f"# noqa: {', '.join(keep)}{trail}", start, end, safe)
    if rest.lstrip().startswith("#"):
        return UnusedNoqa(comment.line, start, end, message, "", start, end, safe)  # another comment follows
    if rest.strip():
        # `# noqa: XH101 - reason`: keep the explanation as a plain comment.
        return UnusedNoqa(comment.line, start, end, message, "#" + trail, start, end, safe)
    before = line[: start - 1]
    if before.strip() == "":
        # A comment alone on its line: empty the line (the line itself stays, positions too).
        return UnusedNoqa(comment.line, start, end, message, "", 1, len(line) + 1, safe)
    return UnusedNoqa(comment.line, start, end, message, "", len(before.rstrip()) + 1, len(line) + 1, safe)

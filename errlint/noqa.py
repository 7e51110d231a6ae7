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

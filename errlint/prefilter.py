"""Blank out the functions no enabled rule can report in, before libcst parses the file.

Parsing with libcst is most of errlint's cost, and most functions hold nothing an error-handling
rule looks at (`../shared/PERF.md`: the functions with a `try`, a `raise`, a logging or network
call are about a quarter of the lines of real code). Each rule declares `PREFILTER`, regular
expressions that the source of a function (decorators to last line) must match for the rule to
possibly report anything inside it; `None` (the default) means "anywhere" and turns this off.

A cheap pass with CPython's `ast` finds every function that is not nested in another function
(module level, in classes, under `if`/`try`/`with`...). When its source matches no rule's pattern,
its body is replaced line for line: the first body line becomes `pass` at the same indentation,
the other body lines become empty, every line ending is kept. The `def` line, decorators,
comments and every other line stay as they are, so the program stays valid and every position
outside the blanked bodies is unchanged. Functions nested in a kept function are kept.

Names bound by an import whose qualified name matches a pattern (`from requests import get`)
count as matches too, so rules that resolve calls through imports see the aliased calls.

Anything unusual keeps the text as it is: `ast` cannot parse it (syntax newer than the running
Python, a syntax error, too deep), or a body shares its line with the header (`def f(): pass`).
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Optional, Sequence, Union

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.rule import LintRule

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_NEVER = "(?!)"
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass
class Prefiltered:
    """The text to parse, the body line ranges that were blanked, and the `ast` of the original."""

    text: str
    blanked: list[tuple[int, int]] = field(default_factory=list)  # 1-based, inclusive
    tree: Optional[ast.Module] = None

    def covers(self, line: int, end_line: int) -> bool:
        """True when the range from `line` to `end_line` contains a blanked body."""
        return any(line <= start and stop <= end_line for start, stop in self.blanked)


_PATTERNS: dict[tuple[object, ...], Optional[re.Pattern[str]]] = {}


def rules_pattern(rules: Sequence[type[LintRule]], config: Optional[Config] = None) -> Optional[re.Pattern[str]]:
    """One regular expression for the `PREFILTER` of every rule, or None when one has none.

    Configured vocabularies (`logger-names`, `report-functions`) are added: rules read them from
    the configuration, so a function that uses one is kept.
    """
    extra: tuple[str, ...] = ()
    if config is not None:
        names = tuple(config.logger_names) + tuple(config.all_report_functions)
        extra = tuple(sorted({n.rsplit(".", 1)[-1] for n in names if n}))
    key = (tuple(rules), extra)
    if key in _PATTERNS:
        return _PATTERNS[key]
    parts: list[str] = []
    pattern: Optional[re.Pattern[str]] = None
    for rule in rules:
        hint = getattr(rule, "PREFILTER", None)
        if hint is None:
            break
        parts.extend(f"(?:{p})" for p in hint)
    else:
        parts.extend(re.escape(word) for word in extra)
        pattern = re.compile("|".join(parts) if parts else _NEVER)
    _PATTERNS[key] = pattern
    return pattern


def blank_irrelevant(text: str, pattern: re.Pattern[str], tree: Optional[ast.Module] = None) -> Optional[Prefiltered]:
    """Return `text` with the bodies of irrelevant functions blanked, or None if `ast` fails.

    `tree` is `ast.parse(text)` when the caller has it already.
    """
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences and the like: not ours to say
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return None  # libcst parses the text as it is and reports any real problem as XH000
    result = Prefiltered(text, tree=tree)
    functions: list[FunctionNode] = []
    imports: list[Union[ast.Import, ast.ImportFrom]] = []
    _collect(tree.body, functions, imports)
    if not functions:
        return result
    lines = _LINE_RE.findall(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    matched = _matched_lines(text, starts, pattern)
    aliases = _aliases(imports, pattern)
    if aliases:
        alias_re = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in sorted(aliases)) + r")\b")
        matched = sorted(set(matched) | set(_matched_lines(text, starts, alias_re)))
    replaced: dict[int, str] = {}
    for function in functions:
        first = _first_line(function)
        last = function.end_lineno or function.lineno
        index = bisect.bisect_left(matched, first)
        if index < len(matched) and matched[index] <= last:
            continue  # some rule may report in here
        body_line = _first_line(function.body[0])
        if body_line <= function.lineno or body_line > len(lines) or last > len(lines):
            continue
        source = lines[body_line - 1]
        indent = len(source) - len(source.lstrip(" \t\f"))
        if indent == 0 or not _starts_line(function.body[0], source):
            continue  # the body shares its line with the header (`def f(): return 1`)
        replaced[body_line] = source[:indent] + "pass" + _ending(source)
        for number in range(body_line + 1, last + 1):
            replaced[number] = _ending(lines[number - 1])
        result.blanked.append((body_line, last))
    if replaced:
        result.text = _join(lines, replaced)
    return result


def _join(lines: Sequence[str], replaced: dict[int, str]) -> str:
    """The lines with `replaced` ones swapped in, never joining two lines into one.

    A blanked line is only its line ending. After a line that ends with a lone `\r`, a blanked
    line ending in `\n` would make the two endings a single `\r\n` line break, moving every later
    line up by one: such a line gets a space before its ending (a blank line all the same).
    """
    out: list[str] = []
    previous = ""
    for number, line in enumerate(lines, start=1):
        new = replaced.get(number)
        if new is None:
            new = line
        elif new.startswith("\n") and previous.endswith("\r"):
            new = " " + new
        out.append(new)
        previous = new
    return "".join(out)


def _first_line(stmt: ast.stmt) -> int:
    """The first line of `stmt`, decorators included (`lineno` is the `def`/`class` line)."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _starts_line(stmt: ast.stmt, line: str) -> bool:
    """True when `stmt` (or its first decorator) is the first thing on `line` (its first line)."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", None) or []
    first = min(decorators, key=lambda d: (d.lineno, d.col_offset), default=None)
    if first is not None and first.lineno <= stmt.lineno:
        before = line.encode("utf-8", "surrogatepass")[: first.col_offset].strip(b" \t\f")
        return before == b"@"
    return not line.encode("utf-8", "surrogatepass")[: stmt.col_offset].strip(b" \t\f")


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""


def _collect(
    body: Iterable[ast.stmt], functions: list[FunctionNode], imports: list[Union[ast.Import, ast.ImportFrom]]
) -> None:
    """Functions not nested in a function, and imports outside functions, in `body`."""
    for stmt in body:
        if isinstance(stmt, _FUNCTIONS):
            functions.append(stmt)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imports.append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            _collect(stmt.body, functions, imports)
        else:
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list):
                    _collect(inner, functions, imports)
            for handler in getattr(stmt, "handlers", ()):
                _collect(handler.body, functions, imports)
            for case in getattr(stmt, "cases", ()):
                _collect(case.body, functions, imports)


def _matched_lines(text: str, starts: list[int], pattern: re.Pattern[str]) -> list[int]:
    """The 1-based lines that a match of `pattern` touches, sorted."""
    lines: set[int] = set()
    for match in pattern.finditer(text):
        first = bisect.bisect_right(starts, match.start())
        last = bisect.bisect_right(starts, max(match.end() - 1, match.start()))
        lines.update(range(first, last + 1))
    return sorted(lines)


def _aliases(imports: Sequence[Union[ast.Import, ast.ImportFrom]], pattern: re.Pattern[str]) -> set[str]:
    """Local names bound by imports whose qualified name matches `pattern`."""
    found: set[str] = set()
    for node in imports:
        module = ""
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            qualified = f"{module}.{alias.name}" if module else alias.name
            local = alias.asname or alias.name.split(".")[0]
            if pattern.search(qualified) and _IDENT_RE.match(local) and not pattern.search(local):
                found.add(local)
    return found

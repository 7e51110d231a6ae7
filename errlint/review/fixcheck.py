"""Validate a proposed fix with errlint itself before it is ever called a fix.

A fix is `validated` only when every check passes; otherwise it is shown as advice, with the
reasons. Nothing the model wrote is executed: the new code is parsed (libcst, and `compile` with
`PyCF_ONLY_AST`, which builds a syntax tree and runs nothing) and re-linted in memory.

1. It replaces lines inside the editable region, and `original` repeats those lines exactly.
2. It changes something, and every placeholder in it was in the lines it replaces (placeholders
   are restored locally; an invented or altered one is rejected).
3. The patched file parses, uses no undefined names in the new lines, and calls none of
   `eval`/`exec`/`os.system`/`subprocess`/`pickle.loads`/`__import__`.
4. Re-linted with the same rules and configuration, the finding is gone from the region and no
   new finding of equal or higher severity appears anywhere in the file.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from collections import Counter
from typing import Callable, Optional, Sequence

import libcst as cst

from errlint.finding import Finding
from errlint.review.model import FixCheck, ProposedFix
from errlint.review.redact import PLACEHOLDER_RE, Redacted
from errlint.source import split_lines

Relint = Callable[[str], Sequence[Finding]]
_DANGEROUS_RE = re.compile(r"\b(?:eval|exec|__import__|os\.system|os\.popen|subprocess\.\w+|pickle\.loads?|marshal\.loads?)\s*\(")
_MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__package__", "__spec__", "__loader__",
                           "__builtins__", "__path__", "__annotations__", "__dict__", "__class__"})  # fmt: skip


def _norm(lines: Sequence[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def replacement_lines(text: str) -> list[str]:
    """Split replacement text into lines (a single trailing newline is not an extra line)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def check_fix(
    fix: ProposedFix,
    finding: Finding,
    region: tuple[int, int],
    redacted: Redacted,
    real_text: str,
    relint: Relint,
    before: Sequence[Finding],
) -> FixCheck:
    """Validate `fix` against the file; see the module docstring for the checks."""
    red_lines = split_lines(redacted.text)
    real_lines = split_lines(real_text)
    start, end = fix.start_line, fix.end_line
    if not (region[0] <= start <= end <= region[1]) or end > len(red_lines):
        return FixCheck(False, [f"lines {start}-{end} are outside the editable region {region[0]}-{region[1]}"])
    sent = red_lines[start - 1 : end]
    if _norm(replacement_lines(fix.original)) != _norm(sent):
        return FixCheck(False, [f"`original` does not repeat lines {start}-{end} as sent"])
    new_red = replacement_lines(fix.replacement)
    if _norm(new_red) == _norm(sent):
        return FixCheck(False, ["the replacement changes nothing"])
    given = set(PLACEHOLDER_RE.findall("\n".join(sent)))
    used = set(PLACEHOLDER_RE.findall(fix.replacement))
    if not used <= given:
        return FixCheck(False, ["the replacement uses a redaction placeholder that was not in the lines it replaces"])
    restored = redacted.restore("\n".join(new_red))
    if restored is None:
        return FixCheck(False, ["the replacement alters a redacted value"])
    new_real = restored.split("\n")
    newline = "\r\n" if "\r\n" in real_text else "\n"
    trailing = newline if real_text.endswith(("\n", "\r")) else ""
    patched_lines = real_lines[: start - 1] + new_real + real_lines[end:]
    patched = newline.join(patched_lines) + trailing
    diff = _diff(red_lines, red_lines[: start - 1] + new_red + red_lines[end:], finding.path)
    problems = _syntax_problems(patched, finding.path)
    if problems:
        return FixCheck(False, problems, diff=diff)
    added = "\n".join(new_red)
    problems = _steering_problems(
        "\n".join(red_lines), "\n".join(red_lines[: start - 1] + new_red + red_lines[end:]), (start, end), len(new_red),
        finding, "\n".join(sent), added,
    )  # fmt: skip
    if problems:
        return FixCheck(False, problems, diff=diff)
    first_new, last_new = start, start + len(new_real) - 1
    problems = _name_problems(patched, first_new, last_new)
    dangerous = sorted({m.group(0).rstrip("( ") for m in _DANGEROUS_RE.finditer(added)} - {
        m.group(0).rstrip("( ") for m in _DANGEROUS_RE.finditer("\n".join(sent))
    })
    if dangerous:
        problems.append(f"introduces a call to {', '.join(dangerous)}")
    if problems:
        return FixCheck(False, problems, diff=diff)
    problems = _lint_problems(finding, region, len(new_real) - (end - start + 1), relint(patched), before)
    if problems:
        return FixCheck(False, problems, diff=diff)
    warnings = []
    if _count_raises("\n".join(new_real)) < _count_raises("\n".join(real_lines[start - 1 : end])):
        warnings.append("removes a `raise`: check that the failure is still reported")
    check = FixCheck(True, [], warnings, diff=diff)
    # The real-text patch exists only when no redacted value is anywhere in the hunk.
    low, high = max(1, start - 3), min(len(real_lines), end + 3)
    if real_lines[low - 1 : high] == red_lines[low - 1 : high] and new_real == new_red:
        check.real_patch = (start, end, new_real)
    else:
        check.warnings.append("touches a redacted value: not written to --patch-out; apply it by hand")
    return check


_SUPPRESSION_RE = re.compile(
    r"#.*?\b(?:noqa|nosec|type:\s*ignore|pragma:|pylint:\s*disable|errlint:|fmt:\s*(?:off|skip)|nolint|"
    r"pyright:\s*ignore|mypy:\s*ignore|lgtm|nosemgrep|NOSONAR)",
    re.IGNORECASE,
)
_NETWORK_RE = re.compile(
    r"\b(?:requests|httpx2?|urllib\d?|aiohttp|socket|http\.client|smtplib|ftplib|telnetlib|paramiko|boto3|"
    r"botocore|xmlrpc|websockets?|grpc|pycurl|urlopen|create_connection)\b"
)
_LOG_CALL_RE = re.compile(r"^(?:\w+\.)*(?:log|logger|logging|_log|_logger|LOG|LOGGER|structlog|warnings|sentry_sdk)"
                          r"(?:\.\w+)*$|^print$|^(?:\w+\.)*(?:exception|error|warning|warn|critical|debug|info)$")  # fmt: skip
NEEDS_REVIEW = "needs human review: "


def _steering_problems(
    before: str, after: str, span: tuple[int, int], new_count: int, finding: Finding, sent: str, added: str
) -> list[str]:
    """What a fix may not do, whatever the model was told: suppress the finding, delete error
    handling, change code outside the error handling the finding names, or add network calls."""
    problems = []
    old_suppressions = {m.group(0).lower() for m in _SUPPRESSION_RE.finditer(sent)}
    if any(m.group(0).lower() not in old_suppressions for m in _SUPPRESSION_RE.finditer(added)):
        problems.append("adds a suppression comment instead of fixing the code")
    old_network = set(_NETWORK_RE.findall(sent))
    network = sorted(set(_NETWORK_RE.findall(added)) - old_network)
    if network:
        problems.append(NEEDS_REVIEW + f"adds a network call ({', '.join(network)})")
    try:
        old_tree, new_tree = ast.parse(before), ast.parse(after)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return problems  # the syntax check reports it
    if _handlers(new_tree) < _handlers(old_tree):
        problems.append("deletes error handling (a `try` statement or an `except` handler)")
    keep = (finding.line, finding.end_line or finding.line)
    old_logic = _business(old_tree, span, keep)
    new_logic = _business(new_tree, (span[0], span[0] + new_count - 1), (keep[0], keep[1] + new_count - (span[1] - span[0] + 1)))
    if old_logic != new_logic:
        problems.append(NEEDS_REVIEW + "changes code outside the error handling the finding names")
    return problems


def _handlers(tree: ast.AST) -> tuple[int, int]:
    tries = [n for n in ast.walk(tree) if type(n).__name__ in ("Try", "TryStar")]
    return len(tries), sum(len(getattr(t, "handlers", [])) for t in tries)


def _is_error_handling(stmt: ast.stmt) -> bool:
    """`raise`, a logging call, `pass`: what a fix may add, drop or change outside a handler."""
    if isinstance(stmt, (ast.Raise, ast.Pass)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return _LOG_CALL_RE.match(ast.unparse(stmt.value.func)) is not None
    return False


def _business(tree: ast.Module, span: tuple[int, int], finding_lines: tuple[int, int]) -> list[str]:
    """The statements in `span` that are not error handling, flattened out of `try` bodies (a fix
    may wrap code in a `try`), each as an `ast.dump` without positions."""
    out: list[str] = []

    def visit(statements: Sequence[ast.stmt]) -> None:
        for stmt in statements:
            first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
            if last < span[0] or first > span[1]:
                continue
            if type(stmt).__name__ in ("Try", "TryStar"):
                visit(getattr(stmt, "body", []))
                visit(getattr(stmt, "orelse", []))
                continue  # handlers and `finally` are error handling
            if first <= span[0] and span[1] <= last and hasattr(stmt, "body"):
                visit(getattr(stmt, "body", []))  # the fix is inside this compound statement
                visit(getattr(stmt, "orelse", []))
                continue
            if _is_error_handling(stmt) or (first <= finding_lines[1] and finding_lines[0] <= last):
                continue  # the statement the finding names is the one to fix
            out.append(ast.dump(stmt))

    visit(tree.body)
    return out


def _diff(old: Sequence[str], new: Sequence[str], path: str) -> str:
    rel = path.replace("\\", "/")
    lines = difflib.unified_diff(list(old), list(new), f"a/{rel}", f"b/{rel}", lineterm="", n=2)
    return "\n".join(lines)


def _syntax_problems(text: str, path: str) -> list[str]:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        return [f"the patched file does not parse (line {err.raw_line}): {' '.join(err.message.split())}"[:300]]
    except RecursionError:
        return ["the patched file is nested too deeply to parse"]
    try:
        compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as err:
        return [f"the patched file is not valid Python (line {err.lineno}): {err.msg}"]
    except (ValueError, RecursionError, MemoryError) as err:
        return [f"the patched file cannot be compiled: {type(err).__name__}"]
    return []


class _Names(ast.NodeVisitor):
    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.loaded: list[tuple[int, str]] = []
        self.star_import = False

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loaded.append((node.lineno, node.id))
        else:
            self.bound.add(node.id)

    def _define(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.bound.add(node.name)
        self.generic_visit(node)

    visit_FunctionDef = _define
    visit_AsyncFunctionDef = _define
    visit_ClassDef = _define

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)
        self.generic_visit(node)

    def visit_alias(self, node: ast.alias) -> None:
        if node.name == "*":
            self.star_import = True
        self.bound.add(node.asname or node.name.split(".")[0])

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.bound.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.bound.update(node.names)

    def generic_visit(self, node: ast.AST) -> None:
        for name in ("name", "rest"):  # match-statement captures (MatchAs, MatchStar, MatchMapping)
            value = getattr(node, name, None)
            if isinstance(value, str) and type(node).__name__.startswith("Match"):
                self.bound.add(value)
        super().generic_visit(node)


def _name_problems(text: str, first: int, last: int) -> list[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []  # unreachable in practice: _syntax_problems already rejected such a text
    names = _Names()
    names.visit(tree)
    if names.star_import:
        return []
    known = names.bound | set(dir(builtins)) | _MODULE_NAMES
    missing = sorted({n for line, n in names.loaded if first <= line <= last and n not in known})
    if missing:
        return [f"uses undefined name{'s' if len(missing) > 1 else ''} {', '.join(f'`{n}`' for n in missing)}"]
    return []


def _lint_problems(
    finding: Finding,
    region: tuple[int, int],
    delta: int,
    after: Sequence[Finding],
    before: Sequence[Finding],
) -> list[str]:
    problems = []
    low, high = region

    def in_region(f: Finding, shift: int) -> bool:
        return f.code == finding.code and low <= f.line <= high + shift

    still = sum(1 for f in after if in_region(f, delta))
    had = sum(1 for f in before if in_region(f, 0))
    if still >= max(had, 1):
        problems.append(f"{finding.code} is still reported after the fix")
    if any(f.code == "XH000" for f in after):
        problems.append("the patched file no longer lints (XH000)")
    floor = finding.severity.rank
    old = Counter((f.code, f.severity.value) for f in before if f.severity.rank >= floor and f is not finding)
    new = Counter((f.code, f.severity.value) for f in after if f.severity.rank >= floor)
    for (code, severity), count in sorted(new.items()):
        if count > old[(code, severity)] and not (code == finding.code and problems):
            problems.append(f"introduces {code} ({severity})")
    return problems


def _count_raises(text: str) -> int:
    return len(re.findall(r"(?m)^\s*raise\b", text))


def apply_real_patch(real_text: str, patches: Sequence[tuple[int, int, list[str]]]) -> Optional[str]:
    """Apply non-overlapping real patches (start, end, new lines); None when two overlap."""
    ordered = sorted(patches, key=lambda p: p[0])
    for (s1, e1, _), (s2, _e2, _n2) in zip(ordered, ordered[1:]):
        if s2 <= e1:
            return None
    lines = split_lines(real_text)
    newline = "\r\n" if "\r\n" in real_text else "\n"
    trailing = newline if real_text.endswith(("\n", "\r")) else ""
    for start, end, new in reversed(ordered):
        lines[start - 1 : end] = new
    return newline.join(lines) + trailing

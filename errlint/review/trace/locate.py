"""Map spans to source locations and collect errlint's findings in those functions.

Locations come from the span's `code.filepath`/`code.file.path`, `code.lineno`/`code.line.number`
and `code.function`/`code.function.name` attributes, and from the Python stack traces of its
exception events (`File "…", line N, in f`). A path is resolved against the repository root:
relative paths directly; absolute ones when they lie under the root, else by their longest
suffix that exists under the root (a trace recorded in `/srv/app/shop/x.py` resolves to
`shop/x.py`, one recorded in `/app/main.py` to `main.py`). Installed packages (`site-packages`, `dist-packages`, the standard
library) and paths that match nothing are listed as unresolved with the reason, never dropped.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

from errlint.finding import Finding
from errlint.review.trace.spans import Span

_FRAME_RE = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+?))?\s*$')
_LIBRARY_RE = re.compile(r"[\\/](?:site-packages|dist-packages)[\\/]|[\\/]lib[\\/]python\d+(?:\.\d+)?[\\/]|^<")

# How a static finding bears on the failure's journey (docs/review.md, "review --trace").
HID = frozenset({"XH101", "XH102", "XH103", "XH104", "XH204", "XH504", "XH605"})
CONVERTED = frozenset({"XH201", "XH202", "XH404", "XH503", "XH604"})
RETRIED = frozenset({"XH602", "XH603"})


LIBRARY = "outside the repository: an installed package or the standard library"


def role_of(code: str) -> str:
    return "hid" if code in HID else "converted" if code in CONVERTED else "retried" if code in RETRIED else "other"


@dataclass(frozen=True)
class Location:
    """A place in the repository (`path` relative to the root, posix) or an unresolved one."""

    path: str  # relative posix path when resolved; the shortened original otherwise
    line: int
    function: str
    resolved: bool
    reason: str = ""  # why it is unresolved
    source: str = ""  # "code attributes" or "stack trace"

    @property
    def key(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class SpanCode:
    """The code of one span: its location, every frame of its stack traces, its findings."""

    location: Optional[Location] = None
    frames: list[Location] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    functions: list[tuple[str, int, int, str]] = field(default_factory=list)  # (path, start, end, name)
    depth: int = 0  # of the span in its trace (frames seen by several spans go to the deepest)


def shorten(path: str) -> str:
    """An unresolved path as shown and sent: never a directory of the machine that recorded it."""
    posix = path.replace("\\", "/")
    match = re.search(r"/(?:site-packages|dist-packages)/(.*)$", posix)
    if match:
        return "<site-packages>/" + match.group(1)
    match = re.search(r"/lib/python\d+(?:\.\d+)?/(.*)$", posix)
    if match:
        return "<stdlib>/" + match.group(1)
    if posix.startswith("<"):
        return posix
    parts = [p for p in posix.split("/") if p]
    return ("…/" if len(parts) > 2 or posix.startswith("/") else "") + "/".join(parts[-2:])


def resolve(path: str, root: Path) -> tuple[Optional[str], str]:
    """(path relative to `root`, "") or (None, why not)."""
    if _LIBRARY_RE.search(path):
        return None, LIBRARY
    posix = path.replace("\\", "/")
    candidate = Path(posix)
    if not candidate.is_absolute() and not re.match(r"^[A-Za-z]:/", posix):
        if _inside(root / candidate, root):
            return _rel(root / candidate, root), ""
    elif _inside(candidate, root):
        return _rel(candidate, root), ""
    parts = [p for p in posix.split("/") if p and p != "."]
    if re.match(r"^[A-Za-z]:$", parts[0] if parts else ""):
        parts = parts[1:]
    for start in range(1, len(parts)):
        if ".." in parts[start:]:
            continue
        suffix = Path(*parts[start:])
        if _inside(root / suffix, root):
            return _rel(root / suffix, root), ""
    return None, "not found under the repository root"


def _inside(path: Path, root: Path) -> bool:
    """An existing file inside `root` (symbolic links resolved): a trace can never make errlint
    read, lint or send a file outside the repository (`../../home/me/keys.py`)."""
    try:
        return path.is_file() and path.resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


def _rel(path: Path, root: Path) -> str:
    return os.path.relpath(path.resolve(), root.resolve()).replace("\\", "/")


def parse_frames(stacktrace: str) -> list[tuple[str, int, str]]:
    """(path, line, function) of each `File "…", line N, in f` line, outermost first."""
    out = []
    for line in stacktrace.splitlines():
        match = _FRAME_RE.match(line)
        if match:
            out.append((match.group("path"), int(match.group("line")), (match.group("func") or "").strip()))
    return out


def _attr(span: Span, *keys: str) -> Any:
    return next((span.attributes[k] for k in keys if span.attributes.get(k) not in (None, "")), None)


def locate(span: Span, root: Path, depth: int = 0) -> SpanCode:
    code = SpanCode(depth=depth)
    filepath = _attr(span, "code.filepath", "code.file.path")
    function = str(_attr(span, "code.function", "code.function.name") or "")
    namespace = str(_attr(span, "code.namespace") or "")
    if function and namespace and "." not in function:
        function = f"{namespace}.{function}"
    line_value = _attr(span, "code.lineno", "code.line.number")
    line = int(line_value) if isinstance(line_value, (int, float)) or str(line_value).isdigit() else 0
    if isinstance(filepath, str):
        rel, why = resolve(filepath, root)
        code.location = Location(rel or shorten(filepath), line, function, rel is not None, why, "code attributes")
    for exception in span.exceptions:
        for path, number, func in parse_frames(exception.stacktrace):
            rel, why = resolve(path, root)
            code.frames.append(Location(rel or shorten(path), number, func, rel is not None, why, "stack trace"))
    inner = [f for f in code.frames if f.resolved]
    if inner and (code.location is None or not code.location.resolved):
        if code.location is not None:
            code.frames.insert(0, code.location)  # still listed: never silently dropped
        code.location = inner[-1]  # the innermost frame of the repository: where it was raised
    return code


def function_at(tree: ast.Module, line: int) -> Optional[tuple[int, int, str]]:
    """The innermost function containing `line`: (first line incl. decorators, last line, qualified name)."""
    best: Optional[tuple[int, int, str]] = None

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                end = child.end_lineno or child.lineno
                if isinstance(child, ast.ClassDef):
                    visit(child, name + ".")
                    continue
                if start <= line <= end:
                    best = (start, end, name)
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return best


def attach_findings(codes: Sequence[SpanCode], root: Path, lint: Any) -> list[str]:
    """Lint each resolved file once (`lint(paths) -> {path: (text, findings)}`) and give every
    span the findings inside the functions of its location and frames. Returns notices."""
    wanted: dict[str, list[tuple[SpanCode, Location]]] = {}
    for code in codes:
        places = ([code.location] if code.location is not None else []) + code.frames
        for place in places:
            if place.resolved and place.path.endswith(".py"):
                wanted.setdefault(place.path, []).append((code, place))
    notices: list[str] = []
    results = lint(sorted(wanted)) if wanted else {}
    owned: dict[int, list[tuple[str, int, int, str]]] = {}
    framed: dict[tuple[str, int, int, str], list[SpanCode]] = {}
    texts: dict[str, list[Finding]] = {}
    for path, entries in wanted.items():
        text, findings = results.get(path, ("", []))
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            notices.append(f"{path}: does not parse; no function located")
            continue
        for code, place in entries:
            found = function_at(tree, place.line) if place.line else None
            if found is None:
                continue
            start, end, name = found
            if place is code.location:
                owned.setdefault(code_id(code), []).append((path, start, end, name))
                if not place.function:
                    code.location = replace(place, function=name)
            else:
                framed.setdefault((path, start, end, name), []).append(code)
            texts[path] = findings
    # A function named by a span's location is that span's; a function seen only in stack frames
    # (a helper between two spans) belongs to the deepest span whose stack trace shows it.
    located = {f for functions in owned.values() for f in functions}
    for code in codes:
        code.functions = list(dict.fromkeys(owned.get(code_id(code), [])))
    for function, holders in framed.items():
        if function not in located:
            deepest = max(holders, key=lambda c: c.depth)
            if function not in deepest.functions:
                deepest.functions.append(function)
    for code in codes:
        for path, start, end, _ in code.functions:
            code.findings += [f for f in texts.get(path, []) if start <= f.line <= end and f not in code.findings]
        code.findings.sort(key=lambda f: (f.path, f.line, f.column, f.code))
    return notices


def code_id(code: SpanCode) -> int:
    return id(code)

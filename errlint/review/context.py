"""Choose the code sent with a finding: the enclosing function (or a window), the imports, and the
editable region a fix may replace. Built from the *redacted* text's syntax tree (`ast`, or libcst
for syntax the running Python cannot parse), once per file; nothing is executed.

The editable region is the smallest statement errlint lets a fix replace: the whole `try`
statement when the finding is in one (so a handler can be restructured), else the except
handler, else the innermost statement holding the finding, else the finding's own lines.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Optional, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from errlint.finding import Finding
from errlint.source import split_lines

MAX_REGION_LINES = 40


@dataclass(frozen=True)
class CodeContext:
    """What is sent about the code around one finding (all text already redacted)."""

    path: str
    start: int  # first line of the code block (1-based)
    end: int  # last line, inclusive
    kind: str  # "function" | "window"
    name: str  # the enclosing function's name, or ""
    region: tuple[int, int]  # the editable region, inclusive, inside start..end
    import_lines: tuple[int, ...]  # module-level import lines outside start..end
    name_lines: tuple[int, ...] = ()  # module-level definitions the code uses, outside start..end

    def numbered(self, lines: Sequence[str], first: int, last: int) -> str:
        width = len(str(last))
        return "\n".join(f"{n:>{width}}| {lines[n - 1]}" for n in range(first, last + 1))

    def code_text(self, lines: Sequence[str]) -> str:
        return self.numbered(lines, self.start, self.end)

    def imports_text(self, lines: Sequence[str]) -> str:
        return self._listed(lines, self.import_lines)

    def names_text(self, lines: Sequence[str]) -> str:
        return self._listed(lines, self.name_lines)

    @staticmethod
    def _listed(lines: Sequence[str], numbers: Sequence[int]) -> str:
        if not numbers:
            return ""
        width = len(str(numbers[-1]))
        return "\n".join(f"{n:>{width}}| {lines[n - 1]}" for n in numbers)


class _Collector(cst.CSTVisitor):
    """Record functions, statements, try statements, handlers and module-level imports."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.functions: list[tuple[int, int, str]] = []
        self.statements: list[tuple[int, int, str]] = []  # (start, end, kind)
        self.imports: list[int] = []
        self._depth = 0

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        where = self._range(node)
        start = min([where.start.line] + [self._range(d).start.line for d in node.decorators])
        self.functions.append((start, where.end.line, node.name.value))
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._depth -= 1

    def _statement(self, node: cst.CSTNode, kind: str) -> None:
        where = self._range(node)
        self.statements.append((where.start.line, where.end.line, kind))

    def visit_Try(self, node: cst.Try) -> None:
        self._statement(node, "try")

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._statement(node, "try")

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._statement(node, "handler")

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._statement(node, "handler")

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statement(node, "statement")
        if self._depth == 0 and any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body):
            where = self._range(node)
            self.imports.extend(range(where.start.line, where.end.line + 1))

    def _compound(self, node: cst.CSTNode) -> None:
        self._statement(node, "compound")

    def visit_If(self, node: cst.If) -> None:
        self._compound(node)

    def visit_For(self, node: cst.For) -> None:
        self._compound(node)

    def visit_While(self, node: cst.While) -> None:
        self._compound(node)

    def visit_With(self, node: cst.With) -> None:
        self._compound(node)


@dataclass(frozen=True)
class FileShape:
    """Where the functions, statements and module-level imports of one file are (1-based lines)."""

    functions: tuple[tuple[int, int, str], ...]  # (first line incl. decorators, last line, name)
    statements: tuple[tuple[int, int, str], ...]  # (start, end, "try" | "handler" | "statement" | "compound")
    imports: tuple[int, ...]
    total: int
    # module-level names: (name, first line, last line) of the assignment, or the `def`/`class` line
    definitions: tuple[tuple[str, int, int], ...] = ()


def analyse(text: str) -> Optional[FileShape]:
    """Collect the file's shape once (with `ast`, fast; libcst when the running Python cannot
    parse the syntax); None when it does not parse at all."""
    total = max(len(split_lines(text)), 1)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None  # e.g. newer syntax than this interpreter: libcst may still parse it
    if tree is not None:
        shape = _AstShape()
        shape.visit(tree)
        return FileShape(
            tuple(shape.functions), tuple(shape.statements), tuple(sorted(set(shape.imports))), total, _definitions(tree)
        )
    try:
        wrapper = MetadataWrapper(cst.parse_module(text))
    except (cst.ParserSyntaxError, RecursionError):
        return None  # the caller reports the finding as not sent ("does not parse")
    collector = _Collector()
    wrapper.visit(collector)
    return FileShape(
        tuple(collector.functions), tuple(collector.statements), tuple(sorted(set(collector.imports))), total
    )


MAX_DEFINITION_LINES = 3  # a longer module-level assignment is sent by its first line


def _definitions(tree: ast.Module) -> tuple[tuple[str, int, int], ...]:
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            line = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out.append((node.name, line, node.lineno))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            end = node.end_lineno or node.lineno
            if end - node.lineno + 1 > MAX_DEFINITION_LINES:
                end = node.lineno
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        out.append((name.id, node.lineno, end))
    return tuple(out)


class _AstShape(ast.NodeVisitor):
    def __init__(self) -> None:
        self.functions: list[tuple[int, int, str]] = []
        self.statements: list[tuple[int, int, str]] = []
        self.imports: list[int] = []
        self._depth = 0

    @staticmethod
    def _span(node: ast.stmt | ast.excepthandler) -> tuple[int, int]:
        return node.lineno, node.end_lineno or node.lineno

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        start, end = self._span(node)
        start = min([start] + [d.lineno for d in node.decorator_list])
        self.functions.append((start, end, node.name))
        self._nested(node)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._nested(node)

    def _nested(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.statements.append((*self._span(node), "handler"))
        self.generic_visit(node)

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            kind = "try" if type(node).__name__ in ("Try", "TryStar") else "statement"
            if kind == "statement" and isinstance(node, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
                kind = "compound"
            self.statements.append((*self._span(node), kind))
            if self._depth == 0 and isinstance(node, (ast.Import, ast.ImportFrom)):
                start, end = self._span(node)
                self.imports.extend(range(start, end + 1))
        super().generic_visit(node)


def build_context(
    shape: FileShape,
    finding: Finding,
    *,
    context_lines: int,
    window: int,
    force_window: bool = False,
    lines: Optional[Sequence[str]] = None,
) -> CodeContext:
    """Return the context for `finding` in a file of this `shape`."""
    total = shape.total
    first = max(1, min(finding.line, total))
    last = max(first, min(finding.end_line, total))
    region = _editable_region(shape.statements, first, last)
    functions = [f for f in shape.functions if f[0] <= first and last <= f[1]]
    function = min(functions, key=lambda f: f[1] - f[0]) if functions else None
    if function is not None and not force_window and function[1] - function[0] + 1 <= context_lines:
        start, end, kind, name = function[0], function[1], "function", function[2]
    else:
        low, high = (function[0], function[1]) if function else (1, total)
        start = max(low, region[0] - window)
        end = min(high, region[1] + window)
        kind, name = "window", function[2] if function else ""
    imports = tuple(n for n in shape.imports if not start <= n <= end)
    names = _used_definitions(shape, lines, start, end, imports)
    return CodeContext(finding.path, start, end, kind, name, region, imports, names)


MAX_NAME_LINES = 25
_IDENTIFIER_RE = re.compile(r"\b[A-Za-z_]\w*\b")


def _used_definitions(
    shape: FileShape, lines: Optional[Sequence[str]], start: int, end: int, imports: Sequence[int]
) -> tuple[int, ...]:
    """The lines of module-level definitions that the code block uses (by name)."""
    if lines is None or not shape.definitions:
        return ()
    used = set(_IDENTIFIER_RE.findall("\n".join(lines[start - 1 : end])))
    chosen: set[int] = set()
    for name, first, last in shape.definitions:
        if name in used and not (start <= first and last <= end):
            chosen.update(n for n in range(first, last + 1) if n not in imports and not start <= n <= end)
    return tuple(sorted(chosen)[:MAX_NAME_LINES])


def _editable_region(statements: Sequence[tuple[int, int, str]], first: int, last: int) -> tuple[int, int]:
    containing = [s for s in statements if s[0] <= first and last <= s[1] and s[1] - s[0] + 1 <= MAX_REGION_LINES]
    for kind in ("try", "handler"):
        matches = [s for s in containing if s[2] == kind]
        if matches:
            best = min(matches, key=lambda s: s[1] - s[0])
            return best[0], best[1]
    if containing:
        best = min(containing, key=lambda s: s[1] - s[0])
        return best[0], best[1]
    return first, last

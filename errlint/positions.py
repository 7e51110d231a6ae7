"""Positions for reported nodes only.

libcst nodes carry no positions; `PositionProvider` over a whole module costs twice the parse
(`../shared/PERF.md`). Most files have no finding at all, so positions are resolved after the walk,
and only for what was reported.

Fast path: the walker records the ancestors of the node being visited when a rule reports. The
innermost statement among them is generated alone with libcst's position-recording codegen, seeded
with the indentation of its enclosing blocks, so columns come out absolute. Its first line comes
from CPython's `ast` (statement line numbers, mapped to libcst's statement lists by index), and the
generated text is compared with the source lines it claims to cover: any difference and the
statement's positions are not used.

Fallback (node not under that statement, no `ast`, or the check failed): the top-level statement
that holds the node is wrapped in a one-statement module and resolved whole, then shifted by the
number of lines before it; as a last resort the whole module is resolved.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from typing import Any, Optional, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

_NEWLINES = re.compile(r"\r\n|\r|\n")
Range = tuple[int, int, int, int]
_RECURSION_LIMIT = 10_000 if sys.version_info >= (3, 11) else 3_000

# libcst statement class -> the `ast` classes it may correspond to.
_AST_KINDS: dict[type, tuple[type, ...]] = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,),
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,),
    cst.With: (ast.With, ast.AsyncWith),
    cst.Try: (ast.Try,),
}
if hasattr(ast, "TryStar"):
    _AST_KINDS[cst.TryStar] = (ast.TryStar,)
if hasattr(ast, "Match"):
    _AST_KINDS[cst.Match] = (ast.Match,)
_COMPOUND_AST = tuple({k for kinds in _AST_KINDS.values() for k in kinds})


class _Recorder:
    """Stands in for a metadata provider: PositionProvidingCodegenState writes `_computed`."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class PositionResolver:
    """Resolve 1-based (line, column, end_line, end_column) for nodes of `module`.

    `text` is the text `module` was parsed from, `lines` its lines (`errlint.source.split_lines`)
    and `tree` an `ast` with the same statements (parsed from `text` on demand when not given); the
    fast path needs `text` or `tree`, and `lines`.
    """

    def __init__(
        self,
        module: cst.Module,
        lines: Optional[Sequence[str]] = None,
        tree: Optional[ast.Module] = None,
        text: Optional[str] = None,
    ) -> None:
        self.module = module
        self.lines = lines
        self.text = text
        self._tree = tree
        self._tree_failed = False
        self._offsets: list[int] = []  # line offset of each top-level statement
        self._ranges: dict[int, dict[cst.CSTNode, CodeRange]] = {}
        self._statements: dict[int, Optional[tuple[dict[cst.CSTNode, CodeRange], int]]] = {}
        self._whole: Optional[dict[cst.CSTNode, CodeRange]] = None
        self.fast_hits = 0
        self.fallbacks = 0
        self.coarse = 0
        self.last_coarse = False  # the last answer is the enclosing statement's range

    # -- fast path: the innermost statement ------------------------------------------------

    def resolve_in(self, node: cst.CSTNode, ancestors: Sequence[cst.CSTNode], top_index: int) -> Range:
        """Resolve `node`, reported while the walk was at `ancestors` (Module first)."""
        self.last_coarse = False
        limit = sys.getrecursionlimit()
        try:
            # libcst's codegen recurses once per nesting level; Python 3.11+ does not use the C
            # stack for these calls, so a higher limit for this step is safe.
            sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
            found = self._fast(node, ancestors)
            if found is not None:
                self.fast_hits += 1
                return found
            self.fallbacks += 1
            line, column, end_line, end_column = self.resolve(node, top_index)
            return line, self._form_feeds(line, column), end_line, self._form_feeds(end_line, end_column)
        except (RecursionError, KeyError) as err:
            if not isinstance(err, RecursionError) and not isinstance(err.__context__, RecursionError):
                raise
        finally:
            sys.setrecursionlimit(limit)
        # libcst's codegen recurses once per nesting level (a chain of thousands of `+`): answer
        # with the innermost statement's range from `ast`, which is still the right place.
        self.coarse += 1
        self.last_coarse = True
        return self._statement_range(ancestors)

    def _form_feeds(self, line: int, column: int) -> int:
        """libcst drops form feeds that start a statement's line: count them back in."""
        if self.lines is None or not 1 <= line <= len(self.lines):
            return column
        text = self.lines[line - 1]
        return column + (len(text) - len(text.lstrip("\f")) if text.startswith("\f") else 0)

    def _statement_range(self, ancestors: Sequence[cst.CSTNode]) -> Range:
        tree = self._tree_for()
        path = list(ancestors)
        while path and not isinstance(path[-1], cst.BaseStatement):
            path.pop()
        target = _ast_statement(tree, path) if tree is not None and len(path) > 1 else None
        if target is None or self.lines is None:
            return (1, 1, 1, 1)
        end_line = target.end_lineno or target.lineno
        return (
            target.lineno,
            _column(self.lines, target.lineno, target.col_offset),
            end_line,
            _column(self.lines, end_line, target.end_col_offset or 0),
        )

    def _fast(self, node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> Optional[Range]:
        """From the innermost statement holding `node` among `ancestors`: the innermost one first,
        then the statements around it (a fix may edit the `except` line of the handler around the
        reported `raise`), each generated once per file."""
        if self.lines is None or not ancestors or ancestors[0] is not self.module:
            return None
        index = len(ancestors) - 1
        while True:
            while index > 0 and not isinstance(ancestors[index], cst.BaseStatement):
                index -= 1
            if index == 0:
                return None
            statement = ancestors[index]
            key = id(statement)
            if key not in self._statements:
                self._statements[key] = self._generate(ancestors[: index + 1])
            entry = self._statements[key]
            if entry is None:
                return None
            ranges, shift = entry
            found = ranges.get(node)
            if found is not None:
                return found.start.line + shift, found.start.column + 1, found.end.line + shift, found.end.column + 1
            index -= 1

    def _tree_for(self) -> Optional[ast.Module]:
        if self._tree is None and not self._tree_failed and self.text is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._tree = ast.parse(self.text)
            except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
                self._tree_failed = True
        return self._tree

    def _generate(self, path: Sequence[cst.CSTNode]) -> Optional[tuple[dict[cst.CSTNode, CodeRange], int]]:
        """Positions of every node of the statement `path[-1]`, and the line shift; None: unsure."""
        tree = self._tree_for()
        if tree is None or self.lines is None:
            return None
        target = _ast_statement(tree, path)
        if target is None:
            return None
        statement = path[-1]
        module = self.module
        # What libcst's codegen pushes on the way down: each block's indent, and a `match`'s own
        # indent for its cases.
        indents = [
            module.default_indent if block.indent is None else block.indent
            for block in path[:-1]
            if isinstance(block, (cst.IndentedBlock, cst.Match))
        ]
        recorder = _Recorder()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=_as_any(recorder),
        )
        state.indent_tokens = indents
        parent = path[-2] if len(path) >= 2 else None
        if isinstance(statement, cst.If) and isinstance(parent, cst.If) and parent.orelse is statement:
            statement._codegen(state, is_elif=True)
        else:
            statement._codegen(state)
        ranges = recorder._computed
        own = ranges.get(statement)
        if own is None:
            return None
        shift = target.lineno - own.start.line
        generated = _NEWLINES.split("".join(state.tokens))
        if generated and generated[-1] == "":
            generated.pop()
        first = shift  # 0-based index of the statement's first generated line in `lines`
        if first < 0 or first + len(generated) > len(self.lines):
            return None
        if list(self.lines[first : first + len(generated)]) != generated:
            return None
        return ranges, shift

    # -- fallback: the whole top-level statement -------------------------------------------

    def _offset(self, index: int) -> int:
        module = self.module
        if not self._offsets:
            self._offsets.append(len(module.header))
        while len(self._offsets) <= index:
            previous = module.body[len(self._offsets) - 1]
            code = module.code_for_node(previous)
            self._offsets.append(self._offsets[-1] + len(_NEWLINES.findall(code)))
        return self._offsets[index]

    def _statement_ranges(self, index: int) -> dict[cst.CSTNode, CodeRange]:
        ranges = self._ranges.get(index)
        if ranges is None:
            module = self.module
            mini = module.with_changes(body=[module.body[index]], header=[], footer=[])
            wrapper = MetadataWrapper(mini, unsafe_skip_copy=True)
            ranges = dict(wrapper.resolve(PositionProvider))
            self._ranges[index] = ranges
        return ranges

    def resolve(self, node: cst.CSTNode, top_index: int) -> Range:
        """Return the 1-based range of `node`, end column exclusive."""
        if 0 <= top_index < len(self.module.body):
            ranges = self._statement_ranges(top_index)
            found = ranges.get(node)
            if found is not None:
                shift = self._offset(top_index)
                return (
                    found.start.line + shift,
                    found.start.column + 1,
                    found.end.line + shift,
                    found.end.column + 1,
                )
        if self._whole is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._whole = dict(wrapper.resolve(PositionProvider))
        found = self._whole.get(node)
        if found is None:
            return (1, 1, 1, 1)
        return found.start.line, found.start.column + 1, found.end.line, found.end.column + 1


def _column(lines: Sequence[str], line: int, offset: int) -> int:
    """1-based character column for the UTF-8 byte `offset` of `line` (as `ast` counts)."""
    if not 1 <= line <= len(lines):
        return 1
    return len(lines[line - 1].encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace")) + 1


def _as_any(value: object) -> Any:
    return value


def _ast_statement(tree: ast.Module, path: Sequence[cst.CSTNode]) -> Optional[ast.stmt]:
    """The `ast` statement for the libcst statement `path[-1]` (`path` starts at the Module)."""
    current: ast.AST = tree
    holder = 0  # index in `path` of the Module or compound statement holding the next statement
    for position in range(1, len(path)):
        node = path[position]
        if not isinstance(node, cst.BaseStatement):
            continue
        found = _child_statement(path[holder], current, path[holder + 1 : position], node)
        if found is None:
            return None
        current = found
        holder = position
    return current if isinstance(current, ast.stmt) else None


def _child_statement(
    parent: cst.CSTNode, parent_ast: ast.AST, via: Sequence[cst.CSTNode], node: cst.CSTNode
) -> Optional[ast.stmt]:
    """Map the statement `node`, reached from `parent` through `via`, to its `ast` statement."""
    siblings: Sequence[cst.CSTNode]
    if isinstance(parent, cst.Module) and not via:
        siblings, listed = parent.body, getattr(parent_ast, "body", None)
    elif not via:
        # `elif`: the If is the orelse of its parent If, and ast.If.orelse holds it alone.
        if isinstance(parent, cst.If) and parent.orelse is node and isinstance(parent_ast, ast.If):
            orelse = parent_ast.orelse
            return orelse[0] if len(orelse) == 1 and isinstance(orelse[0], ast.If) else None
        return None
    else:
        block = via[-1]
        if not isinstance(block, cst.IndentedBlock):
            return None
        siblings = block.body
        first = via[0]
        if first is block and block is getattr(parent, "body", None):
            listed = getattr(parent_ast, "body", None)
        elif isinstance(first, cst.Else) and len(via) == 2:
            listed = getattr(parent_ast, "orelse", None)
        elif isinstance(first, cst.Finally) and len(via) == 2:
            listed = getattr(parent_ast, "finalbody", None)
        elif isinstance(first, (cst.ExceptHandler, cst.ExceptStarHandler)) and len(via) == 2:
            listed = _nth_body(getattr(parent, "handlers", ()), getattr(parent_ast, "handlers", None), first)
        elif isinstance(first, cst.MatchCase) and len(via) == 2:
            listed = _nth_body(getattr(parent, "cases", ()), getattr(parent_ast, "cases", None), first)
        else:
            return None
    if not isinstance(listed, list):
        return None
    index = 0
    for sibling in siblings:
        if sibling is node:
            break
        index += len(sibling.body) if isinstance(sibling, cst.SimpleStatementLine) else 1
    else:
        return None
    if index >= len(listed):
        return None
    found = listed[index]
    kinds = _AST_KINDS.get(type(node))
    if kinds is None:
        ok = isinstance(node, cst.SimpleStatementLine) and not isinstance(found, _COMPOUND_AST)
    else:
        ok = isinstance(found, kinds)
    return found if ok and isinstance(found, ast.stmt) else None


def _nth_body(cst_items: Sequence[cst.CSTNode], ast_items: object, item: cst.CSTNode) -> Optional[list[ast.stmt]]:
    if not isinstance(ast_items, list):
        return None
    for number, candidate in enumerate(cst_items):
        if candidate is item:
            if number < len(ast_items):
                body = getattr(ast_items[number], "body", None)
                return body if isinstance(body, list) else None
            return None
    return None

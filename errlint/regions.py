"""The regions of a file the prefilter decides on, as CPython's tree: what a rule's exact hint reads.

A rule's `PREFILTER` patterns are cheap and coarse: `\\bexcept\\b` keeps every function with an
`except`, although XH105 only reports a handler whose whole body is `raise`. A rule may add an
exact hint, `LintRule.may_report(region)`: given one region of CPython's tree (`ast`) of the
original text, could the rule report anything in it? The prefilter asks it only where the rule's
patterns match, so a hint may be a few lines of `ast` and still cost almost nothing.

The regions are the ones the prefilter keeps or blanks as a whole:

- each function that is not nested in another function (module level, in a class, under `if`...),
  from its first decorator to its last line, nested functions and classes included;
- the module's own code: every statement outside those functions (class bodies included).

A hint must answer True whenever the rule could report in the region, under any configuration:
it is a necessary condition, never a judgement (`tests/test_prefilter_equivalence.py` runs every
rule alone with the prefilter on and off). A region whose hint is False for every enabled rule is
blanked; a file where it is False everywhere is not parsed by libcst at all.

This module imports only `ast`: the prefilter runs before libcst is needed.
"""

from __future__ import annotations

import ast
from typing import Iterator, Optional, Sequence, Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
Imports = dict[str, frozenset[str]]  # local name -> the qualified names it may stand for
_IMPORTS: list[tuple[ast.Module, Imports]] = []  # the last file's (its tree is held: ids stay unique)
_BINDINGS: list[tuple[ast.Module, list[tuple[str, str]]]] = []  # likewise
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# `try` statements with handlers: `except*` (`ast.TryStar`) is Python 3.11 and later.
# Typed as `ast.Try`: an `ast.TryStar` has the same fields (body, handlers, orelse, finalbody).
TRIES: tuple[type[ast.Try], ...] = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))  # type: ignore[attr-defined,unused-ignore]
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_BLOCKS = ("body", "orelse", "finalbody")


class Region:
    """One function not nested in another (`node` is its def), or the module's own code (`node` is
    the module; the functions are their own regions and are left out)."""

    __slots__ = ("node", "module")

    def __init__(self, node: Union[ast.Module, FunctionNode], module: Optional[ast.Module] = None) -> None:
        self.node = node
        # The whole file's tree: what a function's region cannot show (module-level bindings and
        # imports: `oops = log.exception`) is read from here, never from the rule's own walk.
        self.module: ast.Module = module if module is not None else node  # type: ignore[assignment]
        if module is None and not isinstance(node, ast.Module):
            raise TypeError("a function's region needs the module it is in")

    def imports(self) -> Imports:
        """What each name imported outside the functions of the file may stand for (`from requests
        import get as fetch`: `fetch` -> {"requests.get"}; `import os.path`: `os` -> {"os"}), in any
        block (a superset of what `ModuleFacts.qualify` resolves); read once per file."""
        tree = self.module
        if not _IMPORTS or _IMPORTS[0][0] is not tree:
            found: dict[str, set[str]] = {}
            for stmt in statements_in(tree.body, into_functions=False):
                if isinstance(stmt, ast.Import):
                    for alias in stmt.names:
                        if alias.asname is not None:
                            found.setdefault(alias.asname, set()).add(alias.name)
                        else:
                            head = alias.name.split(".")[0]
                            found.setdefault(head, set()).add(head)
                elif isinstance(stmt, ast.ImportFrom):
                    module = "." * stmt.level + (stmt.module or "")
                    for alias in stmt.names:
                        if alias.name != "*":
                            found.setdefault(alias.asname or alias.name, set()).add(f"{module}.{alias.name}" if module else alias.name)
            _IMPORTS[:] = [(tree, {local: frozenset(targets) for local, targets in found.items()})]
        return _IMPORTS[0][1]

    def bindings(self) -> list[tuple[str, str]]:
        """(name, dotted) for every assignment anywhere in the file of a dotted name to a name or
        attribute (`oops = log.exception` gives ("oops", "log.exception"); tuples pair up element by
        element, `self.x = ...` binds `x`): the aliases the logging analysis resolves; read once per file."""
        tree = self.module
        if not _BINDINGS or _BINDINGS[0][0] is not tree:
            out: list[tuple[str, str]] = []
            for stmt in statements_in(tree.body):
                if isinstance(stmt, ast.Assign):
                    pairs: list[tuple[ast.expr, Optional[ast.expr]]] = [(t, stmt.value) for t in stmt.targets]
                elif isinstance(stmt, ast.AnnAssign):
                    pairs = [(stmt.target, stmt.value)]
                else:
                    continue
                while pairs:
                    target, value = pairs.pop()
                    if isinstance(target, (ast.Tuple, ast.List)):
                        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
                            pairs.extend(zip(target.elts, value.elts))
                        continue
                    dotted, name = dotted_name(value), last_segment(target)
                    if dotted is not None and name is not None:
                        out.append((name, dotted))
            _BINDINGS[:] = [(tree, out)]
        return _BINDINGS[0][1]

    @property
    def is_module(self) -> bool:
        return isinstance(self.node, ast.Module)

    def statements(self) -> Iterator[ast.stmt]:
        """Every statement of the region, nested blocks, handlers and `match` cases included, in
        no particular order (for a function: its nested functions and classes too)."""
        if isinstance(self.node, ast.Module):
            return statements_in(self.node.body, into_functions=False)  # they are their own regions
        return statements_in([self.node])

    def handlers(self) -> Iterator[ast.ExceptHandler]:
        """Every `except` (and `except*`) handler of the region."""
        for stmt in self.statements():
            if isinstance(stmt, TRIES):
                yield from stmt.handlers

    def nodes(self) -> Iterator[ast.AST]:
        """Every node of the region, expressions included (for the module: not inside its
        functions' regions, decorators and defaults included)."""
        for stmt in self.statements():
            yield from _own_nodes(stmt)


def statements_in(body: Sequence[ast.stmt], *, into_functions: bool = True) -> Iterator[ast.stmt]:
    """The statements of `body` and every statement nested in them (blocks, handlers, `match`
    cases; functions and classes too unless `into_functions` is False), in no particular order."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if not into_functions and isinstance(stmt, _FUNCTIONS):
            continue
        yield stmt
        for name in _BLOCKS:
            inner = getattr(stmt, name, None)
            if inner and isinstance(inner, list):
                stack.extend(inner)
        for handler in getattr(stmt, "handlers", ()):
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", ()):
            stack.extend(case.body)


def _own_nodes(stmt: ast.stmt) -> Iterator[ast.AST]:
    """`stmt` and the nodes of its own expressions: not the statements nested in its blocks."""
    yield stmt
    stack: list[ast.AST] = []
    for name, value in ast.iter_fields(stmt):
        if name in _BLOCKS or name in ("handlers", "cases"):
            continue
        if isinstance(value, ast.AST):
            stack.append(value)
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, ast.AST))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))
    for handler in getattr(stmt, "handlers", ()):  # a handler and what it catches: the `try`'s own code
        yield handler
        if handler.type is not None:
            yield from ast.walk(handler.type)
    for case in getattr(stmt, "cases", ()):  # a `case` pattern and guard are the match's own code
        yield from ast.walk(case.pattern)
        if case.guard is not None:
            yield from ast.walk(case.guard)


def call_name(call: ast.Call) -> Optional[str]:
    """The last segment of what is called (`log.exception(...)` -> `exception`)."""
    return last_segment(call.func)


def last_segment(node: Optional[ast.AST]) -> Optional[str]:
    """`exception` for `log.exception` or `exception`, else None (`errlint.analysis.last_segment`
    on CPython's tree)."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def dotted_name(node: Optional[ast.AST]) -> Optional[str]:
    """`a.b.c` for a chain of names and attributes, else None (`errlint.analysis.dotted_name` on
    CPython's tree)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def is_scope(node: ast.AST) -> bool:
    """A function, lambda or class: `except` handlers around it do not cover its body."""
    return isinstance(node, _SCOPES)

"""Shared tree facts: fast child iteration, dotted names, imports and module-level loggers.

Rules never walk the tree on their own to answer these questions; they ask the context:

- `dotted_name` / `ModuleFacts.qualify`: what a name or attribute chain refers to, through imports.
- `iter_children` / `iter_scope`: the walker's field tables, reused by every sub-walk.

Logging calls are classified in `errlint.logcalls`, handlers in `errlint.handlers`; all of them
are cached per node on the `FileContext`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Union

import libcst as cst

if TYPE_CHECKING:
    from errlint.config import Config

Handler = Union[cst.ExceptHandler, cst.ExceptStarHandler]
ScopeNode = Union[cst.FunctionDef, cst.Lambda, cst.ClassDef]
SCOPE_TYPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_SCOPE_TYPE_SET = frozenset(SCOPE_TYPES)

# --- tree iteration -----------------------------------------------------------------------

# Fields that never contain nodes a rule cares about (whitespace, punctuation, parentheses).
_SKIP_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "colon", "dot", "equal", "star", "operator",
        "leading_lines", "lines_after_decorators", "header", "footer", "newline",
        "trailing_whitespace", "asynchronous", "whitespace", "lbracket", "rbracket", "lbrace",
        "rbrace", "indent", "default_indent", "default_newline", "encoding",
        "has_trailing_newline", "first_line", "empty_lines", "prefix", "quote", "start", "end",
        "string_prefix", "await_",
    }
)  # fmt: skip
_FIELD_CACHE: dict[type, tuple[str, ...]] = {}
# Lexical order where libcst's dataclass order differs.
_FIELD_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "bases", "keywords", "body"),
}


def child_fields(cls: type) -> tuple[str, ...]:
    """Return the names of the fields of a node class that may hold child nodes, in order."""
    cached = _FIELD_CACHE.get(cls)
    if cached is None:
        import dataclasses

        if cls in _FIELD_ORDER:
            cached = _FIELD_ORDER[cls]
        else:
            cached = tuple(
                f.name
                for f in dataclasses.fields(cls)
                if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace")
            )
        _FIELD_CACHE[cls] = cached
    return cached


_IS_NODE: dict[type, bool] = {}


def _is_node(value: object) -> bool:
    """`isinstance(value, cst.CSTNode)` without the ABC machinery (this is the hot path)."""
    cls = type(value)
    known = _IS_NODE.get(cls)
    if known is None:
        known = _IS_NODE[cls] = issubclass(cls, cst.CSTNode)
    return known


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Yield the direct children of `node` that may matter to a rule, in lexical order."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        cls = type(value)
        if cls is tuple or cls is list:
            for item in value:
                if _is_node(item):
                    yield item
        elif _is_node(value):
            yield value


_ALL_FIELDS: dict[type, tuple[str, ...]] = {}


def comments_within(node: cst.CSTNode) -> list[cst.Comment]:
    """Every comment inside `node`, whitespace and brackets included (libcst's `children` finds the
    same nodes, through a visitor that rebuilds every node: about a hundred times slower)."""
    import dataclasses

    found: list[cst.Comment] = []
    stack: list[cst.CSTNode] = [node]
    fields = _ALL_FIELDS
    while stack:
        current = stack.pop()
        cls = type(current)
        if cls is cst.Comment:
            found.append(current)  # type: ignore[arg-type]
            continue
        names = fields.get(cls)
        if names is None:
            names = fields[cls] = tuple(f.name for f in dataclasses.fields(cls))
        for name in names:
            value = getattr(current, name)
            kind = type(value)
            if kind is tuple or kind is list:
                stack.extend(item for item in value if _is_node(item))
            elif _is_node(value):
                stack.append(value)
    return found


def iter_scope(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Yield every descendant of `node` in order, not entering nested def/lambda/class."""
    stack = list(iter_children(node))
    stack.reverse()
    while stack:
        current = stack.pop()
        yield current
        if type(current) in _SCOPE_TYPE_SET:
            continue
        children = list(iter_children(current))
        children.reverse()
        stack.extend(children)


# --- names --------------------------------------------------------------------------------


def dotted_name(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """Return `a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def last_segment(node: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    return None


def is_constant(node: Optional[cst.BaseExpression]) -> bool:
    """True for None/True/False, numbers, plain strings and empty containers."""
    if node is None:
        return True
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return is_constant(node.expression)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return not node.elements
    if isinstance(node, cst.Dict):
        return not node.elements
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and not node.args:
        return node.func.value in ("list", "dict", "set", "tuple", "frozenset", "str")
    return False


@dataclass
class ModuleFacts:
    """What the module imports and which names are loggers; collected once per file."""

    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    logger_vars: dict[str, str] = field(default_factory=dict)  # name -> library
    has_main_guard: bool = False
    cli_framework: bool = False

    def qualify(self, node: Optional[cst.BaseExpression]) -> Optional[str]:
        """Return the dotted name of `node` with its first segment resolved through imports."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.imports.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def add_import(self, node: Union[cst.Import, cst.ImportFrom]) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name) or ""
                if alias.asname is not None:
                    local = dotted_name(cst.ensure_type(alias.asname.name, cst.Name)) or full
                    self.imports[local] = full
                else:
                    head = full.split(".")[0]
                    self.imports.setdefault(head, head)
                if full.split(".")[0] in ("click", "argparse", "typer", "fire", "docopt"):
                    self.cli_framework = True
            return
        if node.relative or node.module is None:
            module = "." * len(node.relative) + (dotted_name(node.module) or "")
        else:
            module = dotted_name(node.module) or ""
        if module.split(".")[0] in ("click", "argparse", "typer", "fire", "docopt"):
            self.cli_framework = True
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted_name(alias.name) or ""
            local = name
            if alias.asname is not None:
                local = dotted_name(cst.ensure_type(alias.asname.name, cst.Name)) or name
            self.imports[local] = f"{module}.{name}" if module else name


def collect_module_facts(module: cst.Module) -> ModuleFacts:
    """Scan module- and class-level statements (not function bodies) for imports and loggers."""
    facts = ModuleFacts()
    pending: list[cst.CSTNode] = list(module.body)
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    facts.add_import(small)
                elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                    _note_logger_assignment(facts, small)
        elif isinstance(stmt, cst.If):
            test = stmt.test
            if (
                isinstance(test, cst.Comparison)
                and dotted_name(test.left) == "__name__"
                and any(
                    isinstance(t.comparator, cst.SimpleString) and "__main__" in t.comparator.value
                    for t in test.comparisons
                )
            ):
                facts.has_main_guard = True
            pending.extend(_block_statements(stmt.body))
            if stmt.orelse is not None:
                pending.extend(_block_statements(stmt.orelse.body) if isinstance(stmt.orelse, cst.Else) else [stmt.orelse])
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            pending.extend(_block_statements(stmt.body))
            for handler in stmt.handlers:
                pending.extend(_block_statements(handler.body))
            if stmt.orelse is not None:
                pending.extend(_block_statements(stmt.orelse.body))
            if stmt.finalbody is not None:
                pending.extend(_block_statements(stmt.finalbody.body))
        elif isinstance(stmt, cst.ClassDef):
            pending.extend(_block_statements(stmt.body))
        elif isinstance(stmt, cst.With):
            pending.extend(_block_statements(stmt.body))
    return facts


def _block_statements(block: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(block, cst.IndentedBlock):
        return block.body
    if isinstance(block, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=block.body)]
    return ()


_LOGGER_FACTORIES = {
    "logging.getLogger": "stdlib",
    "logging.getLoggerClass": "stdlib",
    "logging.LoggerAdapter": "stdlib",
    "structlog.get_logger": "structlog",
    "structlog.getLogger": "structlog",
    "structlog.wrap_logger": "structlog",
    "structlog.stdlib.get_logger": "structlog",
    "celery.utils.log.get_task_logger": "stdlib",
    "celery.utils.log.get_logger": "stdlib",
}


def _note_logger_assignment(facts: ModuleFacts, node: Union[cst.Assign, cst.AnnAssign]) -> None:
    value = node.value
    if not isinstance(value, cst.Call):
        return
    library = logger_factory_library(value.func, facts)
    if library is None:
        return
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    for target in targets:
        name = dotted_name(target)
        if name:
            facts.logger_vars[name.split(".")[-1]] = library


def logger_factory_library(func: cst.BaseExpression, facts: ModuleFacts) -> Optional[str]:
    qualified = facts.qualify(func) or ""
    if qualified in _LOGGER_FACTORIES:
        return _LOGGER_FACTORIES[qualified]
    last = qualified.rsplit(".", 1)[-1]
    if last in ("getLogger", "get_logger", "get_task_logger", "getChild"):
        return "structlog" if qualified.startswith("structlog") else "stdlib"
    return None


# --- declared analyses ----------------------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """A shared analysis a rule may read through its `FileContext`, and what source it reads.

    The prefilter (`errlint.prefilter`) blanks function bodies no enabled rule can report in; a
    rule's `PREFILTER` says where it can report, and the analyses it declares (`LintRule.ANALYSES`)
    say what else must stay for its findings to be the same:

    - `keep`: regular expressions; a function whose source matches one is never blanked;
    - `class_attributes`: the analysis reads what the methods of a class bind on `self`/`cls`
      (and `@property` results): in a class with a kept method, the methods that bind attributes
      or are properties are kept too;
    - `uses`: the analyses it is built on (their needs are its needs).
    """

    name: str
    summary: str
    keep: tuple[str, ...] = ()
    class_attributes: bool = False
    uses: tuple[str, ...] = ()


ANALYSES: dict[str, Analysis] = {
    a.name: a
    for a in (
        Analysis(
            "module-facts",
            "imports, module-level loggers, `qualify` (`errlint.analysis`): module and class level only",
        ),
        Analysis(
            "log-calls",
            "is a call a logging call (`errlint.logcalls`, `context.log_call`): resolves receivers through "
            "the enclosing scopes and the attributes the enclosing class binds in any of its methods",
            class_attributes=True,
            uses=("module-facts",),
        ),
        Analysis(
            "handler-facts",
            "what an `except` handler catches and does (`errlint.handlers`, `context.handler_facts`)",
            uses=("module-facts", "log-calls"),
        ),
        Analysis(
            "dataflow",
            "reaching bindings per scope (`errlint.dataflow.flow_for`): the scope and its enclosing scopes",
        ),
        Analysis(
            "privacy",
            "sinks and the private data reaching them (`errlint.sensitive.privacy`)",
            uses=("module-facts", "log-calls", "dataflow"),
        ),
    )
}


def analysis_closure(names: Sequence[str]) -> list[Analysis]:
    """The analyses named, and every analysis they use, each once (KeyError: an unknown name)."""
    seen: dict[str, Analysis] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        analysis = ANALYSES[name]
        seen[name] = analysis
        pending.extend(analysis.uses)
    return [seen[name] for name in sorted(seen)]

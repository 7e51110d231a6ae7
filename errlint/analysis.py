"""Shared analyses, computed once per file and cached on the `FileContext`.

Rules never walk the tree on their own to answer these questions; they ask the context:

- `dotted_name` / `ModuleFacts.qualify`: what a name or attribute chain refers to, through imports.
- `classify_call`: is this call a logging call (stdlib, structlog, loguru, configured names) or a
  report function, at what level, with the traceback or not.
- `HandlerFacts`: what an `except` handler catches and what its body does (raises, logs, reports,
  discards, uses the bound name).
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
            for item in value:  # type: ignore[attr-defined]
                if _is_node(item):
                    yield item
        elif _is_node(value):
            yield value


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


# --- logging calls ------------------------------------------------------------------------

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50
LOG_METHODS: dict[str, Optional[int]] = {
    "trace": 5,
    "debug": DEBUG,
    "info": INFO,
    "msg": INFO,
    "success": 25,
    "warning": WARNING,
    "warn": WARNING,
    "error": ERROR,
    "exception": ERROR,
    "critical": CRITICAL,
    "fatal": CRITICAL,
    "log": None,
}
_LEVEL_NAMES = {"DEBUG": DEBUG, "INFO": INFO, "WARNING": WARNING, "WARN": WARNING,
                "ERROR": ERROR, "CRITICAL": CRITICAL, "FATAL": CRITICAL}  # fmt: skip
_LOGGER_NAME_RE = re.compile(r"^_*(?:log|logger|logging|LOG|LOGGER|Log|Logger)$|(?:logger|LOGGER|Logger)$|_(?:log|LOG)$")


@dataclass(frozen=True)
class LogCall:
    """A call that writes a log record, or reports the exception to an error tracker."""

    node: cst.Call
    method: str
    level: Optional[int]  # None when `.log(level_var, ...)` cannot be resolved
    library: str  # stdlib | structlog | loguru | report
    exc_info: bool
    message: Optional[cst.BaseExpression]
    args: tuple[cst.BaseExpression, ...]
    keywords: tuple[tuple[str, cst.BaseExpression], ...]

    @property
    def is_report(self) -> bool:
        return self.library == "report"

    @property
    def at_least_error(self) -> bool:
        return self.level is not None and self.level >= ERROR

    def keyword(self, name: str) -> Optional[cst.BaseExpression]:
        for key, value in self.keywords:
            if key == name:
                return value
        return None


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("False", "None") or (
        isinstance(node, cst.Integer) and node.value == "0"
    )


def logger_library(
    receiver: cst.BaseExpression, facts: ModuleFacts, logger_names: Sequence[str]
) -> Optional[str]:
    """Return the logging library of `receiver` if it is a logger, else None."""
    if isinstance(receiver, cst.Call):
        func = receiver.func
        library = logger_factory_library(func, facts)
        if library is not None:
            return library
        if isinstance(func, cst.Attribute) and func.attr.value in ("bind", "opt", "new", "patch", "contextualize", "with_context", "bind_contextvars"):
            return logger_library(func.value, facts, logger_names)
        return None
    qualified = facts.qualify(receiver)
    if qualified is None:
        return None
    if qualified == "logging":
        return "stdlib"
    if qualified == "loguru.logger":
        return "loguru"
    if qualified in ("structlog", "structlog.stdlib"):
        return None
    name = dotted_name(receiver) or ""
    last = name.rsplit(".", 1)[-1]
    for configured in logger_names:
        if name == configured or name.endswith("." + configured) or qualified == configured:
            return "stdlib"
    if last in facts.logger_vars:
        return facts.logger_vars[last]
    if _LOGGER_NAME_RE.search(last):
        if last.lower().lstrip("_") == "logging" and qualified != "logging" and "." not in name:
            return None
        return "stdlib"
    return None


def classify_call(call: cst.Call, facts: ModuleFacts, config: Config) -> Optional[LogCall]:
    """Return a `LogCall` when `call` logs or reports an error, else None."""
    func = call.func
    keywords = tuple((a.keyword.value, a.value) for a in call.args if a.keyword is not None)
    positional = tuple(a.value for a in call.args if a.keyword is None and not a.star)
    if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS:
        method = func.attr.value
        library = logger_library(func.value, facts, config.logger_names)
        if library is not None:
            return _make_log_call(call, method, library, positional, keywords, func.value)
    qualified = facts.qualify(func)
    if qualified is not None:
        for target in config.all_report_functions:
            if qualified == target or ("." not in target and qualified.rsplit(".", 1)[-1] == target):
                return LogCall(call, qualified, CRITICAL, "report", True, None, positional, keywords)
    return None


def _make_log_call(
    call: cst.Call,
    method: str,
    library: str,
    positional: tuple[cst.BaseExpression, ...],
    keywords: tuple[tuple[str, cst.BaseExpression], ...],
    receiver: cst.BaseExpression,
) -> LogCall:
    level = LOG_METHODS[method]
    args = positional
    if method == "log":
        level = _resolve_level(positional[0]) if positional else None
        args = positional[1:]
    message = args[0] if args else dict(keywords).get("msg", dict(keywords).get("event"))
    rest = args[1:] if args else ()
    exc_info = method == "exception"
    for key, value in keywords:
        if key == "exc_info":
            exc_info = not _is_false(value)
    if library == "loguru" or isinstance(receiver, cst.Call):
        exc_info = exc_info or _opt_exception(receiver)
    return LogCall(call, method, level, library, exc_info, message, rest, keywords)


def _opt_exception(receiver: cst.BaseExpression) -> bool:
    while isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
        if receiver.func.attr.value == "opt":
            for arg in receiver.args:
                if arg.keyword is not None and arg.keyword.value == "exception" and not _is_false(arg.value):
                    return True
        receiver = receiver.func.value
    return False


def _resolve_level(node: cst.BaseExpression) -> Optional[int]:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    name = last_segment(node)
    if name in _LEVEL_NAMES:
        return _LEVEL_NAMES[name]
    if isinstance(node, cst.SimpleString):
        return _LEVEL_NAMES.get(node.value.strip("'\"").upper())
    return None


# --- handlers -----------------------------------------------------------------------------

BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})


@dataclass(frozen=True)
class CaughtType:
    node: cst.BaseExpression
    name: str  # dotted as written ("" when not a name)
    qualified: str  # through imports


@dataclass
class HandlerFacts:
    """What a handler catches and what its own body (not nested functions) does."""

    node: Handler
    types: tuple[CaughtType, ...]
    bare: bool
    broad: bool
    name: Optional[str]
    raises: list[cst.Raise]
    log_calls: list[LogCall]
    calls: list[cst.Call]
    returns: list[cst.Return]
    name_uses: list[cst.Name]
    has_comment: bool
    discards: bool

    @property
    def reraises(self) -> bool:
        return bool(self.raises)

    @property
    def logs_traceback(self) -> bool:
        return any(c.exc_info and (c.at_least_error or c.is_report) for c in self.log_calls)

    @property
    def handled(self) -> bool:
        """Re-raises, logs at error level or above with the traceback, or reports."""
        return self.reraises or self.logs_traceback or any(c.is_report for c in self.log_calls)

    @property
    def catches_broad(self) -> bool:
        return self.bare or self.broad


def caught_types(handler: Handler, facts: ModuleFacts) -> tuple[CaughtType, ...]:
    expr = handler.type
    if expr is None:
        return ()
    items: Sequence[cst.BaseExpression]
    if isinstance(expr, cst.Tuple):
        items = [e.value for e in expr.elements]
    else:
        items = [expr]
    return tuple(CaughtType(e, dotted_name(e) or "", facts.qualify(e) or "") for e in items)


def compute_handler_facts(handler: Handler, facts: ModuleFacts, config: Config, classify: "CallClassifier") -> HandlerFacts:
    types = caught_types(handler, facts)
    broad_names = BROAD_EXCEPTIONS | frozenset(config.broad_exceptions)
    name = None
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        name = handler.name.name.value
    raises: list[cst.Raise] = []
    log_calls: list[LogCall] = []
    calls: list[cst.Call] = []
    returns: list[cst.Return] = []
    uses: list[cst.Name] = []
    for node in iter_scope(handler.body):
        if isinstance(node, cst.Raise):
            raises.append(node)
        elif isinstance(node, cst.Call):
            calls.append(node)
            log = classify(node)
            if log is not None:
                log_calls.append(log)
        elif isinstance(node, cst.Return):
            returns.append(node)
        elif isinstance(node, cst.Name) and name is not None and node.value == name:
            uses.append(node)
        elif isinstance(node, SCOPE_TYPES) and name is not None:
            # A closure that uses the bound name still uses it.
            uses.extend(n for n in _iter_all(node) if isinstance(n, cst.Name) and n.value == name)
    has_comment = _handler_has_comment(handler)
    return HandlerFacts(
        node=handler,
        types=types,
        bare=handler.type is None,
        broad=any(t.qualified in broad_names or t.name in broad_names for t in types),
        name=name,
        raises=raises,
        log_calls=log_calls,
        calls=calls,
        returns=returns,
        name_uses=uses,
        has_comment=has_comment,
        discards=_body_discards(handler.body) and not uses,
    )


class CallClassifier:
    """Protocol-like alias: a callable from `cst.Call` to an optional `LogCall`."""

    def __call__(self, call: cst.Call) -> Optional[LogCall]:  # pragma: no cover - typing only
        raise NotImplementedError


def _iter_all(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(iter_children(current))


def _body_discards(body: cst.BaseSuite) -> bool:
    """True when every statement is pass/.../continue/break/return-constant (or a string)."""
    statements: Sequence[cst.CSTNode]
    if isinstance(body, cst.IndentedBlock):
        statements = body.body
    else:
        statements = [cst.SimpleStatementLine(body=cast_small(body))]
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, (cst.Pass, cst.Continue, cst.Break)):
                continue
            if isinstance(small, cst.Return) and is_constant(small.value):
                continue
            if isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)
            ):
                continue
            return False
    return True


def cast_small(body: cst.BaseSuite) -> Sequence[cst.BaseSmallStatement]:
    return body.body if isinstance(body, cst.SimpleStatementSuite) else ()


def _handler_has_comment(handler: Handler) -> bool:
    """A comment on the `except` line or anywhere inside the handler's body."""
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        return body.trailing_whitespace.comment is not None
    if not isinstance(body, cst.IndentedBlock):
        return False
    if body.header.comment is not None:
        return True
    if any(line.comment is not None for line in body.footer):
        return True
    for stmt in body.body:
        if any(line.comment is not None for line in stmt.leading_lines):
            return True
        if isinstance(stmt, cst.SimpleStatementLine) and stmt.trailing_whitespace.comment is not None:
            return True
        if isinstance(stmt, cst.BaseCompoundStatement):
            return True  # not a pure discard anyway
    return False

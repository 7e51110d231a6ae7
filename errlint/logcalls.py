"""Is this call a logging call (stdlib, structlog, loguru, configured names) or a report function?

`classify_call` answers once per call (cached on the `FileContext` as `context.log_call(call)`),
with the level, the library and whether the traceback is attached. Every logging-related rule reads
this; none re-derives it.

What counts as a logger (the "Logging call" vocabulary of RULES.md):

- the stdlib `logging` module (`logging.info(...)`, `from logging import error`);
- the result of a logger factory, called inline (`logging.getLogger(__name__).error(...)`) or bound
  to a name at module, class or function level (`log = structlog.get_logger()`), to an instance
  attribute (`self._log = logging.getLogger(...)`) or returned by a `@property`; the library is
  certain only for the known factories (`logging.getLogger`, structlog's, Celery's): another
  module's `get_logger()`/`getLogger()` is a logger "inferred" from its name (see below);
- `.bind()`/`.new()`/`.opt()`/`.patch()`/`.getChild()` chains on a logger
  (`logger.opt(exception=True).error(...)`, `log = log.bind(order_id=oid)`);
- `loguru.logger` (through any import alias);
- names annotated as loggers (`def f(log: logging.Logger)`);
- logging methods bound to a name (`debug, info = logger.debug, logger.info`, Celery's idiom);
- configured `logger-names`;
- by name: `logger`, `log`, `LOGGER`, `_log`, `self.logger`, `cls.log`, `current_app.logger`,
  `audit_log`, … including names imported from another module (`from app.log import LOGGER`).
  These are "inferred": their library is assumed to be stdlib, and fixes that depend on the
  library are offered as unsafe.

A name that is bound in the enclosing scopes to something that is clearly not a logger
(`log = []`, `log = Log(...)`, `except E as log`) is not a logger, whatever it is called; nor is
`math.log`, `self.log(...)` (a method named `log`), `warnings.warn` or `click.echo`.

`classify_call` needs the chain of scopes around the call (module first, innermost last) to see
bindings made inside functions and classes; `FileContext.log_call` passes them. Bindings are
scanned once per scope, statement by statement, and cached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import ModuleFacts, dotted_name, iter_scope, last_segment, logger_factory_library

if TYPE_CHECKING:
    from errlint.config import Config

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
    # structlog's async methods (`await log.ainfo(...)`)
    "adebug": DEBUG,
    "ainfo": INFO,
    "amsg": INFO,
    "awarning": WARNING,
    "awarn": WARNING,
    "aerror": ERROR,
    "aexception": ERROR,
    "acritical": CRITICAL,
    "afatal": CRITICAL,
    "alog": None,
}
EXCEPTION_METHODS = frozenset({"exception", "aexception"})
_LEVEL_NAMES = {"TRACE": 5, "DEBUG": DEBUG, "INFO": INFO, "SUCCESS": 25, "WARNING": WARNING,
                "WARN": WARNING, "ERROR": ERROR, "CRITICAL": CRITICAL, "FATAL": CRITICAL}  # fmt: skip
LEVEL_LABELS = {5: "trace", DEBUG: "debug", INFO: "info", 25: "success", WARNING: "warning",
                ERROR: "error", CRITICAL: "critical"}  # fmt: skip
_LOGGER_NAME_RE = re.compile(r"^_*(?:log|logger|logging|LOG|LOGGER|Log|Logger)$|(?:logger|LOGGER|Logger)$|_(?:log|LOG)$")
# Methods that return a logger when called on one.
CHAIN_METHODS = frozenset({"bind", "new", "unbind", "try_unbind", "opt", "patch", "getChild", "with_context"})
# Logger factories whose library is known for certain. Another module's `get_logger()` or
# `getLogger()` (a project's own wrapper, which may return a loguru or structlog logger) makes a
# logger recognised by its name only: `LogCall.inferred`, and library-dependent fixes are unsafe.
KNOWN_FACTORIES = frozenset(
    {"logging.getLogger", "logging.LoggerAdapter", "structlog.get_logger", "structlog.getLogger",
     "structlog.wrap_logger", "structlog.stdlib.get_logger", "celery.utils.log.get_task_logger",
     "celery.utils.log.get_logger"}
)  # fmt: skip
# Keyword arguments the logging call consumes itself (not data fields), per library.
CONTROL_KEYWORDS: dict[str, frozenset[str]] = {
    "stdlib": frozenset({"exc_info", "stack_info", "stacklevel", "extra", "msg", "level"}),
    "structlog": frozenset({"exc_info", "stack_info", "stacklevel", "event", "level"}),
    "loguru": frozenset(),
    "report": frozenset(),
}
# Calls that format a traceback into text.
TRACEBACK_FORMATTERS = frozenset(
    {"traceback.format_exc", "traceback.format_exception", "traceback.format_tb", "traceback.format_stack",
     "traceback.format_exception_only"}
)  # fmt: skip
# Type annotations that declare a logger.
_LOGGER_ANNOTATION_RE = re.compile(r"(?:^|\.)(?:Logger|LoggerAdapter|RootLogger|PlaceHolder)$")
_STRUCTLOG_ANNOTATION_RE = re.compile(r"(?:^|\.)(?:BoundLogger|FilteringBoundLogger|BoundLoggerBase|BindableLogger)$")
_LOGGER_CLASS_RE = re.compile(r"(?:Logger|LoggerAdapter|LogAdapter)$")
# Callees whose result is certainly not a logger.
_NOT_LOGGER_CALLS = frozenset(
    {"open", "list", "dict", "set", "tuple", "str", "bytes", "int", "float", "bool", "len", "sorted",
     "frozenset", "range", "enumerate", "zip", "map", "filter", "repr", "format", "print", "iter",
     "collections.defaultdict", "collections.OrderedDict", "collections.deque", "collections.Counter",
     "io.StringIO", "io.BytesIO", "os.path.join", "pathlib.Path", "json.loads", "json.load"}
)  # fmt: skip


@dataclass(frozen=True)
class LogCall:
    """A call that writes a log record, or reports the exception to an error tracker.

    `message` is the message/event argument (None when absent); `args` are the positional arguments
    after it (lazy `%s`/`{}` arguments); `keywords` every keyword argument as written. `receiver`
    is the logger expression (None for `logging` functions imported by name and report functions);
    `inferred` says it is a logger only because of its name; `bound` are fields bound with
    `.bind(...)` on the same chain.
    """

    node: cst.Call
    method: str
    level: Optional[int]  # None when `.log(level_var, ...)` cannot be resolved
    library: str  # stdlib | structlog | loguru | report
    exc_info: bool
    message: Optional[cst.BaseExpression]
    args: tuple[cst.BaseExpression, ...]
    keywords: tuple[tuple[str, cst.BaseExpression], ...]
    receiver: Optional[cst.BaseExpression] = None
    inferred: bool = False
    bound: tuple[tuple[str, cst.BaseExpression], ...] = ()

    @property
    def is_report(self) -> bool:
        return self.library == "report"

    @property
    def at_least_error(self) -> bool:
        return self.level is not None and self.level >= ERROR

    @property
    def is_exception_method(self) -> bool:
        """`.exception(...)` (or structlog's `.aexception(...)`): logs at error with the traceback."""
        return self.method in EXCEPTION_METHODS

    @property
    def level_label(self) -> str:
        """`error`, `warning`, … or `unknown level`."""
        if self.level is None:
            return "unknown level"
        return LEVEL_LABELS.get(self.level, f"level {self.level}")

    @property
    def method_node(self) -> Optional[cst.Name]:
        """The method name as written (`error` in `log.error(...)`), for fixes."""
        func = self.node.func
        return func.attr if isinstance(func, cst.Attribute) else None

    def keyword(self, name: str) -> Optional[cst.BaseExpression]:
        for key, value in self.keywords:
            if key == name:
                return value
        return None

    def arg(self, name: str) -> Optional[cst.Arg]:
        """The keyword `cst.Arg` named `name`, for reporting or fixing it."""
        for arg in self.node.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg
        return None

    @property
    def has_star_kwargs(self) -> bool:
        """`**kwargs` among the arguments: keywords (`exc_info`, `extra`) may be hidden in it."""
        return any(a.star == "**" for a in self.node.args)

    @property
    def fields(self) -> tuple[tuple[str, cst.BaseExpression], ...]:
        """Structured data fields: `extra={...}` keys (stdlib), keyword fields (structlog, loguru) and
        `.bind(...)` fields. A non-literal `extra=` yields one field named `extra`."""
        out: list[tuple[str, cst.BaseExpression]] = list(self.bound)
        control = CONTROL_KEYWORDS.get(self.library, frozenset())
        for key, value in self.keywords:
            if key == "extra" and self.library == "stdlib":
                out.extend(dict_items(value) or [("extra", value)])
            elif key not in control:
                out.append((key, value))
        return tuple(out)


def dict_items(node: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression]]:
    """The string keys of a `{...}` literal or a `dict(k=v)` call, with their values."""
    items: list[tuple[str, cst.BaseExpression]] = []
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key is not None:
                    items.append((key, element.value))
    elif isinstance(node, cst.Call) and dotted_name(node.func) == "dict":
        for arg in node.args:
            if arg.keyword is not None:
                items.append((arg.keyword.value, arg.value))
    return items


def string_value(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a plain (non-f) string literal, implicit concatenation included."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("False", "None") or (
        isinstance(node, cst.Integer) and node.value == "0"
    )


# --- scopes and bindings ------------------------------------------------------------------

ScopeNode = Union[cst.Module, cst.FunctionDef, cst.Lambda, cst.ClassDef]
_OTHER = "<other>"  # bound to something that is certainly not a logger
_UNKNOWN = "<unknown>"  # bound to something we cannot tell (a parameter, a call result)
_LIBRARIES = ("stdlib", "structlog", "loguru")
Value = Union[cst.BaseExpression, str]  # an expression, a library name, _OTHER or _UNKNOWN
Resolved = Union[tuple[str, bool], str]  # (library, inferred), _OTHER or _UNKNOWN


class _Bindings:
    """Names bound in one scope (not nested ones), and attributes a class binds on `self`/`cls`."""

    __slots__ = ("node", "names", "attrs", "resolved")

    def __init__(self, node: cst.CSTNode) -> None:
        self.node = node
        self.names: dict[str, list[Value]] = {}
        self.attrs: dict[str, list[Value]] = {}
        self.resolved: dict[str, Resolved] = {}

    def add(self, name: str, value: Value) -> None:
        self.names.setdefault(name, []).append(value)


_BINDINGS: dict[int, _Bindings] = {}
_BINDINGS_LIMIT = 4096


def clear_bindings() -> None:
    """Forget every scope scanned so far: the engine calls this after each file (the bindings
    hold the file's nodes, which would otherwise stay alive across files)."""
    _BINDINGS.clear()


def scope_bindings(scope: cst.CSTNode) -> _Bindings:
    """The bindings of `scope`, scanned once (cached by node identity, bounded)."""
    found = _BINDINGS.get(id(scope))
    if found is not None and found.node is scope:
        return found
    if len(_BINDINGS) >= _BINDINGS_LIMIT:
        _BINDINGS.clear()
    bindings = _Bindings(scope)
    if isinstance(scope, cst.Module):
        _scan_statements(scope.body, bindings)
    elif isinstance(scope, cst.FunctionDef):
        _scan_params(scope.params, bindings)
        _scan_block(scope.body, bindings)
    elif isinstance(scope, cst.Lambda):
        _scan_params(scope.params, bindings)
    elif isinstance(scope, cst.ClassDef):
        _scan_block(scope.body, bindings)
        _scan_class_attributes(scope, bindings)
    _BINDINGS[id(scope)] = bindings
    return bindings


def _annotation_value(annotation: Optional[cst.Annotation]) -> Optional[str]:
    if annotation is None:
        return None
    expr = annotation.annotation
    if isinstance(expr, cst.SimpleString):  # "logging.Logger"
        text = expr.evaluated_value if isinstance(expr.evaluated_value, str) else ""
    else:
        text = dotted_name(expr) or ""
    if _STRUCTLOG_ANNOTATION_RE.search(text):
        return "structlog"
    if _LOGGER_ANNOTATION_RE.search(text):
        return "stdlib"
    return None


def _scan_params(params: cst.Parameters, bindings: _Bindings) -> None:
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    if isinstance(params.star_arg, cst.Param):
        every.append(params.star_arg)
    if params.star_kwarg is not None:
        every.append(params.star_kwarg)
    for param in every:
        bindings.add(param.name.value, _annotation_value(param.annotation) or _UNKNOWN)


def _scan_block(block: cst.BaseSuite, bindings: _Bindings) -> None:
    if isinstance(block, cst.IndentedBlock):
        _scan_statements(block.body, bindings)
    elif isinstance(block, cst.SimpleStatementSuite):
        _scan_small(block.body, bindings)


def _scan_statements(statements: Sequence[cst.BaseStatement], bindings: _Bindings) -> None:
    for stmt in statements:
        if isinstance(stmt, cst.SimpleStatementLine):
            _scan_small(stmt.body, bindings)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            bindings.add(stmt.name.value, _OTHER)
        elif isinstance(stmt, (cst.If, cst.While)):
            _scan_block(stmt.body, bindings)
            orelse = stmt.orelse
            while orelse is not None:
                _scan_block(orelse.body, bindings)
                orelse = orelse.orelse if isinstance(orelse, cst.If) else None
        elif isinstance(stmt, cst.For):
            _bind_target(stmt.target, _UNKNOWN, bindings)
            _scan_block(stmt.body, bindings)
            if stmt.orelse is not None:
                _scan_block(stmt.orelse.body, bindings)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                if item.asname is not None:
                    _bind_target(item.asname.name, _UNKNOWN, bindings)
            _scan_block(stmt.body, bindings)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            _scan_block(stmt.body, bindings)
            for handler in stmt.handlers:
                if handler.name is not None:
                    _bind_target(handler.name.name, _OTHER, bindings)
                _scan_block(handler.body, bindings)
            if stmt.orelse is not None:
                _scan_block(stmt.orelse.body, bindings)
            if stmt.finalbody is not None:
                _scan_block(stmt.finalbody.body, bindings)
        elif isinstance(stmt, cst.Match):
            for case in stmt.cases:
                _scan_block(case.body, bindings)


def _scan_small(statements: Sequence[cst.BaseSmallStatement], bindings: _Bindings) -> None:
    for small in statements:
        if isinstance(small, cst.Assign):
            for target in small.targets:
                _bind_target(target.target, small.value, bindings)
        elif isinstance(small, cst.AnnAssign):
            declared = _annotation_value(small.annotation)
            if declared is not None:
                _bind_target(small.target, declared, bindings)
            elif small.value is not None:
                _bind_target(small.target, small.value, bindings)
        elif isinstance(small, cst.AugAssign):
            _bind_target(small.target, _UNKNOWN, bindings)
        elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
            for alias in small.names:
                local = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(small, cst.ImportFrom):
                    name = dotted_name(alias.name) or ""
                    module = dotted_name(small.module) if small.module is not None else ""
                    full = f"{module}.{name}" if module else name
                    value: Value = "loguru" if full == "loguru.logger" else _UNKNOWN
                    _bind_target(local, value, bindings)
                elif isinstance(local, cst.Name):
                    bindings.add(local.value, _UNKNOWN)
                else:
                    head = (dotted_name(local) or "").split(".")[0]
                    if head:
                        bindings.add(head, _UNKNOWN)
        elif isinstance(small, (cst.Global, cst.Nonlocal)):
            continue


def _bind_target(target: cst.BaseExpression, value: Value, bindings: _Bindings) -> None:
    if isinstance(target, cst.Name):
        bindings.add(target.value, value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        values: Sequence[Optional[cst.BaseExpression]] = ()
        if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(target.elements):
            values = [e.value for e in value.elements]
        for i, element in enumerate(target.elements):
            item = values[i] if values else None
            _bind_target(element.value, item if item is not None else _UNKNOWN, bindings)
    elif isinstance(target, cst.StarredElement):
        _bind_target(target.value, _UNKNOWN, bindings)


def _scan_class_attributes(cls: cst.ClassDef, bindings: _Bindings) -> None:
    """`self.X = value` / `cls.X = value` in methods, `@property def X`, and class-level names."""
    for name, values in bindings.names.items():
        bindings.attrs.setdefault(name, []).extend(values)
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        decorators = {last_segment(d.decorator) for d in stmt.decorators}
        if decorators & {"property", "cached_property", "lazy_property", "cached"}:
            for node in iter_scope(stmt.body):
                if isinstance(node, cst.Return) and node.value is not None:
                    bindings.attrs.setdefault(stmt.name.value, []).append(node.value)
            continue
        params = stmt.params.posonly_params or stmt.params.params
        if not params:
            continue
        first = params[0].name.value
        for node in iter_scope(stmt.body):
            if isinstance(node, cst.Assign):
                targets = [t.target for t in node.targets]
                value: Value = node.value
            elif isinstance(node, cst.AnnAssign):
                targets = [node.target]
                declared = _annotation_value(node.annotation)
                if declared is not None:
                    value = declared
                elif node.value is not None:
                    value = node.value
                else:
                    continue
            else:
                continue
            for target in targets:
                if (
                    isinstance(target, cst.Attribute)
                    and isinstance(target.value, cst.Name)
                    and target.value.value == first
                ):
                    bindings.attrs.setdefault(target.attr.value, []).append(value)


# --- resolving receivers ------------------------------------------------------------------


class _Resolver:
    """Decide whether an expression is a logger, given the scopes around the call."""

    def __init__(self, facts: ModuleFacts, config: Config, scopes: Sequence[cst.CSTNode]) -> None:
        self.facts = facts
        self.config = config
        self.scopes = scopes
        self.guard: set[tuple[int, str]] = set()

    def receiver(self, node: cst.BaseExpression) -> Optional[tuple[str, bool]]:
        """(library, inferred) when `node` is a logger, else None."""
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in CHAIN_METHODS:
                return self.receiver(func.value)  # `<logger>.getChild("x")` is what `<logger>` is
            library = logger_factory_library(func, self.facts)
            if library is not None:
                # Only the known factories say which library the logger belongs to; any other
                # `get_logger()`/`getLogger()` is a logger by its name alone.
                return library, (self.facts.qualify(func) or "") not in KNOWN_FACTORIES
            return None
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        name = dotted_name(node)
        last = last_segment(node) or ""
        if name is None:  # `get_app().logger`: only the name tells
            return ("stdlib", True) if _LOGGER_NAME_RE.search(last) else None
        qualified = self.facts.qualify(node) or name
        if qualified == "logging":
            return "stdlib", False
        if qualified == "loguru.logger":
            return "loguru", False
        if qualified == "structlog" or qualified.startswith("structlog."):
            return None
        for configured in self.config.logger_names:
            if name == configured or name.endswith("." + configured) or qualified == configured:
                return "stdlib", False
        if isinstance(node, cst.Name):
            state = self.lookup_name(node.value)
            if isinstance(state, tuple):
                return state
            if state == _OTHER:
                return None
            if state == "<missing>" and not self.scopes and last in self.facts.logger_vars:
                return self.facts.logger_vars[last], False
        elif isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            state = self.lookup_attribute(last)
            if isinstance(state, tuple):
                return state
            if state == _OTHER:
                return None
            if state == "<missing>" and last in self.facts.logger_vars:
                return self.facts.logger_vars[last], False
        elif last in self.facts.logger_vars:
            return self.facts.logger_vars[last], True
        if _LOGGER_NAME_RE.search(last):
            if last.lower().lstrip("_") == "logging" and "." not in name:
                return None  # a local called `logging` that is not the stdlib module
            return "stdlib", True
        return None

    def lookup_name(self, name: str) -> Resolved:
        """Resolve a plain name through the scopes, innermost first ("<missing>" when unbound)."""
        last = len(self.scopes) - 1
        for index in range(last, -1, -1):
            scope = self.scopes[index]
            if isinstance(scope, cst.ClassDef) and index != last:
                continue  # class bodies are not visible from their methods
            key = (id(scope), name)
            if key in self.guard:
                continue  # `log = log.bind(...)`: the right-hand side is the outer `log`
            bindings = scope_bindings(scope)
            values = bindings.names.get(name)
            if values is not None:
                return self._resolve(bindings.resolved, name, key, values)
        return "<missing>"

    def method_alias(self, name: str) -> Optional[tuple[str, str, bool, cst.BaseExpression]]:
        """`info = logger.info` (or `debug, info = logger.debug, logger.info`) in the enclosing
        scopes: (method, library, inferred, receiver) when `name` is a bound logging method."""
        last = len(self.scopes) - 1
        for index in range(last, -1, -1):
            scope = self.scopes[index]
            if isinstance(scope, cst.ClassDef) and index != last:
                continue
            values = scope_bindings(scope).names.get(name)
            if values is None:
                continue
            for value in values:
                if isinstance(value, cst.Attribute) and value.attr.value in LOG_METHODS:
                    found = self.receiver(value.value)
                    if found is not None:
                        return value.attr.value, found[0], found[1], value.value
            return None
        return None

    def lookup_attribute(self, attr: str) -> Resolved:
        """Resolve `self.<attr>`/`cls.<attr>` in the innermost enclosing class."""
        for scope in reversed(self.scopes):
            if isinstance(scope, cst.ClassDef):
                key = (id(scope), "." + attr)
                if key in self.guard:
                    return _UNKNOWN
                bindings = scope_bindings(scope)
                values = bindings.attrs.get(attr)
                if values is None:
                    return "<missing>"
                return self._resolve(bindings.resolved, "." + attr, key, values)
        return "<missing>"

    def _resolve(self, cache: dict[str, Resolved], name: str, key: tuple[int, str], values: list[Value]) -> Resolved:
        cached = cache.get(name)
        if cached is not None:
            return cached
        fresh = not self.guard
        self.guard.add(key)
        try:
            results = [self.value(v) for v in values]
        finally:
            self.guard.discard(key)
        result: Resolved = _UNKNOWN
        libraries = [r for r in results if isinstance(r, tuple)]
        if libraries:
            result = libraries[0]
        elif results and all(r == _OTHER for r in results):
            result = _OTHER
        if fresh:
            cache[name] = result
        return result

    def value(self, value: Value) -> Resolved:
        """What a bound value is: a logger (library, inferred), _OTHER or _UNKNOWN."""
        if isinstance(value, str):
            return (value, False) if value in _LIBRARIES else value
        if isinstance(value, cst.Call):
            found = self.receiver(value)
            if found is not None:
                return found
            callee = self.facts.qualify(value.func) or ""
            tail = callee.rsplit(".", 1)[-1]
            if _LOGGER_CLASS_RE.search(tail):
                return "stdlib", True
            if callee in _NOT_LOGGER_CALLS or (tail[:1].isupper() and not tail.isupper()):
                return _OTHER  # `Log(...)`, `ChangeLog(...)`: an instance of some other class
            return _UNKNOWN
        if isinstance(value, cst.Name) and value.value in ("None", "True", "False"):
            return _OTHER
        if isinstance(value, (cst.Name, cst.Attribute)):
            found = self.receiver(value)
            return found if found is not None else _UNKNOWN
        if isinstance(value, cst.IfExp):
            return self._any(self.value(value.body), self.value(value.orelse))
        if isinstance(value, cst.BooleanOperation):
            return self._any(self.value(value.left), self.value(value.right))
        if isinstance(value, (cst.Await, cst.Subscript, cst.NamedExpr)):
            return _UNKNOWN
        return _OTHER  # literals, containers, comprehensions, arithmetic, lambdas

    @staticmethod
    def _any(left: Resolved, right: Resolved) -> Resolved:
        if isinstance(left, tuple):
            return left
        if isinstance(right, tuple):
            return right
        return _OTHER if left == right == _OTHER else _UNKNOWN


def logger_library(
    receiver: cst.BaseExpression,
    facts: ModuleFacts,
    logger_names: Sequence[str],
    scopes: Sequence[cst.CSTNode] = (),
) -> Optional[str]:
    """Return the logging library of `receiver` if it is a logger, else None."""
    from errlint.config import Config

    found = _Resolver(facts, Config(logger_names=tuple(logger_names)), scopes).receiver(receiver)
    return found[0] if found is not None else None


# --- classification -----------------------------------------------------------------------


def classify_call(
    call: cst.Call, facts: ModuleFacts, config: Config, scopes: Sequence[cst.CSTNode] = ()
) -> Optional[LogCall]:
    """Return a `LogCall` when `call` logs or reports an error, else None.

    `scopes` are the module and the functions/classes around the call, outermost first; without
    them only module-level bindings (`ModuleFacts.logger_vars`) and names are used.
    """
    func = call.func
    keywords = tuple((a.keyword.value, a.value) for a in call.args if a.keyword is not None)
    positional = tuple(a.value for a in call.args if a.keyword is None and not a.star)
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in LOG_METHODS:
            found = _Resolver(facts, config, scopes).receiver(func.value)
            if found is not None:
                library, inferred = found
                return _make_log_call(call, method, library, positional, keywords, func.value, inferred)
    qualified = facts.qualify(func)
    if qualified is None:
        return None
    if isinstance(func, cst.Name) and qualified.startswith("logging."):
        method = qualified[len("logging."):]
        if method in LOG_METHODS and not method.startswith("a"):
            return _make_log_call(call, method, "stdlib", positional, keywords, None, False)
    if isinstance(func, cst.Name) and scopes and func.value not in ("print", "str", "repr", "len"):
        alias = _Resolver(facts, config, scopes).method_alias(func.value)
        if alias is not None:
            method, library, inferred, receiver = alias
            return _make_log_call(call, method, library, positional, keywords, receiver, inferred)
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
    receiver: Optional[cst.BaseExpression],
    inferred: bool,
) -> LogCall:
    level = LOG_METHODS[method]
    args = positional
    named = dict(keywords)
    if method in ("log", "alog"):
        if positional:
            level = resolve_level(positional[0])
            args = positional[1:]
        else:
            level = resolve_level(named["level"]) if "level" in named else None
    message = args[0] if args else named.get("msg", named.get("event"))
    rest = args[1:] if args else ()
    exc_info = method in EXCEPTION_METHODS
    if "exc_info" in named:
        exc_info = not _is_false(named["exc_info"])
    bound: tuple[tuple[str, cst.BaseExpression], ...] = ()
    if isinstance(receiver, cst.Call):
        exc_info = exc_info or _opt_exception(receiver)
        bound = _bound_fields(receiver)
    return LogCall(call, method, level, library, exc_info, message, rest, keywords, receiver, inferred, bound)


def _chain(receiver: cst.BaseExpression) -> Iterator[cst.Call]:
    """The calls of a `logger.bind(...).opt(...)` chain, outermost first."""
    while isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
        yield receiver
        receiver = receiver.func.value


def _opt_exception(receiver: cst.BaseExpression) -> bool:
    for call in _chain(receiver):
        if cst.ensure_type(call.func, cst.Attribute).attr.value == "opt":
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "exception" and not _is_false(arg.value):
                    return True
    return False


def _bound_fields(receiver: cst.BaseExpression) -> tuple[tuple[str, cst.BaseExpression], ...]:
    out: list[tuple[str, cst.BaseExpression]] = []
    for call in _chain(receiver):
        if cst.ensure_type(call.func, cst.Attribute).attr.value in ("bind", "new"):
            out.extend((a.keyword.value, a.value) for a in call.args if a.keyword is not None)
    return tuple(out)


def resolve_level(node: cst.BaseExpression) -> Optional[int]:
    """The numeric level of `logging.ERROR`, `ERROR`, `40`, `"ERROR"` (loguru); None if unknown."""
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None  # `0_1`-style literals int() rejects: an unknown level, not an error
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return _LEVEL_NAMES.get(value.upper()) if isinstance(value, str) else None
    name = last_segment(node)
    if name in _LEVEL_NAMES:
        return _LEVEL_NAMES[name]
    return None


# --- facts about arguments, shared by the logging rules -----------------------------------


def formats_traceback(node: cst.BaseExpression, facts: ModuleFacts) -> bool:
    """`node` is or contains a call that formats a traceback (`traceback.format_exc()`)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call) and facts.qualify(current.func) in TRACEBACK_FORMATTERS:
            return True
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(current.children)
    return False


def carries_traceback(log: LogCall, facts: ModuleFacts) -> bool:
    """The record carries the traceback: `exc_info`, `.exception()`, or `format_exc()` text."""
    if log.exc_info:
        return True
    values: Iterable[cst.BaseExpression] = (a.value for a in log.node.args)
    return any(formats_traceback(v, facts) for v in values)


def has_placeholders(node: cst.FormattedString) -> bool:
    return any(isinstance(p, cst.FormattedStringExpression) for p in node.parts)


def eager_format(message: Optional[cst.BaseExpression]) -> Optional[str]:
    """How a log message is built eagerly: "f-string", "format", "percent", "concat" (else None).

    Constant f-strings (`f"done"`) and implicit concatenation of plain literals are constant.
    """
    if message is None:
        return None
    if isinstance(message, cst.FormattedString):
        return "f-string" if has_placeholders(message) else None
    if isinstance(message, cst.ConcatenatedString):
        parts = list(_string_parts(message))
        if any(isinstance(p, cst.FormattedString) and has_placeholders(p) for p in parts):
            return "f-string"
        return None
    if isinstance(message, cst.Call) and isinstance(message.func, cst.Attribute) and message.func.attr.value == "format":
        if _formats_text(message.func.value):
            return "format"
        return None
    if isinstance(message, cst.BinaryOperation):
        if isinstance(message.operator, cst.Modulo):
            if isinstance(message.left, (cst.Integer, cst.Float)):
                return None
            return "percent"
        if isinstance(message.operator, cst.Add):
            operands = list(_add_operands(message))
            has_literal = any(isinstance(o, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)) for o in operands)
            has_variable = any(not _constant_text(o) for o in operands)
            if has_literal and has_variable:
                return "concat"
    return None


def _formats_text(receiver: cst.BaseExpression) -> bool:
    """`receiver.format(...)` is `str.format`, not `Formatter.format(record)`/`self.format(...)`."""
    if isinstance(receiver, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Call, cst.Subscript)):
        return True
    last = last_segment(receiver) or ""
    if last in ("self", "cls", "super") or re.search(r"(?i)(formatter|handler|renderer|field|date|time)$", last):
        return False
    return isinstance(receiver, (cst.Name, cst.Attribute))


def _string_parts(node: cst.ConcatenatedString) -> Iterator[cst.BaseString]:
    stack: list[cst.BaseString] = [node.right, node.left]  # a loop: 10,000 literals are not rare
    while stack:
        side = stack.pop()
        if isinstance(side, cst.ConcatenatedString):
            stack.extend((side.right, side.left))
        else:
            yield side


def string_parts(node: Union[cst.ConcatenatedString, cst.SimpleString, cst.FormattedString]) -> list[cst.BaseString]:
    """The literal pieces of a string expression, left to right."""
    return list(_string_parts(node)) if isinstance(node, cst.ConcatenatedString) else [node]


def _add_operands(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    stack = [node]  # a loop: generated code concatenates thousands of terms
    while stack:
        current = stack.pop()
        if isinstance(current, cst.BinaryOperation) and isinstance(current.operator, cst.Add) and not current.lpar:
            stack.extend((current.right, current.left))
        else:
            yield current


def _constant_text(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return all(not isinstance(p, cst.FormattedString) or not has_placeholders(p) for p in string_parts(node))
    if isinstance(node, cst.FormattedString):
        return not has_placeholders(node)
    return False


# --- "the exception is the whole message" (XH303; XH301 leaves these to it) -----------------

_PLACEHOLDER_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgeExXoca]|%%|\{[^{}]*\}")
_EXCEPTION_ATTRS = frozenset({"args", "message", "msg", "strerror", "reason", "__name__", "__class__", "__qualname__"})


def is_exception_text(node: cst.BaseExpression, names: frozenset[str], facts: ModuleFacts) -> bool:
    """`node` is the caught exception or text derived only from it.

    `err`, `str(err)`, `repr(err)`, `err.args[0]`, `err.message`, `type(err).__name__`,
    `err.__class__.__name__`, and `traceback.format_exc()` (the traceback as text).
    """
    while True:  # a loop over `.attr`, `[...]` and `str(...)` chains, which can be thousands deep
        if isinstance(node, cst.Name):
            return node.value in names
        if isinstance(node, cst.Call):
            func = dotted_name(node.func)
            if func in ("str", "repr", "ascii", "format", "type") and node.args:
                if node.args[0].keyword is not None:
                    return False
                node = node.args[0].value
                continue
            return facts.qualify(node.func) in TRACEBACK_FORMATTERS
        if isinstance(node, cst.Attribute):
            if node.attr.value not in _EXCEPTION_ATTRS:
                return False
            node = node.value
            continue
        if isinstance(node, cst.Subscript):
            node = node.value
            continue
        return False


def mentions_exception_text(node: cst.CSTNode, names: frozenset[str], facts: ModuleFacts) -> bool:
    """`node` interpolates the caught exception or its text somewhere (`err`, `str(err)`,
    `f"... {err}"`, `error=err`), not merely data carried by it (`err.response.status_code`)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.BaseExpression) and is_exception_text(current, names, facts):
            return True
        if isinstance(current, cst.Attribute):
            continue  # `err.missing`, `err.response.text`: data, not the exception's message
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(current.children)
    return False


_PERCENT_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[sdrifgeExXoca%]")


def fills_arguments(log: LogCall) -> bool:
    """The `%` placeholders of the literal parts of a `+` message take every lazy argument:
    `log.error("order %s failed: " + detail, order_id)` concatenates data, not a template."""
    message = log.message
    if message is None or not log.args:
        return False
    count = 0
    for operand in _add_operands(message):
        text = string_value(operand) if isinstance(operand, (cst.SimpleString, cst.ConcatenatedString)) else None
        if text is not None:
            count += sum(1 for m in _PERCENT_RE.finditer(text) if m.group() != "%%")
    return count == len(log.args)


def _no_words(text: str) -> bool:
    return not re.search(r"[^\W_]", _PLACEHOLDER_RE.sub("", text))


def exception_only_message(log: LogCall, names: frozenset[str], facts: ModuleFacts) -> bool:
    """The message says nothing but the exception: `log.error(e)`, `f"{e}"`, `"%s" % e`,
    `log.error("%s", e)`, `f"{type(e).__name__}: {e}"` (only punctuation around it)."""
    message = log.message
    if message is None:
        return False
    if is_exception_text(message, names, facts):
        return True
    if isinstance(message, (cst.FormattedString, cst.ConcatenatedString)) and not log.args:
        expressions: list[cst.BaseExpression] = []
        for part in string_parts(message):
            if isinstance(part, cst.FormattedString):
                for piece in part.parts:
                    if isinstance(piece, cst.FormattedStringExpression):
                        expressions.append(piece.expression)
                    elif isinstance(piece, cst.FormattedStringText) and not _no_words(piece.value):
                        return False
            elif not _no_words(string_value(part) or "x"):
                return False
        return bool(expressions) and all(is_exception_text(e, names, facts) for e in expressions)
    template: Optional[str] = None
    values: Sequence[cst.BaseExpression] = log.args
    if isinstance(message, (cst.SimpleString, cst.ConcatenatedString)):
        template = string_value(message)
    elif isinstance(message, cst.BinaryOperation) and isinstance(message.operator, cst.Modulo) and not log.args:
        template = string_value(message.left)
        right = message.right
        values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
    elif (
        isinstance(message, cst.Call)
        and isinstance(message.func, cst.Attribute)
        and message.func.attr.value == "format"
        and not log.args
    ):
        template = string_value(message.func.value)
        values = [a.value for a in message.args]
    if template is None or not values or not _no_words(template):
        return False
    return all(is_exception_text(v, names, facts) for v in values)


# --- prefilter hints (`LintRule.PREFILTER`) ------------------------------------------------

# A function whose source matches none of these holds no logging call: the logging rules cannot
# report inside it. Logger bindings (`self._log = logging.getLogger(...)` in `__init__`) are kept
# too, so that receivers bound in another method still resolve. `logging.<method>` also matches
# names imported from `logging` (`from logging import error`).
LOG_CALL_PATTERNS: tuple[str, ...] = (
    r"\.a?(?:debug|info|warning|warn|error|exception|critical|fatal|log|msg)\s*\(",
    r"\.(?:trace|success)\s*\(",
    r"\b(?:getLogger|get_logger|get_task_logger|getChild|LoggerAdapter)\b",
    r"\blogging\.(?:debug|info|warning|warn|error|exception|critical|fatal|log)\b",
    # bound methods called by a bare name (`info = logger.info` ... `info("started")`)
    r"(?<![\w.])(?:debug|info|warning|warn|error|exception|critical|fatal)\s*\(",
)

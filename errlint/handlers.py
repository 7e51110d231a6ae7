"""What an `except` handler catches and what its own body does: `HandlerFacts`.

Computed once per handler (cached on the `FileContext` as `context.handler_facts(handler)`) by one
walk of the handler's body that does not enter nested functions, lambdas or classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Sequence

import libcst as cst

from errlint.analysis import (
    SCOPE_TYPES,
    Handler,
    ModuleFacts,
    dotted_name,
    is_constant,
    iter_children,
    iter_scope,
)
from errlint.logcalls import LOG_METHODS, WARNING, LogCall

if TYPE_CHECKING:
    from errlint.config import Config

CallClassifier = Callable[[cst.Call], Optional[LogCall]]

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
    # Log calls whose arguments carry the formatted traceback (`traceback.format_exc()`).
    traceback_args: list[LogCall] = field(default_factory=list)
    # `traceback.print_exc()` and friends: the traceback reaches stderr, not a logger.
    prints_traceback: bool = False
    # The caught exception goes somewhere other than a log line or `print`: passed to a call,
    # returned, stored or inspected (`handle_error(err)`, `future.set_exception(err)`,
    # `return Failure(err)`), or captured with `sys.exc_info()`.
    passes_on: bool = False
    # `with util.safe_reraise():` (SQLAlchemy) and similar context managers re-raise on exit.
    reraises_on_exit: bool = False

    @property
    def reraises(self) -> bool:
        return bool(self.raises) or self.reraises_on_exit

    def carries_traceback(self, call: LogCall) -> bool:
        """Whether this log call records the traceback (`exc_info`, `.exception()`, `format_exc()`)."""
        return call.exc_info or any(call is c for c in self.traceback_args)

    @property
    def logs_traceback(self) -> bool:
        """Logs at warning level or above with the traceback (or reports): the failure is recorded.

        A warning with the traceback before a deliberate fallback is how code says "this failed,
        here is where, and we carry on"; debug and info lines are off in production.
        """
        return any(
            self.carries_traceback(c) and (c.is_report or (c.level is not None and c.level >= WARNING))
            for c in self.log_calls
        )

    @property
    def handled(self) -> bool:
        """Re-raises, logs at warning level or above with the traceback, or reports."""
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


def compute_handler_facts(handler: Handler, facts: ModuleFacts, config: Config, classify: CallClassifier) -> HandlerFacts:
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
    traceback_args: list[LogCall] = []
    prints_traceback = False
    captures = False
    reraises_on_exit = False
    not_uses: set[int] = set()  # attribute and keyword names spelled like the bound name
    in_sinks: set[int] = set()  # names inside log/print/warn calls
    for node in iter_scope(handler.body):
        if isinstance(node, cst.Raise):
            raises.append(node)
        elif isinstance(node, cst.Call):
            calls.append(node)
            log = classify(node)
            if log is None:
                log = _exc_info_call(node)
            qualified = facts.qualify(node.func)
            if log is not None:
                log_calls.append(log)
                if not log.exc_info and _formats_traceback(node, facts):
                    traceback_args.append(log)
            elif qualified in PRINT_TRACEBACK_FUNCTIONS:
                prints_traceback = True
            elif qualified in CAPTURE_FUNCTIONS:
                captures = True
            if name is not None and (log is not None or qualified in SINK_FUNCTIONS):
                in_sinks.update(id(n) for n in _iter_all(node) if isinstance(n, cst.Name) and n.value == name)
        elif isinstance(node, cst.Return):
            returns.append(node)
        elif isinstance(node, cst.WithItem):
            item = node.item
            func = item.func if isinstance(item, cst.Call) else item
            last = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if "reraise" in last.lower():
                reraises_on_exit = True
        elif isinstance(node, cst.Attribute):
            not_uses.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            not_uses.add(id(node.keyword))
        elif isinstance(node, cst.Name) and name is not None and node.value == name:
            if id(node) not in not_uses:
                uses.append(node)
        elif isinstance(node, SCOPE_TYPES) and name is not None:
            # A closure that uses the bound name still uses it.
            uses.extend(n for n in _iter_all(node) if isinstance(n, cst.Name) and n.value == name)
    passes_on = captures or any(id(u) not in in_sinks for u in uses)
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
        traceback_args=traceback_args,
        prints_traceback=prints_traceback,
        passes_on=passes_on,
        reraises_on_exit=reraises_on_exit,
    )


FORMAT_TRACEBACK_FUNCTIONS = frozenset(
    {"traceback.format_exc", "traceback.format_exception", "traceback.format_tb", "traceback.format_stack"}
)
PRINT_TRACEBACK_FUNCTIONS = frozenset({"traceback.print_exc", "traceback.print_exception", "traceback.print_tb"})
# Calls that capture the active exception for someone else to handle.
CAPTURE_FUNCTIONS = frozenset({"sys.exc_info", "sys.exception"}) | FORMAT_TRACEBACK_FUNCTIONS
# Calls where using the caught exception only prints it (not passing it on).
SINK_FUNCTIONS = frozenset({"print", "warnings.warn"})


def _exc_info_call(call: cst.Call) -> Optional[LogCall]:
    """A logger errlint does not recognise by name, recognised by its `exc_info=` argument."""
    keywords = tuple((a.keyword.value, a.value) for a in call.args if a.keyword is not None)
    value = dict(keywords).get("exc_info")
    if value is None or (isinstance(value, cst.Name) and value.value in ("False", "None")):
        return None
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    if method not in LOG_METHODS or method == "log":
        return None
    positional = tuple(a.value for a in call.args if a.keyword is None and not a.star)
    message = positional[0] if positional else None
    return LogCall(call, method, LOG_METHODS[method], "stdlib", True, message, positional[1:], keywords)


def _formats_traceback(call: cst.Call, facts: ModuleFacts) -> bool:
    """A log call with `traceback.format_exc()` (or similar) among its arguments."""
    for arg in call.args:
        for node in _iter_all(arg.value):
            if isinstance(node, cst.Call) and facts.qualify(node.func) in FORMAT_TRACEBACK_FUNCTIONS:
                return True
    return False


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
    """An explanatory comment on the `except` line or anywhere inside the handler's body.

    Tool directives (`# noqa: ...`, `# pragma: no cover`, `# pylint: disable=...`,
    `# type: ignore`, `# nosec`, test annotations like `# [XH103]`) explain nothing and do not count.
    """
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        return explains(body.trailing_whitespace.comment)
    if not isinstance(body, cst.IndentedBlock):
        return False
    if explains(body.header.comment):
        return True
    if any(explains(line.comment) for line in body.footer):
        return True
    for stmt in body.body:
        if isinstance(stmt, cst.BaseCompoundStatement):
            if any(explains(line.comment) for line in stmt.leading_lines):
                return True
            continue
        if isinstance(stmt, cst.SimpleStatementLine):
            if any(explains(line.comment) for line in stmt.leading_lines):
                return True
            if explains(stmt.trailing_whitespace.comment):
                return True
    return False


_DIRECTIVE_RE = re.compile(
    r"(?:noqa(?::?\s*[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)?|pragma:\s*no\s*(?:cover|branch)"
    r"|pylint:\s*disable=[\w,-]+|type:\s*ignore(?:\[[\w,-]+\])?|nosec(?:\s+B\d+)?|pyright:\s*\w+(?:\[[\w,-]+\])?"
    r"|fmt:\s*(?:on|off|skip)|errlint:\s*\w+|(?:[+-]\d+:\s*)?\[XH\d{3}(?:\s*,\s*XH\d{3})*\])",
    re.IGNORECASE,
)


def explains(comment: Optional[cst.Comment]) -> bool:
    """Whether a comment says something once tool directives are removed."""
    if comment is None:
        return False
    text = _DIRECTIVE_RE.sub(" ", comment.value.lstrip("#"))
    return sum(ch.isalnum() for ch in text) >= 2

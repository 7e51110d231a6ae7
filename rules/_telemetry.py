"""What in a traced function is the instrumentation's own work rather than the operation a span
times: setting span data, calling hooks with the span, metrics, and the values prepared for them.

Used by XH504 (error-hidden-from-trace): a failure while enriching a span is not the failure of the
operation, and a handler that keeps it off the trace hides nothing. Measured on the OpenTelemetry
corpus (`benchmarks/make-otel-corpus.sh`): contrib instrumentations, OpenLLMetry, OpenLIT and the
frameworks that start their own spans guard exactly these steps with `except Exception`.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, dotted_name, iter_children, iter_scope, last_segment
from errlint.sensitive import code_of, tokenize

if TYPE_CHECKING:
    from errlint.context import FileContext


class TelemetryWork:
    """Judge statements of a function whose span is bound to `span_var` (None: no name)."""

    def __init__(self, context: FileContext, span_var: Optional[str]) -> None:
        self.context = context
        self.span_var = span_var

    def guards(self, body: cst.BaseSuite) -> bool:
        """The `try` only imports or does telemetry work: span data, span hooks, metrics.

        Every statement is an import, touches telemetry (a call on the span, one that receives the
        span or attributes, or is named for them: `span.set_attribute(...)`, `hook(span, body)`,
        `_set_db_statement(attrs, q)`, `metrics[key] += 1`) or only inspects values (no call but
        builtins and getters); and at least one statement is not an inspection.
        """
        kinds = [self._statement_kind(stmt) for stmt in statements(body)]
        return bool(kinds) and None not in kinds and any(k != "inspect" for k in kinds)

    def feeds(self, handler: Handler, statement: cst.CSTNode) -> bool:
        """The handler only puts a placeholder in a value that then goes only on the span.

        `try: payload = serialize(resp) except Exception: payload = "<not serializable>"` followed
        by `span.set_attribute("response", payload)`: the failure is in preparing span data.
        """
        names: set[str] = set()
        for small in statements(handler.body):
            if not isinstance(small, cst.SimpleStatementLine):
                return False
            for part in small.body:
                if isinstance(part, cst.Assign) and all(name_of(t.target) for t in part.targets):
                    names.update(name_of(t.target) or "" for t in part.targets)
                elif isinstance(part, cst.Expr) and _collects(part.value):
                    names.add(name_of(cst.ensure_type(cst.ensure_type(part.value, cst.Call).func, cst.Attribute).value) or "")
                elif not (isinstance(part, cst.Pass) or (isinstance(part, cst.Expr) and isinstance(part.value, cst.Call)
                                                         and self.context.log_call(part.value) is not None)):
                    return False  # fmt: skip
        block = self.context.ancestors[-3] if len(self.context.ancestors) >= 3 else None
        if not names or not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return False
        later = list(block.body[position(block.body, statement) + 1 :])
        uses = [n for stmt in later for n in iter_scope(stmt) if isinstance(n, cst.Name) and n.value in names]
        fed = {
            id(n)
            for stmt in later
            for call in _calls(stmt)
            if self.is_telemetry_call(call)
            for arg in call.args
            for n in [arg.value, *iter_scope(arg.value)]
            if isinstance(n, cst.Name)
        }
        return bool(uses) and all(id(n) in fed for n in uses)

    def _statement_kind(self, statement: cst.CSTNode) -> Optional[str]:
        """"import", "telemetry", "inspect", or None (an operation)."""
        if isinstance(statement, cst.SimpleStatementLine):
            kinds = [self._small_kind(small) for small in statement.body]
            if None in kinds:
                return None
            return next((k for k in kinds if k != "inspect"), "inspect")
        inner = [self._statement_kind(stmt) for stmt in _nested_statements(statement)]
        if inner and None not in inner:
            return next((k for k in inner if k != "inspect"), "inspect")
        # A block that prepares and sets span data (`if span.is_recording(): ...`, serialising an
        # output for `span.set_attribute`): telemetry work, whatever helpers it calls on the way.
        return "telemetry" if any(self.is_telemetry_call(call) for call in _calls(statement)) else None

    def _small_kind(self, small: cst.BaseSmallStatement) -> Optional[str]:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return "import"
        if isinstance(small, (cst.Pass, cst.Return)) and not list(_calls(small)):
            return "inspect"
        if isinstance(small, cst.AugAssign) and _telemetry_name(small.target):
            return "telemetry"  # `metrics[key] += 1`
        if not isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Expr, cst.Return, cst.Pass)):
            return None
        kind = "inspect"
        inside: set[int] = set()  # calls in a telemetry call's arguments: `Status(StatusCode.OK)`
        for call in _calls(small):
            if id(call) in inside:
                continue
            if self.is_telemetry_call(call):
                kind = "telemetry"
                inside.update(id(c) for arg in call.args for c in _calls(arg))
            elif not _inspects(call):
                return None
        return kind

    def is_telemetry_call(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and (name_of(func.value) == self.span_var or _telemetry_name(func.value)):
            return True
        if _telemetry_name(func):
            return True
        return any(name_of(arg.value) == self.span_var or _telemetry_name(arg.value) for arg in call.args)


BUILTINS = frozenset(dir(builtins))


# Name tokens of telemetry objects and helpers (`span`, `_set_span_attributes`, `attrs`, `metrics`).
_TELEMETRY_TOKENS = frozenset(
    {"span", "spans", "attribute", "attributes", "attrs", "metric", "metrics", "counter", "histogram", "meter", "telemetry"}
)
# Calls that only read: builtins and getters (`getattr`, `len`, `kwargs.get`, `_get_address`).
_CLOCKS = frozenset({"time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "now", "utcnow"})
_READ_PREFIXES = ("get", "_get", "is_", "has_", "_is_", "_has_")


def _telemetry_name(expr: cst.BaseExpression) -> bool:
    """A name with a telemetry word in any segment: `span`, `tool_span`, `metrics.orders`, `attrs[k]`."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    segments = (dotted_name(expr) or "").split(".")
    return any(not _TELEMETRY_TOKENS.isdisjoint(t.lower() for t in tokenize(s)) for s in segments if s and s != "self")


def _inspects(call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Name) and func.value in BUILTINS:
        return True
    segment = last_segment(func) or ""
    return segment.startswith(_READ_PREFIXES) or segment in _CLOCKS


def only_looks_up(body: cst.BaseSuite) -> bool:
    """The `try` only reads values: attribute, item and `.get("key")` lookups and builtins, no await."""
    for node in iter_scope(body):
        if isinstance(node, cst.Await):
            return False
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Name) and func.value in BUILTINS and func.value not in ("open", "exec", "eval", "__import__"):
                continue
            if isinstance(func, cst.Attribute) and func.attr.value == "get" and _literal_key(node):
                continue  # `kwargs.get("items", [])`, not `client.get(url)`
            return False
    return True


def _literal_key(call: cst.Call) -> bool:
    """The first argument is a string key (`"items"`), not a URL or path."""
    if not call.args or not isinstance(call.args[0].value, cst.SimpleString):
        return False
    key = call.args[0].value.evaluated_value
    return isinstance(key, str) and "/" not in key and ":" not in key


def _collects(expr: cst.BaseExpression) -> bool:
    """`results.append(...)`: a value collected into a local container."""
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and isinstance(expr.func.value, cst.Name)
        and expr.func.attr.value in ("append", "extend", "add", "update")
    )


def records_error(call: cst.Call) -> bool:
    method = last_segment(call.func) or ""
    if method == "record_exception":
        return True
    return method == "set_status" and "ERROR" in code_of(call, 200)


def calls_outside_handlers(node: cst.CSTNode) -> list[cst.Call]:
    stack = [node]
    out: list[cst.Call] = []
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            out.append(current)
        for child in iter_children(current):
            if not isinstance(child, (cst.ExceptHandler, cst.ExceptStarHandler, cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                stack.append(child)
    return out


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    return [n for n in iter_scope(node) if isinstance(n, cst.Call)]


def statements(body: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return body.body if isinstance(body, cst.IndentedBlock) else ()


def _nested_statements(statement: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements in the blocks of a compound statement (if/elif/else, for, while, with, try).

    Its header (`if span.is_recording():`, `for key in attrs:`) is judged with the statements.
    """
    out: list[cst.CSTNode] = []
    headers: list[cst.BaseExpression] = []
    for child in iter_children(statement):
        if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            out.extend(statements(child))
        elif isinstance(child, (cst.If, cst.Else, cst.ExceptHandler, cst.Finally)):
            out.extend(_nested_statements(child))
        elif isinstance(child, cst.BaseExpression):
            headers.append(child)
    for header in headers:
        out.append(cst.SimpleStatementLine(body=[cst.Expr(header)]))
    return out


def position(body: Sequence[cst.BaseStatement], child: cst.CSTNode) -> int:
    """The index of `child` in `body` (0 when it is not there)."""
    for index, statement in enumerate(body):
        if statement is child:
            return index
    return 0


def name_of(expr: cst.BaseExpression) -> Optional[str]:
    return expr.value if isinstance(expr, cst.Name) else None

"""XH504: a handler inside an active OpenTelemetry span hides the failure from the trace."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, iter_scope, last_segment
from errlint.finding import Impact, Severity
from errlint.handlers import CaughtType, HandlerFacts
from errlint.knowledge import otel
from errlint.regions import Region, TRIES, call_name
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import (
    caught_label,
    deliberate_fallback_scope,
    handler_header_end,
    in_test_code,
    raises_after,
)
from errlint.rules._telemetry import (
    BUILTINS,
    TelemetryWork,
    calls_outside_handlers,
    name_of,
    only_looks_up,
    position,
    records_error,
    statements,
)
from errlint.sensitive import code_of, tokenize
from errlint.taxonomy import Kind, classify


@dataclass(frozen=True)
class ActiveSpan:
    """The span a handler runs in, as the message names it, and the name bound to it (if any)."""

    label: str
    var: Optional[str]


class ErrorHiddenFromTrace(LintRule):
    """
    ## What it does
    Checks for `except` handlers inside an active OpenTelemetry span that swallow a failure, or
    turn it into a return value or a log line, without putting it on the span:
    neither `span.record_exception(err)` nor `span.set_status(Status(StatusCode.ERROR, ...))`.

    A handler is inside an active span when, in the same function, it sits in the body of
    `with tracer.start_as_current_span(...)`, `with tracer.start_span(...)` or
    `with trace.use_span(span)` (also `async with`), in a function decorated with
    `@tracer.start_as_current_span(...)`, or after `span = trace.get_current_span()` (or
    `span = tracer.start_span(...)`) in the same function, in a statement that runs before the
    `try` on every path (a function that returns the span it started is a span factory, not the
    span's work). `start_span`, `use_span` and `get_current_span` count only in modules that
    import `opentelemetry`, where a project's own span helper counts too (`with
    _make_trigger_span(ti) as span:`, a callee named with the word `span`);
    `start_as_current_span` is OpenTelemetry's own name and counts everywhere.

    Only a handler that ends the failure is reported. A handler that re-raises, bare or
    converted (`raise PaymentFailed(...) from err`), lets the exception leave the block, and the
    span records it (the SDK's defaults `record_exception=True, set_status_on_exception=True`). Not
    reported either:

    - a handler that calls `record_exception`/`set_status`, sets span data (`span.set_attribute(
      "error.type", ...)`, `add_event`), passes the span or the caught exception on to a function
      (`_record_error(span, err)`, `future.set_exception(err)`), or whose function sets the status
      after the `try` or raises later (`for backend in backends: try ... except: continue` then
      `raise`);
    - expected outcomes: only broad handlers (`Exception`, `BaseException`, bare `except:`) and
      failure types (the `OSError` family and the infrastructure types of the shared taxonomy:
      network clients, databases, caches, queues) are reported; `except KeyError: value = default`
      inside a span is a lookup, not a failed operation, and a user error (`ValueError`,
      `ValidationError`) is a 4xx answer, which OpenTelemetry's conventions leave unset;
    - the instrumentation's own work, which is not the operation the span times (measured on
      the OpenTelemetry corpus, `docs/precision.md`): a `try` that only sets span data, calls a
      hook with the span, updates metrics or only imports (`try: span.set_attributes(attrs)`,
      `try: hook(span, body)`), one whose fallback value only goes on the span (`except
      Exception: payload = "<not serializable>"` then `span.set_attribute("input", payload)`),
      and one that only looks values up (`len(kwargs.get("items", []))`);
    - functions designed never to raise (`__repr__`, `safe_*`) and test code.

    ## Why is this bad?
    A span ends with status `UNSET` unless something sets it: the trace of a request whose
    payment call failed and whose handler returned `None` shows every span green. The on-call
    engineer reading the trace sees a fast, successful request, and the error rate computed from
    spans stays at zero while users see failures.

    ## Example
    ```python
    from opentelemetry import trace

    tracer = trace.get_tracer(__name__)

    def charge(order):
        with tracer.start_as_current_span("charge") as span:
            try:
                return gateway.charge(order.total)
            except ConnectionError:
                log.warning("gateway down, charge queued", exc_info=True)
                return None
    ```

    Use instead:
    ```python
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode

    tracer = trace.get_tracer(__name__)

    def charge(order):
        with tracer.start_as_current_span("charge") as span:
            try:
                return gateway.charge(order.total)
            except ConnectionError as err:
                span.record_exception(err)
                span.set_status(Status(StatusCode.ERROR, "gateway down"))
                log.warning("gateway down, charge queued", exc_info=True)
                return None
    ```

    ## Why no fix
    No fix is offered. The repair needs a bound exception name (`as err`), a name for the span
    (a decorator or `with ... :` without `as` has none), the `Status`/`StatusCode` imports and a
    status description only the author can write; and whether the fallback is a failure at all
    (an error status counts against the service's error rate) is the author's call.

    ## References
    - [OpenTelemetry: Recording errors](https://opentelemetry.io/docs/specs/semconv/general/recording-errors/)
    - [OpenTelemetry Python: Record exceptions in spans](https://opentelemetry.io/docs/languages/python/instrumentation/#record-exceptions-in-spans)
    - [OpenTelemetry trace API: Set status](https://opentelemetry.io/docs/specs/otel/trace/api/#set-status)
    """

    CODE: ClassVar[str] = "XH504"
    PREVIEW: ClassVar[bool] = True  # new rule: promoted only by the blind measurement
    NAME: ClassVar[str] = "error-hidden-from-trace"
    MESSAGE: ClassVar[str] = (
        "`{label}` {action} inside {span} without `record_exception()` or"
        " `set_status(StatusCode.ERROR)`: the trace will show the failed operation as a success"
    )
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (
        r"\bstart_as_current_span\b",
        r"\bstart_span\b",
        r"\buse_span\b",
        r"\b(?:get_)?current_span\b",
        r"span\w*\s*\(",  # a project's span helper: `with _make_trigger_span(ti) as span:`
    )
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts", "module-facts")

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            from opentelemetry.trace import Status, StatusCode

            def charge(order):
                with tracer.start_as_current_span("charge") as span:
                    try:
                        return gateway.charge(order.total)
                    except ConnectionError as err:
                        span.record_exception(err)
                        span.set_status(Status(StatusCode.ERROR, "gateway down"))
                        return None
            """
        ),
        # The exception leaves the block: the span records it (SDK defaults).
        Valid(
            """
            def charge(order):
                with tracer.start_as_current_span("charge"):
                    try:
                        return gateway.charge(order.total)
                    except ConnectionError as err:
                        raise PaymentFailed(order.id) from err
            """
        ),
        # A lookup with a default is an expected outcome, not a failed operation.
        Valid(
            """
            @tracer.start_as_current_span("price")
            def price(sku):
                try:
                    return CACHE[sku]
                except KeyError:
                    return DEFAULT_PRICE
            """
        ),
        # The handler is outside the span: the exception left the block and was recorded.
        Valid(
            """
            def charge(order):
                try:
                    with tracer.start_as_current_span("charge"):
                        return gateway.charge(order.total)
                except ConnectionError:
                    return None
            """
        ),
        # A helper that receives the span records the error.
        Valid(
            """
            from opentelemetry import trace

            def handle(request):
                span = trace.get_current_span()
                try:
                    return process(request)
                except Exception as exc:
                    _mark_failed(span, exc)
                    return ERROR_RESPONSE
            """
        ),
        # The nested function's handler is not in the span's function.
        Valid(
            """
            def schedule(job):
                with tracer.start_as_current_span("schedule"):
                    def later():
                        try:
                            job.run()
                        except Exception:
                            pass
                    queue.put(later)
            """
        ),
        # Without an `opentelemetry` import, `start_span` may be Sentry's or OpenTracing's.
        Valid(
            """
            import sentry_sdk

            def charge(order):
                with sentry_sdk.start_span(op="charge"):
                    try:
                        return gateway.charge(order.total)
                    except Exception:
                        return None
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def charge(order):
                with tracer.start_as_current_span("charge") as span:
                    try:
                        return gateway.charge(order.total)
                    except ConnectionError:
                        log.warning("gateway down, charge queued", exc_info=True)
                        return None
            """,
            expected_message=(
                '`except ConnectionError:` returns `None` inside span "charge" without'
                " `record_exception()` or `set_status(StatusCode.ERROR)`: the trace will show the"
                " failed operation as a success"
            ),
            line=5,
            column=9,
        ),
        Invalid(
            """
            @tracer.start_as_current_span("sync-inventory")
            async def sync(items):
                for item in items:
                    try:
                        await push(item)
                    except Exception:
                        pass
            """,
            expected_message=(
                '`except Exception:` swallows the exception inside span "sync-inventory" without'
                " `record_exception()` or `set_status(StatusCode.ERROR)`: the trace will show the"
                " failed operation as a success"
            ),
            line=6,
            column=9,
        ),
        Invalid(
            """
            from opentelemetry import trace

            def handle(request):
                span = trace.get_current_span()
                try:
                    return process(request)
                except* (OSError, ValueError) as group:
                    log.exception("request failed")
            """,
            expected_message=(
                "`except* (OSError, ValueError):` only logs the exception inside the current span"
                " (`span = trace.get_current_span()`) without `record_exception()` or"
                " `set_status(StatusCode.ERROR)`: the trace will show the failed operation as a success"
            ),
            line=7,
            column=5,
        ),
        Invalid(
            """
            from opentelemetry import trace

            async def consume(message, span):
                async with tracer.start_as_current_span(f"{message.topic} process", kind=CONSUMER):
                    try:
                        await handler(message)
                    except:
                        message.nack()
            """,
            expected_message=(
                '`except:` carries on inside the span named `f"{message.topic} process"` without'
                " `record_exception()` or `set_status(StatusCode.ERROR)`: the trace will show the"
                " failed operation as a success"
            ),
        ),
        Invalid(
            """
            from opentelemetry import trace

            def export(batch):
                with trace.use_span(batch.span, end_on_exit=True):
                    try:
                        client.send(batch)
                    except TimeoutError:
                        return False
            """,
            expected_message=(
                "`except TimeoutError:` returns `False` inside the span `batch.span` without"
                " `record_exception()` or `set_status(StatusCode.ERROR)`: the trace will show the"
                " failed operation as a success"
            ),
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where there is a handler and a span it may run in: a `with` of a span starter,
        activator or span helper (`with _make_span(...)`), a function decorated with
        `@<x>.start_as_current_span(...)`, or a span got or started by an assignment (by the
        callee's last name segment, as the rule matches them)."""
        has_handler = has_span = False
        for stmt in region.statements():
            if isinstance(stmt, TRIES) and stmt.handlers:
                has_handler = True
            elif not has_span:
                has_span = _ast_span_source(stmt)
            if has_handler and has_span:
                return True
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        span = self._active_span(handler)
        if span is None:
            return
        facts = self.context.handler_facts(handler)
        if facts.reraises:
            return  # the exception leaves the block: the span records it
        if not (facts.catches_broad or any(self._is_failure(t) for t in facts.types)):
            return  # an expected outcome (lookup, conversion) or a user error, not a failed operation
        if self._records(handler, facts, span):
            return
        statement = self.context.parent
        work = TelemetryWork(self.context, span.var)
        if isinstance(statement, (cst.Try, cst.TryStar)) and (
            work.guards(statement.body) or work.feeds(handler, statement)
        ):
            return  # the failure is the instrumentation's own (an attribute, a hook), not the operation's
        if isinstance(statement, (cst.Try, cst.TryStar)) and only_looks_up(statement.body):
            return  # `try: n = len(step.get("output", []))`: a lookup, even when caught broadly
        if statement is not None and (raises_after(self.context, statement) or self._sets_status_after(statement)):
            return
        if in_test_code(self.context) or deliberate_fallback_scope(self.context):
            return
        self.report(
            handler,
            end=handler_header_end(handler),
            label=caught_label(handler),
            action=_action(handler, facts),
            span=span.label,
        )

    # -- where the active span comes from ------------------------------------------------

    def _otel_module(self) -> bool:
        return any(otel.is_otel_name(q) for q in self.context.module_facts.imports.values())

    def _callee(self, expr: cst.BaseExpression, names: frozenset[str]) -> Optional[cst.Call]:
        """`expr` as a call of one of `names` (by last segment), when OpenTelemetry's here."""
        if not isinstance(expr, cst.Call):
            return None
        name = last_segment(expr.func) or ""
        if name not in names:
            return None
        qualified = self.context.qualify(expr.func) or ""
        if name in otel.REQUIRES_IMPORT and not (otel.is_otel_name(qualified) or self._otel_module()):
            return None
        return expr

    def _active_span(self, handler: Handler) -> Optional[ActiveSpan]:
        ancestors = self.context.ancestors
        for node in reversed(ancestors[:-1]):
            if isinstance(node, cst.With):
                for item in node.items:
                    span = self._with_span(item)
                    if span is not None:
                        return span
            elif isinstance(node, cst.FunctionDef):
                for decorator in node.decorators:
                    call = self._callee(decorator.decorator, otel.CURRENT_SPAN_STARTERS)
                    if call is not None:
                        return ActiveSpan(_span_name(call), None)
                return self._assigned_span(node, handler)
            elif isinstance(node, (cst.Lambda, cst.ClassDef)):
                return None
        return None

    def _with_span(self, item: cst.WithItem) -> Optional[ActiveSpan]:
        var = None
        if item.asname is not None and isinstance(item.asname.name, cst.Name):
            var = item.asname.name.value
        call = self._callee(item.item, otel.SPAN_STARTERS)
        if call is not None:
            return ActiveSpan(_span_name(call, var), var)
        call = self._callee(item.item, otel.SPAN_ACTIVATORS)
        if call is not None and call.args:
            target = call.args[0].value
            return ActiveSpan(f"the span `{code_of(target)}`", var or name_of(target))
        if isinstance(item.item, cst.Call) and self._otel_module() and otel.names_a_span(last_segment(item.item.func) or ""):
            # `with _make_trigger_span(ti) as span:` in a module that imports OpenTelemetry
            label = f"the span `{var}`" if var else f"the span of `{code_of(item.item.func)}(...)`"
            return ActiveSpan(f"{label} (from `{code_of(item.item.func)}(...)`)" if var else label, var)
        return None

    def _assigned_span(self, function: cst.FunctionDef, handler: Handler) -> Optional[ActiveSpan]:
        """`span = trace.get_current_span()` or `span = tracer.start_span(...)` before the `try`.

        Only statements that run before the `try` on every path count: the ones before it in its
        block and in each enclosing block up to the function (not inside an earlier branch, and
        not in the `try` body itself, whose failure may be the span's own creation). A function
        that returns the span it started is a span factory: its steps are not the span's work.
        """
        ancestors = self.context.ancestors
        index = max(i for i, node in enumerate(ancestors) if node is function)
        path = ancestors[index + 1 :]
        returned = {name_of(n.value) for n in iter_scope(function.body) if isinstance(n, cst.Return) and n.value is not None}
        for depth in range(len(path) - 2, -1, -1):
            block, child = path[depth], path[depth + 1]
            if not isinstance(block, cst.IndentedBlock):
                continue
            for statement in reversed(block.body[: position(block.body, child)]):
                span = self._span_assignment(statement)
                if span is not None:
                    # `span = tracer.start_span(name); ...; return span`: a factory, whose own
                    # steps are not the operation the span times
                    return None if span.var in returned else span
        return None

    def _span_assignment(self, statement: cst.BaseStatement) -> Optional[ActiveSpan]:
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        for small in statement.body:
            if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                continue
            var = name_of(small.targets[0].target)
            if var is None:
                continue
            if self._callee(small.value, otel.CURRENT_SPAN_GETTERS) is not None:
                return ActiveSpan(f"the current span (`{var} = {code_of(small.value)}`)", var)
            call = self._callee(small.value, otel.SPAN_STARTERS)
            if call is not None:
                return ActiveSpan(_span_name(call, var), var)
        return None

    # -- what the handler does -------------------------------------------------------------

    def _records(self, handler: Handler, facts: HandlerFacts, span: ActiveSpan) -> bool:
        """The handler puts the failure on a span, or hands the span or the exception on."""
        passed = {n for n in (span.var, facts.name) if n is not None}
        for call in facts.calls:
            method = last_segment(call.func) or ""
            if method in otel.ERROR_RECORDING_METHODS:
                return True
            if method in otel.SPAN_DATA_METHODS and isinstance(call.func, cst.Attribute):
                receiver = call.func.value
                if name_of(receiver) == span.var or "span" in tokenize(last_segment(receiver) or ""):
                    return True
            if self.context.log_call(call) is not None:
                continue
            if isinstance(call.func, cst.Name) and call.func.value in BUILTINS:
                continue  # `str(err)`, `type(err)`: the exception becomes text, not a record
            if any(name_of(arg.value) in passed for arg in call.args):
                return True
        return False

    def _sets_status_after(self, statement: cst.CSTNode) -> bool:
        """A deferred record: after the `try`, outside any handler, the function records an error.

        `try: ... except Exception as exc: error = exc` then `if error: span.record_exception(error)`
        or `span.set_status(Status(StatusCode.ERROR, ...))`. A `set_status` in another handler or
        a `set_status(StatusCode.OK)` is not one.
        """
        ancestors = self.context.ancestors
        index = max((i for i, node in enumerate(ancestors) if node is statement), default=-1)
        child: cst.CSTNode = statement
        for node in reversed(ancestors[:index]):
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return False
            if isinstance(node, (cst.IndentedBlock, cst.Module)):
                for later in node.body[position(node.body, child) + 1 :]:
                    if any(records_error(call) for call in calls_outside_handlers(later)):
                        return True
            child = node
        return False

    def _is_failure(self, caught: CaughtType) -> bool:
        """An exception type meaning "the operation did not happen" (I/O, network, database)."""
        name = caught.qualified or caught.name
        if not name:
            return False
        value = getattr(builtins, name, None) if "." not in name else None
        if isinstance(value, type) and issubclass(value, _LOOKUP_OS_ERRORS):
            return False
        if isinstance(value, type) and issubclass(value, OSError):
            return True
        return classify(caught.name, caught.qualified, self.context.config) is Kind.INFRASTRUCTURE


# OSError subclasses that answer a question about the world rather than report a failure.
_LOOKUP_OS_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, ProcessLookupError)
def _span_name(call: cst.Call, var: Optional[str] = None) -> str:
    """How the message names the span: `span "checkout"`, the span named `span_name`, ...

    OpenTelemetry's starters take the span's name first; a wrapper with the same method name
    (`function_tracer.start_as_current_span(tracer, fn)`) may not, so only a string or an
    expression that reads like a name (`span_name`, `SPAN_NAME`, `f"{op} send"`) is shown as one.
    """
    args = [a for a in call.args if a.keyword is None or a.keyword.value == "name"]
    value = args[0].value if args else None
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        if isinstance(text, str):
            return f'span "{text}"'
    if isinstance(value, (cst.FormattedString, cst.ConcatenatedString, cst.BinaryOperation)) or (
        value is not None and "name" in (t.lower() for t in tokenize(last_segment(value) or ""))
    ):
        return f"the span named `{code_of(value)}`"
    if var is not None:
        return f"the span `{var}`"
    return f"the span of `{code_of(call.func)}(...)`"


def _action(handler: Handler, facts: HandlerFacts) -> str:
    """What the handler does instead of recording the failure, for the message."""
    for ret in facts.returns:
        if ret.value is not None:
            return f"returns `{code_of(ret.value, 30)}`"
    if facts.discards:
        return "swallows the exception"
    smalls = [small for line in statements(handler.body) if isinstance(line, cst.SimpleStatementLine) for small in line.body]
    compound = any(not isinstance(line, cst.SimpleStatementLine) for line in statements(handler.body))
    logs = {id(c.node) for c in facts.log_calls}
    only_logs = not compound and all(
        isinstance(small, cst.Pass)
        or (isinstance(small, cst.Expr) and _unawaited(small.value) is not None and id(_unawaited(small.value)) in logs)
        for small in smalls
    )
    if facts.log_calls and only_logs:
        return "only logs the exception"
    if facts.returns:
        return "logs the exception and returns" if facts.log_calls else "returns"
    return "logs the exception and carries on" if facts.log_calls else "carries on"


_AST_WITH_SPANS = otel.SPAN_STARTERS | otel.SPAN_ACTIVATORS
_AST_ASSIGNED_SPANS = otel.CURRENT_SPAN_GETTERS | otel.SPAN_STARTERS


def _ast_span_source(stmt: ast.stmt) -> bool:
    """`stmt` may start the span a handler runs in (`_active_span` on CPython's tree, by name only)."""
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call):
                name = call_name(expr) or ""
                if name in _AST_WITH_SPANS or otel.names_a_span(name):
                    return True
        return False
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return any(
            isinstance(d, ast.Call) and call_name(d) in otel.CURRENT_SPAN_STARTERS for d in stmt.decorator_list
        )
    if isinstance(stmt, ast.Assign):
        value = stmt.value
        return isinstance(value, ast.Call) and call_name(value) in _AST_ASSIGNED_SPANS
    return False


def _unawaited(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    return expr.expression if isinstance(expr, cst.Await) else expr

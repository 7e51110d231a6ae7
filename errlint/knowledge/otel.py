"""OpenTelemetry's tracing vocabulary as plain data: how code starts, activates and finds a span,
which span methods record data or an error, and the names of the status API.

Used by XH504 (error-hidden-from-trace: a handler inside an active span that hides a failure)
and by the privacy sinks of `errlint.sensitive` (span attributes and events are XH401 sinks).
Names are matched on the last segment of the callee (`tracer.start_as_current_span`,
`self._tracer.start_span`, `trace.get_current_span`) and, where the method name is common
outside OpenTelemetry, only in modules that import `opentelemetry` (`requires_import`).

Sources: the OpenTelemetry Python API (`opentelemetry.trace`: `Tracer.start_as_current_span`,
`Tracer.start_span`, `use_span`, `get_current_span`, `Span.record_exception`, `Span.set_status`,
`Status`, `StatusCode`) and its SDK (`opentelemetry.sdk.trace`: `Span.__exit__` and
`start_as_current_span(record_exception=True, set_status_on_exception=True)` record an exception
that propagates out of the block and set the status to ERROR).
"""

from __future__ import annotations

# The top-level package of the OpenTelemetry API and SDK.
OTEL_PACKAGE = "opentelemetry"

# `with tracer.start_as_current_span(name) as span:` and `@tracer.start_as_current_span(name)`:
# the span is current for the block (or the decorated function) and, by default, records an
# exception that propagates out of it and sets its status to ERROR.
CURRENT_SPAN_STARTERS: frozenset[str] = frozenset({"start_as_current_span"})

# `span = tracer.start_span(name)` (or `with tracer.start_span(name) as span:`): a span that is not
# made current; the `with` form records a propagating exception like the current-span form.
SPAN_STARTERS: frozenset[str] = frozenset({"start_span"}) | CURRENT_SPAN_STARTERS

# `with trace.use_span(span, end_on_exit=True):` makes an existing span current for the block
# (and records a propagating exception, `record_exception=True, set_status_on_exception=True`).
SPAN_ACTIVATORS: frozenset[str] = frozenset({"use_span"})

# `span = trace.get_current_span()`: the span the caller made current.
CURRENT_SPAN_GETTERS: frozenset[str] = frozenset({"get_current_span", "current_span"})

# Callees that return a span object (for receivers such as `trace.get_current_span().set_attribute`).
SPAN_FACTORIES: frozenset[str] = SPAN_STARTERS | CURRENT_SPAN_GETTERS

# Method names that are OpenTelemetry's only in a module that imports `opentelemetry`: Sentry,
# OpenTracing and ddtrace also have `start_span`; `start_as_current_span` is OpenTelemetry's own.
REQUIRES_IMPORT: frozenset[str] = frozenset({"start_span", "use_span", "get_current_span", "current_span"})

# Keyword arguments of the span starters that turn the automatic recording of a propagating
# exception off (`record_exception=False`, `set_status_on_exception=False`).
AUTO_RECORDING_KEYWORDS: tuple[str, ...] = ("record_exception", "set_status_on_exception")

# Span methods whose arguments become span data (attributes, events): privacy sinks (XH401).
SPAN_DATA_METHODS: frozenset[str] = frozenset({"set_attribute", "set_attributes", "add_event", "record_exception"})

# Span methods that put a failure on the trace: the exception as an event, the status as ERROR.
ERROR_RECORDING_METHODS: frozenset[str] = frozenset({"record_exception", "set_status"})

# The status API, as written in messages and docs.
STATUS_CLASS = "Status"
STATUS_CODE_CLASS = "StatusCode"
STATUS_ERROR = "StatusCode.ERROR"


# A project's own span helper (`_make_trigger_span(ti)`, `self._start_span(name)`) is named for the
# span it starts: in a module that imports `opentelemetry`, `with <helper>(...)` whose name has one
# of these words starts a span (OpenTelemetry's own context managers record a propagating error).
SPAN_HELPER_WORDS: frozenset[str] = frozenset({"span"})
# ... unless the name says it does something else with a span (`get_span_context`, `end_span`).
NOT_SPAN_HELPER_WORDS: frozenset[str] = frozenset({"context", "end", "get", "set", "is", "has", "current", "detail", "level"})


def names_a_span(function_name: str) -> bool:
    """Whether a function name reads like a span context manager (`_make_trigger_span`)."""
    words = {w.lower() for w in function_name.replace("__", "_").split("_") if w}
    return bool(words & SPAN_HELPER_WORDS) and not words & NOT_SPAN_HELPER_WORDS


def is_otel_name(qualified: str) -> bool:
    """Whether a qualified name (through imports) belongs to the OpenTelemetry packages."""
    return qualified == OTEL_PACKAGE or qualified.startswith(OTEL_PACKAGE + ".")

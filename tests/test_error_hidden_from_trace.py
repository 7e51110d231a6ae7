"""XH504 error-hidden-from-trace: which spans are active, which handlers hide a failure, and the
exact messages (positions, span names) on the shapes real OpenTelemetry code takes."""

from __future__ import annotations

import textwrap

import pytest

from errlint.config import Config
from errlint.knowledge import otel
from errlint.rule import rule_by_code

from conftest import lint_snippet

SUFFIX = " without `record_exception()` or `set_status(StatusCode.ERROR)`: the trace will show the failed operation as a success"


def run(code: str, path: str = "app/orders.py") -> list[tuple[int, int, str]]:
    cls = rule_by_code("XH504")
    assert cls is not None
    result = lint_snippet(textwrap.dedent(code).lstrip("\n"), [cls], path=path, config=Config(preview=True))
    assert not result.crashes, result.crashes[0].traceback
    return [(f.line, f.column, f.message) for f in result.findings]


def test_with_span_swallow_is_reported_with_the_span_name_and_header_range() -> None:
    code = """
        from opentelemetry import trace

        tracer = trace.get_tracer(__name__)

        def charge(order):
            with tracer.start_as_current_span("charge") as span:
                try:
                    gateway.charge(order)
                except (ConnectionError, TimeoutError) as err:
                    pass
    """
    cls = rule_by_code("XH504")
    assert cls is not None
    result = lint_snippet(textwrap.dedent(code).lstrip("\n"), [cls], path="app/orders.py", config=Config(preview=True))
    [finding] = result.findings
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (9, 9, 9, 54)
    assert finding.message == '`except (ConnectionError, TimeoutError):` swallows the exception inside span "charge"' + SUFFIX
    assert finding.severity.value == "warning"


def test_start_span_needs_an_opentelemetry_import() -> None:
    """`start_span` is also Sentry's and OpenTracing's: only an OpenTelemetry module counts."""
    body = """
        def charge(order):
            with tracer.start_span("charge") as span:
                try:
                    gateway.charge(order)
                except Exception:
                    return None
    """
    assert run(body) == []
    assert run("from opentelemetry import trace\n" + textwrap.dedent(body)) == [
        (7, 9, '`except Exception:` returns `None` inside span "charge"' + SUFFIX),
    ]


def test_span_name_labels() -> None:
    """A literal is quoted, a name-like expression is shown as the name, anything else by the span."""
    code = """
        from opentelemetry import trace

        def a(op):
            with tracer.start_as_current_span(f"{op} send"):
                try:
                    send()
                except OSError:
                    pass

        def b(request):
            with tracer.start_as_current_span(SPAN_NAME, kind=SERVER):
                try:
                    send()
                except OSError:
                    pass

        def c(fn):
            with function_tracer.start_as_current_span(tracer, fn) as current_span:
                try:
                    send()
                except OSError:
                    pass

        def d(ti):
            with _make_trigger_span(ti) as span:
                try:
                    send()
                except OSError:
                    pass
    """
    assert [m for _, _, m in run(code)] == [
        '`except OSError:` swallows the exception inside the span named `f"{op} send"`' + SUFFIX,
        "`except OSError:` swallows the exception inside the span named `SPAN_NAME`" + SUFFIX,
        "`except OSError:` swallows the exception inside the span `current_span`" + SUFFIX,
        "`except OSError:` swallows the exception inside the span `span` (from `_make_trigger_span(...)`)" + SUFFIX,
    ]


def test_assigned_span_must_precede_the_try_on_every_path() -> None:
    """The span's own creation inside the `try`, or a span made in an earlier branch, is not active."""
    code = """
        from opentelemetry import trace

        def start(name):
            try:
                span = tracer.start_span(name)
                return Wrapper(span)
            except Exception:
                return NOOP

        def branch(flag):
            if flag:
                span = tracer.start_span("x")
            try:
                send()
            except Exception:
                return None

        def factory(name):
            span = tracer.start_span(name)
            try:
                span.set_attribute("task", current_task_name())
            except RuntimeError:
                pass
            return span

        def active(request):
            span = trace.get_current_span()
            if request.ok:
                try:
                    send()
                except Exception:
                    return None
    """
    assert run(code) == [
        (31, 9, "`except Exception:` returns `None` inside the current span (`span = trace.get_current_span()`)" + SUFFIX),
    ]


def test_recording_and_propagating_handlers_are_quiet() -> None:
    code = """
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode

        def a():
            with tracer.start_as_current_span("a") as span:
                try:
                    send()
                except Exception as exc:
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                    return None

        def b():
            with tracer.start_as_current_span("b") as span:
                try:
                    send()
                except Exception as exc:
                    handle_exception(span, exc)
                    return None

        def c():
            with tracer.start_as_current_span("c") as span:
                try:
                    send()
                except Exception as exc:
                    future.set_exception(exc)

        def d():
            with tracer.start_as_current_span("d") as span:
                try:
                    send()
                except Exception:
                    if retryable():
                        raise
                    return None

        def e():
            with tracer.start_as_current_span("e") as span:
                try:
                    send()
                except Exception:
                    span.set_attribute("error.type", "send")
    """
    assert run(code) == []


def test_deferred_status_counts_only_when_it_is_an_error_outside_other_handlers() -> None:
    code = """
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode

        def deferred():
            with tracer.start_as_current_span("deferred") as span:
                failed = False
                try:
                    send()
                except Exception:
                    failed = True
                if failed:
                    span.set_status(Status(StatusCode.ERROR))

        def ok_status_later():
            with tracer.start_as_current_span("ok") as span:
                try:
                    send()
                except Exception:
                    logger.warning("send failed", exc_info=True)
                span.set_status(Status(StatusCode.OK))

        def error_in_another_handler():
            with tracer.start_as_current_span("other") as span:
                try:
                    send()
                except OSError:
                    logger.warning("send failed", exc_info=True)
                try:
                    receive()
                except Exception as exc:
                    span.set_status(Status(StatusCode.ERROR))
                    return None
    """
    assert [(line, message) for line, _, message in run(code)] == [
        (18, '`except Exception:` only logs the exception inside span "ok"' + SUFFIX),
        (26, '`except OSError:` only logs the exception inside span "other"' + SUFFIX),
    ]


def test_instrumentation_own_work_is_not_the_operation() -> None:
    """Enriching the span, calling a hook with it, metrics, a placeholder for span data, a lookup."""
    code = """
        from opentelemetry import trace

        def traced(wrapped, args, kwargs, hook):
            with tracer.start_as_current_span("op") as span:
                try:
                    if span.is_recording():
                        attrs = _get_attributes(args)
                        _set_db_statement(attrs, args[0])
                        span.set_attributes(attrs)
                except Exception:
                    logger.debug("could not set attributes")
                try:
                    hook(span, args)
                except Exception:
                    logger.exception("hook failed")
                try:
                    payload = serialize(kwargs)
                except Exception:
                    payload = "<not serializable>"
                span.set_attribute("input", payload)
                try:
                    count = len(kwargs.get("items", []))
                except Exception:
                    count = 0
                return wrapped(*args, count=count)
    """
    assert run(code) == []


def test_narrow_user_errors_and_lookups_are_expected_outcomes() -> None:
    code = """
        from opentelemetry import trace

        @tracer.start_as_current_span("parse")
        def parse(raw):
            try:
                return int(raw)
            except ValueError:
                return None

        @tracer.start_as_current_span("fetch")
        def fetch(url):
            try:
                return client.get(url)
            except httpx.TransportError:
                return None
    """
    assert run(code) == [
        (14, 5, '`except httpx.TransportError:` returns `None` inside span "fetch"' + SUFFIX),
    ]


@pytest.mark.parametrize("path", ["tests/test_orders.py", "app/orders.py"])
def test_test_code_is_silent(path: str) -> None:
    code = """
        from opentelemetry import trace

        def test_charge():
            with tracer.start_as_current_span("test"):
                try:
                    charge()
                except Exception:
                    pass
    """
    assert run(code, path=path) == []


def test_span_helper_names() -> None:
    assert otel.names_a_span("_make_trigger_span")
    assert otel.names_a_span("start_span")
    assert not otel.names_a_span("get_span_context")
    assert not otel.names_a_span("end_span")
    assert not otel.names_a_span("lifespan")

"""Stand-ins for what the example shop runs on: Flask, requests, PyJWT, the OpenTelemetry
auto-instrumentation, and the payment provider (another company's service, simulated).

`make_trace.py` runs the shop's real code on these. In the trace they are recorded as installed
packages (`/srv/shop/.venv/lib/python3.12/site-packages/standins.py`), which is what they stand
for: `errlint review --trace` lists their frames as outside the repository.
"""

from __future__ import annotations

import functools
import types
from typing import Any, Callable

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import SpanKind, Status, StatusCode

CLOCK = [1_767_225_600_000_000_000]  # 2026-01-01T00:00:00Z, in ns


def tick(ms: float) -> None:
    CLOCK[0] += int(ms * 1_000_000)


class FixedIds(IdGenerator):
    def __init__(self) -> None:
        self.spans = self.traces = 0

    def generate_span_id(self) -> int:
        self.spans += 1
        return 0x5B0B_0000_0000_0000 + self.spans

    def generate_trace_id(self) -> int:
        self.traces += 1
        return 0x0A11_CE00_0000_0000_0000_0000_0000_0000 + self.traces


EXPORTER = InMemorySpanExporter()
IDS = FixedIds()


def provider(service: str) -> trace.Tracer:
    # Resource(...) rather than Resource.create(): no detector adds a random instance id or the SDK version.
    tp = TracerProvider(resource=Resource({"service.name": service, "deployment.environment": "prod"}), id_generator=IDS)
    tp.add_span_processor(SimpleSpanProcessor(EXPORTER))
    return tp.get_tracer("shop-instrumentation")


SHOP = provider("shop")
PROVIDER = provider("payments-provider")


# --- stand-ins for Flask, requests and PyJWT --------------------------------------------------


class Response:
    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code, self._body = status_code, body

    def json(self) -> dict[str, Any]:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} Server Error for url: /v1/charges", response=self)


class HTTPError(Exception):
    __module__ = "requests.exceptions"  # what it stands for: the trace records requests.exceptions.HTTPError

    def __init__(self, message: str, response: Response) -> None:
        super().__init__(message)
        self.response = response


def post(url: str, json: Any = None, timeout: Any = None) -> Response:
    """requests.post, instrumented: a client span, and the provider's server span under it."""
    with SHOP.start_as_current_span("POST", kind=SpanKind.CLIENT, start_time=CLOCK[0], end_on_exit=False) as span:
        span.set_attributes({"http.request.method": "POST", "url.full": url, "server.address": "payments.example.com"})
        tick(2)
        response = provider_charges(json or {})
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=CLOCK[0])
        return response


PROVIDER_STACK = """\
Traceback (most recent call last):
  File "/app/payments/api/charges.py", line 41, in create_charge
    ledger.reserve(charge)
  File "/app/payments/ledger.py", line 88, in reserve
    with pool.connection(timeout=1.5) as conn:
  File "/app/.venv/lib/python3.12/site-packages/psycopg_pool/pool.py", line 170, in connection
    raise PoolTimeout(f"couldn't get a connection after {timeout:.2f} sec")
psycopg_pool.PoolTimeout: couldn't get a connection after 1.50 sec
"""


def provider_charges(body: dict[str, Any]) -> Response:
    """The payment provider (another company's service): its database pool is exhausted."""
    with PROVIDER.start_as_current_span("POST /v1/charges", kind=SpanKind.SERVER, start_time=CLOCK[0], end_on_exit=False) as span:
        span.set_attributes({"http.route": "/v1/charges", "http.request.method": "POST"})
        tick(1500)
        span.add_event("exception", {"exception.type": "psycopg_pool.PoolTimeout",
                                     "exception.message": "couldn't get a connection after 1.50 sec",
                                     "exception.stacktrace": PROVIDER_STACK}, timestamp=CLOCK[0])  # fmt: skip
        span.set_attribute("http.response.status_code", 503)
        span.set_status(Status(StatusCode.ERROR, "database unavailable"))
        tick(3)
        span.end(end_time=CLOCK[0])
        return Response(503, {"error": "database unavailable"})


class Flask:
    def __init__(self, name: str) -> None:
        self.name = name

    def post(self, rule: str) -> Callable[[Any], Any]:
        return lambda view: view

    get = post


class Request:
    payload: dict[str, Any] = {}

    def get_json(self) -> dict[str, Any]:
        return self.payload


requests = types.ModuleType("requests")
requests.post = post  # type: ignore[attr-defined]
requests.get = post  # type: ignore[attr-defined]
requests.HTTPError = HTTPError  # type: ignore[attr-defined]
requests.ConnectionError = ConnectionError  # type: ignore[attr-defined]
requests.Timeout = TimeoutError  # type: ignore[attr-defined]
flask = types.ModuleType("flask")
flask.Flask = Flask  # type: ignore[attr-defined]
flask.jsonify = lambda body: body  # type: ignore[attr-defined]
flask.request = Request()  # type: ignore[attr-defined]
jwt = types.ModuleType("jwt")
jwt.InvalidTokenError = ValueError  # type: ignore[attr-defined]


# --- instrumentation of the shop's code ----------------------------------------------------------


def traced(name: str, kind: SpanKind = SpanKind.INTERNAL, **attributes: Any) -> Callable[[Any], Any]:
    def wrap(function: Any) -> Any:
        code = function.__code__

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            attrs = {"code.filepath": code.co_filename, "code.lineno": code.co_firstlineno,
                     "code.function": function.__qualname__, "code.namespace": function.__module__, **attributes}  # fmt: skip
            with SHOP.start_as_current_span(name, kind=kind, start_time=CLOCK[0], attributes=attrs, end_on_exit=False,
                                            record_exception=False, set_status_on_exception=False) as span:  # fmt: skip
                try:
                    result = function(*args, **kwargs)
                except Exception as err:
                    span.record_exception(err, timestamp=CLOCK[0])
                    span.set_status(Status(StatusCode.ERROR, str(err)))
                    span.end(end_time=CLOCK[0])
                    raise
                if kind is SpanKind.SERVER and isinstance(result, tuple):
                    span.set_attribute("http.response.status_code", result[1])
                    if result[1] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                tick(1)
                span.end(end_time=CLOCK[0])
                return result

        return run

    return wrap

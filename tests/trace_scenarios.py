"""Helpers (no tests) for tests/test_review_trace*.py: a small multi-service project whose code is
run under the real OpenTelemetry SDK, and its spans exported as OTLP JSON (through the SDK's own
protobuf encoder, `encode_spans`, then `MessageToDict` with ids turned to hex as OTLP/JSON wants)
or as Jaeger JSON.

Three scenarios, one trace each: an outage (the payments service refuses connections; orders
retries three times, converts the error, the storefront answers 503), a timeout (inventory's
database is slow; orders gives up after 2 s) and a partial failure (one of three notifications
fails and orders swallows it: the trace's root says OK). Ids and times are deterministic.
"""

from __future__ import annotations

import base64
import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator, Sequence

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z in ns

FILES = {
    "tracing.py": '''\
        """Spans with code.* attributes on a fake clock (the scenario's instrumentation)."""
        import sys
        from contextlib import contextmanager

        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        CLOCK = [0]
        PROVIDERS = {}


        def tick(ms):
            CLOCK[0] += int(ms * 1_000_000)


        @contextmanager
        def span(service, name, kind=SpanKind.INTERNAL, **attributes):
            caller = sys._getframe(2)
            attributes.update({
                "code.filepath": caller.f_code.co_filename,
                "code.lineno": caller.f_code.co_firstlineno,
                "code.function": caller.f_code.co_name,
            })
            tracer = PROVIDERS[service].get_tracer("scenario")
            current = tracer.start_span(name, kind=kind, attributes=attributes, start_time=CLOCK[0])
            with trace.use_span(current, end_on_exit=False, record_exception=False, set_status_on_exception=False):
                try:
                    yield current
                except Exception as err:
                    current.record_exception(err, timestamp=CLOCK[0])
                    current.set_status(Status(StatusCode.ERROR, str(err)))
                    raise
                finally:
                    current.end(end_time=CLOCK[0])
        ''',
    "payments/gateway.py": '''\
        from tracing import span, tick
        from opentelemetry.trace import SpanKind


        def charge(order_id, amount):
            with span("orders", "POST payments/charges", SpanKind.CLIENT, **{"server.address": "payments.internal"}):
                tick(30)
                raise ConnectionRefusedError(f"payments.internal:443 refused the connection (order {order_id})")
        ''',
    "inventory/stock.py": '''\
        from tracing import span, tick
        from opentelemetry.trace import SpanKind


        def lookup(sku):
            with span("inventory", "GET /stock/{sku}", SpanKind.SERVER, **{"http.route": "/stock/{sku}"}):
                with span("inventory", "SELECT stock", SpanKind.CLIENT, **{"db.system": "postgresql"}):
                    tick(2480)
                tick(20)
                return 3
        ''',
    "notify/mailer.py": '''\
        import smtplib

        from tracing import span, tick
        from opentelemetry.trace import SpanKind


        def send(address, text):
            with span("notify", "smtp send", SpanKind.CLIENT):
                tick(40)
                if address.startswith("bounce"):
                    raise smtplib.SMTPRecipientsRefused({address: (550, b"mailbox unavailable")})
        ''',
    "orders/service.py": '''\
        import logging

        from inventory import stock
        from notify import mailer
        from payments import gateway
        from tracing import span, tick
        from opentelemetry.trace import SpanKind

        log = logging.getLogger(__name__)


        class PaymentUnavailable(Exception):
            pass


        def create(order_id, amount):
            with span("orders", "orders.create"):
                tick(5)
                for attempt in range(3):
                    try:
                        return gateway.charge(order_id, amount)
                    except ConnectionError:
                        continue
                raise PaymentUnavailable("payments are unavailable")


        def availability(sku):
            with span("orders", "orders.availability"):
                with span("orders", "cache.get", SpanKind.CLIENT):
                    tick(4)
                with span("orders", "GET inventory/stock", SpanKind.CLIENT, **{"server.address": "inventory.internal"}):
                    tick(1)
                    stock.lookup(sku)
                    raise TimeoutError("inventory.internal did not answer within 2.0 s")


        def confirm(order_id, addresses):
            with span("orders", "orders.confirm"):
                for address in addresses:
                    try:
                        mailer.send(address, f"order {order_id} confirmed")
                    except Exception:
                        pass
                return "confirmed"
        ''',
    "storefront/routes.py": '''\
        from orders import service
        from tracing import span, tick
        from opentelemetry.trace import SpanKind


        def place_order(payload):
            with span("storefront", "POST /orders", SpanKind.SERVER, **{"http.route": "/orders", "http.request.method": "POST"}) as current:
                try:
                    service.create(payload["order_id"], payload["amount"])
                except Exception:
                    current.set_attribute("http.response.status_code", 503)
                    raise


        def stock(sku):
            with span("storefront", "GET /stock/{sku}", SpanKind.SERVER, **{"http.route": "/stock/{sku}", "http.request.method": "GET"}) as current:
                try:
                    return service.availability(sku)
                except TimeoutError:
                    current.set_attribute("http.response.status_code", 504)
                    raise


        def confirm(order_id, addresses):
            with span("storefront", "POST /orders/{id}/confirm", SpanKind.SERVER, **{"http.route": "/orders/{id}/confirm", "http.request.method": "POST"}) as current:
                service.confirm(order_id, addresses)
                current.set_attribute("http.response.status_code", 200)
        ''',
}


class CountingIds(IdGenerator):
    """Deterministic ids: trace n is 0x…0n, span n is 0x…0n (hex digits only, never zero)."""

    def __init__(self) -> None:
        self.spans = 0
        self.traces = 0

    def generate_span_id(self) -> int:
        self.spans += 1
        return 0xA000_0000_0000_0000 + self.spans

    def generate_trace_id(self) -> int:
        self.traces += 1
        return 0x5CE0_0000_0000_0000_0000_0000_0000_0000 + self.traces


def write_project(root: Path, extra: dict[str, str] | None = None) -> Path:
    for rel, text in {**FILES, **(extra or {})}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        if "/" in rel:
            (path.parent / "__init__.py").touch()
    return root


def run_scenarios(root: Path, which: Sequence[str] = ("outage", "timeout", "partial")) -> list[ReadableSpan]:
    """Import the project from `root`, run the scenarios under the SDK, return the finished spans."""
    exporter = InMemorySpanExporter()
    ids = CountingIds()
    sys.path.insert(0, str(root))
    names = ["tracing", "payments.gateway", "inventory.stock", "notify.mailer", "orders.service", "storefront.routes"]
    try:
        for name in list(sys.modules):
            if name.split(".")[0] in {"tracing", "payments", "inventory", "notify", "orders", "storefront"}:
                del sys.modules[name]
        modules = {name: importlib.import_module(name) for name in names}
        tracing = modules["tracing"]
        for service in ("storefront", "orders", "payments", "inventory", "notify"):
            provider = TracerProvider(resource=Resource.create({"service.name": service}), id_generator=ids)
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            tracing.PROVIDERS[service] = provider
        routes = modules["storefront.routes"]
        tracing.CLOCK[0] = T0
        for scenario in which:
            try:
                if scenario == "outage":
                    routes.place_order({"order_id": "A-1001", "amount": 42})
                elif scenario == "timeout":
                    routes.stock("sku-7")
                else:
                    routes.confirm("A-1002", ["ann@example.org", "bounce@example.org", "bob@example.org"])
            except Exception:
                pass  # the server answered 5xx: recorded on its span
            tracing.tick(1000)
    finally:
        sys.path.remove(str(root))
        for name in list(sys.modules):
            if name.split(".")[0] in {"tracing", "payments", "inventory", "notify", "orders", "storefront"}:
                del sys.modules[name]
    return list(exporter.get_finished_spans())


def _hex_ids(node: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants trace and span ids in hex."""
    if isinstance(node, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and v else _hex_ids(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def otlp_json(spans: Sequence[ReadableSpan], hex_ids: bool = True) -> dict[str, Any]:
    """The spans as the collector's file exporter writes them (one ExportTraceServiceRequest)."""
    data = MessageToDict(encode_spans(spans))
    return _hex_ids(data) if hex_ids else data


def jaeger_json(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    """The spans as Jaeger's query API returns them (`{"data": [trace, ...]}`), the way the
    OpenTelemetry-to-Jaeger translation maps status, kind and exception events."""
    traces: dict[str, dict[str, Any]] = {}
    for span in spans:
        context = span.get_span_context()
        trace_id = format(context.trace_id, "032x")
        entry = traces.setdefault(trace_id, {"traceID": trace_id, "spans": [], "processes": {}, "warnings": None})
        service = str(span.resource.attributes["service.name"])
        pid = next((p for p, v in entry["processes"].items() if v["serviceName"] == service), None)
        if pid is None:
            pid = f"p{len(entry['processes']) + 1}"
            entry["processes"][pid] = {"serviceName": service, "tags": []}
        tags = [{"key": k, "type": "string" if isinstance(v, str) else "int64", "value": v} for k, v in span.attributes.items()]
        tags.append({"key": "span.kind", "type": "string", "value": span.kind.name.lower()})
        if span.status.status_code.name != "UNSET":
            tags.append({"key": "otel.status_code", "type": "string", "value": span.status.status_code.name})
        if span.status.description:
            tags.append({"key": "otel.status_description", "type": "string", "value": span.status.description})
        if span.status.status_code.name == "ERROR":
            tags.append({"key": "error", "type": "bool", "value": True})
        logs = [
            {"timestamp": event.timestamp // 1000,
             "fields": [{"key": "event", "type": "string", "value": event.name}]
             + [{"key": k, "type": "string", "value": str(v)} for k, v in event.attributes.items()]}
            for event in span.events
        ]  # fmt: skip
        references = []
        if span.parent is not None:
            references.append({"refType": "CHILD_OF", "traceID": trace_id, "spanID": format(span.parent.span_id, "016x")})
        assert span.start_time is not None and span.end_time is not None
        entry["spans"].append({
            "traceID": trace_id, "spanID": format(context.span_id, "016x"), "operationName": span.name,
            "references": references, "startTime": span.start_time // 1000,
            "duration": (span.end_time - span.start_time) // 1000, "tags": tags, "logs": logs, "processID": pid,
            "warnings": None, "flags": 1,
        })  # fmt: skip
    return {"data": list(traces.values()), "total": 0, "limit": 0, "offset": 0, "errors": None}


def span_ids(spans: Sequence[ReadableSpan]) -> Iterator[str]:
    for span in spans:
        yield format(span.get_span_context().span_id, "016x")


# Planted values: no request body, report or cache file may contain them.
PLANTED_PASSWORD = "hunter2-correct-horse"
PLANTED_URL_PASSWORD = "s3cr3t-pa55w0rd"
PLANTED_TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
PLANTED_EMAIL = "jane.doe@example.com"
PLANTED_CARD = "4111 1111 1111 1111"
PLANTED_NAME = "Jane Q. Public"
PLANTED = (PLANTED_PASSWORD, PLANTED_URL_PASSWORD, PLANTED_TOKEN, PLANTED_EMAIL, PLANTED_CARD, PLANTED_NAME)

LEAKY = {
    "billing/charge.py": '''\
        def charge(card, customer):
            raise PermissionError(f"card {card} of {customer} declined; retry with token ghp_abcdefghijklmnopqrstuvwxyz0123456789")
        ''',
}


def leaky_trace(root: Path, message: str = "") -> list[ReadableSpan]:
    """One trace whose attributes and exception message carry secrets and personal data (and, with
    `message`, an exception message of the caller's choosing), from code under `root`."""
    write_project(root, LEAKY)
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "billing"}), id_generator=CountingIds())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("leaky")
    sys.path.insert(0, str(root))
    try:
        sys.modules.pop("billing.charge", None)
        sys.modules.pop("billing", None)
        charge = importlib.import_module("billing.charge")
        server = tracer.start_span("POST /charge", kind=trace.SpanKind.SERVER, start_time=T0, attributes={
            "http.route": "/charge", "db.password": PLANTED_PASSWORD,
            "db.connection_string": f"postgresql://billing:{PLANTED_URL_PASSWORD}@db.internal/billing",
            "enduser.id": PLANTED_EMAIL, "http.request.header.authorization": ["Bearer " + PLANTED_TOKEN],
            "user.full_name": PLANTED_NAME,
        })  # fmt: skip
        with trace.use_span(server, end_on_exit=False):
            client = tracer.start_span("charge card", kind=trace.SpanKind.CLIENT, start_time=T0 + 1_000_000,
                                       attributes={"card.last_used": PLANTED_CARD})  # fmt: skip
            try:
                charge.charge(PLANTED_CARD, PLANTED_EMAIL)
            except PermissionError as err:
                client.record_exception(err, timestamp=T0 + 2_000_000,
                                        attributes={"exception.message": message} if message else None)  # fmt: skip
                client.set_status(trace.Status(trace.StatusCode.ERROR, message or str(err)))
            client.end(end_time=T0 + 2_000_000)
        server.set_status(trace.Status(trace.StatusCode.ERROR))
        server.end(end_time=T0 + 3_000_000)
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("billing.charge", None)
        sys.modules.pop("billing", None)
    return list(exporter.get_finished_spans())

"""Read a trace file: OTLP JSON (the OpenTelemetry collector's file exporter) or Jaeger JSON.

OTLP JSON (opentelemetry-proto, "JSON Protobuf Encoding"): `resourceSpans[].scopeSpans[].spans[]`
(`instrumentationLibrarySpans` from older exporters too), `traceId`/`spanId`/`parentSpanId` as hex
(base64, protobuf's own JSON mapping, is accepted as well), times in nanoseconds as strings or
numbers, enums as integers or names (`2`, `"STATUS_CODE_ERROR"`), attributes as
`{key, value: {stringValue|intValue|doubleValue|boolValue|arrayValue|kvlistValue|bytesValue}}`.
One export per file, or one per line (the file exporter writes JSON lines).

Jaeger JSON (the query API and the UI's "Download JSON"): `{"data": [trace, ...]}`, a bare trace
or a list of traces; a trace has `spans[]` (`traceID`, `spanID`, `operationName`, `references`
with `CHILD_OF`/`FOLLOWS_FROM`, `startTime`/`duration` in microseconds, `tags`, `logs`,
`processID`) and `processes` (`serviceName`). Errors are the `error=true` tag or
`otel.status_code=ERROR`; exceptions are logs with `event=exception` (OpenTelemetry's
`exception.*` fields) or `event=error` (`error.kind`, `message`, `stack`).

Anything else is a `TraceFormatError`: one line saying where and what, exit 2.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from errlint.errors import UsageError

_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_STATUSES = {0: "unset", 1: "ok", 2: "error"}


class TraceFormatError(UsageError):
    """The trace file cannot be read: the message says where and what."""


@dataclass(frozen=True)
class ExceptionInfo:
    """One recorded exception (an `exception` event or a Jaeger error log)."""

    type: str
    message: str
    stacktrace: str
    time_ns: int


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: Optional[str]
    name: str
    service: str
    kind: str  # server, client, internal, producer, consumer, unspecified
    start_ns: int
    end_ns: int
    status: str  # error, ok, unset
    status_message: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    exceptions: list[ExceptionInfo] = field(default_factory=list)
    order: int = 0  # position in the file (ties in ordering)

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def failed(self) -> bool:
        return self.status == "error" or bool(self.exceptions)


@dataclass
class TraceFile:
    """Every span of the file, by trace id, in file order; `format` is `otlp` or `jaeger`."""

    format: str
    traces: dict[str, list[Span]] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def load_trace(text: str, name: str) -> TraceFile:
    """Parse `text` (the content of file `name`); raise `TraceFormatError` on malformed input."""
    try:
        return _load(text, name)
    except _FieldError as err:
        raise TraceFormatError(f"--trace {name}: {err}") from None
    except RecursionError:
        raise TraceFormatError(f"--trace {name}: nested too deeply to be a trace") from None


def _load(text: str, name: str) -> TraceFile:
    documents = _documents(text, name)
    spans: list[Span] = []
    formats = set()
    for where, doc in documents:
        if isinstance(doc, dict) and ("resourceSpans" in doc or "resource_spans" in doc):
            formats.add("otlp")
            spans.extend(_otlp(doc, where))
        elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
            formats.add("jaeger")
            for index, trace in enumerate(doc["data"]):
                spans.extend(_jaeger_trace(trace, f"{where}data[{index}]"))
        elif isinstance(doc, dict) and isinstance(doc.get("spans"), list):
            formats.add("jaeger")
            spans.extend(_jaeger_trace(doc, where.rstrip(".")))
        elif isinstance(doc, list) and doc and all(isinstance(t, dict) and "spans" in t for t in doc):
            formats.add("jaeger")
            for index, trace in enumerate(doc):
                spans.extend(_jaeger_trace(trace, f"{where}[{index}]"))
        else:
            raise TraceFormatError(
                f"--trace {name}: {where.rstrip('.') or 'the file'} is neither OTLP JSON (resourceSpans) "
                "nor Jaeger JSON (data[].spans)"
            )
    if not spans:
        raise TraceFormatError(f"--trace {name}: the file holds no spans")
    result = TraceFile("+".join(sorted(formats)))
    seen: dict[tuple[str, str], Span] = {}
    for order, span in enumerate(spans):
        span.order = order
        key = (span.trace_id, span.span_id)
        if key in seen:
            if (seen[key].name, seen[key].start_ns) != (span.name, span.start_ns):
                result.notices.append(f"span {span.span_id} appears twice with different content: the first one is used")
            continue
        seen[key] = span
        result.traces.setdefault(span.trace_id, []).append(span)
    return result


def _documents(text: str, name: str) -> list[tuple[str, Any]]:
    stripped = text.strip()
    if not stripped:
        raise TraceFormatError(f"--trace {name}: the file is empty")
    try:
        return [("", json.loads(stripped))]
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise TraceFormatError(f"--trace {name}: not JSON: {whole.msg} at line {whole.lineno} column {whole.colno}") from None
        docs = []
        for number, line in lines:
            try:
                docs.append((f"line {number}: ", json.loads(line)))
            except json.JSONDecodeError as err:
                raise TraceFormatError(
                    f"--trace {name}: not JSON (nor JSON lines): line {number} column {err.colno}: {err.msg}"
                ) from None
        return docs


class _FieldError(ValueError):
    """A malformed field; `load_trace` names the file."""


def _fail(where: str, what: str) -> _FieldError:
    return _FieldError(f"{where}: {what}")


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(where, f"expected a list, got {type(value).__name__}")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, f"expected an object, got {type(value).__name__}")
    return value


def _id(value: Any, where: str, sizes: tuple[int, ...], required: bool = True) -> Optional[str]:
    """A hex id of `sizes` bytes; base64 (protobuf's JSON mapping) is converted to hex."""
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(where, f"expected a hex id, got {value!r}"[:160])
    if _HEX_RE.match(value) and len(value) in {2 * s for s in sizes}:
        if set(value) == {"0"}:
            if required:
                raise _fail(where, "an all-zero id is invalid")
            return None
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) in sizes:
        return raw.hex() if any(raw) or required else None
    expected = " or ".join(str(2 * s) for s in sizes)
    raise _fail(where, f"expected {expected} hex digits, got {value!r}"[:160])


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise _fail(where, f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _fail(where, f"expected an integer, got {value!r}"[:160])


def _enum(value: Any, table: dict[int, str], prefix: str, where: str) -> str:
    if value is None:
        return table[0]
    if isinstance(value, int) and not isinstance(value, bool) and value in table:
        return table[value]
    if isinstance(value, str):
        word = value.upper().removeprefix(prefix)
        for text in table.values():
            if word == text.upper():
                return text
    raise _fail(where, f"unknown value {value!r}"[:160])


# --- OTLP -----------------------------------------------------------------------------------


def any_value(value: Any, where: str) -> Any:
    """An OTLP AnyValue as a plain Python value."""
    value = _object(value, where)
    if not value:
        return None
    key, inner = next(iter(value.items()))
    if key in ("stringValue", "string_value"):
        return str(inner)
    if key in ("boolValue", "bool_value"):
        return bool(inner)
    if key in ("intValue", "int_value"):
        return _int(inner, where + ".intValue")
    if key in ("doubleValue", "double_value"):
        return float(inner)
    if key in ("bytesValue", "bytes_value"):
        return str(inner)
    if key in ("arrayValue", "array_value"):
        return [any_value(v, f"{where}.arrayValue[{i}]") for i, v in enumerate(_list(_object(inner, where).get("values"), where))]
    if key in ("kvlistValue", "kvlist_value"):
        return _otlp_attributes(_object(inner, where).get("values"), where + ".kvlistValue")
    raise _fail(where, f"unknown attribute value kind {key!r}")


def _otlp_attributes(value: Any, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, item in enumerate(_list(value, where)):
        here = f"{where}[{index}]"
        item = _object(item, here)
        key = item.get("key")
        if not isinstance(key, str):
            raise _fail(here + ".key", f"expected a string, got {key!r}"[:160])
        out[key] = any_value(item.get("value", {}), here + ".value")
    return out


def _otlp(doc: dict[str, Any], where: str) -> list[Span]:
    spans = []
    for r, resource_spans in enumerate(_list(doc.get("resourceSpans", doc.get("resource_spans")), f"{where}resourceSpans")):
        rwhere = f"{where}resourceSpans[{r}]"
        resource_spans = _object(resource_spans, rwhere)
        resource = _object(resource_spans.get("resource") or {}, rwhere + ".resource")
        resource_attrs = _otlp_attributes(resource.get("attributes"), rwhere + ".resource.attributes")
        service = str(resource_attrs.get("service.name") or "unknown_service")
        scopes = resource_spans.get("scopeSpans", resource_spans.get("scope_spans", resource_spans.get("instrumentationLibrarySpans")))
        for s, scope_spans in enumerate(_list(scopes, rwhere + ".scopeSpans")):
            swhere = f"{rwhere}.scopeSpans[{s}]"
            for index, raw in enumerate(_list(_object(scope_spans, swhere).get("spans"), swhere + ".spans")):
                spans.append(_otlp_span(_object(raw, f"{swhere}.spans[{index}]"), f"{swhere}.spans[{index}]", service))
    return spans


def _otlp_span(raw: dict[str, Any], where: str, service: str) -> Span:
    trace_id = _id(raw.get("traceId", raw.get("trace_id")), where + ".traceId", (16,))
    span_id = _id(raw.get("spanId", raw.get("span_id")), where + ".spanId", (8,))
    parent = _id(raw.get("parentSpanId", raw.get("parent_span_id")), where + ".parentSpanId", (8,), required=False)
    name = raw.get("name")
    if not isinstance(name, str):
        raise _fail(where + ".name", f"expected a string, got {name!r}"[:160])
    start = _int(raw.get("startTimeUnixNano", raw.get("start_time_unix_nano")), where + ".startTimeUnixNano")
    end = _int(raw.get("endTimeUnixNano", raw.get("end_time_unix_nano", start)), where + ".endTimeUnixNano")
    status = _object(raw.get("status") or {}, where + ".status")
    exceptions = []
    for index, event in enumerate(_list(raw.get("events"), where + ".events")):
        ewhere = f"{where}.events[{index}]"
        event = _object(event, ewhere)
        if event.get("name") != "exception":
            continue
        attrs = _otlp_attributes(event.get("attributes"), ewhere + ".attributes")
        time_ns = _int(event.get("timeUnixNano", event.get("time_unix_nano", end)), ewhere + ".timeUnixNano")
        exceptions.append(_exception(attrs, time_ns))
    assert trace_id is not None and span_id is not None
    return Span(
        trace_id, span_id, parent, name, service,
        _enum(raw.get("kind"), _KINDS, "SPAN_KIND_", where + ".kind"),
        start, end,
        _enum(status.get("code"), _STATUSES, "STATUS_CODE_", where + ".status.code"),
        str(status.get("message") or ""),
        _otlp_attributes(raw.get("attributes"), where + ".attributes"),
        exceptions,
    )  # fmt: skip


def _exception(attrs: dict[str, Any], time_ns: int) -> ExceptionInfo:
    return ExceptionInfo(
        str(attrs.get("exception.type") or attrs.get("error.kind") or attrs.get("error.type") or ""),
        str(attrs.get("exception.message") or attrs.get("message") or attrs.get("error.message") or ""),
        str(attrs.get("exception.stacktrace") or attrs.get("stack") or attrs.get("error.stack") or ""),
        time_ns,
    )


# --- Jaeger ---------------------------------------------------------------------------------


def _tags(value: Any, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, tag in enumerate(_list(value, where)):
        tag = _object(tag, f"{where}[{index}]")
        key = tag.get("key")
        if not isinstance(key, str):
            raise _fail(f"{where}[{index}].key", f"expected a string, got {key!r}"[:160])
        out[key] = tag.get("value")
    return out


def _jaeger_trace(trace: Any, where: str) -> list[Span]:
    trace = _object(trace, where)
    processes = _object(trace.get("processes") or {}, where + ".processes")
    services: dict[str, str] = {}
    for pid, process in processes.items():
        services[pid] = str(_object(process, f"{where}.processes.{pid}").get("serviceName") or "unknown_service")
    spans = []
    for index, raw in enumerate(_list(trace.get("spans"), where + ".spans")):
        swhere = f"{where}.spans[{index}]"
        raw = _object(raw, swhere)
        trace_id = _id(raw.get("traceID", raw.get("traceId")), swhere + ".traceID", (8, 16))
        span_id = _id(raw.get("spanID", raw.get("spanId")), swhere + ".spanID", (8,))
        parent = None
        for r, ref in enumerate(_list(raw.get("references"), swhere + ".references")):
            ref = _object(ref, f"{swhere}.references[{r}]")
            if ref.get("refType", "CHILD_OF") in ("CHILD_OF", "FOLLOWS_FROM") and parent is None:
                parent = _id(ref.get("spanID", ref.get("spanId")), f"{swhere}.references[{r}].spanID", (8,))
        if parent is None and raw.get("parentSpanID"):
            parent = _id(raw.get("parentSpanID"), swhere + ".parentSpanID", (8,), required=False)
        operation = raw.get("operationName")
        if not isinstance(operation, str):
            raise _fail(swhere + ".operationName", f"expected a string, got {operation!r}"[:160])
        start = _int(raw.get("startTime"), swhere + ".startTime") * 1000
        duration = _int(raw.get("duration", 0), swhere + ".duration") * 1000
        tags = _tags(raw.get("tags"), swhere + ".tags")
        process_id = raw.get("processID", raw.get("processId"))
        process = raw.get("process")
        service: Optional[str] = services.get(process_id) if isinstance(process_id, str) else None
        if service is None and isinstance(process, dict):
            service = str(process.get("serviceName") or "")
        status_code = str(tags.pop("otel.status_code", "")).lower()
        error_tag = tags.pop("error", None) in (True, "true", "True")
        status = "error" if status_code == "error" or error_tag else ("ok" if status_code == "ok" else "unset")
        message = str(tags.pop("otel.status_description", "") or "")
        kind = str(tags.pop("span.kind", "") or "unspecified").lower()
        exceptions = []
        for l, log in enumerate(_list(raw.get("logs"), swhere + ".logs")):
            lwhere = f"{swhere}.logs[{l}]"
            log = _object(log, lwhere)
            fields = _tags(log.get("fields"), lwhere + ".fields")
            if fields.get("event") in ("exception", "error") or "exception.type" in fields or "error.kind" in fields:
                exceptions.append(_exception(fields, _int(log.get("timestamp", 0), lwhere + ".timestamp") * 1000))
        assert trace_id is not None and span_id is not None
        spans.append(
            Span(trace_id, span_id, parent, operation, service or "unknown_service", kind if kind in _KINDS.values() else "unspecified",
                 start, start + duration, status, message, tags, exceptions)
        )  # fmt: skip
    return spans

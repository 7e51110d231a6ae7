"""`errlint review --trace FILE` end to end: traces made by the real OpenTelemetry SDK over a small
multi-service project (an outage, a timeout, a partial failure), exported as OTLP JSON through the
SDK's own protobuf encoder or as Jaeger JSON; the real anthropic SDK on a mock transport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")
pytest.importorskip("opentelemetry.exporter.otlp.proto.common")

from test_review import hermetic, review  # noqa: E402,F401 - fixtures
from test_review_helpers import FakeAPI  # noqa: E402
from trace_scenarios import jaeger_json, otlp_json, run_scenarios, write_project  # noqa: E402

KEY = "sk-ant-test-not-a-real-key"
ARGS = ("--isolated", "--preview")
NO_KEY = (
    "errlint review: AI analysis skipped: no ANTHROPIC_API_KEY (set it, or run with --dry-run to see what would be "
    "sent); the static report is printed\n"
)
REPORT = (
    '\n'
    'Trace 5ce00000000000000000000000000001 (5 spans, 2 services: orders, storefront)\n'
    "  Root-cause candidate (error): span a000000000000003 orders 'POST payments/charges' at payments/gateway.py:5 charge\n"
    '    ConnectionRefusedError: payments.internal:443 refused the connection (order A-1001)\n'
    '  Hops (root first):\n'
    "    1. storefront 'POST /orders' server ERROR 'payments are unavailable' 95.0 ms span a000000000000001\n"
    '       at storefront/routes.py:6 place_order\n'
    '       trace shows: converted: answered with status code 503\n'
    "    2. orders 'orders.create' internal ERROR 'payments are unavailable' 95.0 ms span a000000000000002\n"
    '       at orders/service.py:16 create\n'
    '       trace shows: retried: called POST payments/charges 3 times; ConnectionRefusedError became orders.service.PaymentUnavailable\n'
    '       XH602 orders/service.py:22:13 retry-without-backoff [retried]: Retry loop retries after `except ConnectionError:` with no sleep or backoff: it hammers the failing dependency\n'
    "    3. orders 'POST payments/charges' client ERROR 'payments.internal:443 refused the connection (order A-1001)' 30.0 ms span a000000000000003\n"
    '       at payments/gateway.py:5 charge\n'
    '       trace shows: raised\n'
    "  Handlers on the path, by errlint's findings:\n"
    '    hid: none found\n'
    '    converted: none found\n'
    '    retried: XH602 orders/service.py:22:13 (create)\n'
    '  Other failed spans:\n'
    "    span a000000000000004 orders 'POST payments/charges' ERROR ConnectionRefusedError 30.0 ms\n"
    "    span a000000000000005 orders 'POST payments/charges' ERROR ConnectionRefusedError 30.0 ms\n"
    '  Blast radius: 2 caller span(s) in 2 service(s); user-facing route(s): POST /orders; the same root-cause hop in 1 of 3 trace(s)\n'
    '\n'
    'Trace 5ce00000000000000000000000000002 (6 spans, 3 services: inventory, orders, storefront)\n'
    "  Root-cause candidate (timeout): span a00000000000000b inventory 'SELECT stock' at inventory/stock.py:5 lookup\n"
    '  Hops (root first):\n'
    "    1. storefront 'GET /stock/{sku}' server ERROR 'inventory.internal did not answer within 2.0 s' 2,505.0 ms span a000000000000006\n"
    '       at storefront/routes.py:15 stock\n'
    '       trace shows: converted: answered with status code 504\n'
    "    2. orders 'orders.availability' internal ERROR 'inventory.internal did not answer within 2.0 s' 2,505.0 ms span a000000000000007\n"
    '       at orders/service.py:27 availability\n'
    '       trace shows: propagated\n'
    "    3. orders 'GET inventory/stock' client ERROR 'inventory.internal did not answer within 2.0 s' 2,501.0 ms span a000000000000009\n"
    '       at orders/service.py:27 availability\n'
    '       trace shows: timed_out: gave up after 2,501.0 ms while the call below was still running\n'
    "    4. inventory 'GET /stock/{sku}' server UNSET 2,500.0 ms span a00000000000000a\n"
    '       at inventory/stock.py:5 lookup\n'
    '       trace shows: waited\n'
    "    5. inventory 'SELECT stock' client UNSET 2,480.0 ms span a00000000000000b\n"
    '       at inventory/stock.py:5 lookup\n'
    '       trace shows: slow\n'
    "  Slow spans (>= 3x their siblings' median and >= 100 ms above it):\n"
    "    span a000000000000009 orders 'GET inventory/stock' 2,501.0 ms: 625.2x the median of its siblings (4.0 ms), +2,497.0 ms\n"
    "    latency inflation: span a000000000000009's excess is 100% of orders 'orders.availability' (2,505.0 ms)\n"
    "    latency inflation: span a000000000000009's excess is 100% of storefront 'GET /stock/{sku}' (2,505.0 ms)\n"
    '  Blast radius: 4 caller span(s) in 3 service(s); user-facing route(s): GET /stock/{sku}; the same root-cause hop in 1 of 3 trace(s)\n'
    '\n'
    'Trace 5ce00000000000000000000000000003 (5 spans, 3 services: notify, orders, storefront)\n'
    "  Root-cause candidate (error): span a00000000000000f notify 'smtp send' at notify/mailer.py:7 send\n"
    "    smtplib.SMTPRecipientsRefused: {'<REDACTED:email:1>': (550, b'mailbox unavailable')}\n"
    '  Hops (root first):\n'
    "    1. storefront 'POST /orders/{id}/confirm' server UNSET 120.0 ms span a00000000000000c\n"
    '       at storefront/routes.py:24 confirm\n'
    '       trace shows: passed\n'
    "    2. orders 'orders.confirm' internal UNSET 120.0 ms span a00000000000000d\n"
    '       at orders/service.py:37 confirm\n'
    '       trace shows: hid: ended unset though the call below failed\n'
    '       XH103 orders/service.py:42:13 swallowed-exception [hid]: Exception swallowed: `except Exception:` only passes; a broad handler discards every error, bugs included\n'
    '    3. notify \'smtp send\' client ERROR "{\'<REDACTED:email:1>\': (550, b\'mailbox unavailable\')}" 40.0 ms span a00000000000000f\n'
    '       at notify/mailer.py:7 send\n'
    '       trace shows: raised\n'
    "  Handlers on the path, by errlint's findings:\n"
    '    hid: XH103 orders/service.py:42:13 (confirm)\n'
    '    converted: none found\n'
    '    retried: none found\n'
    '  Blast radius: 2 caller span(s) in 2 service(s); user-facing route(s): POST /orders/{id}/confirm; the same root-cause hop in 1 of 3 trace(s)\n'
)


@pytest.fixture(scope="module")
def spans(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = write_project(tmp_path_factory.mktemp("scenario") / "proj")
    return root, run_scenarios(root)


@pytest.fixture
def project(spans: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    root, finished = spans
    monkeypatch.setenv("ERRLINT_CACHE_DIR", str(tmp_path / "cache"))  # answers cached per test
    (root / "trace.json").write_text(json.dumps(otlp_json(finished)), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    fake = FakeAPI()
    import errlint.review.client as client_module

    monkeypatch.setattr(client_module, "make_http_client", fake.client)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return fake


def trace_review(capsys: Any, *args: str) -> tuple[int, str, str]:
    return review(capsys, "--trace", *args)


# --- the static report ------------------------------------------------------------------------


def test_static_report_of_three_failures(project: Path, capsys: Any) -> None:
    code, out, err = trace_review(capsys, "trace.json", *ARGS)
    assert code == 0
    assert out == "errlint review --trace trace.json: 3 of 3 trace(s) failed or were slow (otlp)\n" + REPORT
    assert err == NO_KEY


def test_jaeger_json_gives_the_same_report(project: Path, spans: Any, capsys: Any) -> None:
    (project / "jaeger.json").write_text(json.dumps(jaeger_json(spans[1])), encoding="utf-8")
    code, out, _ = trace_review(capsys, "jaeger.json", *ARGS)
    assert code == 0
    assert out == "errlint review --trace jaeger.json: 3 of 3 trace(s) failed or were slow (jaeger)\n" + REPORT


def test_base64_ids_and_json_lines_are_read(project: Path, spans: Any, capsys: Any) -> None:
    # protobuf's own JSON mapping (base64 ids), one export per line as the file exporter writes them
    lines = [json.dumps(otlp_json([s], hex_ids=False)) for s in spans[1]]
    (project / "lines.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = trace_review(capsys, "lines.json", *ARGS)
    assert code == 0
    assert out == "errlint review --trace lines.json: 3 of 3 trace(s) failed or were slow (otlp)\n" + REPORT


def test_stable_rules_only_without_preview(project: Path, capsys: Any) -> None:
    code, out, _ = trace_review(capsys, "trace.json", "--isolated")
    assert code == 0
    assert "XH602" not in out and "XH103" not in out  # both are preview rules: the config decides
    assert "trace shows: hid: ended unset though the call below failed" in out


def test_json_report(project: Path, capsys: Any) -> None:
    code, out, _ = trace_review(capsys, "trace.json", *ARGS, "--format", "json")
    assert code == 0
    report = json.loads(out)
    from errlint.review.trace.report import JSON_SCHEMA

    pytest.importorskip("jsonschema").validate(report, JSON_SCHEMA)
    assert report["run"]["state"] == "skipped"
    assert "request" not in report
    outage, timeout, partial = report["traces"]
    assert [h["span_id"] for h in outage["hops"]] == ["a000000000000001", "a000000000000002", "a000000000000003"]
    assert [h["behaviour"] for h in outage["hops"]] == ["converted", "retried", "raised"]
    assert outage["hops"][1]["findings"] == [{
        "code": "XH602", "name": "retry-without-backoff", "path": "orders/service.py", "line": 22, "column": 13,
        "message": "Retry loop retries after `except ConnectionError:` with no sleep or backoff: it hammers the failing dependency",
        "role": "retried",
    }]
    assert outage["root_cause"]["location"] == {
        "path": "payments/gateway.py", "line": 5, "function": "charge", "resolved": True, "reason": "",
        "source": "code attributes",
    }
    assert [o["span_id"] for o in outage["other_failures"]] == ["a000000000000004", "a000000000000005"]
    assert timeout["cause"] == "timeout" and timeout["root_cause"]["span_id"] == "a00000000000000b"
    assert timeout["slow"] == [{"span_id": "a000000000000009", "duration_ms": 2501.0, "siblings_median_ms": 4.0,
                                "ratio": 625.25, "excess_ms": 2497.0}]
    assert timeout["inflation"] == [
        {"span_id": "a000000000000009", "caller": "a000000000000007", "caller_duration_ms": 2505.0, "share": 0.997},
        {"span_id": "a000000000000009", "caller": "a000000000000006", "caller_duration_ms": 2505.0, "share": 0.997},
    ]
    assert partial["blast_radius"] == {
        "callers": ["a00000000000000c", "a00000000000000d"], "services": ["storefront", "orders", "notify"],
        "routes": ["POST /orders/{id}/confirm"], "same_root_cause_in_traces": 1, "same_root_cause_trace_ids": [],
        "traces_in_file": 3,
    }
    assert partial["hops"][1]["findings"][0]["code"] == "XH103"
    assert partial["root_cause"]["exceptions"] == [
        {"type": "smtplib.SMTPRecipientsRefused", "message": "{'<REDACTED:email:1>': (550, b'mailbox unavailable')}"}
    ]


# --- malformed input: one line, exit 2 ----------------------------------------------------------

_SPAN = '{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "x", "startTimeUnixNano": "1"'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ('{"resourceSpans": [}', "not JSON: Expecting value at line 1 column 20"),
        ('{"resourceSpans": []}\n{"resourceSpans": [\n', "not JSON (nor JSON lines): line 2 column 20: Expecting value"),
        ('{"foo": 1}', "the file is neither OTLP JSON (resourceSpans) nor Jaeger JSON (data[].spans)"),
        ('{"resourceSpans": []}', "the file holds no spans"),
        ('{"resourceSpans": 5}', "resourceSpans: expected a list, got int"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [' + _SPAN.replace("0af7651916cd43dd8448eb211c80319c", "zz") + "}]}]}]}",
         "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits, got 'zz'"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [' + _SPAN + ', "status": {"code": 7}}]}]}]}',
         "resourceSpans[0].scopeSpans[0].spans[0].status.code: unknown value 7"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [' + _SPAN + ', "attributes": [{"key": "a", "value": {"mapValue": 1}}]}]}]}]}',
         "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: unknown attribute value kind 'mapValue'"),
        ('{"data": [{"spans": [{"traceID": "0af7651916cd43dd", "spanID": "b7ad6b7169203331", "operationName": "x", '
         '"startTime": "soon"}]}]}', "data[0].spans[0].startTime: expected an integer, got 'soon'"),
        ('{"resourceSpans": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply to be a trace"),
    ],
)
def test_malformed_trace_is_one_line_exit_2(tmp_path: Path, monkeypatch: Any, capsys: Any, content: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.json").write_text(content, encoding="utf-8")
    code, out, err = trace_review(capsys, "t.json", "--isolated")
    assert (code, out, err) == (2, "", f"errlint: error: --trace t.json: {message}\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trace", "t.json", "--fail-on", "true-positive"), "--fail-on cannot be combined with --trace (it applies to the review of findings)"),
        (("--trace", "t.json", "src"), "PATHS cannot be combined with --trace (it applies to the review of findings)"),
        (("--trace", "t.json", "--format", "sarif"), "--trace: --format sarif is not supported (rich, json or markdown)"),
        (("--trace", "missing.json"), "--trace missing.json: No such file or directory"),
        (("--trace", "t.json", "--root", "nowhere"), "--root: nowhere: no such directory"),
        (("--root", "."), "--root is an option of --trace"),
    ],
)
def test_usage_errors(tmp_path: Path, monkeypatch: Any, capsys: Any, args: tuple[str, ...], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.json").write_text('{"resourceSpans": []}', encoding="utf-8")
    code, out, err = review(capsys, *args, "--isolated")
    assert (code, out, err) == (2, "", f"errlint: error: {message}\n")


# --- frames, the statistic, the tree --------------------------------------------------------------


def _otlp(*spans: str) -> str:
    return '{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]}, ' \
           '"scopeSpans": [{"spans": [' + ", ".join(spans) + "]}]}]}"


STACK = (
    "Traceback (most recent call last):\\n"
    '  File \\"/srv/deploy/app/handlers.py\\", line 4, in handle\\n    return fetch()\\n'
    '  File \\"/usr/lib/python3.12/site-packages/requests/api.py\\", line 73, in get\\n'
    '  File \\"/opt/vendor/lib/thing.py\\", line 9, in call\\n'
    "ConnectionError: refused"
)


def test_frames_resolve_against_the_root_and_unresolved_ones_are_listed(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "handlers.py").write_text(
        "def handle(fetch):\n    try:\n        pass\n        return fetch()\n    except Exception:\n        return None\n"
    )
    trace = _otlp(
        _SPAN.replace('"name": "x"', '"name": "GET /a", "kind": 2') + ', "endTimeUnixNano": "5000001", "status": {"code": 2}, '
        '"events": [{"name": "exception", "timeUnixNano": "3", "attributes": ['
        '{"key": "exception.type", "value": {"stringValue": "ConnectionError"}}, '
        f'{{"key": "exception.stacktrace", "value": {{"stringValue": "{STACK}"}}}}]}}]}}'
    )
    (tmp_path / "t.json").write_text(trace, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "app")
    code, out, _ = trace_review(capsys, "../t.json", "--isolated", "--preview", "--root", "..")
    assert code == 0
    assert out == (
        "errlint review --trace ../t.json: 1 of 1 trace(s) failed or were slow (otlp)\n\n"
        "Trace 0af7651916cd43dd8448eb211c80319c (1 spans, 1 services: api)\n"
        "  Root-cause candidate (error): span b7ad6b7169203331 api 'GET /a' at app/handlers.py:4 handle\n"
        "    ConnectionError\n"
        "  Hops (root first):\n"
        "    1. api 'GET /a' server ERROR 5.0 ms span b7ad6b7169203331\n"
        "       at app/handlers.py:4 handle\n"
        "       trace shows: raised\n"
        "       XH103 app/handlers.py:5:5 swallowed-exception [hid]: Exception swallowed: `except Exception:` only "
        "returns `None`; a broad handler discards every error, bugs included\n"
        "  Handlers on the path, by errlint's findings:\n"
        "    hid: XH103 app/handlers.py:5:5 (handle)\n"
        "    converted: none found\n"
        "    retried: none found\n"
        "  Blast radius: 0 caller span(s) in 0 service(s); user-facing route(s): GET /a; the same root-cause hop in 1 of 1 trace(s)\n"
        "  Unresolved frames:\n"
        "    span b7ad6b7169203331: <site-packages>/requests/api.py:73 get (outside the repository: an installed "
        "package or the standard library)\n"
        "    span b7ad6b7169203331: …/lib/thing.py:9 call (unresolved: not found under the repository root)\n"
    )


def test_slowness_statistic() -> None:
    from errlint.review.trace.path import analyse
    from errlint.review.trace.spans import Span

    def span(sid: str, parent: str | None, start_ms: int, dur_ms: float) -> Span:
        return Span("t" * 32, sid, parent, sid, "svc", "internal", start_ms * 10**6, start_ms * 10**6 + int(dur_ms * 10**6), "unset")

    spans = [span("root", None, 0, 1000), span("a", "root", 0, 40), span("b", "root", 0, 50), span("c", "root", 0, 151),
             span("d", "root", 0, 149.9), span("e", "root", 0, 400)]  # fmt: skip
    slow = analyse("t" * 32, spans).slow
    # siblings of e: 40, 50, 149.9, 151 -> median 99.95: 400 is 4.0x and +300 ms: slow; c: median of
    # (40, 50, 149.9, 400) = 99.95, 151 is 1.5x: not slow
    assert list(slow) == ["e"] and round(slow["e"].median_ms, 2) == 99.95
    alone = analyse("t" * 32, [span("root", None, 0, 5000), span("only", "root", 0, 4900)])
    assert alone.slow == {} and alone.root_cause is None  # no siblings: not judged, nothing to explain


# --- the worked example under examples/ -------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def test_example_trace_regenerates_byte_for_byte(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "shop-outage.json"
    done = subprocess.run([sys.executable, str(REPO / "examples/trace/make_trace.py"), str(target)],
                          capture_output=True, text=True)  # fmt: skip (no timeout: the hermetic fixture forbids sleeping)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the shop's logs do not leak into the script's output
    assert target.read_text(encoding="utf-8") == (REPO / "examples/trace/shop-outage.json").read_text(encoding="utf-8")


def test_docs_show_the_example_as_it_runs(monkeypatch: Any, capsys: Any, tmp_path: Path) -> None:
    monkeypatch.chdir(REPO / "examples")
    monkeypatch.setenv("ERRLINT_CACHE_DIR", str(tmp_path))
    code, out, err = trace_review(capsys, "trace/shop-outage.json")
    assert code == 0 and err == NO_KEY
    docs = (REPO / "docs/review.md").read_text(encoding="utf-8")
    assert "```text\n" + out + "```\n" in docs, (
        "docs/review.md's worked example is stale: paste the output of "
        "`cd examples && errlint review --trace trace/shop-outage.json 2>/dev/null` into it"
    )
    # the deployed paths resolve into examples/, the stand-ins and the provider's code do not
    assert "at shop/billing.py:15 shop.billing.charge" in out
    assert "<site-packages>/standins.py:70 raise_for_status (outside the repository: an installed package" in out
    assert "…/payments/ledger.py:88 reserve (unresolved: not found under the repository root)" in out
    code, out, _ = trace_review(capsys, "trace/shop-outage.json", "--dry-run", "--format", "json")
    report = json.loads(out)
    assert report["run"]["redactions"] == {"email": 1}  # enduser.id
    assert "jane.doe@example.com" not in json.dumps(report["request"])


def test_the_users_configuration_chooses_the_rules(project: Path, capsys: Any, tmp_path: Path) -> None:
    config = tmp_path / "errlint.toml"
    config.write_text('preview = true\nselect = ["XH103"]\n', encoding="utf-8")
    code, out, _ = trace_review(capsys, "trace.json", "--config", str(config))
    assert code == 0
    assert "XH103 orders/service.py:42:13 swallowed-exception [hid]" in out and "XH602" not in out
    code, out, _ = trace_review(capsys, "trace.json", "--config", str(config), "--ignore", "XH103")
    assert "XH103" not in out and "Handlers on the path" not in out
    code, out, _ = trace_review(capsys, "trace.json", "--isolated", "--preview", "--select", "XH602")
    assert "    retried: XH602 orders/service.py:22:13 (create)\n" in out and "XH103" not in out


def test_exception_chains_in_python_stack_traces() -> None:
    from errlint.review.trace.path import chain

    implicit = (
        "Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nrequests.exceptions.HTTPError: 503\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n  File \"a.py\", line 3, in f\nException: payment failed\n"
    )
    assert chain(implicit) == [("requests.exceptions.HTTPError", "while handling it"), ("Exception", "")]
    explicit = implicit.replace("During handling of the above exception, another exception occurred:",
                                "The above exception was the direct cause of the following exception:")  # fmt: skip
    assert chain(explicit) == [("requests.exceptions.HTTPError", "from it"), ("Exception", "")]
    assert chain("Traceback (most recent call last):\n  File \"a.py\", line 1, in f\nKeyError: 'x'") == [("KeyError", "")]
    assert chain("java.lang.IllegalStateException: boom\n\tat com.x.Y.z(Y.java:3)") == []  # not Python: no claim


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        ("app/handlers.py", "app/handlers.py"),  # relative to the root
        ("/srv/deploy/app/handlers.py", "app/handlers.py"),  # the longest suffix that exists
        ("C:\\deploy\\app\\handlers.py", "app/handlers.py"),  # a Windows path
        ("/app/handlers.py", "handlers.py"),  # a container's /app is the repository
        ("/srv/deploy/other.py", None),  # nothing of that name
        ("/usr/lib/python3.12/app/handlers.py", None),  # the standard library, whatever it is called
        ("/venv/lib/python3.12/site-packages/app/handlers.py", None),
    ],
)
def test_frames_resolve_by_suffix(tmp_path: Path, recorded: str, expected: str | None) -> None:
    from errlint.review.trace.locate import resolve

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "handlers.py").write_text("x = 1\n")
    (tmp_path / "handlers.py").write_text("x = 1\n")
    assert resolve(recorded, tmp_path)[0] == expected


def test_a_trace_cannot_point_outside_the_repository(tmp_path: Path) -> None:
    from errlint.review.trace.locate import resolve

    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (tmp_path / "keys.py").write_text("KEY = 1\n")
    (repo / "app" / "link.py").symlink_to(tmp_path / "keys.py")
    assert resolve("../keys.py", repo) == (None, "not found under the repository root")
    assert resolve(str(tmp_path / "keys.py"), repo) == (None, "not found under the repository root")
    assert resolve("/srv/x/../../keys.py", repo) == (None, "not found under the repository root")
    assert resolve("app/link.py", repo) == (None, "not found under the repository root")  # a link out of it


SPEC_SHAPED = """\
{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
 "scopeSpans": [{"scope": {"name": "lib", "version": "2.0"}, "spans": [
  {"traceId": "4BF92F3577B34DA6A3CE929D0E0E4736", "spanId": "00F067AA0BA902B7", "parentSpanId": "00F067AA0BA902B6",
   "name": "checkout", "startTimeUnixNano": 1700000000000000000, "endTimeUnixNano": 1700000000250000000, "kind": "SPAN_KIND_SERVER",
   "flags": 256, "droppedAttributesCount": 0, "links": [], "traceState": "",
   "status": {"code": "STATUS_CODE_ERROR", "message": "card service unavailable"}}]}]}]}
"""


def test_upper_case_ids_numeric_times_names_for_enums_and_a_missing_parent(tmp_path: Path, monkeypatch: Any,
                                                                           capsys: Any) -> None:  # fmt: skip
    (tmp_path / "spec.json").write_text(SPEC_SHAPED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = trace_review(capsys, "spec.json", "--isolated")
    assert code == 0
    assert out == (
        "errlint review --trace spec.json: 1 of 1 trace(s) failed or were slow (otlp)\n\n"
        "Trace 4bf92f3577b34da6a3ce929d0e0e4736 (1 spans, 1 services: checkout)\n"
        "  Root-cause candidate (error): span 00f067aa0ba902b7 checkout 'checkout' at no code location\n"
        "  Hops (root first):\n"
        "    1. checkout 'checkout' server ERROR 'card service unavailable' 250.0 ms span 00f067aa0ba902b7\n"
        "       at no code location\n"
        "       trace shows: raised\n"
        "  Blast radius: 0 caller span(s) in 0 service(s); user-facing route(s): checkout; the same root-cause hop in "
        "1 of 1 trace(s)\n"
        "  Note: span 00f067aa0ba902b7's parent 00f067aa0ba902b6 is not in the file\n"
    )


def test_library_frames_are_counted_in_text_and_all_listed_in_json(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    frames = "".join(f'  File \\"/usr/lib/python3.12/site-packages/lib{n}/m.py\\", line {n}, in f{n}\\n' for n in range(1, 5))
    trace = _otlp(
        _SPAN + ', "endTimeUnixNano": "5000001", "status": {"code": 2}, "events": [{"name": "exception", "attributes": ['
        f'{{"key": "exception.stacktrace", "value": {{"stringValue": "Traceback (most recent call last):\\n{frames}E: x"}}}}]}}]}}'
    )
    (tmp_path / "t.json").write_text(trace, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = trace_review(capsys, "t.json", "--isolated")
    assert code == 0
    assert out.endswith(
        "  Unresolved frames:\n"
        "    span b7ad6b7169203331: 4 frames, from <site-packages>/lib1/m.py:1 f1 to <site-packages>/lib4/m.py:4 f4 "
        "(outside the repository: an installed package or the standard library)\n"
    )
    code, out, _ = trace_review(capsys, "t.json", "--isolated", "--format", "json")
    assert [f["path"] for f in json.loads(out)["traces"][0]["root_cause"]["frames"]] == [
        f"<site-packages>/lib{n}/m.py" for n in range(1, 5)]


def test_the_trace_can_come_from_standard_input(project: Path, capsys: Any, monkeypatch: Any) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((project / "trace.json").read_text(encoding="utf-8")))
    code, out, _ = trace_review(capsys, "-", *ARGS)
    assert code == 0
    assert out == "errlint review --trace -: 3 of 3 trace(s) failed or were slow (otlp)\n" + REPORT


SLOW = (
    '{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]}, '
    '"scopeSpans": [{"spans": ['
    + ", ".join(
        '{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "%016x", %s"name": "%s", "kind": %d, '
        '"startTimeUnixNano": "%d", "endTimeUnixNano": "%d"}'
        % (sid, f'"parentSpanId": "{parent:016x}", ' if parent else "", name, kind, start * 10**6, end * 10**6)
        for sid, parent, name, kind, start, end in [
            (1, 0, "GET /report", 2, 0, 900), (2, 1, "SELECT users", 3, 0, 20), (3, 1, "render", 1, 20, 870),
            (4, 3, "fetch avatars", 3, 20, 860), (5, 1, "SELECT orders", 3, 870, 895),
        ]
    )
    + "]}]}]}"
)


def test_a_slow_trace_without_errors(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    (tmp_path / "slow.json").write_text(SLOW, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = trace_review(capsys, "slow.json", "--isolated")
    assert code == 0
    assert out == (
        "errlint review --trace slow.json: 1 of 1 trace(s) failed or were slow (otlp)\n\n"
        "Trace 0af7651916cd43dd8448eb211c80319c (5 spans, 1 services: api)\n"
        "  Root-cause candidate (latency): span 0000000000000004 api 'fetch avatars' at no code location\n"
        "  Hops (root first):\n"
        "    1. api 'GET /report' server UNSET 900.0 ms span 0000000000000001\n"
        "       at no code location\n"
        "       trace shows: waited\n"
        "    2. api 'render' internal UNSET 850.0 ms span 0000000000000003\n"
        "       at no code location\n"
        "       trace shows: waited\n"
        "    3. api 'fetch avatars' client UNSET 840.0 ms span 0000000000000004\n"
        "       at no code location\n"
        "       trace shows: slow\n"
        "  Slow spans (>= 3x their siblings' median and >= 100 ms above it):\n"
        "    span 0000000000000003 api 'render' 850.0 ms: 37.8x the median of its siblings (22.5 ms), +827.5 ms\n"
        "    latency inflation: span 0000000000000003's excess is 92% of api 'GET /report' (900.0 ms)\n"
        "  Blast radius: 2 caller span(s) in 1 service(s); user-facing route(s): GET /report; the same root-cause hop in "
        "1 of 1 trace(s)\n"
    )

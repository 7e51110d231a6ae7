"""From a trace file to the static report and the (redacted) request: no network here.

`build(...)` loads the file, analyses every trace, maps the spans of the failing paths to code,
lints those files through `errlint.api.Linter` (the user's configuration, preview rules included
as it says), and assembles the request body that `--dry-run` prints and a real run sends.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from errlint.finding import Finding
from errlint.review import prompt
from errlint.review.prepare import NO_AI_RE
from errlint.review.redact import PLACEHOLDER_RE, Policy, Redacted, redact_source, redact_text
from errlint.review.trace import ask
from errlint.review.trace.locate import SpanCode, attach_findings, locate, parse_frames, resolve, role_of, shorten
from errlint.review.trace.path import TraceAnalysis, analyse, ms
from errlint.review.trace.spans import Span, TraceFile, load_trace
from errlint.review.settings import MAX_INPUT_TOKENS_PER_REQUEST
from errlint.source import split_lines

MAX_TRACES = 5  # traces (failed or slow) analysed in one run, one per root-cause hop (the rest are counted)
MAX_ATTRIBUTES = 30  # per span sent
MAX_OTHER_FAILED = 10
MAX_EXCERPTS = 12
EXCERPT_LINES = 80  # a function is sent whole up to this many lines, else a window
WINDOW = 15


@dataclass
class TraceStatic:
    """One failing trace: its analysis, the code of its spans, and how often its root cause recurs."""

    analysis: TraceAnalysis
    code: dict[str, SpanCode]  # span id -> code
    recurrences: int = 1  # traces of the file whose root-cause hop is the same (service, name)
    same_as: list[str] = field(default_factory=list)  # their trace ids (not analysed again)


@dataclass
class Built:
    file: TraceFile
    name: str
    root: Path
    traces: list[TraceStatic]
    total_traces: int
    failing_traces: int
    notices: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # path -> real source (memory only)
    body: Optional[dict[str, Any]] = None
    untrusted: str = ""  # the redacted untrusted parts, for the injection tripwire
    redactions: dict[str, int] = field(default_factory=dict)
    span_ids: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)
    ranges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    nonce: str = ""
    # What the report shows of each span's free text: redacted as in the request (a report may be
    # posted to a pull request). span id -> (status message, [(exception type, message)]).
    shown: dict[str, tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)  # repository files whose code is not sent, and why
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # span id -> (service, name), redacted
    redactor: Optional[ask.TraceRedactor] = None  # one set of placeholders for the report and the request


def build(path: Path, display: str, root: Path, linter: Any, policy: Policy, model: str, max_tokens: int,
          nonce: Optional[str] = None, exclude: Sequence[str] = ()) -> Built:  # fmt: skip
    try:
        text = sys.stdin.read() if display == "-" else path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ask_error(f"--trace {display}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ask_error(f"--trace {display}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    loaded = load_trace(text, display)
    analyses = [analyse(trace_id, spans) for trace_id, spans in loaded.traces.items()]
    failing = [a for a in analyses if a.interesting]
    failing.sort(key=lambda a: min(s.start_ns for s in a.spans.values()))
    # One trace per root-cause hop (service and span name): the others are named beside it.
    same: dict[tuple[str, str], list[str]] = {}
    for analysis in failing:
        same.setdefault(_signature(analysis), []).append(analysis.trace_id)
    firsts = [a for a in failing if same[_signature(a)][0] == a.trace_id]
    chosen = firsts[:MAX_TRACES]
    built = Built(loaded, display, root, [], len(analyses), len(failing), list(loaded.notices))
    if len(firsts) > MAX_TRACES:
        built.notices.append(f"{len(firsts) - MAX_TRACES} more failing trace(s) with other root causes are not analysed "
                             f"(at most {MAX_TRACES} a run)")  # fmt: skip
    for analysis in chosen:
        spans = [h.span for h in analysis.hops] + [analysis.spans[s] for s in analysis.failed]
        code = {s.span_id: locate(s, root, len(analysis.ancestors(s.span_id))) for s in spans}
        others = same[_signature(analysis)][1:]
        built.traces.append(TraceStatic(analysis, code, 1 + len(others), others))
    codes = [c for t in built.traces for c in t.code.values()]
    built.notices += attach_findings(codes, root, lambda paths: _lint(paths, root, linter, built))
    for rel in sorted(built.texts):
        reason = excluded_from_ai(rel, built.texts[rel], exclude)
        if reason:
            built.excluded[rel] = reason
            built.notices.append(f"{rel}: its code and findings are not sent ({reason}); the static report lists them")
    _request(built, policy, model, max_tokens, nonce, len(built.traces))
    if len(built.traces) > 1 and built.body is not None and prompt.estimate_tokens(built.body) > MAX_INPUT_TOKENS_PER_REQUEST:
        _request(built, policy, model, max_tokens, nonce, 1)
        built.notices.append(f"the request for all {len(built.traces)} analysed traces is too large: only the first "
                             "is sent (the report shows them all)")  # fmt: skip
    return built


def excluded_from_ai(rel: str, text: str, patterns: Sequence[str]) -> str:
    """Why a repository file's code may not be sent ("" when it may): the same opt-outs as the
    review of findings, `exclude-from-ai` globs (and the built-in list) and `# errlint: no-ai`."""
    base = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(base, pattern):
            return f"matches exclude-from-ai pattern {pattern!r}"
        if rel.startswith(pattern.rstrip("/") + "/"):
            return f"under exclude-from-ai path {pattern!r}"
    return "the file is marked `# errlint: no-ai`" if NO_AI_RE.search(text) else ""


def ask_error(message: str) -> Exception:
    from errlint.review.trace.spans import TraceFormatError

    return TraceFormatError(message)


def _signature(analysis: TraceAnalysis) -> tuple[str, str]:
    span = analysis.spans[analysis.root_cause or ""]
    return span.service, span.name


def _lint(paths: list[str], root: Path, linter: Any, built: Built) -> dict[str, tuple[str, list[Finding]]]:
    out = {}
    for rel in paths:
        try:
            data = (root / rel).read_bytes()
        except OSError as err:
            built.notices.append(f"{rel}: cannot be read ({err.strerror or err}): no findings for it")
            continue
        result = linter.lint_bytes(data, rel, keep_source=True)
        source = result.source if result.source is not None else data.decode("utf-8", "replace")
        built.texts[rel] = source
        for crash in result.crashes:
            built.notices.append(f"rule {crash.rule} crashed on {crash.path}: {crash.error}")
        out[rel] = (source, list(result.findings))
    return out


# --- the request ------------------------------------------------------------------------------


def _request(built: Built, policy: Policy, model: str, max_tokens: int, nonce: Optional[str], count: int) -> None:
    """Build the request for the first `count` analysed traces (the report shows them all)."""
    if built.redactor is None:
        built.redactor = ask.TraceRedactor(policy)
    redactor = built.redactor
    files: dict[str, Redacted] = {}
    built.span_ids, built.locations, built.ranges = set(), set(), {}

    def sent_path(path: str) -> str:
        scrubbed = redactor.redactor.scrub(path)
        return PLACEHOLDER_RE.sub(lambda m: f"[redacted-{m.group(1)}-{m.group(2)}]", scrubbed)

    def file(path: str) -> Redacted:
        if path not in files:
            files[path] = redact_source(built.texts.get(path, ""), policy)
        return files[path]

    def unified(path: str, text: str) -> str:
        """`text`, redacted with the file's placeholders, with the trace's instead: the same value
        has the same placeholder in the code, the findings and the trace."""
        values = file(path).values

        def swap(match: re.Match[str]) -> str:
            value = values.get(match.group(0))
            return match.group(0) if value is None else redactor.redactor.placeholder(match.group(1), value)

        return PLACEHOLDER_RE.sub(swap, text)

    traces: list[dict[str, Any]] = []
    findings: dict[str, list[str]] = {}  # finding line -> the spans whose functions hold it
    excerpts: list[tuple[str, int, int, str, str]] = []
    seen: set[tuple[str, int, int]] = set()
    left_out: set[str] = set()  # functions past MAX_EXCERPTS
    for static in built.traces:
        for span in static.analysis.spans.values():
            built.labels[span.span_id] = (redactor.text(span.service, 120), redactor.text(span.name, 200))
            built.shown[span.span_id] = (
                redactor.text(span.status_message),
                [(redactor.text(e.type, 120), redactor.text(e.message, 600)) for e in span.exceptions],
            )
    for static in built.traces[:count]:
        analysis = static.analysis
        on_path = [h.span.span_id for h in analysis.hops]
        others = [s for s in analysis.failed if s not in on_path][:MAX_OTHER_FAILED]

        def span_data(span: Span, behaviour: str = "", detail: str = "") -> dict[str, Any]:
            code = static.code.get(span.span_id)
            location = code.location if code is not None else None
            data: dict[str, Any] = {
                "span_id": span.span_id,
                "parent_span_id": span.parent_id,
                "service": redactor.text(span.service, 120),
                "name": redactor.text(span.name, 200),
                "kind": span.kind,
                "status": span.status,
                "status_message": redactor.text(span.status_message),
                "duration_ms": round(ms(span), 3),
            }
            if behaviour:
                data["behaviour_from_trace"] = behaviour + (f": {redactor.text(detail)}" if detail else "")
            if location is not None:
                where = f"{sent_path(location.path)}:{location.line}"
                data["location"] = where if location.resolved else f"{where} (not in the repository)"
                data["function"] = redactor.text(location.function, 120)
                if location.resolved:
                    built.locations.add(where)
            attributes = {k: v for k, v in sorted(span.attributes.items()) if not k.startswith("code.")}
            data["attributes"] = {redactor.text(k, 80): redactor.attribute(k, v) for k, v in list(attributes.items())[:MAX_ATTRIBUTES]}
            if len(attributes) > MAX_ATTRIBUTES:
                data["attributes_not_sent"] = len(attributes) - MAX_ATTRIBUTES
            if len(span.exceptions) > 3:
                data["exceptions_not_sent"] = len(span.exceptions) - 3
            data["exceptions"] = [
                {"type": redactor.text(e.type, 120), "message": redactor.text(e.message, 600),
                 "stack_trace": _stack(e.stacktrace, built.root, redactor, sent_path)}
                for e in span.exceptions[:3]
            ]  # fmt: skip
            built.span_ids.add(span.span_id)
            if code is not None:
                for frame in code.frames:  # (slow spans' ids are added below: they may be cited too)
                    if frame.resolved:
                        built.locations.add(f"{sent_path(frame.path)}:{frame.line}")
                for finding in code.findings:
                    if finding.path in built.excluded:
                        continue
                    line = (f"{sent_path(finding.path)}:{finding.line}:{finding.column} {finding.code} "
                            f"{finding.name} [{role_of(finding.code)}]: "
                            f"{unified(finding.path, redact_text(finding.message, file(finding.path), policy))}")  # fmt: skip
                    findings.setdefault(line, [])
                    if span.span_id not in findings[line]:
                        findings[line].append(span.span_id)
                for path, start, end, name in code.functions:
                    if (path, start, end) in seen or path in built.excluded:
                        continue
                    if len(excerpts) >= MAX_EXCERPTS:
                        left_out.add(f"{path}:{start}")
                        continue
                    seen.add((path, start, end))
                    lines = split_lines(file(path).text)
                    anchor = location.line if location is not None and location.path == path else start
                    first, last = (start, end) if end - start < EXCERPT_LINES else (max(start, anchor - WINDOW), min(end, anchor + WINDOW))
                    width = len(str(last))
                    body = unified(path, "\n".join(f"{n:>{width}}| {lines[n - 1]}" for n in range(first, min(last, len(lines)) + 1)))
                    excerpts.append((sent_path(path), first, last, redactor.text(name, 120), body))
                    built.ranges.setdefault(sent_path(path), []).append((first, last))
            return data

        hops = [span_data(h.span, h.behaviour, h.detail) for h in analysis.hops]
        built.span_ids.update(analysis.slow)
        root_cause = analysis.spans[analysis.root_cause or ""]
        traces.append({
            "trace_id": analysis.trace_id,
            "root_cause_candidate": root_cause.span_id,
            "cause": analysis.cause,
            "hops_root_first": hops,
            "other_failed_spans": [span_data(analysis.spans[s]) for s in others],
            "other_failed_spans_not_sent": len([s for s in analysis.failed if s not in on_path]) - len(others),
            "slow_spans": [
                {"span_id": s, "duration_ms": round(ms(analysis.spans[s]), 3), "siblings_median_ms": round(v.median_ms, 3),
                 "excess_ms": round(v.excess_ms, 3)} for s, v in analysis.slow.items()
            ],
            "user_facing_routes": [redactor.text(r, 200) for r in analysis.routes()],  # (templates, but scrubbed)
            "same_root_cause_in_traces": f"{static.recurrences} of {built.total_traces}",
        })  # fmt: skip
    if left_out:
        built.notices.append(f"the code of {len(left_out)} more function(s) on the path is not sent (at most "
                             f"{MAX_EXCERPTS} a request); their findings are")  # fmt: skip
    finding_lines = [f"span{'s' if len(spans) > 1 else ''} {', '.join(spans)}: {line}" for line, spans in findings.items()]
    payload = [json_text(t) for t in traces] + finding_lines + [e[4] for e in excerpts]
    built.untrusted = "\n".join(payload)
    built.nonce = prompt.choose_nonce(payload, nonce)
    text = ask.user_text(traces, finding_lines, excerpts, sorted(built.locations), built.nonce)
    built.body = ask.build_body(model, max_tokens, text)
    # Counts of the placeholders really sent (never the values).
    built.redactions = dict(sorted(Counter(m.group(1) for m in PLACEHOLDER_RE.finditer(text)).items()))


def json_text(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


_ABSOLUTE_RE = re.compile(r"(?<![\w:/.~-])/(?:[\w.@+~-]+/)+[\w.@+~-]+|\b[A-Za-z]:\\(?:[^\\\s\"'():]+\\)+[^\\\s\"'():]+")


def _stack(stacktrace: str, root: Path, redactor: ask.TraceRedactor, sent_path: Any) -> str:
    """The stack trace as sent: frame paths relative to the root (or shortened), redacted, the
    innermost part kept when it is long."""
    def short(path: str) -> str:
        rel, _ = resolve(path, root)
        return sent_path(rel) if rel else shorten(path)

    lines = []
    for line in stacktrace.splitlines():
        frames = parse_frames(line)
        if frames:
            path = frames[0][0]
            line = line.replace(f'"{path}"', f'"{short(path)}"', 1)
        else:  # other languages' frames (`at f (/home/me/app/x.js:3:9)`): no directory of this machine
            line = _ABSOLUTE_RE.sub(lambda m: short(m.group(0)), line)
        lines.append(line)
    text = redactor.redactor.scrub("\n".join(lines))
    if len(text) > ask.MAX_STACK_CHARS:
        text = f"… ({len(text) - ask.MAX_STACK_CHARS} characters left out)\n" + text[-ask.MAX_STACK_CHARS :]
    return text

"""Find the failure in a trace and the path it travelled: no code, no network, only spans.

- **Failed spans**: status ERROR, or an `exception` event (a span that recorded an exception but
  kept an OK/unset status hid it from the trace).
- **Slow spans**: a span is slow when its duration is at least `SLOW_RATIO` (3) times the median
  duration of its siblings (the other children of its parent) and at least `SLOW_MIN_EXCESS_MS`
  (100 ms) above that median. Spans without siblings are not judged.
- **Root-cause candidate**: the failed spans with no failed descendant ("error leaves"); the
  primary one is the error leaf that ended first. When its exception reads like a timeout
  (`timeout`, `timed out`, `deadline`) and the callee exported spans, the cause is downstream
  slowness: the candidate becomes the slowest leaf below it (`cause: timeout`). With no failed
  span, the slow span with the largest excess is the candidate (`cause: latency`), drilled down
  to its slowest descendant.
- **Hops**: the spans from the trace's root down to the candidate, in order; at each hop what the
  trace shows happened to the failure (`propagated`, `hid`, `converted`, `retried`, `recorded`).
- **Latency inflation**: for each slow span, its excess over its siblings' median, and the share
  of every caller's duration that excess accounts for.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Optional, Sequence

from errlint.review.trace.spans import Span

SLOW_RATIO = 3.0
SLOW_MIN_EXCESS_MS = 100.0
_TIMEOUT_RE = re.compile(r"(?i)time[\s_-]?out|timed\s+out|deadline")
_ROUTE_KEYS = ("http.route", "url.path", "http.target")
_METHOD_KEYS = ("http.request.method", "http.method")
_STATUS_KEYS = ("http.response.status_code", "http.status_code", "rpc.grpc.status_code")


@dataclass(frozen=True)
class Slowness:
    median_ms: float  # of the siblings
    ratio: float
    excess_ms: float


@dataclass
class Hop:
    span: Span
    depth: int
    behaviour: str = ""  # what this hop did with the failure below it, as the trace shows it
    detail: str = ""


@dataclass
class TraceAnalysis:
    trace_id: str
    spans: dict[str, Span]
    children: dict[str, list[str]]
    roots: list[str]
    failed: list[str] = field(default_factory=list)
    slow: dict[str, Slowness] = field(default_factory=dict)
    candidates: list[str] = field(default_factory=list)
    root_cause: Optional[str] = None
    cause: str = ""  # error, timeout, latency
    hops: list[Hop] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # spans whose parent is not in the file

    @property
    def interesting(self) -> bool:
        return self.root_cause is not None

    def ancestors(self, span_id: str) -> list[str]:
        out = []
        current = self.spans[span_id].parent_id
        while current is not None and current in self.spans and current not in out:
            out.append(current)
            current = self.spans[current].parent_id
        return out

    def routes(self) -> list[str]:
        """User-facing routes on the path: the HTTP routes of the entry service's spans on the path
        (the service of the trace's root), or the root span's name when it is a server span."""
        out = []
        entry = self.hops[0].span.service if self.hops else ""
        for hop in self.hops:
            span = hop.span
            if span.service != entry:
                continue
            route = next((str(span.attributes[k]) for k in _ROUTE_KEYS if span.attributes.get(k)), "")
            method = next((str(span.attributes[k]) for k in _METHOD_KEYS if span.attributes.get(k)), "")
            if route:
                out.append(f"{method} {route}".strip())
            elif span.kind == "server" and hop.depth == 0:
                out.append(span.name)
        return list(dict.fromkeys(out))

    def inflation(self) -> list[tuple[str, str, float, float]]:
        """(slow span, caller on its path, caller's duration ms, share of it that is the excess)."""
        rows = []
        for span_id, slow in self.slow.items():
            for caller in self.ancestors(span_id):
                duration = self.spans[caller].duration_ns / 1e6
                if duration > 0:
                    rows.append((span_id, caller, duration, min(1.0, slow.excess_ms / duration)))
        return rows


def ms(span: Span) -> float:
    return span.duration_ns / 1e6


def analyse(trace_id: str, spans: Sequence[Span]) -> TraceAnalysis:
    by_id = {s.span_id: s for s in spans}
    children: dict[str, list[str]] = {s.span_id: [] for s in spans}
    roots, orphans = [], []
    for span in sorted(spans, key=lambda s: (s.start_ns, s.order)):
        if span.parent_id is None or span.parent_id not in by_id or span.parent_id == span.span_id:
            roots.append(span.span_id)
            if span.parent_id is not None:
                orphans.append(span.span_id)
        else:
            children[span.parent_id].append(span.span_id)
    result = TraceAnalysis(trace_id, by_id, children, roots, orphans=orphans)
    result.failed = [s.span_id for s in sorted(spans, key=lambda s: (s.start_ns, s.order)) if s.failed]
    for parent, kids in children.items():
        for kid in kids:
            others = [ms(by_id[k]) for k in kids if k != kid]
            if not others:
                continue
            median = statistics.median(others)
            duration = ms(by_id[kid])
            excess = duration - median
            ratio = duration / median if median > 0 else float("inf")
            if excess >= SLOW_MIN_EXCESS_MS and ratio >= SLOW_RATIO:
                result.slow[kid] = Slowness(median, ratio, excess)
    _root_cause(result)
    if result.root_cause is not None:
        _hops(result)
    return result


def _slowest_leaf(analysis: TraceAnalysis, span_id: str) -> str:
    current, seen = span_id, {span_id}
    while analysis.children[current]:
        slowest = max(analysis.children[current], key=lambda k: (analysis.spans[k].duration_ns, -analysis.spans[k].order))
        if slowest in seen:  # a cycle of parent ids in a malformed file
            break
        current = slowest
        seen.add(current)
    return current


def _is_timeout(span: Span) -> bool:
    texts = [span.status_message] + [f"{e.type} {e.message}" for e in span.exceptions]
    return any(_TIMEOUT_RE.search(t) for t in texts)


def _failed_below(analysis: TraceAnalysis) -> set[str]:
    """The spans with a failed descendant (one pass, bottom-up)."""
    out: set[str] = set()
    for span_id in analysis.failed:
        current = analysis.spans[span_id].parent_id
        while current is not None and current in analysis.spans and current not in out:
            out.add(current)
            current = analysis.spans[current].parent_id
    return out


def _root_cause(analysis: TraceAnalysis) -> None:
    below = _failed_below(analysis)
    leaves = [s for s in analysis.failed if s not in below]
    analysis.candidates = sorted(leaves, key=lambda s: (analysis.spans[s].end_ns, analysis.spans[s].order))
    if analysis.candidates:
        first = analysis.candidates[0]
        span = analysis.spans[first]
        if _is_timeout(span) and analysis.children[first]:
            analysis.root_cause, analysis.cause = _slowest_leaf(analysis, first), "timeout"
        else:
            analysis.root_cause, analysis.cause = first, "timeout" if _is_timeout(span) else "error"
        return
    if analysis.slow:
        worst = max(analysis.slow, key=lambda s: (analysis.slow[s].excess_ms, -analysis.spans[s].order))
        analysis.root_cause, analysis.cause = _slowest_leaf(analysis, worst), "latency"


def _hops(analysis: TraceAnalysis) -> None:
    assert analysis.root_cause is not None
    chain = list(reversed(analysis.ancestors(analysis.root_cause))) + [analysis.root_cause]
    analysis.hops = [Hop(analysis.spans[s], depth) for depth, s in enumerate(chain)]
    for index, hop in enumerate(analysis.hops):
        span = hop.span
        below = analysis.hops[index + 1].span if index + 1 < len(analysis.hops) else None
        if below is None:
            hop.behaviour = {"timeout": "slow", "latency": "slow"}.get(analysis.cause, "raised")
            if span.exceptions and span.status != "error":
                hop.behaviour, hop.detail = "recorded", "recorded an exception but kept the status " + span.status
            elif span.status == "error" or span.exceptions:
                hop.behaviour = "timed_out" if _is_timeout(span) else "raised"
            continue
        hop.behaviour, hop.detail = _behaviour(analysis, span, below)


def _first_type(span: Span) -> str:
    return span.exceptions[0].type if span.exceptions else ""


_IMPLICIT = "During handling of the above exception, another exception occurred:"
_EXPLICIT = "The above exception was the direct cause of the following exception:"
_EXC_LINE_RE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")


def chain(stacktrace: str) -> list[tuple[str, str]]:
    """The exceptions of a Python stack trace, the first cause first: (type, how the next one
    followed it: "" for the last, "while handling it" or "from it")."""
    blocks = re.split(f"({re.escape(_IMPLICIT)}|{re.escape(_EXPLICIT)})", stacktrace)
    out: list[tuple[str, str]] = []
    for index in range(0, len(blocks), 2):
        lines = [line for line in blocks[index].splitlines() if line.strip()]
        match = _EXC_LINE_RE.match(lines[-1]) if lines else None
        if match is None:
            return []
        link = blocks[index + 1] if index + 1 < len(blocks) else ""
        out.append((match.group(1), "while handling it" if link == _IMPLICIT else "from it" if link else ""))
    return out


def _converted_inside(span: Span) -> str:
    """`X became Y ...` when the span's own stack trace shows a conversion."""
    for exception in span.exceptions[:1]:
        links = chain(exception.stacktrace)
        if len(links) > 1:
            (first, how), last = links[-2], links[-1][0]
            lost = " (no `from`: the cause is only implicit)" if how == "while handling it" else ""
            return f"{first} became {last} {how}{lost}"
    return ""


def _behaviour(analysis: TraceAnalysis, span: Span, below: Span) -> tuple[str, str]:
    same = [analysis.spans[k] for k in analysis.children[span.span_id]
            if analysis.spans[k].name == below.name and analysis.spans[k].service == below.service]  # fmt: skip
    # Retries: the same call again after a failure (every attempt but the last failed); the same
    # call to several targets with one failure in between is a fan-out, not a retry.
    retried = f"called {below.name} {len(same)} times" if len(same) > 1 and all(s.failed for s in same[:-1]) else ""
    status = next((span.attributes[k] for k in _STATUS_KEYS if span.attributes.get(k) is not None), None)
    if not below.failed:
        if span.failed and _is_timeout(span):
            return "timed_out", f"gave up after {ms(span):,.1f} ms while the call below was still running"
        return ("waited" if below.span_id in analysis.slow or analysis.cause in ("timeout", "latency") else "passed"), retried
    if span.status != "error" and not span.exceptions:
        detail = f"ended {span.status}" + (f" with status code {status}" if status is not None else "")
        return ("retried" if retried else "hid"), "; ".join(x for x in (retried, detail + " though the call below failed") if x)
    if span.exceptions and span.status != "error":
        return "recorded", f"recorded {_first_type(span)} but kept the status {span.status}"
    if _is_timeout(span) and not _is_timeout(below):
        return "timed_out", retried
    mine, theirs = _first_type(span), _first_type(below)
    if mine and theirs and mine != theirs:
        return ("retried" if retried else "converted"), "; ".join(x for x in (retried, f"{theirs} became {mine}") if x)
    inside = _converted_inside(span)
    if inside:
        return ("retried" if retried else "converted"), "; ".join(x for x in (retried, inside) if x)
    if status is not None and str(status) not in ("", "0") and span.kind == "client":
        return ("retried" if retried else "propagated"), "; ".join(x for x in (retried, f"received status code {status}") if x)
    if status is not None and str(status) not in ("", "0"):
        return "converted", "; ".join(x for x in (retried, f"answered with status code {status}") if x)
    return ("retried" if retried else "propagated"), retried

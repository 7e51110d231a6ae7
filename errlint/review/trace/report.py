"""Render a `review --trace` run: plain text (the default) and JSON.

The static part shows real paths relative to the repository root (it stays on this machine);
Claude's part shows the model's claims as validated (paths as sent). Text from the trace and from
the model is printed with control, bidi and zero-width characters removed.
"""

from __future__ import annotations

import json
import re
from typing import IO, Any, Optional

from errlint import __version__
from errlint.review.trace.ask import SECTIONS, TRACE_PROMPT_VERSION, Claim
from errlint.review.trace.build import Built, TraceStatic
from errlint.review.trace.command import TraceRun
from errlint.review.trace.locate import LIBRARY, Location, role_of
from errlint.review.trace.path import ms

_UNSAFE_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
SCHEMA_VERSION = 1
_TITLES = {"propagation": "How it travelled", "blast_radius": "Blast radius", "latency": "Latency",
           "first_actions": "First actions"}  # fmt: skip


def _obj(properties: dict[str, Any], extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": sorted(properties), "additionalProperties": extra}


_STR, _INT, _NUM, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
_LOCATION = {"anyOf": [{"type": "null"}, _obj({"path": _STR, "line": _INT, "function": _STR, "resolved": _BOOL,
                                                "reason": _STR, "source": _STR})]}  # fmt: skip
_FINDING = _obj({"code": _STR, "name": _STR, "path": _STR, "line": _INT, "column": _INT, "message": _STR,
                 "role": {"enum": ["hid", "converted", "retried", "other"]}})  # fmt: skip
_SPAN_PROPS: dict[str, Any] = {
    "span_id": _STR, "parent_span_id": {"type": ["string", "null"]}, "service": _STR, "name": _STR, "kind": _STR,
    "status": {"enum": ["error", "ok", "unset"]}, "status_message": _STR, "duration_ms": _NUM,
    "exceptions": {"type": "array", "items": _obj({"type": _STR, "message": _STR})}, "location": _LOCATION,
    "frames": {"type": "array", "items": _LOCATION}, "findings": {"type": "array", "items": _FINDING},
}  # fmt: skip
_CLAIM = _obj({"span_id": _STR, "location": {"type": ["string", "null"]}, "text": _STR, "location_verified": _BOOL})
# The JSON report of `errlint review --trace --format json` (tests validate every report against it).
JSON_SCHEMA: dict[str, Any] = _obj({
    "schema_version": {"const": SCHEMA_VERSION}, "errlint_version": _STR, "model": _STR, "prompt_version": _STR,
    "endpoint": _STR, "trace_file": _STR, "format": _STR,
    "run": _obj({
        "state": {"enum": ["complete", "partial", "skipped", "dry_run"]}, "notices": {"type": "array", "items": _STR},
        "fatal": {"type": ["string", "null"]}, "requests": _INT,
        "usage": _obj({k: _INT for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                        "cache_creation_input_tokens")}),
        "redactions": {"type": "object", "additionalProperties": _INT}, "estimated_input_tokens": _INT,
        "traces_in_file": _INT, "failing_traces": _INT, "cached": _BOOL, "request_id": {"type": ["string", "null"]},
    }),
    "traces": {"type": "array", "items": _obj({
        "trace_id": _STR, "spans": _INT, "services": {"type": "array", "items": _STR},
        "cause": {"enum": ["error", "timeout", "latency"]}, "root_cause": _obj(_SPAN_PROPS),
        "candidates": {"type": "array", "items": _STR},
        "hops": {"type": "array", "items": _obj({**_SPAN_PROPS, "depth": _INT, "behaviour": _STR, "detail": _STR})},
        "other_failures": {"type": "array", "items": _obj(_SPAN_PROPS)},
        "slow": {"type": "array", "items": _obj({"span_id": _STR, "duration_ms": _NUM, "siblings_median_ms": _NUM,
                                                 "ratio": _NUM, "excess_ms": _NUM})},
        "inflation": {"type": "array", "items": _obj({"span_id": _STR, "caller": _STR, "caller_duration_ms": _NUM,
                                                      "share": _NUM})},
        "blast_radius": _obj({"callers": {"type": "array", "items": _STR}, "services": {"type": "array", "items": _STR},
                              "routes": {"type": "array", "items": _STR}, "same_root_cause_in_traces": _INT,
                              "same_root_cause_trace_ids": {"type": "array", "items": _STR}, "traces_in_file": _INT}),
        "orphans": {"type": "array", "items": _STR},
    })},
    "analysis": {"anyOf": [{"type": "null"}, _obj({
        "reasoning": _STR,
        "root_cause": {"anyOf": [{"type": "null"}, _obj({**_CLAIM["properties"], "confidence": {"enum": ["low", "medium", "high"]}})]},
        "propagation": {"type": "array", "items": _obj({**_CLAIM["properties"], "behaviour": _STR})},
        "blast_radius": {"type": "array", "items": _CLAIM}, "latency": {"type": "array", "items": _CLAIM},
        "first_actions": {"type": "array", "items": _CLAIM}, "injection_suspected": _BOOL,
        "dropped": {"type": "array", "items": _STR},
    })]},
    "injection_suspected": _BOOL, "static_stands": _STR,
    "request": {"type": "object"},
})  # fmt: skip
JSON_SCHEMA["required"].remove("request")  # only with --dry-run


def clean(text: str) -> str:
    return _UNSAFE_RE.sub("", text)


def _where(location: Optional[Location]) -> str:
    if location is None:
        return "no code location"
    text = f"{location.path}:{location.line}" + (f" {location.function}" if location.function else "")
    return text if location.resolved else f"{text} (unresolved: {location.reason})"


def _location_dict(location: Optional[Location]) -> Optional[dict[str, Any]]:
    if location is None:
        return None
    return {"path": location.path, "line": location.line, "function": location.function, "resolved": location.resolved,
            "reason": location.reason, "source": location.source}  # fmt: skip


def _finding_dict(finding: Any) -> dict[str, Any]:
    return {"code": finding.code, "name": finding.name, "path": finding.path, "line": finding.line,
            "column": finding.column, "message": finding.message, "role": role_of(finding.code)}  # fmt: skip


def trace_dict(static: TraceStatic, built: Built) -> dict[str, Any]:
    analysis, shown, labels, total = static.analysis, built.shown, built.labels, built.total_traces
    text = built.redactor.text if built.redactor is not None else (lambda value, limit=300: value)
    on_path = [h.span.span_id for h in analysis.hops]

    def span(span_id: str, depth: Optional[int] = None, behaviour: str = "", detail: str = "") -> dict[str, Any]:
        s = analysis.spans[span_id]
        code = static.code.get(span_id)
        out: dict[str, Any] = {"span_id": s.span_id, "parent_span_id": s.parent_id, "service": labels[span_id][0], "name": labels[span_id][1],
                               "kind": s.kind, "status": s.status, "status_message": shown[span_id][0],
                               "duration_ms": round(ms(s), 3)}  # fmt: skip
        if depth is not None:
            out.update(depth=depth, behaviour=behaviour, detail=detail)
        out["exceptions"] = [{"type": t, "message": m} for t, m in shown[span_id][1]]
        out["location"] = _location_dict(code.location if code else None)
        out["frames"] = [_location_dict(f) for f in code.frames] if code else []
        out["findings"] = [_finding_dict(f) for f in code.findings] if code else []
        return out

    cause = analysis.root_cause or ""
    return {
        "trace_id": analysis.trace_id,
        "spans": len(analysis.spans),
        "services": sorted({labels[s][0] for s in analysis.spans}),
        "cause": analysis.cause,
        "root_cause": span(cause),
        "candidates": list(analysis.candidates),
        "hops": [span(h.span.span_id, h.depth, h.behaviour, h.detail) for h in analysis.hops],
        "other_failures": [span(s) for s in analysis.failed if s not in on_path],
        "slow": [{"span_id": s, "duration_ms": round(ms(analysis.spans[s]), 3), "siblings_median_ms": round(v.median_ms, 3),
                  "ratio": round(v.ratio, 2), "excess_ms": round(v.excess_ms, 3)} for s, v in analysis.slow.items()],
        "inflation": [{"span_id": s, "caller": c, "caller_duration_ms": round(d, 3), "share": round(share, 3)}
                      for s, c, d, share in analysis.inflation()],
        "blast_radius": {
            "callers": [a for a in reversed(analysis.ancestors(cause))] if cause else [],
            "services": list(dict.fromkeys(labels[h.span.span_id][0] for h in analysis.hops)),
            "routes": [text(r) for r in analysis.routes()],
            "same_root_cause_in_traces": static.recurrences,
            "same_root_cause_trace_ids": list(static.same_as),
            "traces_in_file": total,
        },
        "orphans": list(analysis.orphans),
    }  # fmt: skip


def render_json(run: TraceRun, out: IO[str], include_request: bool = False) -> None:
    built = run.built
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "errlint_version": __version__,
        "model": run.model,
        "prompt_version": TRACE_PROMPT_VERSION,
        "endpoint": run.endpoint,
        "trace_file": built.name,
        "format": built.file.format,
        "run": {
            "state": run.state, "notices": list(run.notices), "fatal": run.fatal, "requests": run.requests,
            "usage": run.usage.to_dict(), "redactions": built.redactions, "estimated_input_tokens": run.estimated_input_tokens,
            "traces_in_file": built.total_traces, "failing_traces": built.failing_traces, "cached": run.cached,
            "request_id": run.request_id,
        },
        "traces": [trace_dict(t, built) for t in built.traces],
        "analysis": run.answer.to_dict() if run.answer is not None and not run.static_stands else None,
        "injection_suspected": run.injection_suspected,
        "static_stands": run.static_stands,
    }  # fmt: skip
    if include_request:
        data["request"] = built.body
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def render_text(run: TraceRun, out: IO[str], include_request: bool = False) -> None:
    built = run.built
    out.write(f"errlint review --trace {built.name}: {built.failing_traces} of {built.total_traces} trace(s) failed or "
              f"were slow ({built.file.format})\n")  # fmt: skip
    for static in built.traces:
        _trace_text(static, built, out)
    if include_request and built.body is not None:
        out.write(f"\nRequest that would be sent to {run.endpoint} (redacted; about {run.estimated_input_tokens:,} input "
                  f"tokens; redactions: {_counts(built.redactions)}):\n")  # fmt: skip
        out.write(json.dumps(built.body, indent=2, ensure_ascii=False) + "\n")
        return
    if run.answer is not None and not run.static_stands:
        _answer_text(run, out)
    elif run.static_stands:
        out.write(f"\nClaude's analysis: not used ({run.static_stands}).\n")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _trace_text(static: TraceStatic, built: Built, out: IO[str]) -> None:
    analysis, shown, total = static.analysis, built.shown, built.total_traces
    text = built.redactor.text if built.redactor is not None else (lambda value, limit=300: value)

    def label(span_id: str) -> str:
        service, name = built.labels[span_id]
        return f"{clean(service)} {clean(name)!r}"

    cause = analysis.spans[analysis.root_cause or ""]
    code = static.code.get(cause.span_id)
    services = sorted({built.labels[s][0] for s in analysis.spans})
    out.write(f"\nTrace {analysis.trace_id} ({len(analysis.spans)} spans, {len(services)} services: {', '.join(services)})\n")
    out.write(f"  Root-cause candidate ({analysis.cause}): span {cause.span_id} {label(cause.span_id)} "
              f"at {_where(code.location if code else None)}\n")  # fmt: skip
    for kind, message in shown[cause.span_id][1][:1]:
        out.write(f"    {clean(kind)}" + (f": {clean(message)}\n" if message else "\n"))
    out.write("  Hops (root first):\n")
    printed: set[tuple[str, int, int, str]] = set()
    for index, hop in enumerate(analysis.hops, 1):
        s = hop.span
        hop_code = static.code.get(s.span_id)
        status = s.status.upper() + (f" {clean(shown[s.span_id][0])[:80]!r}" if s.status_message else "")
        out.write(f"    {index}. {label(s.span_id)} {s.kind} {status} {ms(s):,.1f} ms span {s.span_id}\n")
        out.write(f"       at {_where(hop_code.location if hop_code else None)}\n")
        behaviour = hop.behaviour + (f": {clean(hop.detail)}" if hop.detail else "")
        out.write(f"       trace shows: {behaviour}\n")
        for finding in hop_code.findings if hop_code else []:
            if (finding.path, finding.line, finding.column, finding.code) in printed:
                out.write(f"       {finding.code} {finding.path}:{finding.line}:{finding.column} (listed above)\n")
                continue
            printed.add((finding.path, finding.line, finding.column, finding.code))
            out.write(f"       {finding.code} {finding.path}:{finding.line}:{finding.column} {finding.name} "
                      f"[{role_of(finding.code)}]: {clean(finding.message)}\n")  # fmt: skip
    _handlers_text(static, out)
    on_path = {h.span.span_id for h in analysis.hops}
    others = [s for s in analysis.failed if s not in on_path]
    if others:
        out.write("  Other failed spans:\n")
        for span_id in others:
            s = analysis.spans[span_id]
            first = f" {clean(shown[span_id][1][0][0])}" if s.exceptions else ""
            out.write(f"    span {span_id} {label(span_id)} {s.status.upper()}{first} {ms(s):,.1f} ms\n")
    if analysis.slow:
        out.write("  Slow spans (>= 3x their siblings' median and >= 100 ms above it):\n")
        for span_id, slow in analysis.slow.items():
            s = analysis.spans[span_id]
            out.write(f"    span {span_id} {label(span_id)} {ms(s):,.1f} ms: {slow.ratio:,.1f}x the "
                      f"median of its siblings ({slow.median_ms:,.1f} ms), +{slow.excess_ms:,.1f} ms\n")  # fmt: skip
        for span_id, caller, duration, share in analysis.inflation():
            out.write(f"    latency inflation: span {span_id}'s excess is {share:.0%} of {label(caller)} "
                      f"({duration:,.1f} ms)\n")  # fmt: skip
    routes = analysis.routes()
    callers = list(reversed(analysis.ancestors(cause.span_id)))
    out.write(f"  Blast radius: {len(callers)} caller span(s) in {len({analysis.spans[c].service for c in callers})} "
              f"service(s); user-facing route(s): {', '.join(clean(text(r)) for r in routes) or 'none recorded'}; "
              f"the same root-cause hop in {static.recurrences} of {total} trace(s)\n")  # fmt: skip
    if static.same_as:
        out.write(f"  The same root-cause hop ends {len(static.same_as)} more trace(s): {', '.join(static.same_as)}\n")
    unresolved = [(sid, [f for f in c.frames if not f.resolved]) for sid, c in static.code.items()]
    if any(frames for _, frames in unresolved):
        out.write("  Unresolved frames:\n")
    for span_id, frames in unresolved:
        # Frames in installed packages and the standard library are counted, with the first and
        # the last (every one is in the JSON report); any other unresolved frame is listed.
        library = [f for f in frames if f.reason == LIBRARY]
        for frame in frames:
            if frame.reason != LIBRARY:
                out.write(f"    span {span_id}: {_where(frame)}\n")
            elif len(library) <= 2 or frame is library[0]:
                ends = [library[0], library[-1]] if len(library) > 2 else [frame]
                more = f"{len(library)} frames, from " if len(library) > 2 else ""
                places = " to ".join(f"{f.path}:{f.line}" + (f" {f.function}" if f.function else "") for f in ends)
                out.write(f"    span {span_id}: {more}{places} ({LIBRARY})\n")
    for span_id in analysis.orphans:
        out.write(f"  Note: span {span_id}'s parent {analysis.spans[span_id].parent_id} is not in the file\n")


def _handlers_text(static: TraceStatic, out: IO[str]) -> None:
    """The handlers on the path that hid, converted or retried a failure, by errlint's findings."""
    roles: dict[str, list[str]] = {"hid": [], "converted": [], "retried": []}
    for hop in static.analysis.hops:
        code = static.code.get(hop.span.span_id)
        if code is None:
            continue
        for finding in code.findings:
            role = role_of(finding.code)
            function = next((name for path, start, end, name in code.functions if path == finding.path and start <= finding.line <= end), "")
            entry = f"{finding.code} {finding.path}:{finding.line}:{finding.column}" + (f" ({function})" if function else "")
            if role in roles and entry not in roles[role]:
                roles[role].append(entry)
    if any(roles.values()):
        out.write("  Handlers on the path, by errlint's findings:\n")
        for role, entries in roles.items():
            out.write(f"    {role}: {', '.join(entries) or 'none found'}\n")


def _claim(claim: Claim, extra: str = "") -> str:
    where = claim.location or "no location"
    if not claim.verified:
        where += " (unverified: not a location that was sent)"
    head = f"[{extra}] " if extra else ""
    return f"{head}span {claim.span_id}, {where}: {clean(claim.text)}"


def _answer_text(run: TraceRun, out: IO[str]) -> None:
    answer = run.answer
    assert answer is not None
    source = "cached answer" if run.cached else f"request {run.request_id or '?'}"
    out.write(f"\nClaude's analysis ({run.model}, {source}; advisory):\n")
    if answer.root_cause is not None:
        out.write(f"  Root cause: {_claim(answer.root_cause, 'confidence ' + answer.root_cause.extra)}\n")
    else:
        out.write("  Root cause: none usable (it cited a span id that is not in the trace)\n")
    for name in SECTIONS:
        claims = answer.sections[name]
        if not claims:
            continue
        out.write(f"  {_TITLES[name]}:\n")
        for claim in claims:
            out.write(f"    - {_claim(claim, claim.extra if name == 'propagation' else '')}\n")
    for reason in answer.dropped:
        out.write(f"  Dropped: {reason}\n")

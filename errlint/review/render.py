"""Show a review run: rich terminal panels, JSON (schema below), Markdown for a PR comment.

Every static finding appears in every format: as a reviewed panel/row, or in the "not reviewed"
list with the reason it was not sent. Text that came from the model is treated as untrusted:
control characters are removed, rich markup is never interpreted, and Markdown output escapes
HTML and @-mentions. Diffs are computed on the redacted text, so no redacted value is shown.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import IO, Any, Optional

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from errlint import __version__
from errlint.review.model import ReviewItem, ReviewRun, RunState, Status, Verdict

JSON_SCHEMA_VERSION = 1
MARKDOWN_LIMIT = 60_000  # GitHub rejects comments over 65,536 characters
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_VERDICT_STYLE = {
    Verdict.TRUE_POSITIVE: ("true positive", "bold red"),
    Verdict.FALSE_POSITIVE: ("false positive", "bold green"),
    Verdict.NEEDS_CONTEXT: ("needs context", "bold yellow"),
}

# The JSON output's schema (documented in docs/review.md; tests validate against it).
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "errlint review report",
    "type": "object",
    "required": ["schema_version", "errlint_version", "model", "prompt_version", "endpoint", "run", "findings"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": JSON_SCHEMA_VERSION},
        "errlint_version": {"type": "string"},
        "model": {"type": "string"},
        "prompt_version": {"type": "string"},
        "endpoint": {"type": "string"},
        "run": {
            "type": "object",
            "additionalProperties": False,
            "required": ["state", "notices", "fatal", "requests", "counts", "usage", "estimated_cost_usd"],
            "properties": {
                "state": {"enum": [s.value for s in RunState]},
                "notices": {"type": "array", "items": {"type": "string"}},
                "fatal": {"type": ["string", "null"]},
                "requests": {"type": "integer", "minimum": 0},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "usage": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
                    ],
                    "properties": {
                        k: {"type": "integer", "minimum": 0}
                        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
                    },
                },
                "estimated_cost_usd": {"type": ["number", "null"]},
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "id", "finding", "status", "reason", "verdict", "impact", "confidence", "explanation",
                    "injection_suspected", "static_stands", "fix", "request_id", "redactions", "estimated_input_tokens",
                ],
                "properties": {
                    "id": {"type": "string"},
                    "finding": {"type": "object"},
                    "status": {"enum": [s.value for s in Status]},
                    "reason": {"type": "string"},
                    "verdict": {"enum": [v.value for v in Verdict] + [None]},
                    "impact": {"type": ["string", "null"]},
                    "confidence": {"enum": ["low", "medium", "high", None]},
                    "explanation": {"type": ["string", "null"]},
                    "injection_suspected": {"type": "boolean"},
                    "static_stands": {"type": "string"},
                    "fix": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "additionalProperties": False,
                                "required": ["start_line", "end_line", "validated", "problems", "warnings", "diff"],
                                "properties": {
                                    "start_line": {"type": "integer"},
                                    "end_line": {"type": "integer"},
                                    "validated": {"type": "boolean"},
                                    "problems": {"type": "array", "items": {"type": "string"}},
                                    "warnings": {"type": "array", "items": {"type": "string"}},
                                    "diff": {"type": "string"},
                                },
                            },
                        ]
                    },
                    "request_id": {"type": ["string", "null"]},
                    "redactions": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "estimated_input_tokens": {"type": "integer", "minimum": 0},
                    "request": {"type": "object"},
                },
            },
        },
    },
}  # fmt: skip


def clean(text: str) -> str:
    """Model text made safe for a terminal: no control, bidi or zero-width characters."""
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\t", "    "))


def _location(item: ReviewItem) -> str:
    f = item.finding
    return f"{f.path}:{f.line}:{f.column}"


def _ordered(run: ReviewRun) -> list[ReviewItem]:
    return sorted(run.items, key=lambda i: (not i.finding.critical, -i.finding.severity.rank, i.finding.path, i.finding.line))


# --- JSON ---------------------------------------------------------------------------------


def to_json(run: ReviewRun, *, include_requests: bool = False) -> dict[str, Any]:
    findings = []
    for item in _ordered(run):
        answer = item.answer
        fix = None
        if answer is not None and answer.fix is not None and item.fix_check is not None:
            fix = {
                "start_line": answer.fix.start_line,
                "end_line": answer.fix.end_line,
                "validated": item.fix_check.validated,
                "problems": list(item.fix_check.problems),
                "warnings": list(item.fix_check.warnings),
                "diff": item.fix_check.diff,
            }
        entry: dict[str, Any] = {
            "id": item.id,
            "finding": item.finding.to_dict(),
            "status": item.status.value,
            "reason": item.reason,
            "verdict": answer.verdict.value if answer else None,
            "impact": answer.impact if answer else None,
            "confidence": answer.confidence.value if answer else None,
            "explanation": answer.explanation if answer else None,
            "injection_suspected": item.injection_suspected,
            "static_stands": item.static_stands,
            "fix": fix,
            "request_id": item.request_id,
            "redactions": dict(item.redactions),
            "estimated_input_tokens": item.estimated_input_tokens,
        }
        if include_requests and item.body is not None and item.status is Status.WOULD_SEND:
            entry["request"] = item.body
        findings.append(entry)
    counts = Counter(item.status.value for item in run.items)
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "errlint_version": __version__,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "endpoint": run.endpoint,
        "run": {
            "state": run.state.value,
            "notices": list(run.notices),
            "fatal": run.fatal,
            "requests": run.requests,
            "counts": dict(sorted(counts.items())),
            "usage": run.usage.to_dict(),
            "estimated_cost_usd": round(run.estimated_cost, 6) if run.estimated_cost is not None else None,
        },
        "findings": findings,
    }


def render_json(run: ReviewRun, out: IO[str], *, include_requests: bool = False) -> None:
    json.dump(to_json(run, include_requests=include_requests), out, indent=2, ensure_ascii=False)
    out.write("\n")


# --- dry run ------------------------------------------------------------------------------


def render_dry_run(run: ReviewRun, out: IO[str]) -> None:
    """Each request body exactly as it would be sent (pretty-printed JSON), then a summary."""
    sends = [i for i in _ordered(run) if i.status is Status.WOULD_SEND and i.body is not None]
    out.write(f"# errlint review --dry-run: nothing is sent; {len(sends)} request(s) to POST {run.endpoint}\n")
    for index, item in enumerate(sends, 1):
        redactions = ", ".join(f"{k}: {v}" for k, v in item.redactions.items()) or "none"
        out.write(
            f"\n# request {index}/{len(sends)}: {item.id} · about {item.estimated_input_tokens:,} input tokens"
            f" · redacted: {redactions}\n"
        )
        out.write(json.dumps(item.body, indent=2, ensure_ascii=False))
        out.write("\n")
    out.write("\n")
    for line in _summary_lines(run):
        out.write(f"# {line}\n")
    for item in _ordered(run):
        if item.status is not Status.WOULD_SEND:
            out.write(f"# not sent: {_location(item)} {item.finding.code} [{item.status.value}] {item.reason}\n")


def _summary_lines(run: ReviewRun) -> list[str]:
    counts = Counter(item.status for item in run.items)
    parts = [f"{n} {status.value}" for status, n in sorted(counts.items(), key=lambda kv: kv[0].value)]
    lines = [f"{len(run.items)} static finding(s): " + (", ".join(parts) or "none")]
    totals: Counter[str] = Counter()
    for item in run.items:
        if item.status in (Status.WOULD_SEND, Status.REVIEWED):
            totals.update(item.redactions)
    if totals:
        lines.append("redacted before sending: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.items())))
    if run.state is RunState.DRY_RUN:
        estimate = sum(i.estimated_input_tokens for i in run.items if i.status is Status.WOULD_SEND)
        lines.append(f"estimated input: about {estimate:,} tokens (output up to max-tokens per request)")
    else:
        u = run.usage
        lines.append(
            f"{run.requests} HTTP request(s); tokens: {u.input_tokens:,} in, {u.output_tokens:,} out, "
            f"{u.cache_read_input_tokens:,} cache read, {u.cache_creation_input_tokens:,} cache write"
        )
    if run.estimated_cost is not None:
        lines.append(f"estimated cost: ${run.estimated_cost:.4f}")
    return lines


# --- rich ---------------------------------------------------------------------------------


def make_console(out: IO[str], color: Optional[bool], width: Optional[int] = None) -> Console:
    return Console(
        file=out,
        force_terminal=True if color else None,
        no_color=color is False or None,
        color_system="auto" if color is not False else None,
        highlight=False,
        emoji=False,
        markup=False,
        width=width,
    )


def _panel(item: ReviewItem) -> Panel:
    answer = item.answer
    assert answer is not None
    f = item.finding
    label, style = _VERDICT_STYLE[answer.verdict]
    title = Text(f"{f.code} {_location(item)} · {f.name}" + (" · critical" if f.critical else ""))
    parts: list[RenderableType] = []
    head = Text()
    head.append(label, style=style)
    head.append(f" · {answer.impact} · confidence {answer.confidence.value}")
    if item.status is Status.CACHED:
        head.append(" · cached", style="dim")
    parts.append(head)
    parts.append(Text(f"errlint: {f.message}", style="dim"))
    if item.injection_suspected:
        parts.append(
            Text(
                "⚠ the reviewed code contains text that reads like instructions to the reviewer: "
                "this verdict is not used, the static finding stands (a gate treats it as a true positive)",
                style="bold magenta",
            )
        )
    if answer.verdict is Verdict.FALSE_POSITIVE:
        parts.append(
            Text(
                f"Advisory: the finding stands until a human agrees (then `# noqa: {f.code}` with a reason).",
                style="italic",
            )
        )
    parts += [Text(""), Text(clean(answer.explanation))]
    check = item.fix_check
    if answer.fix is not None and check is not None:
        parts.append(Text(""))
        if check.validated:
            parts.append(Text("Suggested fix (validated by errlint: parses, finding gone, nothing new):", style="bold green"))
        else:
            parts.append(Text("Advice only, not a fix: " + "; ".join(check.problems), style="bold yellow"))
        if check.diff:
            parts.append(Syntax(clean(check.diff), "diff", theme="ansi_dark", background_color="default", word_wrap=True))
        for warning in check.warnings:
            parts.append(Text(f"note: {warning}", style="yellow"))
    return Panel(Group(*parts), title=title, title_align="left", border_style=style)


def render_rich(run: ReviewRun, console: Console) -> None:
    ordered = _ordered(run)
    answered = [i for i in ordered if i.status.answered and i.answer is not None]
    state = {RunState.COMPLETE: "complete", RunState.PARTIAL: "partial", RunState.SKIPPED: "skipped",
             RunState.DRY_RUN: "dry run"}[run.state]  # fmt: skip
    console.print(Text(f"errlint review · {run.model} · {len(answered)} reviewed · run {state}", style="bold"))
    for item in answered:
        console.print(_panel(item))
    rest = [i for i in ordered if not (i.status.answered and i.answer is not None)]
    if rest:
        console.print(Text(f"Not reviewed: {len(rest)} finding(s); the static findings stand", style="bold"))
        groups: dict[tuple[str, str], list[ReviewItem]] = {}
        for item in rest:
            groups.setdefault((item.status.value, item.reason), []).append(item)
        for (status, reason), items in groups.items():
            console.print(Text(f"  {status}" + (f": {reason}" if reason else ""), style="dim"))
            for item in items:
                f = item.finding
                critical = " (critical)" if f.critical else ""
                entry = Text(f"    {_location(item)}: {f.code} [{f.severity.value}]{critical} {f.message}")
                console.print(entry, soft_wrap=True)
    for line in _summary_lines(run):
        console.print(Text(line, style="dim"))


# --- Markdown -----------------------------------------------------------------------------


_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+!|~=-])")


def _md(text: str) -> str:
    """Untrusted text for Markdown, rendered inert: no HTML, no @-mentions, no images, links,
    autolinks, emphasis, headings or table breaks (every Markdown character is escaped)."""
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL_RE.sub(r"\\\1", text).replace("@", "&#64;")
    return text.replace("://", ":&#47;&#47;").replace("www.", "www&#46;")  # no autolinks


def fence(content: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(run: ReviewRun, out: IO[str]) -> None:
    ordered = _ordered(run)
    answered = [i for i in ordered if i.status.answered and i.answer is not None]
    verdicts = Counter(i.answer.verdict.label for i in answered if i.answer is not None)
    lines = ["## errlint review", ""]
    summary = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())) or "no verdicts"
    lines.append(f"**{len(answered)} finding(s) reviewed** by {_md(run.model)}: {summary}. Run **{run.state.value}**.")
    for notice in run.notices:
        lines.append(f"> {_md(notice)}")
    lines.append("")
    if answered:
        lines += ["| finding | verdict | impact | fix |", "|---|---|---|---|"]
        for item in answered:
            a = item.answer
            assert a is not None
            fix = "—"
            if a.fix is not None and item.fix_check is not None:
                fix = "validated" if item.fix_check.validated else "advice only"
            flag = " ⚠ injection?" if item.injection_suspected else ""
            lines.append(
                f"| `{item.finding.code}` {_md(_location(item))} | {a.verdict.label} ({a.confidence.value}){flag} "
                f"| {_md(a.impact)} | {fix} |"
            )
        lines.append("")
    body = "\n".join(lines)
    details = []
    for item in answered:
        a = item.answer
        assert a is not None
        block = [
            f"<details><summary><code>{item.finding.code}</code> {_md(_location(item))}: {a.verdict.label}</summary>",
            "",
            f"errlint: {_md(item.finding.message)}",
            "",
        ]
        if item.injection_suspected:
            block += ["**Warning:** the code contains text that reads like instructions to the reviewer: this verdict "
                      "is not used, the static finding stands.", ""]
        if a.verdict is Verdict.FALSE_POSITIVE:
            block += ["_Advisory: the static finding stands until a human agrees._", ""]
        block += [_md(a.explanation), ""]
        check = item.fix_check
        if a.fix is not None and check is not None:
            block.append("Suggested fix (validated by errlint):" if check.validated else
                         "Advice only, not a fix: " + _md("; ".join(check.problems)))  # fmt: skip
            if check.diff:
                ticks = fence(check.diff)
                block += ["", f"{ticks}diff", clean(check.diff), ticks]
            block.append("")
        block.append("</details>")
        details.append("\n".join(block))
    truncated = 0
    for detail in details:
        if len(body) + len(detail) + 200 > MARKDOWN_LIMIT:
            truncated += 1
            continue
        body += "\n" + detail + "\n"
    if truncated:
        body += f"\n_{truncated} more reviewed finding(s) omitted to fit a PR comment; see the JSON report._\n"
    rest = [i for i in ordered if not (i.status.answered and i.answer is not None)]
    if rest:
        rows = [f"- `{i.finding.code}` {_md(_location(i))} {_md(i.finding.message)} — {i.status.value}" for i in rest]
        listing: list[str] = []
        for row in rows:
            if len(body) + sum(len(r) + 1 for r in listing) + len(row) + 300 > MARKDOWN_LIMIT:
                listing.append(f"- … and {len(rows) - len(listing)} more")
                break
            listing.append(row)
        body += (
            f"\n<details><summary>Not reviewed: {len(rest)} static finding(s) (they still stand)</summary>\n\n"
            + "\n".join(listing)
            + "\n\n</details>\n"
        )
    body += "\n" + " · ".join(_md(line) for line in _summary_lines(run)) + "\n"
    out.write(body)


# --- SARIF ----------------------------------------------------------------------------------


def render_sarif(run: ReviewRun, out: IO[str]) -> None:
    """errlint's SARIF log of the static findings, with the review in each result's properties
    (`review`: status, verdict, impact, confidence, explanation, static_stands) and a suppression
    (`accepted`, the reason as justification) for findings a human dismissed. An AI verdict alone
    never suppresses a result: the static finding stands until a human agrees."""
    from errlint.reporters import RunResult
    from errlint.reporters.sarif import sarif_log

    items = _ordered(run)
    log = sarif_log(RunResult(findings=[i.finding for i in items], files=run.files))
    for item, result in zip(items, log["runs"][0]["results"]):
        answer = item.answer
        review: dict[str, Any] = {"status": item.status.value, "reason": item.reason}
        if answer is not None and item.status.answered:
            review.update(
                verdict=answer.verdict.value,
                impact=answer.impact,
                confidence=answer.confidence.value,
                explanation=clean(answer.explanation),
                injection_suspected=item.injection_suspected,
                static_stands=item.static_stands,
            )
            if item.fix_check is not None:
                review["fix"] = {"validated": item.fix_check.validated, "problems": list(item.fix_check.problems)}
        result.setdefault("properties", {})["review"] = review
        if item.dismissal:
            result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": item.dismissal}]
    json.dump(log, out, indent=2, ensure_ascii=False)
    out.write("\n")

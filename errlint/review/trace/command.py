"""`errlint review --trace FILE`: the static report of a failing trace, then (with a key) Claude's.

Policy: the static report is always produced. The request is sent only with a key and without
`--dry-run`; the transport, retries, circuit breaker, per-request and run deadlines are the
findings review's (`Reviewer.send_body`). A cached answer for the exact request is reused. When
errlint's tripwire or the model suspects an injection in the trace, the answer is not used and
the static report stands. Exit codes as for `errlint review`: 0 (also degraded), 2 (malformed
trace, bad key, unknown model, extra missing), 3 with `--strict` when the analysis is incomplete.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from errlint.errors import UsageError
from errlint.review import prompt
from errlint.review.cache import ReviewCache, cache_key
from errlint.review.model import OutcomeKind, ReviewRun, Usage
from errlint.review.settings import MAX_INPUT_TOKENS_PER_REQUEST
from errlint.review.trace import ask
from errlint.review.trace.build import Built, build

FORMATS = ("rich", "json", "markdown")
INJECTION = "the trace reads like instructions to the reviewer: the analysis is not used, the static report stands"


@dataclass
class TraceRun:
    built: Built
    model: str
    endpoint: str
    state: str = "complete"  # complete, partial, skipped, dry_run
    notices: list[str] = field(default_factory=list)
    fatal: Optional[str] = None
    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    request_id: Optional[str] = None
    answer: Optional[ask.TraceAnswer] = None
    cached: bool = False
    injection_heuristic: bool = False
    estimated_input_tokens: int = 0
    interrupted: bool = False  # Ctrl-C while the request was in flight: exit 130 after the report

    @property
    def injection_suspected(self) -> bool:
        return self.injection_heuristic or bool(self.answer and self.answer.injection_suspected)

    @property
    def static_stands(self) -> str:
        return INJECTION if self.injection_suspected and self.answer is not None else ""


def run_trace(
    trace_file: str,
    root: Optional[str],
    *,
    linter: Any,
    policy: Any,
    settings: Any,
    reviewer: Any,
    dry_run: bool,
    output_format: str,
    output_file: Optional[str],
    strict: bool,
    cache_read: bool,
    cache_write: bool,
    nonce: Optional[str] = None,
    write: Optional[Callable[[str], object]] = None,
    echo_err: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> int:
    if output_format not in FORMATS:
        raise UsageError(f"--trace: --format {output_format} is not supported (rich, json or markdown)")
    root_path = Path(root) if root else Path.cwd()
    if not root_path.is_dir():
        raise UsageError(f"--root: {root}: no such directory")
    built = build(Path(trace_file), trace_file, root_path, linter, policy, settings.model, settings.max_tokens, nonce,
                  settings.exclude_from_ai)  # fmt: skip
    run = TraceRun(built, settings.model, reviewer.endpoint, notices=list(built.notices))
    if built.body is not None and built.traces:
        run.estimated_input_tokens = prompt.estimate_tokens(built.body)
        run.injection_heuristic = ask.looks_like_injection(built.untrusted)
        if run.injection_heuristic:
            run.notices.append("the trace holds text that reads like instructions to the reviewer: an answer is not "
                               "used, the static report stands")  # fmt: skip
        _ask(run, reviewer, settings, dry_run, cache_read, cache_write)
    elif not built.traces:
        run.notices.append(f"no failed or slow span in the {built.total_traces} trace(s) of {built.name}: nothing to explain")
        run.state = "dry_run" if dry_run else "complete"
    from errlint.review.trace import report

    buffer = io.StringIO()
    if output_format == "json":
        report.render_json(run, buffer, include_request=dry_run)
    elif output_format == "markdown":
        text = io.StringIO()
        report.render_text(run, text, include_request=dry_run)
        fence = "````" if "```" in text.getvalue() else "```"
        buffer.write(f"{fence}text\n{text.getvalue()}{fence}\n")
    else:
        report.render_text(run, buffer, include_request=dry_run)
    if output_file:
        try:
            Path(output_file).write_text(buffer.getvalue(), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--output: {output_file}: {err.strerror or err}") from None
    else:
        (write or sys.stdout.write)(buffer.getvalue())
    for notice in run.notices:
        echo_err(f"errlint review: {notice}")
    if run.fatal is not None:
        echo_err(f"errlint: error: {run.fatal}")
        return 2
    if run.interrupted:
        return 130
    if strict and run.state in ("partial", "skipped"):
        return 3
    return 0


def _ask(run: TraceRun, reviewer: Any, settings: Any, dry_run: bool, cache_read: bool, cache_write: bool) -> None:
    built = run.built
    assert built.body is not None
    cache = ReviewCache(settings.cache_dir, read=cache_read, write=cache_write and not dry_run)
    key = cache_key(settings.model, ask.TRACE_PROMPT_VERSION,
                    prompt.wire_bytes(built.body).decode().replace(built.nonce, "NONCE"))  # fmt: skip
    record = cache.get(key)
    if record is not None and _use(run, record.get("answer")):
        run.cached = True
        run.request_id = record.get("request_id") if isinstance(record.get("request_id"), str) else None
        if dry_run:
            run.state = "dry_run"
        return
    if dry_run:
        run.state = "dry_run"
        return
    from errlint.review import runner

    if reviewer.transport_factory is runner.default_transport and not runner._sdk_installed():
        run.fatal, run.state = runner.INSTALL_HINT, "partial"  # as for findings: said first, even without a key
        return
    if not reviewer.credentials.present:
        run.state = "skipped"
        run.notices.insert(0, "AI analysis skipped: no ANTHROPIC_API_KEY (set it, or run with --dry-run to see what "
                              "would be sent); the static report is printed")  # fmt: skip
        return
    if run.estimated_input_tokens > MAX_INPUT_TOKENS_PER_REQUEST:
        run.state = "partial"
        run.notices.append(f"not sent: about {run.estimated_input_tokens:,} input tokens, more than the "
                           f"{MAX_INPUT_TOKENS_PER_REQUEST:,} a request may hold; the static report stands")  # fmt: skip
        return
    cost = settings.cost(run.estimated_input_tokens, settings.max_tokens)
    if settings.max_cost is not None and cost is not None and cost > settings.max_cost:
        run.state = "partial"
        run.notices.append(f"not sent: could cost up to ${cost:.4f}, more than max-cost (${settings.max_cost:.4f}); "
                           "the static report stands")  # fmt: skip
        return
    if run.estimated_input_tokens + settings.max_tokens > settings.budget_tokens:
        run.state = "partial"
        run.notices.append(f"not sent: needs up to {run.estimated_input_tokens + settings.max_tokens:,} tokens, more than "
                           f"budget-tokens ({settings.budget_tokens:,}); the static report stands")  # fmt: skip
        return
    review_run = ReviewRun(settings.model, ask.TRACE_PROMPT_VERSION, endpoint=run.endpoint)
    try:
        outcome = reviewer.send_body(built.body, review_run)
    except KeyboardInterrupt:
        run.requests, run.state, run.interrupted = review_run.requests, "partial", True
        run.notices.append("interrupted (Ctrl-C) before the answer came: the static report stands")
        return
    run.requests = review_run.requests
    if outcome is None or review_run.fatal is not None:
        run.fatal = review_run.fatal or reviewer.stop_reason or "nothing could be sent"
        run.state = "partial"
        return
    run.request_id = outcome.request_id
    if outcome.usage is not None:
        run.usage = outcome.usage
    kind = outcome.kind
    if kind is OutcomeKind.OK:
        if _use(run, outcome.tool_input):
            problem = cache.put(key, {"model": settings.model, "prompt_version": ask.TRACE_PROMPT_VERSION,
                                      "request_id": outcome.request_id, "usage": run.usage.to_dict(),
                                      "answer": outcome.tool_input})  # fmt: skip
            if problem:
                run.notices.append(problem)
            return
        run.state = "partial"
        return
    rid = f"; request {outcome.request_id}" if outcome.request_id else ""
    if kind is OutcomeKind.AUTH:
        run.fatal = f"the Claude API rejected the credentials ({outcome.message}{rid}): check ANTHROPIC_API_KEY"
    elif kind is OutcomeKind.MODEL:
        run.fatal = (f"model {settings.model!r} is not available ({outcome.message}{rid}): set --model or "
                     "[tool.errlint.review] model (or check ANTHROPIC_BASE_URL)")  # fmt: skip
    else:
        why = reviewer.stop_reason or outcome.message
        if kind is OutcomeKind.SPEND_LIMIT:
            why = f"spend limit reached ({outcome.message}); retrying will not help until it is raised"
        elif kind in (OutcomeKind.TRANSIENT, OutcomeKind.TIMEOUT) and not reviewer.stop_reason:
            why = f"Claude API unavailable ({outcome.message})"
        run.notices.append(f"{why}: the static report stands")
    run.state = "partial"


def _use(run: TraceRun, tool_input: Any) -> bool:
    """Validate the answer; on failure say why (the static report stands)."""
    built = run.built
    try:
        run.answer = ask.parse_answer(tool_input, built.span_ids, built.locations, built.ranges)
    except ask.TraceAnswerError as err:
        run.notices.append(f"the answer could not be used ({err}): the static report stands")
        return False
    if run.answer.dropped:
        run.notices.append(f"{len(run.answer.dropped)} claim(s) dropped: they cite span ids that are not in the trace")
    if run.answer.injection_suspected and not run.injection_heuristic:
        run.notices.append("the model reports text in the trace that reads like instructions to the reviewer: the "
                           "analysis is not used, the static report stands")  # fmt: skip
    return True

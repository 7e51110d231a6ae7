"""Run the review pass: select, redact, build the requests, then (unless --dry-run) send them.

Policy, in the order it applies to each selected finding:
1. a cached answer for the exact request is used and nothing is sent;
2. after a fatal answer (bad key, unknown model, spend limit) or once the circuit breaker is
   open, nothing more is sent (`skipped_unavailable`);
3. without credentials nothing is sent (`skipped_no_key`);
4. a request that could exceed the token or cost budget is not started (`skipped_budget`);
5. otherwise it is sent, retried on transient failures at most `MAX_ATTEMPTS` times with
   backoff (honouring `retry-after` up to `RETRY_AFTER_CAP`; a longer one opens the breaker),
   and `BREAKER_THRESHOLD` consecutive transient failures open the breaker.
Answers are validated and cached as they arrive, so an interrupted or degraded run keeps what it
got and a rerun resumes from the cache. `sleep` and `rand` are injected: tests never wait.
"""

from __future__ import annotations

import importlib.util
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence

from errlint.finding import Finding
from errlint.review import prompt
from errlint.review.answer import AnswerError, parse_reviews
from errlint.review.cache import ReviewCache
from errlint.review.dismissals import Dismissals
from errlint.review.fixcheck import NEEDS_REVIEW, check_fix
from errlint.review.model import (
    FixCheck,
    Outcome,
    OutcomeKind,
    ReviewItem,
    ReviewRun,
    RunState,
    SdkUnavailable,
    Status,
)
from errlint.review.redact import Policy, Redactor, xh4_policy
from errlint.review.prepare import Prepared, Preparer, ReviewOptions, SourceFile
from errlint.review.settings import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    BREAKER_THRESHOLD,
    MAX_ATTEMPTS,
    RETRY_AFTER_CAP,
    TIMEOUT_THRESHOLD,
    UNUSABLE_THRESHOLD,
    ReviewSettings,
)

INSTALL_HINT = 'the review extra is not installed: pip install "errlint[review]"'
DEFAULT_ENDPOINT = "https://api.anthropic.com"


class Transport(Protocol):
    def send(self, body: dict[str, Any]) -> Outcome: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Credentials:
    api_key: Optional[str] = None
    auth_token: Optional[str] = None

    @property
    def present(self) -> bool:
        return bool(self.api_key or self.auth_token)


def credentials_from_env(env: Mapping[str, str]) -> Credentials:
    """`ANTHROPIC_API_KEY`, else `ANTHROPIC_AUTH_TOKEN` (a gateway's bearer token)."""
    key = (env.get("ANTHROPIC_API_KEY") or "").strip() or None
    token = (env.get("ANTHROPIC_AUTH_TOKEN") or "").strip() or None
    return Credentials(key, None if key else token)


def endpoint_from_env(env: Mapping[str, str]) -> str:
    """Where requests go: `ANTHROPIC_BASE_URL` (a proxy or gateway) or the public API, shown
    without any credentials embedded in the URL."""
    base = (env.get("ANTHROPIC_BASE_URL") or "").strip() or DEFAULT_ENDPOINT
    return re.sub(r"://[^/@\s]*@", "://", base).rstrip("/") + "/v1/messages"


# (credentials, settings, seconds left for the next request, clock) -> a transport
TransportFactory = Callable[[Credentials, ReviewSettings, Callable[[], float], Callable[[], float]], Transport]


def _sdk_installed() -> bool:
    """Is the anthropic SDK importable? (Looked up without importing it.)"""
    try:
        return importlib.util.find_spec("anthropic") is not None
    except ValueError:  # already imported without a spec (a stand-in module): let the import decide
        return True


def _sleep(seconds: float) -> None:
    """The real wait between retries (tests replace it: no test ever sleeps)."""
    time.sleep(seconds)


def _clock() -> float:
    """The run's clock for deadlines (tests replace it with a fake one)."""
    return time.monotonic()

Relint = Callable[[str, str], Sequence[Finding]]


def default_transport(
    credentials: Credentials, settings: ReviewSettings, budget: Callable[[], float], clock: Callable[[], float]
) -> Transport:
    """Import the SDK (only now) and build the client; ImportError names the extra."""
    from errlint.review.client import ClaudeClient

    return ClaudeClient(
        api_key=credentials.api_key, auth_token=credentials.auth_token, timeout=settings.timeout, budget=budget, clock=clock
    )


@dataclass
class Reviewer(Preparer):
    """Runs one review; everything with side effects is injected."""

    settings: ReviewSettings
    relint: Relint
    cache: ReviewCache
    credentials: Credentials = field(default_factory=Credentials)
    transport_factory: TransportFactory = default_transport
    sleep: Callable[[float], None] = field(default_factory=lambda: _sleep)
    clock: Callable[[], float] = field(default_factory=lambda: _clock)
    rand: Callable[[], float] = field(default_factory=lambda: random.random)
    on_progress: Optional[Callable[[int, int, str], None]] = None
    policy: Policy = field(default_factory=xh4_policy)  # what redaction treats as sensitive
    endpoint: str = DEFAULT_ENDPOINT + "/v1/messages"
    dismissals: Optional[Dismissals] = None  # human decisions recorded with --dismiss
    _transport: Optional[Transport] = field(default=None, init=False)
    _consecutive: int = field(default=0, init=False)
    _stop: Optional[str] = field(default=None, init=False)
    _used_tokens: int = field(default=0, init=False)
    _used_cost: float = field(default=0.0, init=False)
    _paths: Optional[Redactor] = field(default=None, init=False)  # placeholders for parts of paths
    _started: float = field(default=0.0, init=False)
    _system: str = field(default="", init=False)  # the system prompt of this run (the cached prefix)
    _stop_status: Status = field(default=Status.SKIPPED_UNAVAILABLE, init=False)
    _timeouts: int = field(default=0, init=False)  # consecutive requests that got no answer in time
    _unusable: int = field(default=0, init=False)  # consecutive answers that could not be used
    _reserved_tokens: int = field(default=0, init=False)  # what requests in flight may still use
    _reserved_cost: float = field(default=0.0, init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False)
    _abandoned: bool = field(default=False, init=False)  # Ctrl-C: late answers are dropped

    # --- the run (selection and preparation: errlint.review.prepare) -----------------------

    def run(self, files: Sequence[SourceFile], options: ReviewOptions) -> ReviewRun:
        self._started = self.clock()
        run = ReviewRun(self.settings.model, prompt.PROMPT_VERSION, endpoint=self.endpoint, files=len(files))
        prepared = self._select(files, options, run)
        self._build_requests(prepared, options, run)
        if options.dry_run:
            run.state = RunState.DRY_RUN
            for p in prepared:
                if p.item.status is Status.WOULD_SEND and self.cache.contains(p.item.cache_key):
                    p.item.status, p.item.reason = Status.CACHED, "answer cached: nothing would be sent"
            return self._finish(run, prepared)
        try:
            self._execute(prepared, run)
        finally:
            if self._transport is not None:
                self._transport.close()
        return self._finish(run, prepared)

    def _execute(self, prepared: list[Prepared], run: ReviewRun) -> None:
        todo = [p for p in prepared if p.item.status is Status.WOULD_SEND and p.leader is None]
        if todo and self.transport_factory is default_transport and not _sdk_installed():
            # Say so before anything else (even without a key); cached answers are still shown.
            self._stop = run.fatal = INSTALL_HINT
        workers = min(max(1, self.settings.concurrency), max(1, len(todo)))
        executor = ThreadPoolExecutor(workers, thread_name_prefix="errlint-review") if workers > 1 else None
        try:
            if executor is None:
                for index, p in enumerate(todo):
                    if self.on_progress is not None:
                        self.on_progress(index, len(todo), p.item.id)
                    self._review_one(p, run)
            else:
                # At most `concurrency` requests in flight; the shared state is under `_lock`.
                futures = [executor.submit(self._review_one, p, run) for p in todo]
                for index, future in enumerate(as_completed(futures)):
                    future.result()
                    if self.on_progress is not None:
                        self.on_progress(index + 1, len(todo), "")
        except KeyboardInterrupt:
            # Ctrl-C: what was answered is kept (and cached); the rest is listed, then reported.
            with self._lock:
                self._abandoned = True  # requests still in flight no longer touch the report
                for p in prepared:
                    if p.item.status is Status.WOULD_SEND:
                        p.item.status, p.item.reason = Status.INTERRUPTED, "interrupted (Ctrl-C) before it was answered"
                run.interrupted = True
                run.notices.append("interrupted (Ctrl-C): partial report; rerun to resume from the cache")
        finally:
            if executor is not None:
                executor.shutdown(wait=not run.interrupted, cancel_futures=True)
        if self.on_progress is not None and todo:
            self.on_progress(len(todo), len(todo), "")

    @property
    def stop_reason(self) -> Optional[str]:
        """Why nothing more is sent (a breaker, the deadline, a fatal answer), or None."""
        return self._stop

    def send_body(self, body: dict[str, Any], run: ReviewRun) -> Optional[Outcome]:
        """Send one request outside the findings flow (`review --trace`) with the same transport,
        retries, circuit breaker and deadlines; None when nothing could be sent (`run.fatal` or
        `stop_reason` says why)."""
        self._started = self.clock()
        if self.transport_factory is default_transport and not _sdk_installed():
            self._stop = run.fatal = INSTALL_HINT
            return None
        transport = self._get_transport(run)
        if transport is None:
            return None
        try:
            return self._send_with_retries(transport, body, run)
        finally:
            transport.close()
            self._transport = None

    def remaining(self) -> Optional[float]:
        """Seconds left of the run's deadline (None: no deadline)."""
        if self.settings.deadline is None:
            return None
        return self.settings.deadline - (self.clock() - self._started)

    def request_budget(self) -> float:
        """Seconds the next request may take: the per-request deadline, within the run's."""
        left = self.remaining()
        return self.settings.timeout if left is None else max(0.0, min(self.settings.timeout, left))

    def _deadline_passed(self) -> bool:
        left = self.remaining()
        if left is None or left > 0:
            return False
        if self._stop is None:
            self._stop = f"the run deadline passed (--deadline {self.settings.deadline:g}s): the static findings stand"
            self._stop_status = Status.SKIPPED_DEADLINE
        return True

    def _set(self, p: Prepared, status: Status, reason: str) -> None:
        for m in p.members:
            m.item.status, m.item.reason = status, reason

    def _review_one(self, p: Prepared, run: ReviewRun) -> None:
        with self._lock:
            transport = self._before_sending(p, run)
        if transport is None:
            return
        item = p.item
        assert item.body is not None
        outcome = self._send_with_retries(transport, item.body, run)
        with self._lock:
            self._reserved_tokens -= self._reserve(item)[0]
            self._reserved_cost -= self._reserve(item)[1]
            if self._abandoned:
                return
            for m in p.members:
                m.item.request_id = outcome.request_id
            if outcome.usage is not None:
                item.usage = outcome.usage
                run.usage.add(outcome.usage)
                self._used_tokens += outcome.usage.total
                self._used_cost += self.settings.cost(
                    outcome.usage.input_tokens + outcome.usage.cache_creation_input_tokens
                    + outcome.usage.cache_read_input_tokens,
                    outcome.usage.output_tokens,
                ) or 0.0  # fmt: skip
            self._handle(outcome, p, run)

    def _before_sending(self, p: Prepared, run: ReviewRun) -> Optional[Transport]:
        """The cache, the stops and the budget (under the lock); the transport when it may go."""
        item = p.item
        assert item.body is not None
        record = self.cache.get(item.cache_key)
        if record is not None:
            try:
                answers = parse_reviews(record["answer"], [m.item.id for m in p.members])
            except AnswerError:
                answers = {}
            if answers and all(not isinstance(a, str) for a in answers.values()):
                rid = record.get("request_id") if isinstance(record.get("request_id"), str) else None
                for m in p.members:
                    answer = answers[m.item.id]
                    assert not isinstance(answer, str)
                    m.item.answer, m.item.status, m.item.request_id = answer, Status.CACHED, rid
                    self._check_fix(m)
                return None
        if self._stop is not None or self._deadline_passed():
            self._set(p, self._stop_status, self._stop or "")
            return None
        if not self.credentials.present:
            self._set(p, Status.SKIPPED_NO_KEY, "no ANTHROPIC_API_KEY")
            return None
        budget_problem = self._over_budget(item)
        if budget_problem:
            self._set(p, Status.SKIPPED_BUDGET, budget_problem)
            return None
        transport = self._get_transport(run)
        if transport is None:
            self._set(p, Status.SKIPPED_UNAVAILABLE, self._stop or "")
            return None
        tokens, cost = self._reserve(item)
        self._reserved_tokens += tokens
        self._reserved_cost += cost
        return transport

    def _reserve(self, item: ReviewItem) -> tuple[int, float]:
        """What a request may use at most: its input and `max_tokens` of output."""
        tokens = item.estimated_input_tokens + self.settings.max_tokens
        return tokens, self.settings.cost(item.estimated_input_tokens, self.settings.max_tokens) or 0.0

    def _over_budget(self, item: ReviewItem) -> Optional[str]:
        """Would this request exceed a budget, counting what requests in flight may still use?"""
        reserve, cost = self._reserve(item)
        used = self._used_tokens + self._reserved_tokens
        if used + reserve > self.settings.budget_tokens:
            left = max(0, self.settings.budget_tokens - used)
            return f"needs up to {reserve:,} tokens; {left:,} of budget-tokens ({self.settings.budget_tokens:,}) left"
        spent = self._used_cost + self._reserved_cost
        if self.settings.max_cost is not None and self.settings.priced and spent + cost > self.settings.max_cost:
            return f"could cost up to ${cost:.4f}; ${max(0.0, self.settings.max_cost - spent):.4f} of max-cost left"
        return None

    def _get_transport(self, run: ReviewRun) -> Optional[Transport]:
        if self._transport is None:
            try:
                self._transport = self.transport_factory(self.credentials, self.settings, self.request_budget, self.clock)
            except ImportError as err:
                hint = str(err) if isinstance(err, SdkUnavailable) else INSTALL_HINT
                self._stop = hint
                run.fatal = hint
                return None
        return self._transport

    def _send_with_retries(self, transport: Transport, body: dict[str, Any], run: ReviewRun) -> Outcome:
        attempt = 0
        while True:
            with self._lock:
                run.requests += 1
            outcome = transport.send(body)
            attempt += 1
            with self._lock:
                wait = self._after_attempt(outcome, attempt)
            if wait is None:
                return outcome
            self.sleep(wait)

    def _after_attempt(self, outcome: Outcome, attempt: int) -> Optional[float]:
        """The breakers' bookkeeping after one attempt; the wait before a retry, or None."""
        if outcome.kind is OutcomeKind.TIMEOUT:
            # Not retried: a gateway that did not answer in time will not answer the retry either.
            self._timeouts += 1
            if self._timeouts >= TIMEOUT_THRESHOLD and self._stop is None:
                self._stop = (
                    f"Claude API unavailable ({outcome.message}); circuit breaker open after "
                    f"{self._timeouts} consecutive requests without an answer"
                )
            return None
        self._timeouts = 0
        if outcome.kind is not OutcomeKind.TRANSIENT:
            self._consecutive = 0
            return None
        self._consecutive += 1
        if self._stop is not None:
            return None  # another request opened a breaker meanwhile
        if self._consecutive >= BREAKER_THRESHOLD:
            self._stop = (
                f"Claude API unavailable ({outcome.message}); circuit breaker open after "
                f"{self._consecutive} consecutive failures"
            )
            return None
        if outcome.retry_after is not None and outcome.retry_after > RETRY_AFTER_CAP:
            self._stop = (
                f"Claude API unavailable ({outcome.message}); it asks to retry after "
                f"{outcome.retry_after:,.0f}s, more than errlint waits ({RETRY_AFTER_CAP:.0f}s)"
            )
            return None
        if attempt >= MAX_ATTEMPTS:
            return None
        if outcome.retry_after is not None:
            wait = outcome.retry_after
        else:
            wait = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1)) * (0.5 + self.rand() / 2)
        left = self.remaining()
        if left is not None and wait >= left:
            self._stop = (
                f"the run deadline (--deadline {self.settings.deadline:g}s) leaves no time to retry: "
                "the static findings stand"
            )
            self._stop_status = Status.SKIPPED_DEADLINE
            return None
        return wait

    def _handle(self, outcome: Outcome, p: Prepared, run: ReviewRun) -> None:
        item = p.item
        kind = outcome.kind
        if kind in (OutcomeKind.INVALID, OutcomeKind.TOO_LARGE, OutcomeKind.REJECTED):
            self._count_unusable(outcome.message)
        if kind is OutcomeKind.OK:
            try:
                answers = parse_reviews(outcome.tool_input, [m.item.id for m in p.members])
            except AnswerError as err:
                self._set(p, Status.INVALID_RESPONSE, str(err))
                self._count_unusable(str(err))
                return
            good = {fid: a for fid, a in answers.items() if not isinstance(a, str)}
            if good:
                self._unusable = 0
            else:
                self._count_unusable(str(next(iter(answers.values()))))
            for m in p.members:
                answer = answers[m.item.id]
                if isinstance(answer, str):
                    m.item.status, m.item.reason = Status.INVALID_RESPONSE, answer
                else:
                    m.item.answer, m.item.status, m.item.reason = answer, Status.REVIEWED, ""
            if len(good) == len(p.members):  # only complete answers are cached
                problem = self.cache.put(
                    item.cache_key,
                    {
                        "model": self.settings.model,
                        "prompt_version": prompt.PROMPT_VERSION,
                        "request_id": item.request_id,
                        "usage": item.usage.to_dict() if item.usage else None,
                        "answer": {"reviews": [a.to_dict() for a in good.values()]},
                    },
                )
                if problem and problem not in run.notices:
                    run.notices.append(problem)
            for m in p.members:
                if m.item.answer is not None:
                    self._check_fix(m)
        elif kind is OutcomeKind.INVALID:
            self._set(p, Status.INVALID_RESPONSE, outcome.message)
        elif kind is OutcomeKind.TOO_LARGE:
            self._set(p, Status.TOO_LARGE, outcome.message)
        elif kind is OutcomeKind.REJECTED:
            self._set(p, Status.REJECTED, outcome.message)
        elif kind in (OutcomeKind.TRANSIENT, OutcomeKind.TIMEOUT):
            self._set(p, Status.SKIPPED_UNAVAILABLE, outcome.message)
        elif kind is OutcomeKind.SPEND_LIMIT:
            self._stop = f"spend limit reached ({outcome.message}); retrying will not help until it is raised"
            self._set(p, Status.SKIPPED_UNAVAILABLE, self._stop)
        else:  # AUTH or MODEL: a configuration problem, exit 2
            rid = f"; request {outcome.request_id}" if outcome.request_id else ""
            if kind is OutcomeKind.AUTH:
                run.fatal = f"the Claude API rejected the credentials ({outcome.message}{rid}): check ANTHROPIC_API_KEY"
            else:
                run.fatal = (
                    f"model {self.settings.model!r} is not available ({outcome.message}{rid}): set --model or "
                    "[tool.errlint.review] model (or check ANTHROPIC_BASE_URL)"
                )
            self._stop = run.fatal
            self._set(p, Status.SKIPPED_UNAVAILABLE, run.fatal)

    def _count_unusable(self, message: str) -> None:
        """Repeated unusable answers (malformed, too large, refused) open the breaker: each is billed."""
        self._unusable += 1
        if self._unusable >= UNUSABLE_THRESHOLD and self._stop is None:
            self._stop = (
                f"circuit breaker open after {self._unusable} consecutive unusable answers "
                f"(last: {message[:120]}); nothing more is sent"
            )

    def _check_fix(self, p: Prepared) -> None:
        answer = p.item.answer
        if answer is None or answer.fix is None:
            return
        if p.item.injection_suspected:
            p.item.fix_check = FixCheck(
                False, [NEEDS_REVIEW + "the reviewed code reads like instructions to the reviewer; the fix is not checked"]
            )
            return
        path = p.source.path
        p.item.fix_check = check_fix(
            answer.fix,
            p.item.finding,
            p.context.region,
            p.source.redact(),
            p.source.text,
            lambda text: self.relint(text, path),
            p.source.findings,
        )

    # --- summary ---------------------------------------------------------------------------

    def _finish(self, run: ReviewRun, prepared: list[Prepared]) -> ReviewRun:
        selected = [p.item for p in prepared]
        if run.state is not RunState.DRY_RUN:
            if not self.credentials.present and any(i.status is Status.SKIPPED_NO_KEY for i in selected):
                run.state = RunState.SKIPPED
                run.notices.insert(
                    0,
                    "AI review skipped: no ANTHROPIC_API_KEY (set it, or run with --dry-run to see what would be "
                    "sent); the static findings are listed",
                )
            elif any(i.status.degraded for i in selected):
                run.state = RunState.PARTIAL
            done = sum(1 for i in selected if i.status.answered)
            if self._stop and run.fatal is None:
                run.notices.append(f"{self._stop}; reviewed {done} of {len(selected)}, rerun to resume from the cache")
            budget = sum(1 for i in selected if i.status is Status.SKIPPED_BUDGET)
            if budget:
                run.notices.append(f"{budget} finding{'s' if budget != 1 else ''} not sent: the review budget is used up")
            unusable = [i for i in selected if i.status in (Status.INVALID_RESPONSE, Status.REJECTED)]
            if unusable:
                first = unusable[0]
                run.notices.append(
                    f"{len(unusable)} answer{'s' if len(unusable) != 1 else ''} could not be used "
                    f"(first: {first.id}: {first.status.value}: {first.reason})"
                )
        stands = [i for i in run.items if i.static_stands]
        if stands:
            injected = sum(1 for i in stands if i.injection_suspected and i.answer is not None)
            opted = len(stands) - injected
            parts = []
            if injected:
                parts.append(f"{injected} verdict(s) not used: the code reads like instructions to the reviewer")
            if opted:
                parts.append(f"{opted} finding(s) opted out of the AI review")
            run.notices.append("; ".join(parts) + ": their static findings stand (a --fail-on gate treats them as true positives)")
        if self.settings.priced:
            if run.state is RunState.DRY_RUN:
                todo = [i for i in selected if i.status is Status.WOULD_SEND]
                run.estimated_cost = self.settings.cost(
                    sum(i.estimated_input_tokens for i in todo), self.settings.max_tokens * len(todo)
                )
            else:
                run.estimated_cost = self._used_cost
        return run

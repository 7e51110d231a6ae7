"""XH307: an error log on every iteration of a loop's handler, with no rate limit, aggregation or exit."""

from __future__ import annotations

import re
from typing import ClassVar, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import Handler, iter_scope, last_segment
from errlint.finding import Impact, Severity
from errlint.logcalls import LOG_CALL_PATTERNS
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_logging import may_report as _may_report
from errlint.rules._helpers import in_test_code

Loop = Union[cst.For, cst.While]
# Calls that pace a loop: one log per sleep is a rate, not a flood.
_PACING = re.compile(r"(?i)(?:^|_)(?:sleep|wait|backoff|throttle|rate_limit|ratelimit|pause|delay)(?:$|_)")
# Loop variables of bounded retry loops (`for attempt in range(retries)`).
_RETRY_TARGETS = re.compile(r"(?i)attempt|retr(?:y|ies)|tries|try_number")
_SMALL_RANGE = 10
# Registries of components and callables: a loop over them is fault isolation over a handful of
# entries, not a per-item batch. Matched against the tokens of the loop variable and the iterable.
_REGISTRY_TOKENS = frozenset(
    {"handler", "callback", "cb", "receiver", "errback", "hook", "listener", "observer", "subscriber",
     "plugin", "finalizer", "fn", "func", "callable", "executor", "backend", "bundle", "provider",
     "extension", "middleware", "signal", "operation", "consumer", "step", "bootstep"}
)  # fmt: skip
_TOKEN_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


class LogFlood(LintRule):
    """
    ## What it does
    Checks for logs at error level or above (`error`, `exception`, `critical`,
    `log(logging.ERROR, ...)`) in an `except` handler inside a `for`/`while` loop, where the
    handler lets the loop go on (`continue`, or falls through) and nothing limits the rate.

    Not flagged when:
    - the handler leaves the loop (`break`, `return`, `raise`, even conditionally);
    - the log is conditional inside the handler (`if attempt == retries: ...`, `if not warned:`),
      which is how rate limits and "log once" guards look;
    - the loop paces itself: a `sleep`/`wait`/`backoff` call anywhere in the loop body;
    - the loop is bounded and small: `for attempt in range(3)`, or a loop variable named
      `attempt`/`retry`/`tries` (a retry loop logs once per attempt; XH602/XH603 look at retries);
    - the loop goes over a registry of components or callables, not a batch of data: the loop
      variable or the iterable is named like handlers, callbacks, receivers, hooks, listeners,
      plugins, entry points, executors, backends, bundles, providers, extensions or middleware,
      or the `try` calls the loop variable or a callable the loop fetched
      (`for cb in pending: try: cb()`, `while hooks: _, func = hooks.pop(0); try: func()`).
      That is fault isolation over a handful of entries, and one record per broken component is
      what you want. (Measured on the corpus: without this line, half the findings were loops
      over executors, plugins, bundles and secrets backends.)

    Where it runs: not in test code (files under `test-paths`: test suites, fixtures, `examples/`
    and `demos/`; test functions and classes anywhere).

    ## Why is this bad?
    A handler that logs per item is fine on a good day and a flood in an outage: when the
    database goes away, a batch of 100,000 rows produces 100,000 identical error records with
    100,000 tracebacks. That fills disks, blows log-ingestion budgets, trips rate limits of the
    log pipeline or Sentry (dropping the *other* errors), and buries the first, useful record.
    Collect the failures and log once after the loop (with a count and a sample), or rate-limit.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def push_all(items):
        for item in items:
            try:
                post(item)
            except ConnectionError:
                logger.exception("push failed for %s", item.id)
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def push_all(items):
        failed = []
        for item in items:
            try:
                post(item)
            except ConnectionError as err:
                failed.append((item.id, type(err).__name__))
        if failed:
            logger.error("push failed for %d items", len(failed), extra={"sample": failed[:5]})
    ```

    ## References
    - [structloglint SL007 (logging in loops, structlog only)](https://pypi.org/project/structloglint/)
    - [Python docs: Logging cookbook, filters (rate limiting)](https://docs.python.org/3/howto/logging-cookbook.html#using-filters-to-impart-contextual-information)
    """

    CODE: ClassVar[str] = "XH307"
    NAME: ClassVar[str] = "log-flood"
    MESSAGE: ClassVar[str] = (
        "Error logged on every failing iteration of the enclosing `{loop}` loop, with no rate limit: an "
        "outage writes one record per item; collect the failures and log once after the loop"
    )
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREFILTER: ClassVar[Optional[Sequence[str]]] = LOG_CALL_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts", "log-calls")
    PREVIEW: ClassVar[bool] = True

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            import time
            logger = logging.getLogger(__name__)

            def consume(queue):
                while True:
                    try:
                        handle(queue.get())
                    except ConnectionError:
                        logger.exception("broker unreachable")
                        time.sleep(5)

            def push_all(items):
                for item in items:
                    try:
                        post(item)
                    except ValueError:
                        logger.error("bad item %s", item.id)
                        break
                    try:
                        post_group(item)
                    except* OSError:
                        logger.exception("disk")
                        raise
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            async def fetch(url):
                for attempt in range(3):
                    try:
                        return await get(url)
                    except TimeoutError:
                        logger.error("attempt %d timed out", attempt)
                try:
                    await get(url)
                except TimeoutError:
                    logger.error("not in a loop")

            def scan(rows):
                for row in rows:
                    try:
                        parse(row)
                    except ValueError:
                        if row.important:
                            logger.error("bad row %s", row.id)
                        logger.info("skipped row")
                        def later():
                            logger.error("runs outside this loop")
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def push_all(items):
                for item in items:
                    try:
                        post(item)
                    except ValueError:
                        continue
                    except ConnectionError:
                        logger.exception("push failed for %s", item.id)
            """,
            expected_message=(
                "Error logged on every failing iteration of the enclosing `for` loop, with no rate limit: an "
                "outage writes one record per item; collect the failures and log once after the loop"
            ),
            line=11,
            column=13,
        ),
        Invalid(
            """
            import structlog
            log = structlog.get_logger()

            async def serve(sock):
                while True:
                    conn = await sock.accept()
                    try:
                        await handle(conn)
                    except* OSError:
                        log.error("connection failed", peer=conn.peer)
            """,
            expected_message=(
                "Error logged on every failing iteration of the enclosing `while` loop, with no rate limit: an "
                "outage writes one record per item; collect the failures and log once after the loop"
            ),
            line=10,
            column=13,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call that may log at error level or above sits unguarded in an `except` handler that neither raises, returns nor breaks, in the body of a loop that is not a bounded retry loop and does not pace itself."""
        return _may_report(region, cls.CODE)

    def visit_Call(self, node: cst.Call) -> None:
        handler = self.context.enclosing_handler()
        if handler is None:
            return
        log = self.context.log_call(node)
        if log is None or log.is_report or not log.at_least_error:
            return
        if in_test_code(self.context):
            return
        loop = self._loop_around(handler, node)
        if loop is None:
            return
        facts = self.context.handler_facts(handler)
        if facts.raises or facts.returns or _breaks(handler):
            return
        if _bounded(loop) or self._paced(loop) or self._dispatches_callbacks(loop, handler):
            return
        self.report(node.func, loop="for" if isinstance(loop, cst.For) else "while")

    def _loop_around(self, handler: Handler, call: cst.Call) -> Optional[Loop]:
        """The loop whose body holds `handler`, in this function; None when the log is guarded."""
        ancestors = self.context.ancestors
        index = next((i for i in range(len(ancestors) - 1, -1, -1) if ancestors[i] is handler), -1)
        if index < 0:
            return None
        for node in ancestors[index + 1 : -1]:
            if isinstance(node, (cst.If, cst.IfExp, cst.BooleanOperation, cst.For, cst.While, cst.Try, cst.TryStar)):
                return None  # conditional or inside a nested loop/try of the handler
        for position in range(index - 1, -1, -1):
            node = ancestors[position]
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None
            if isinstance(node, (cst.For, cst.While)):
                child = ancestors[position + 1]
                return node if child is node.body else None
        return None

    def _dispatches_callbacks(self, loop: Loop, handler: Handler) -> bool:
        """`for handler in handlers: try: handler(...)`: fault isolation over a small registry of
        callbacks, signal receivers or plugins, not a per-item batch."""
        names = _target_names(loop) if isinstance(loop, cst.For) else []
        source = loop.iter if isinstance(loop, cst.For) else loop.test
        if isinstance(source, cst.Call) and isinstance(source.func, cst.Attribute):
            if source.func.attr.value in ("items", "values", "keys", "copy"):
                source = source.func.value  # `self._bundles.items()`
        if isinstance(source, cst.Call):
            source = source.func  # `entry_points_with_dist("airflow.plugins")`
        iterable = last_segment(source) or ""
        if any(_is_registry(n) for n in names) or _is_registry(iterable):
            return True
        names = names + _assigned_names(loop.body)
        ancestors = self.context.ancestors
        index = next((i for i in range(len(ancestors) - 1, -1, -1) if ancestors[i] is handler), -1)
        trial = ancestors[index - 1] if index > 0 else None
        if not isinstance(trial, (cst.Try, cst.TryStar)):
            return False
        for node in iter_scope(trial.body):
            if isinstance(node, cst.Call):
                func = node.func
                if isinstance(func, cst.Call) or (isinstance(func, cst.Name) and func.value in names):
                    return True  # calls the loop variable, or a callable the loop just fetched
        return False

    def _paced(self, loop: Loop) -> bool:
        for node in iter_scope(loop.body):
            if isinstance(node, cst.Call):
                name = last_segment(node.func) or ""
                if _PACING.search(name):
                    return True
        return False


def _breaks(handler: Handler) -> bool:
    """A `break` in the handler that leaves the loop around the handler (not a nested loop)."""
    stack: list[cst.CSTNode] = [handler.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            return True
        if isinstance(node, (cst.For, cst.While, cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(node.children)
    return False


def _is_registry(name: str) -> bool:
    lowered = name.lower()
    if "entry_point" in lowered or "entrypoint" in lowered:
        return True
    tokens = {t.lower() for t in _TOKEN_RE.findall(name)}
    return any(t in _REGISTRY_TOKENS or t.rstrip("s") in _REGISTRY_TOKENS for t in tokens)


def _assigned_names(body: cst.BaseSuite) -> list[str]:
    """Names assigned in the loop body (`_, func, robust = pending.pop(0)`)."""
    names: list[str] = []
    for node in iter_scope(body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                value = target.target
                elements = value.elements if isinstance(value, (cst.Tuple, cst.List)) else [value]
                for element in elements:
                    item = element.value if isinstance(element, cst.BaseElement) else element
                    if isinstance(item, cst.Name):
                        names.append(item.value)
    return names


def _target_names(loop: cst.For) -> list[str]:
    target = loop.target
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
    return []


def _bounded(loop: Loop) -> bool:
    if not isinstance(loop, cst.For):
        return False
    if any(_RETRY_TARGETS.search(n) for n in _target_names(loop)):
        return True
    it = loop.iter
    if isinstance(it, cst.Call) and last_segment(it.func) == "range" and it.args:
        bound = it.args[-1 if len(it.args) < 3 else 1].value
        if isinstance(bound, cst.Integer) and int(bound.value, 0) <= _SMALL_RANGE:
            return True
        if _RETRY_TARGETS.search(last_segment(bound) or ""):
            return True
    return False

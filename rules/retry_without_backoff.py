"""XH602: a retry loop that goes round again with no sleep/backoff, or forever."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

import re

from errlint.analysis import Handler, iter_scope
from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import caught_label, handler_header_end, in_test_code
from errlint.rules._retry import retry_loop
from errlint.rules._hints_catching import may_retry_without_backoff
from errlint.taxonomy import Kind, classify


# Lost races: retrying at once is the fix (optimistic locking, upsert races, unique names).
_CONFLICT_RE = re.compile(r"Integrity|Duplicate|Conflict|Exists|Stale|Concurren|Deadlock|Serializ|Race")


# Not a failing dependency: an interrupted system call, or a cancellation (`await
# asyncio.shield(task)` again until the task is done).
_NOT_FAILURES = frozenset({"InterruptedError", "CancelledError"})


class RetryWithoutBackoff(LintRule):
    """
    ## What it does
    Checks for retry loops whose handler goes round again (`continue`, or by falling through)
    with no sleep or backoff anywhere in the loop, and for `while True` retry loops with no
    attempt limit.

    A *retry loop* is a `for`/`while` loop around a `try` that leaves the loop when the operation
    succeeds (`break`/`return` in the `try` or its `else`, or a `while not done:` flag set there)
    and repeats the same operation: the `try` body reads nothing the loop changes between rounds.
    Trying alternatives (`for host in hosts:`, `todo.pop()`, `next(candidates)`), consuming a
    queue, or searching for a free name (`except FileExistsError: name = next_name()`,
    `self.key = new_key()` before `self.save()`) is not retrying. A sleep or backoff is any call
    in the loop whose name contains `sleep`, `wait`, `backoff`, `delay`, `pause`, `throttle` or
    `jitter` (`time.sleep`, `asyncio.sleep`, `event.wait(5)`, `self._backoff(attempt)`). An
    attempt limit is a `raise`/`return`/`break` in a handler, a guarded exit elsewhere in the
    loop, or a counter or deadline (`attempt`, `retries`, `deadline`, `max_…`) used in it.

    Not flagged, because no dependency is being hammered:
    - handlers that only catch user errors (`ValueError`, `KeyError`, …; retrying those is
      XH603's concern), lost races (`IntegrityError`, `DuplicateKeyError`, `FileExistsError`,
      `StaleDataError`, deadlock and serialization failures: retrying at once is the cure),
      timeouts (`TimeoutError`, `socket.timeout`, `requests.Timeout`: the failed attempt already
      waited), `InterruptedError` or `CancelledError`, and handlers that test `errno.EINTR`;
    - loops that read user input (`input()`, `getpass`, prompts, curses `getkey()`).

    Test code (`test-paths`, `test_*` functions, `Test*` classes) is not checked: a test helper
    that polls a local worker is not a client of a failing dependency.

    ## Why is this bad?
    A dependency that fails is usually overloaded or restarting. Retrying at once, in a tight
    loop, turns every client into a load generator at the worst moment, burns CPU, and fills the
    logs; many clients doing it together keep the dependency from ever recovering (a retry
    storm). A `while True` retry never gives up, so a permanent failure (a wrong password, a
    deleted bucket) hangs the caller forever instead of surfacing. Retry a bounded number of
    times, waiting longer each time, with jitter.

    ## Example
    ```python
    import requests

    def fetch(url):
        while True:
            try:
                return requests.get(url, timeout=5)
            except requests.ConnectionError:
                continue
    ```

    Use instead:
    ```python
    import random
    import time

    import requests

    def fetch(url, attempts=5):
        for attempt in range(attempts):
            try:
                return requests.get(url, timeout=5)
            except requests.ConnectionError:
                if attempt == attempts - 1:
                    raise
                time.sleep(min(30, 2**attempt) + random.random())
    ```

    ## References
    - [AWS Architecture Blog: Exponential backoff and jitter](https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)
    - [Google SRE book: Handling overload, retries](https://sre.google/sre-book/handling-overload/)
    - [tenacity](https://tenacity.readthedocs.io/)
    """

    CODE: ClassVar[str] = "XH602"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "retry-without-backoff"
    MESSAGE: ClassVar[str] = "{loop} retries after `{caught}` {why}"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.RESILIENCE
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import time

            def fetch(url, attempts=5):
                for attempt in range(attempts):
                    try:
                        return get(url)
                    except ConnectionError:
                        if attempt == attempts - 1:
                            raise
                        time.sleep(2**attempt)
            """
        ),
        Valid(
            """
            def first_reachable(hosts):
                for host in hosts:
                    try:
                        return connect(host)
                    except ConnectionError:
                        continue

            def drain(queue):
                while True:
                    item = queue.get()
                    try:
                        handle(item)
                    except ValueError:
                        log.warning("bad item")
            """
        ),
        Valid(
            """
            def create_unique(base):
                name, n = base, 0
                while True:
                    try:
                        os.mkdir(name)
                        break
                    except FileExistsError:
                        n += 1
                        name = f"{base}-{n}"

            def ask_number():
                while True:
                    try:
                        return int(input("number: "))
                    except ValueError:
                        print("not a number")
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def fetch(url):
                for attempt in range(5):
                    try:
                        return get(url)
                    except ConnectionError:
                        log.warning("attempt %d failed", attempt)
            """,
            expected_message=(
                "Retry loop retries after `except ConnectionError:` with no sleep or backoff: it hammers "
                "the failing dependency"
            ),
            line=5,
            column=9,
        ),
        Invalid(
            """
            import time

            async def connect(broker):
                while True:
                    try:
                        conn = await broker.connect()
                        break
                    except* OSError:
                        await asyncio.sleep(1)
                return conn
            """,
            expected_message=(
                "`while True` retries after `except* OSError:` with no attempt limit: a dependency that "
                "stays down blocks this forever"
            ),
            line=8,
            column=9,
        ),
        Invalid(
            """
            while True:
                try:
                    session = open_session()
                except ConnectionError:
                    pass
                except Exception:
                    continue
                else:
                    break
            """,
            expected_message=(
                "`while True` retries after `except ConnectionError:` with no backoff and no attempt limit: it "
                "hammers the failing dependency forever"
            ),
            line=4,
            column=5,
            expected_count=2,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler in a loop may go round again with no backoff (or in `while True`)."""
        return may_retry_without_backoff(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        found = retry_loop(self.context.ancestors)
        if found is None or found.interactive:
            return
        if found.has_backoff and not found.forever:
            return
        if self._exempt_types(handler) or _checks_eintr(handler) or in_test_code(self.context):
            return
        if not found.has_backoff and found.forever:
            loop, why = "`while True`", "with no backoff and no attempt limit: it hammers the failing dependency forever"
        elif found.forever:
            loop, why = "`while True`", "with no attempt limit: a dependency that stays down blocks this forever"
        else:
            loop, why = "Retry loop", "with no sleep or backoff: it hammers the failing dependency"
        self.report(handler, end=handler_header_end(handler), loop=loop, caught=caught_label(handler), why=why)

    def _exempt_types(self, handler: Handler) -> bool:
        """Only user errors, conflicts, timeouts or interrupted calls: no dependency is hammered."""
        facts = self.context.handler_facts(handler)
        if facts.bare or not facts.types:
            return False
        config = self.context.config
        for caught in facts.types:
            last = (caught.qualified or caught.name).rsplit(".", 1)[-1]
            if classify(caught.name, caught.qualified, config) is Kind.USER_ERROR:
                continue
            if _CONFLICT_RE.search(last) or "timeout" in last.lower() or last in _NOT_FAILURES:
                continue
            return False
        return True


def _checks_eintr(handler: Handler) -> bool:
    """`if err.errno == errno.EINTR: continue` retries an interrupted system call, by design."""
    return any(isinstance(n, cst.Name) and n.value == "EINTR" for n in iter_scope(handler.body))

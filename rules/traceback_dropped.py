"""XH302: an error-level log in a handler that does not re-raise, without the traceback."""

from __future__ import annotations

from typing import Callable, ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, dotted_name
from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.logcalls import LOG_CALL_PATTERNS, LogCall, carries_traceback, mentions_exception_text
from errlint.rule import Invalid, LintRule, Replacement, Valid
from errlint.taxonomy import Kind, classify

# Handlers for these are about control flow, not failures: a traceback adds nothing.
_NOT_FAILURES = frozenset(
    {"KeyboardInterrupt", "SystemExit", "GeneratorExit", "StopIteration", "StopAsyncIteration",
     "asyncio.CancelledError", "CancelledError", "concurrent.futures.CancelledError"}
)  # fmt: skip
# Calls after which the handler does not go on: the error ends the program or the request.
_TERMINATING_CALLS = frozenset(
    {"sys.exit", "exit", "quit", "os._exit", "os.abort", "flask.abort", "abort", "pytest.fail", "pytest.exit",
     "pytest.skip", "typer.Exit", "click.Abort"}
)  # fmt: skip


class TracebackDropped(LintRule):
    """
    ## What it does
    Checks for logs at error level or above (`error`, `critical`, `fatal`,
    `log(logging.ERROR, ...)`) inside an `except` handler that goes on without re-raising, when
    the record does not carry the traceback (`exc_info`, `.exception()`, loguru
    `.opt(exception=...)`).

    It stays quiet when:
    - the handler re-raises (`raise`, `raise New(...) from err`, even conditionally): the
      traceback belongs where the error is finally handled, not here too;
    - another log in the same handler already records the traceback (a second, traceback-free
      `logger.error(...)` after `logger.exception(...)` is fine), or the handler reports the
      exception to an error tracker (`report-functions`, e.g. `sentry_sdk.capture_exception`);
    - the traceback is in the message as text (`traceback.format_exc()`);
    - `exc_info=False` is passed explicitly (a deliberate choice);
    - the handler ends the program or the request (`sys.exit(...)`, `abort(...)`);
    - the handler catches only control-flow exceptions (`KeyboardInterrupt`, `SystemExit`,
      `CancelledError`, `StopIteration`);
    - the handler catches specific types (not `Exception`/`BaseException`/bare) and the message
      does not include the exception: `except TaskNotFound: log.error("task %s is gone", tid)`
      describes an anticipated condition completely; or it catches only lookup/validation errors
      (user-error types such as `KeyError`, `ValueError`).

    ## Why is this bad?
    An error the code decided to handle is logged once, here, and never again. Without the
    traceback that record says *that* something failed but not *where*: which line raised, through
    which calls, with which cause chain. The person on call cannot tell a bug from an outage.
    "Traceback exactly once": log it with the traceback where the error is handled, and not where
    it is re-raised (that would print it twice).

    Decisions users argue about, and errlint's line:
    - *Re-raising handlers* (ruff's TRY400 flags `log.error(...); raise`): not flagged here,
      because the traceback would otherwise appear twice.
    - *`.error()` after `.exception()` in the same handler* (TRY400 flags every one): not flagged.
    - *Messages that include the error text* (`log.error("failed: %s", err)`): still flagged. The
      text says what went wrong, not where; `exc_info` adds the where.
    - *Anticipated failures.* A specific handler whose message states the condition
      (`except InvalidToken: log.error("cannot decrypt %s", key)`) is left alone: the author knew
      what failed, and a traceback would point at library internals. Once the message interpolates
      the exception (`log.error("cannot decrypt %s: %s", key, err)`), the author wanted its
      details, and the traceback is the rest of them: flagged. A broad handler (`except
      Exception`) is always flagged: only the traceback says what actually went wrong. Handlers
      that catch only lookup and validation errors (`KeyError`, `ValueError`, `LookupError`,
      `IndexError`, `TypeError`, … the configurable `user-error-exceptions`) are left alone even
      then: `log.error("no such command: %s", err)` already says everything a `KeyError` knows.
      (Measured on the corpus: flagging every narrow handler put half the findings on
      deliberate, complete messages.)

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def refresh(cache):
        try:
            cache.reload()
        except ConnectionError as err:
            logger.error("cache refresh failed: %s", err)
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def refresh(cache):
        try:
            cache.reload()
        except ConnectionError:
            logger.exception("cache refresh failed")
    ```

    ## Fix safety
    The fix renames `.error(` to `.exception(`, which logs at the same level with the traceback
    attached; stdlib `logging`, structlog and loguru all provide it. It is safe: only the record's
    content grows. For `critical`/`fatal`/`log(...)` on a stdlib or structlog logger the fix adds
    `exc_info=True`; it is unsafe when the logger is recognised only by its name (a loguru logger
    would treat `exc_info` as a format field). loguru `critical` calls have no fix (use
    `logger.opt(exception=True).critical(...)`).

    ## References
    - [Python docs: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
    - [ruff TRY400 error-instead-of-exception](https://docs.astral.sh/ruff/rules/error-instead-of-exception/)
    - [loguru: Logger.opt(exception=...)](https://loguru.readthedocs.io/en/stable/api/logger.html#loguru._logger.Logger.opt)
    """

    CODE: ClassVar[str] = "XH302"
    NAME: ClassVar[str] = "traceback-dropped"
    MESSAGE: ClassVar[str] = (
        "`{call}()` in a handler that does not re-raise drops the traceback: this is the only record of "
        "the error, so log it with `{remedy}`"
    )
    FIX_TITLE: ClassVar[str] = "Log the traceback with `{remedy}`"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    PREFILTER: ClassVar[Optional[Sequence[str]]] = LOG_CALL_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts", "log-calls")
    FIX: ClassVar[FixAvailability] = FixAvailability.SOMETIMES

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order):
                try:
                    push(order)
                except ConnectionError:
                    logger.error("push failed for %s", order.id)
                    raise
                except ValueError as err:
                    logger.error("bad order %s", order.id)
                    raise OrderError(order.id) from err
            """
        ),
        Valid(
            """
            import logging
            import traceback
            logger = logging.getLogger(__name__)

            async def sync(order):
                try:
                    await push(order)
                except ConnectionError:
                    logger.exception("push failed")
                    logger.error("order %s left in queue", order.id)
                except TimeoutError:
                    logger.error("push timed out: %s", traceback.format_exc())
                except OSError:
                    logger.error("disk full", exc_info=True)
                except KeyError:
                    logger.error("no route", exc_info=False)
                except KeyboardInterrupt:
                    logger.critical("interrupted")
                try:
                    await push_all(order)
                except* OSError:
                    logger.exception("group push failed")
                    logger.error("order %s left in queue", order.id)
            """
        ),
        Valid(
            """
            import sys
            import logging
            import sentry_sdk

            try:
                main()
            except ConfigError as err:
                logging.error("bad configuration: %s", err)
                sys.exit(2)
            except Exception as err:
                sentry_sdk.capture_exception(err)
                logging.error("run failed")
            logging.error("not in a handler")
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def decrypt(var):
                try:
                    return fernet.decrypt(var.value)
                except InvalidToken as err:
                    logger.error("cannot decrypt %s: token %s expired", var.key, err.token_id)
                except (TaskNotFound, KeyError):
                    logger.error("task for %s is gone", var.key)
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def retry(job):
                try:
                    job.run()
                except OSError:
                    logger.warning("job failed, retrying")
                    def later():
                        logger.error("deferred")  # runs outside the handler
                    schedule(later)
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def refresh(cache):
                try:
                    cache.reload()
                except ValueError:
                    pass
                except ConnectionError as err:
                    logger.error("cache refresh failed: %s", err)
            """,
            expected_message=(
                "`logger.error()` in a handler that does not re-raise drops the traceback: this is the only "
                "record of the error, so log it with `logger.exception()`"
            ),
            expected_replacement="""
            import logging
            logger = logging.getLogger(__name__)

            def refresh(cache):
                try:
                    cache.reload()
                except ValueError:
                    pass
                except ConnectionError as err:
                    logger.exception("cache refresh failed: %s", err)
            """,
            expected_safety=FixSafety.SAFE,
            line=10,
            column=9,
        ),
        Invalid(
            """
            import logging
            try:
                run()
            except* OSError as group:
                logging.critical("run failed: %s", group)
            """,
            expected_message=(
                "`logging.critical()` in a handler that does not re-raise drops the traceback: this is the "
                "only record of the error, so log it with `exc_info=True`"
            ),
            expected_replacement="""
            import logging
            try:
                run()
            except* OSError as group:
                logging.critical("run failed: %s", group, exc_info=True)
            """,
            expected_safety=FixSafety.SAFE,
            line=5,
            column=5,
        ),
        Invalid(
            """
            from loguru import logger

            async def poll(feed):
                try:
                    await feed.fetch()
                except TimeoutError as err:
                    logger.critical(f"feed stalled: {err}")
            """,
            expected_message=(
                "`logger.critical()` in a handler that does not re-raise drops the traceback: this is the "
                "only record of the error, so log it with `logger.opt(exception=True)`"
            ),
            line=7,
            column=9,
        ),
        Invalid(
            """
            class Worker:
                def run(self, job):
                    try:
                        job.run()
                    except (OSError, Exception):
                        self.log.log(logging.ERROR, "job %s failed", job.id)
            """,
            expected_message=(
                "`self.log.log()` in a handler that does not re-raise drops the traceback: this is the only "
                "record of the error, so log it with `exc_info=True`"
            ),
            expected_replacement="""
            class Worker:
                def run(self, job):
                    try:
                        job.run()
                    except (OSError, Exception):
                        self.log.log(logging.ERROR, "job %s failed", job.id, exc_info=True)
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=13,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        handler = self.context.enclosing_handler()
        if handler is None:
            return
        log = self.context.log_call(node)
        if log is None or log.is_report or not log.at_least_error or log.exc_info:
            return
        if log.arg("exc_info") is not None or log.has_star_kwargs:
            return  # `exc_info=False` on purpose, or hidden in **kwargs
        facts = self.context.handler_facts(handler)
        if facts.reraises or self._logs_traceback(facts.log_calls):
            return
        if _only_control_flow(handler, self.context.qualify) or self._terminates(facts.calls):
            return
        if carries_traceback(log, self.context.module_facts):
            return
        if not facts.catches_broad:
            # A narrow handler whose message describes the anticipated condition is a complete
            # record; one that interpolates the exception wanted its details, and the traceback is
            # the rest of them -- unless it only catches lookup/validation errors, whose text (the
            # missing key, the bad value) is the whole story.
            config = self.context.config
            if facts.types and all(classify(t.name, t.qualified, config) is Kind.USER_ERROR for t in facts.types):
                return
            names = frozenset({facts.name} if facts.name else ())
            module_facts = self.context.module_facts
            if not names or not any(mentions_exception_text(a.value, names, module_facts) for a in node.args):
                return
        func = cst.ensure_type(node.func, cst.Attribute) if isinstance(node.func, cst.Attribute) else None
        call = self.context.module.code_for_node(node.func)
        fix, safety, remedy = self._fix(log, func)
        self.report(node.func, fix=fix, safety=safety, call=call, remedy=remedy)

    def _logs_traceback(self, calls: Sequence[LogCall]) -> bool:
        facts = self.context.module_facts
        return any(c.is_report or (carries_traceback(c, facts) and (c.at_least_error or c.level is None)) for c in calls)

    def _terminates(self, calls: Sequence[cst.Call]) -> bool:
        for call in calls:
            qualified = self.context.qualify(call.func) or ""
            if qualified in _TERMINATING_CALLS or qualified.rsplit(".", 1)[-1] in ("exit", "abort"):
                return True
        return False

    def _fix(
        self, log: LogCall, func: Optional[cst.Attribute]
    ) -> tuple[Optional[list[tuple[cst.CSTNode, Replacement]]], FixSafety, str]:
        receiver = self.context.module.code_for_node(func.value) if func is not None else "logging"
        if log.method in ("error", "aerror") and func is not None:
            new = "exception" if log.method == "error" else "aexception"
            return [(func.attr, new)], FixSafety.SAFE, f"{receiver}.{new}()"
        if log.library == "loguru":
            return None, FixSafety.SAFE, f"{receiver}.opt(exception=True)"
        if not log.node.args:
            return None, FixSafety.SAFE, "exc_info=True"
        last = log.node.args[-1]
        code = self.context.module.code_for_node(last.value)
        safety = FixSafety.UNSAFE if log.inferred else FixSafety.SAFE
        prefix = "**" if last.star == "**" else "*" if last.star == "*" else ""
        replacement = f"{code}, exc_info=True"
        if prefix:
            return None, FixSafety.SAFE, "exc_info=True"
        return [(last.value, replacement)], safety, "exc_info=True"


def _only_control_flow(handler: Handler, qualify: Callable[[Optional[cst.BaseExpression]], Optional[str]]) -> bool:
    expr = handler.type
    if expr is None:
        return False
    items = [e.value for e in expr.elements] if isinstance(expr, cst.Tuple) else [expr]
    for item in items:
        name = dotted_name(item) or ""
        qualified = qualify(item) or name
        if name not in _NOT_FAILURES and qualified not in _NOT_FAILURES:
            return False
    return True


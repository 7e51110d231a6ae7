"""XH302: an error-level log in a handler that does not re-raise, without the traceback."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, dotted_name, iter_scope
from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.handlers import BROAD_EXCEPTIONS
from errlint.logcalls import LOG_CALL_PATTERNS, LogCall, carries_traceback, mentions_exception_text
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Replacement, Valid
from errlint.rules._hints_logging import may_report as _may_report
from errlint.rules._helpers import in_operator_script, in_test_code
from errlint.taxonomy import Kind, classify

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.context import FileContext
    from errlint.handlers import HandlerFacts

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
    - another log in the same handler already records the traceback, at any level (a second,
      traceback-free `logger.error(...)` after `logger.exception(...)` is fine, and so is
      `log.error("sync failed: %s", err)` next to `log.debug(traceback.format_exc())`), or the
      handler reports the exception to an error tracker (`report-functions`, e.g.
      `sentry_sdk.capture_exception`);
    - the traceback is in the message as text (`traceback.format_exc()`);
    - `exc_info=False` is passed explicitly (a deliberate choice);
    - the handler ends the program or the request (`sys.exit(...)`, `abort(...)`);
    - the handler catches only control-flow exceptions (`KeyboardInterrupt`, `SystemExit`,
      `CancelledError`, `StopIteration`);
    - the exception, or text made from it, goes on beyond the log: passed to another call
      (`errors.append(err)`, `return ChartError(error=str(err))`), returned, or stored on an
      attribute or in a container (`self.last_error = str(err)`) -- the log line is then not the
      only record of the error;
    - a comment in the handler gives the reason the exception is not logged (`# do not log the
      exception: it may contain the secret`);
    - the handler catches `Exception`/`BaseException` and XH102 (`broad-except`) runs on the file:
      XH102 reports that handler for the same missing traceback (one problem, one finding). With
      XH102 not selected, or ignored for the file, XH302 reports it;
    - the handler catches specific types (not `Exception`/`BaseException`/bare) and the message
      does not include the exception: `except TaskNotFound: log.error("task %s is gone", tid)`
      describes an anticipated condition completely; or it catches only lookup/validation errors
      (user-error types such as `KeyError`, `ValueError`).

    Where it runs: not in test code (files under `test-paths`: test suites, fixtures, `examples/`
    and `demos/`; test functions and classes anywhere), where a failing test shows the traceback
    itself, nor in migrations, management commands and maintenance scripts, which run on the
    console of the person who started them (and released migrations are never edited).

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
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
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
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def preview(chart, errors):
                try:
                    return render(chart)
                except (KeyError, OSError) as err:
                    logger.error("preview of %s failed: %s", chart.id, err)
                    return ChartError(error=f"Failed to render: {err}")  # passed on to the caller
                except ConnectionError as err:
                    logger.error("preview of %s failed: %s", chart.id, err)
                    errors.append((chart, err))
                except Exception as err:
                    logger.error("preview of %s failed: %s", chart.id, err)  # XH102's handler
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
                    except OSError as err:
                        self.log.log(logging.ERROR, "job %s failed: %s", job.id, err)
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
                    except OSError as err:
                        self.log.log(logging.ERROR, "job %s failed: %s", job.id, err, exc_info=True)
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=13,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call in an `except` handler of its own frame may log at error level or above (`.error`, `.critical`, `.fatal`, `.log(ERROR, ...)`, or a bare name) without `exc_info=` or `**kwargs`, the handler neither re-raising, nor ending the program, nor catching only control-flow exceptions."""
        return _may_report(region, cls.CODE)

    def visit_Call(self, node: cst.Call) -> None:
        handler = self.context.enclosing_handler()
        if handler is None:
            return
        log = self.context.log_call(node)
        if log is None or log.is_report or not log.at_least_error or log.exc_info:
            return
        if in_test_code(self.context) or in_operator_script(self.context):
            return
        if log.arg("exc_info") is not None or log.has_star_kwargs:
            return  # `exc_info=False` on purpose, or hidden in **kwargs
        facts = self.context.handler_facts(handler)
        if facts.reraises or self._logs_traceback(facts.log_calls):
            return
        if _catches_exception_class(facts) and _broad_except_enabled(self.context.config, self.context.path):
            return  # XH102 reports this handler ("no traceback logged"): one problem, one finding
        if facts.name is not None and _passes_on(handler, facts.name, self.context):
            return  # the exception (or its text) goes on beyond this log: not the only record
        if self._explains_itself(handler):
            return  # `# do not log the exception: it may contain the secret` -- a written reason
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
        """Another record of the handler carries the traceback, at any level: a
        `log.debug(traceback.format_exc())` next to the error line is the record of where it came from."""
        facts = self.context.module_facts
        return any(c.is_report or carries_traceback(c, facts) for c in calls)

    @staticmethod
    def _explains_itself(handler: cst.CSTNode) -> bool:
        """A comment in the handler gives the reason the exception is not logged. Its comments are
        collected with an explicit stack (no code generation: deep expressions would recurse)."""
        comments: list[str] = []
        stack: list[cst.CSTNode] = [handler]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Comment):
                comments.append(node.value)
            stack.extend(node.children)
        return bool(_REASON_RE.search("\n".join(comments)))

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


def _catches_exception_class(facts: HandlerFacts) -> bool:
    """`except Exception`/`except BaseException` (not bare `except:`, which is XH101's)."""
    return not facts.bare and any(t.qualified in BROAD_EXCEPTIONS or t.name in BROAD_EXCEPTIONS for t in facts.types)


@lru_cache(maxsize=64)
def _broad_except_selected(config: Config) -> bool:
    from errlint.engine import select_rules
    from errlint.rule import rule_by_code

    rule = rule_by_code("XH102")
    return rule is not None and bool(select_rules(config, [rule]))


def _broad_except_enabled(config: Config, path: str) -> bool:
    """XH102 runs on this file (selected, and not in `per-file-ignores` for it)."""
    from errlint.engine import ignored_for_path

    if not _broad_except_selected(config):
        return False
    return not any("XH102".startswith(code) for code in ignored_for_path(config, path))


# Calls that only turn the exception into text (their result is what counts, not the call).
_TEXT_CALLS = frozenset({"str", "repr", "ascii", "format", "type", "len", "isinstance", "issubclass", "getattr",
                         "hasattr", "print", "id", "bool"})  # fmt: skip
_STR_METHODS = frozenset({"format", "join", "replace", "strip", "lower", "upper", "split", "startswith", "endswith",
                          "encode", "decode", "get", "__str__", "__repr__"})  # fmt: skip


def _passes_on(handler: Handler, name: str, context: FileContext) -> bool:
    """The caught exception, or text made from it, leaves the handler other than in a log call:
    an argument of another call (`errors.append(err)`, `ChartError(error=str(err))`), a return or
    yield value, or a value stored on an attribute or in a container (`self.error = str(err)`)."""
    inside_logs: set[int] = set()
    for node in iter_scope(handler.body):
        if id(node) in inside_logs:
            continue
        if isinstance(node, cst.Call):
            if context.log_call(node) is not None:
                inside_logs.update(_descendant_ids(node))
                continue
            func = node.func
            callee = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
            if callee in _TEXT_CALLS or callee in _STR_METHODS:
                continue
            if any(_carries(arg.value, name, context) for arg in node.args):
                return True
        elif isinstance(node, (cst.Return, cst.Yield)) and isinstance(node.value, cst.BaseExpression):
            if _carries(node.value, name, context):
                return True
        elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and node.value is not None:
            targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
            if any(not isinstance(t, cst.Name) for t in targets) and _carries(node.value, name, context):
                return True
    return False


def _descendant_ids(node: cst.CSTNode) -> set[int]:
    found: set[int] = set()
    stack = list(node.children)
    while stack:
        current = stack.pop()
        found.add(id(current))
        stack.extend(current.children)
    return found


def _carries(node: cst.BaseExpression, name: str, context: FileContext) -> bool:
    """`err`, `str(err)`, `f"... {err}"`, `(item, err)`: the value holds the exception or its text."""
    if isinstance(node, cst.Name):
        return node.value == name
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return any(_carries(e.value, name, context) for e in node.elements)
    if isinstance(node, cst.Dict):
        return any(isinstance(e, cst.DictElement) and _carries(e.value, name, context) for e in node.elements)
    return mentions_exception_text(node, frozenset({name}), context.module_facts)


_REASON_RE = re.compile(r"#[^\n]*\b(?:do(?:es)?\s*n[o']t|never|no need to|intentional|deliberate|on purpose|secret|sensitive|"
                        r"password|credential)[^\n]*", re.IGNORECASE)  # fmt: skip




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


"""XH303: the caught exception (or its text) is the whole log message."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, iter_scope
from errlint.finding import Impact, Severity
from errlint.logcalls import DEBUG, ERROR, LOG_CALL_PATTERNS, LogCall, exception_only_message, formats_traceback
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_logging import may_report as _may_report
from errlint.rules._helpers import in_operator_script, in_test_code, simple_statements


class ExceptionAsMessage(LintRule):
    """
    ## What it does
    Checks for log calls inside an `except` handler whose message is nothing but the caught
    exception: `log.error(err)`, `log.exception(str(err))`, `log.warning(repr(err))`,
    `log.error(f"{err}")`, `log.error("%s", err)`, `log.error(f"{type(err).__name__}: {err}")`,
    `log.error(err.args[0])` — or the formatted traceback, `log.error(traceback.format_exc())`.
    Punctuation around the exception does not count as a message; any word does (a message that
    is only generic words, like `"Error: %s"`, is XH502's business). A logger created in the
    handler and named after the exception (Django's
    `logging.getLogger("django.security.%s" % err.__class__.__name__).warning(str(err))`) is not
    flagged: its name is the "what", and exceptions of that kind carry sentences written for
    the log. Nor is a record that follows one saying what failed in the same handler
    (`log.warning("cannot resolve %s: %s", user, err)` then `log.debug(traceback.format_exc())`:
    the detail of the record before it), or an application exception's `message` below error
    level (`log.warning(err.message)`: a sentence written for people). Records at debug level (the
    detail of an expected path, off in production) and handlers that raise (`log.exception(err);
    raise ConfigError("executor could not be loaded")`: the raised error says what failed) are
    not flagged either. Nor is the catch-all of a wrapper that only calls the function it wraps
    (`try: return f(*args, **kwargs) except Exception as ex: logger.exception(ex)` in a decorator)
    when the record carries the traceback: the wrapper does not know what the call was doing, and
    the traceback names it.

    Where it runs: not in test code (files under `test-paths`: test suites, fixtures, `examples/`
    and `demos/`; test functions and classes anywhere), nor in migrations and management commands,
    whose log lines are read on the console by the person running them.

    ## Why is this bad?
    The exception says what broke (`KeyError: 'sku'`), not what the program was doing and for
    whom (`"price lookup failed for order 1234"`). Records whose message is the exception text
    cannot be grouped (every message differs), searched by operation, or read by someone who
    does not know the code. With `logging`, `log.error(err)` also drops the traceback unless
    `exc_info` is given, and the formatted traceback as a message is an unstructured blob that log
    pipelines cannot parse.

    Say what failed in a constant message, put identifiers in arguments or fields, and let
    `exc_info`/`.exception()` carry the exception.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def price(order):
        try:
            return lookup(order.sku)
        except KeyError as err:
            logger.exception(err)
            return None
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def price(order):
        try:
            return lookup(order.sku)
        except KeyError:
            logger.exception("price lookup failed for order %s", order.id)
            return None
    ```

    ## References
    - [Python docs: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
    - [ruff TRY401 verbose-log-message](https://docs.astral.sh/ruff/rules/verbose-log-message/)
    """

    CODE: ClassVar[str] = "XH303"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "exception-as-message"
    MESSAGE: ClassVar[str] = (
        "The exception is the whole log message: say what failed and for which entity in a constant "
        "message, and pass the exception with `exc_info`/`.exception()`"
    )
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    PREFILTER: ClassVar[Optional[Sequence[str]]] = LOG_CALL_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("log-calls", "module-facts")
    _TRACEBACK_MESSAGE: ClassVar[str] = (
        "The formatted traceback is the whole log message: say what failed in a constant message and "
        "let `.exception()`/`exc_info` attach the traceback as structured data"
    )

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def price(order):
                try:
                    return lookup(order.sku)
                except KeyError as err:
                    logger.warning("no price for %s: %s", order.sku, err)
                except ValueError as err:
                    logger.exception("price lookup failed", extra={"error": str(err)})
                try:
                    return lookup_all(order.skus)
                except* OSError as err:
                    logger.error("Error: %s", err)  # words, however generic: XH502
            """
        ),
        Valid(
            """
            import structlog
            log = structlog.get_logger()

            async def sync(job, errors):
                try:
                    await job.run()
                except OSError as err:
                    def report():
                        log.error(err)  # a nested function: not this handler's name
                    report()
                for error in errors:
                    log.error(error)  # not a caught exception
                log.error(str(job))
            """
        ),
        Valid(
            """
            import logging
            import traceback
            log = logging.getLogger(__name__)

            def resolve(user, database):
                try:
                    return lookup(user)
                except LookupError as err:
                    log.warning("cannot resolve user %s: %s", user, err)
                    log.debug(traceback.format_exc())  # the detail of the record above
                try:
                    connect(database)
                except DatabaseConnectionError as ex:
                    log.warning(ex.message)  # a sentence written for people
            """
        ),
        # The catch-all of a decorator: it cannot say what the wrapped call was doing, and the
        # traceback does.
        Valid(
            """
            import functools
            import logging
            logger = logging.getLogger(__name__)

            def api(f):
                @functools.wraps(f)
                def wraps(self, *args, **kwargs):
                    try:
                        return f(self, *args, **kwargs)
                    except Exception as ex:
                        logger.exception(ex)
                        return error_response(ex)
                return wraps
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def price(order):
                try:
                    return lookup(order.sku)
                except ValueError:
                    pass
                except KeyError as err:
                    logger.exception(err)
            """,
            expected_message=(
                "The exception is the whole log message: say what failed and for which entity in a constant "
                "message, and pass the exception with `exc_info`/`.exception()`"
            ),
            line=10,
            column=26,
        ),
        Invalid(
            """
            import logging
            try:
                import yaml
            except* ImportError as exc:
                logging.warning(f"{type(exc).__name__}: {exc!s}")
            """,
            expected_message=(
                "The exception is the whole log message: say what failed and for which entity in a constant "
                "message, and pass the exception with `exc_info`/`.exception()`"
            ),
            line=5,
            column=21,
        ),
        Invalid(
            """
            from loguru import logger

            async def poll(feed):
                try:
                    await feed.fetch()
                except (TimeoutError, OSError) as e:
                    logger.error("{}", str(e))
                    try:
                        feed.close()
                    except OSError as close_err:
                        logger.warning("%s", repr(e))
            """,
            expected_message=(
                "The exception is the whole log message: say what failed and for which entity in a constant "
                "message, and pass the exception with `exc_info`/`.exception()`"
            ),
            line=7,
            column=22,
            expected_count=2,
        ),
        Invalid(
            """
            import logging
            import traceback
            log = logging.getLogger(__name__)

            class Worker:
                def run(self, job):
                    try:
                        job.run()
                    except Exception:
                        log.error(traceback.format_exc())
            """,
            expected_message=(
                "The formatted traceback is the whole log message: say what failed in a constant message and "
                "let `.exception()`/`exc_info` attach the traceback as structured data"
            ),
            line=10,
            column=23,
        ),
        # A wrapper's catch-all that drops the traceback, and a handler around more than the
        # wrapped call, still say nothing.
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def retrying(func):
                def inner(*args):
                    try:
                        return func(*args)
                    except OSError as err:
                        logger.error(err)
                    try:
                        prepare()
                        return func(*args)
                    except OSError as err:
                        logger.exception(err)
                return inner
            """,
            expected_message=(
                "The exception is the whole log message: say what failed and for which entity in a constant "
                "message, and pass the exception with `exc_info`/`.exception()`"
            ),
            line=9,
            column=26,
            expected_count=2,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call in an `except` handler that does not raise may log, above debug level, a message that may be nothing but the caught exception (`err`, `str(err)`, `f"{err}"`, `"%s", err`) or a traceback formatter's result."""
        return _may_report(region, cls.CODE)

    def visit_Call(self, node: cst.Call) -> None:
        handlers = self.context.enclosing_handlers()
        if not handlers:
            return
        log = self.context.log_call(node)
        if log is None or log.is_report or log.message is None:
            return
        if in_test_code(self.context) or in_operator_script(self.context):
            return
        names = frozenset(
            h.name.name.value for h in handlers if h.name is not None and isinstance(h.name.name, cst.Name)
        )
        facts = self.context.module_facts
        if exception_only_message(log, names, facts):
            if self._logger_named_after_exception(log.receiver, handlers[-1], names):
                return
            if _user_message(log, names) or self._follows_a_message(log, handlers[-1], names):
                return
            if log.level is not None and log.level <= DEBUG:
                return  # developer detail of an expected path, off in production
            if self.context.handler_facts(handlers[-1]).raises:
                return  # the error raised next says what failed
            if log.exc_info and self._wraps_a_call(handlers[-1]):
                return  # a decorator's catch-all: the traceback says what the wrapped call did
            message = self.MESSAGE
            if not _mentions(log.message, names) and formats_traceback(log.message, facts):
                message = self._TRACEBACK_MESSAGE
            self.report(log.message, message=message)

    def _wraps_a_call(self, handler: Handler) -> bool:
        """The handler's `try` only calls a function it received as a parameter (its own or an
        enclosing function's): `try: return f(*args, **kwargs)` in a decorator's wrapper."""
        ancestors = self.context.ancestors
        owner = next((ancestors[i - 1] for i, node in enumerate(ancestors) if node is handler and i), None)
        if not isinstance(owner, (cst.Try, cst.TryStar)):
            return False
        smalls = simple_statements(owner.body)
        if smalls is None or len(smalls) != 1:
            return False
        only = smalls[0]
        value = only.value if isinstance(only, (cst.Return, cst.Expr)) else None
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Name):
            return False
        called = value.func.value
        for frame in self.context.frames:
            function = frame.node
            if isinstance(function, cst.FunctionDef):
                params = function.params
                every = [*params.posonly_params, *params.params, *params.kwonly_params]
                if any(p.name.value == called for p in every):
                    return True
        return False

    def _follows_a_message(self, log: LogCall, handler: Handler, names: frozenset[str]) -> bool:
        """An earlier log call in the handler says what failed: this record is its detail
        (`log.warning("cannot resolve %s: %s", user, err); log.debug(traceback.format_exc())`)."""
        facts = self.context.module_facts
        for other in self.context.handler_facts(handler).log_calls:
            if other.node is log.node:
                return False
            if other.message is not None and not other.is_report and not exception_only_message(other, names, facts):
                return True
        return False

    def _logger_named_after_exception(
        self, receiver: Optional[cst.BaseExpression], handler: Handler, names: frozenset[str]
    ) -> bool:
        """`logger = logging.getLogger("django.security." + type(err).__name__)` in the handler: the
        logger's name says what happened, and the exception text is the detail (Django's idiom)."""
        if not isinstance(receiver, cst.Name):
            return False
        for node in iter_scope(handler.body):
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
                if any(isinstance(t.target, cst.Name) and t.target.value == receiver.value for t in node.targets):
                    if any(_mentions(a.value, names) for a in node.value.args):
                        return True
        return False


def _user_message(log: LogCall, names: frozenset[str]) -> bool:
    """`log.warning(err.message)` below error level: an application exception's `message` is a
    sentence written for people (Superset's, Django's `ValidationError`), not the raw error text."""
    message = log.message
    return (
        isinstance(message, cst.Attribute)
        and message.attr.value == "message"
        and isinstance(message.value, cst.Name)
        and message.value.value in names
        and log.level is not None
        and log.level < ERROR
    )


def _mentions(node: cst.CSTNode, names: frozenset[str]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value in names:
            return True
        stack.extend(current.children)
    return False

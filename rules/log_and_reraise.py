"""XH106: a handler logs the traceback and then re-raises the same exception."""

from __future__ import annotations

from typing import ClassVar, Iterator, Optional, Sequence

import libcst as cst

from errlint.analysis import SCOPE_TYPES, Handler, iter_children
from errlint.finding import Impact, Severity
from errlint.logcalls import LogCall
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_catching import logs_then_reraises


class LogAndReraise(LintRule):
    """
    ## What it does
    Checks for handlers that log the exception *with its traceback* (`.exception()`,
    `exc_info=True`, loguru's `.opt(exception=...)`) and then re-raise the same exception (`raise`
    or `raise err` of the caught name) later in the same block.

    Wrapping the exception (`raise ServiceError(...) from err`) is not reported: the new error
    adds context, and logging here may be the only place that knows it.

    Test code is checked too.

    ## Why is this bad?
    The exception keeps going up, and whoever handles it logs it again: the same traceback
    appears twice (or once per layer), so an incident looks like several, alert counts double,
    and the log volume grows with the depth of the call stack. Log where the exception is
    *handled*, not where it is re-raised; to add context on the way up, wrap it or attach a note.

    ## Example
    ```python
    def charge(order):
        try:
            gateway.charge(order.total)
        except GatewayError:
            logger.exception("charge failed for order %s", order.id)
            raise
    ```

    Use instead:
    ```python
    def charge(order):
        try:
            gateway.charge(order.total)
        except GatewayError as err:
            err.add_note(f"while charging order {order.id}")
            raise
    ```

    ## References
    - [Python docs: BaseException.add_note](https://docs.python.org/3/library/exceptions.html#BaseException.add_note)
    - [pylint-dev/pylint#3241: log-and-raise anti-pattern](https://github.com/pylint-dev/pylint/issues/3241)
    """

    CODE: ClassVar[str] = "XH106"
    NAME: ClassVar[str] = "log-and-reraise"
    MESSAGE: ClassVar[str] = (
        "The traceback is logged here and again wherever the re-raised exception is handled;"
        " log where it is handled, or add context with `add_note`"
    )
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts", "log-calls")
    PREVIEW: ClassVar[bool] = True

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def charge(order):
                try:
                    gateway.charge(order.total)
                except GatewayError as err:
                    err.add_note(f"while charging order {order.id}")
                    raise
            """
        ),
        Valid(
            """
            try:
                sync()
            except SyncError as err:
                logger.exception("sync failed")
                raise ServiceUnavailable("sync failed") from err
            """
        ),
        # Logged without the traceback: the message adds context, the traceback comes once.
        Valid(
            """
            try:
                sync()
            except SyncError:
                logger.error("sync failed for %s", account)
                raise
            """
        ),
        # The re-raise is in another branch than the log.
        Valid(
            """
            try:
                sync()
            except SyncError:
                if retryable:
                    logger.warning("sync failed, retrying", exc_info=True)
                else:
                    raise
            """
        ),
        Valid(
            """
            try:
                sync()
            except SyncError:
                logger.exception("sync failed")
                def later():
                    raise
                schedule(later)
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def charge(order):
                try:
                    gateway.charge(order.total)
                except GatewayError:
                    logger.exception("charge failed for order %s", order.id)
                    raise
            """,
            expected_message=(
                "The traceback is logged here and again wherever the re-raised exception is handled;"
                " log where it is handled, or add context with `add_note`"
            ),
            line=5,
            column=9,
        ),
        Invalid(
            """
            import logging

            async def sync(account):
                try:
                    await client.sync(account)
                except* TimeoutError:
                    pass
                except* (OSError, ValueError) as err:
                    logging.warning("sync of %s failed", account, exc_info=True)
                    cleanup()
                    raise err
            """,
            expected_message=(
                "The traceback is logged here and again wherever the re-raised exception is handled;"
                " log where it is handled, or add context with `add_note`"
            ),
            line=9,
            column=9,
        ),
        Invalid(
            """
            for job in jobs:
                try:
                    job.run()
                except Exception:
                    if job.critical:
                        log.error("job %s failed", job, exc_info=True)
                        raise
            """,
            expected_message=(
                "The traceback is logged here and again wherever the re-raised exception is handled;"
                " log where it is handled, or add context with `add_note`"
            ),
            line=6,
            column=13,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler logs (maybe with the traceback) and then re-raises in the same block."""
        return any(logs_then_reraises(handler) for handler in region.handlers())

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        facts = self.context.handler_facts(handler)
        if not facts.raises or not any(c.exc_info for c in facts.log_calls if not c.is_report):
            return
        name = facts.name
        for block in _blocks(handler.body):
            logged: Optional[LogCall] = None
            for stmt in block:
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    if logged is None and isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                        call = self.context.log_call(small.value)
                        if call is not None and call.exc_info and not call.is_report:
                            logged = call
                    elif logged is not None and isinstance(small, cst.Raise) and _same_exception(small, name):
                        self.report(logged.node)
                        return


def _same_exception(raise_: cst.Raise, name: Optional[str]) -> bool:
    if raise_.cause is not None:
        return False
    if raise_.exc is None:
        return True
    return name is not None and isinstance(raise_.exc, cst.Name) and raise_.exc.value == name


def _blocks(body: cst.BaseSuite) -> Iterator[Sequence[cst.BaseStatement]]:
    """Every statement list of the handler's body, nested blocks included (not nested scopes)."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.IndentedBlock):
            yield node.body
        elif isinstance(node, cst.SimpleStatementSuite):
            yield [cst.SimpleStatementLine(body=node.body)]
            continue
        if isinstance(node, SCOPE_TYPES):
            continue
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseExpression)):
            continue
        stack.extend(iter_children(node))

"""XH306: an `extra=` key that clashes with a `LogRecord` attribute (KeyError at run time)."""

from __future__ import annotations

from typing import ClassVar, Iterator, Optional, Sequence

import libcst as cst

from errlint.finding import Impact, Severity
from errlint.logcalls import LOG_CALL_PATTERNS, string_value
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_logging import may_report as _may_report

# `Logger.makeRecord` raises KeyError for "message", "asctime" and every attribute a LogRecord sets
# in `__init__` (CPython 3.8-3.14; `taskName` since 3.12).
RESERVED_KEYS: frozenset[str] = frozenset(
    {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
     "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
     "threadName", "processName", "process", "taskName", "message", "asctime"}
)  # fmt: skip
_ADAPTERS = frozenset({"logging.LoggerAdapter"})


class ReservedExtraKey(LintRule):
    """
    ## What it does
    Checks for keys of a stdlib `extra=` mapping (a dict literal or `dict(...)` call) that are
    `LogRecord` attributes: `message`, `asctime`, `msg`, `args`, `name`, `levelname`, `levelno`,
    `module`, `filename`, `pathname`, `lineno`, `funcName`, `exc_info`, `exc_text`, `stack_info`,
    `created`, `msecs`, `relativeCreated`, `thread`, `threadName`, `process`, `processName`,
    `taskName`. The `extra` of `logging.LoggerAdapter(logger, {...})` is checked too.

    structlog and loguru calls are not checked: their keyword fields do not go through
    `makeRecord`.

    Where it runs: everywhere, test code included: the clash raises `KeyError` in any code.

    ## Why is this bad?
    `Logger.makeRecord` raises `KeyError: "Attempt to overwrite 'message' in LogRecord"` for these
    keys. The log call itself crashes, and log calls with `extra=` sit mostly in error paths: the
    handler that was supposed to record a failure raises a new, unrelated exception instead, and
    the original error is lost. Tests rarely reach that path, so it ships.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def notify(user, err):
        logger.error("notification failed", extra={"name": user.name, "message": str(err)})
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def notify(user, err):
        logger.error("notification failed", extra={"user_name": user.name, "error_message": str(err)})
    ```

    ## References
    - [Python docs: Logger.debug, the `extra` argument](https://docs.python.org/3/library/logging.html#logging.Logger.debug)
    - [Python docs: LogRecord attributes](https://docs.python.org/3/library/logging.html#logrecord-attributes)
    - [flake8-logging-format G101 / flake8-logging LOG003](https://docs.astral.sh/ruff/rules/logging-extra-attr-clash/)
    """

    CODE: ClassVar[str] = "XH306"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "reserved-extra-key"
    MESSAGE: ClassVar[str] = (
        "`extra` key '{key}' clashes with a `LogRecord` attribute: logging raises `KeyError` when this "
        "line runs, usually in an error path; rename it (e.g. '{suggestion}')"
    )
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.CRASH
    PREFILTER: ClassVar[Optional[Sequence[str]]] = LOG_CALL_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("log-calls",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def notify(user):
                try:
                    send(user)
                except OSError:
                    logger.exception("failed", extra={"user_name": user.name, "error_message": "x"})
                try:
                    send_all(user)
                except* ValueError:
                    logger.error("bad", extra=context)
            """
        ),
        Valid(
            """
            import structlog
            from loguru import logger

            log = structlog.get_logger()
            log.info("event", name="x", message="structlog fields are not LogRecord attributes")
            logger.bind(name="x").info("loguru")
            cache.set("k", extra={"name": 1})
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def notify(user, err):
                try:
                    send(user)
                except OSError:
                    logger.error("notification failed", extra={"name": user.name, "message": str(err)})
            """,
            expected_message=(
                "`extra` key 'name' clashes with a `LogRecord` attribute: logging raises `KeyError` when "
                "this line runs, usually in an error path; rename it (e.g. 'user_name')"
            ),
            line=8,
            column=52,
            expected_count=2,
        ),
        Invalid(
            """
            import logging

            async def handle(request):
                adapter = logging.LoggerAdapter(logging.getLogger("http"), {"module": "api"})
                adapter.info("served", extra=dict(filename=request.path))
            """,
            expected_message=(
                "`extra` key 'module' clashes with a `LogRecord` attribute: logging raises `KeyError` when "
                "this line runs, usually in an error path; rename it (e.g. 'ctx_module')"
            ),
            line=4,
            column=65,
            expected_count=2,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call's `extra=` (or, for a bare name or `LoggerAdapter`, an argument) is a dict literal or `dict(...)` with a `LogRecord` attribute as a key."""
        return _may_report(region, cls.CODE)

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualify(node.func)
        if qualified in _ADAPTERS:
            mapping = _adapter_extra(node)
            if mapping is not None:
                self._check(mapping)
            return
        log = self.context.log_call(node)
        if log is None or log.library != "stdlib":
            return
        extra = log.keyword("extra")
        if extra is not None:
            self._check(extra)

    def _check(self, mapping: cst.BaseExpression) -> None:
        for key_node, key in _keys(mapping):
            if key in RESERVED_KEYS:
                self.report(key_node, key=key, suggestion=_suggest(key))


def _adapter_extra(node: cst.Call) -> cst.BaseExpression | None:
    for index, arg in enumerate(node.args):
        if (arg.keyword is not None and arg.keyword.value == "extra") or (arg.keyword is None and index == 1):
            return arg.value
    return None


def _keys(mapping: cst.BaseExpression) -> Iterator[tuple[cst.CSTNode, str]]:
    if isinstance(mapping, cst.Dict):
        for element in mapping.elements:
            if isinstance(element, cst.DictElement):
                key = string_value(element.key)
                if key is not None:
                    yield element.key, key
    elif isinstance(mapping, cst.Call) and isinstance(mapping.func, cst.Name) and mapping.func.value == "dict":
        for arg in mapping.args:
            if arg.keyword is not None:
                yield arg.keyword, arg.keyword.value


_SUGGESTIONS = {
    "name": "user_name",
    "message": "error_message",
    "msg": "detail",
    "args": "call_args",
    "filename": "file_name",
    "pathname": "file_path",
    "module": "ctx_module",
    "process": "process_name",
    "created": "created_at",
    "thread": "thread_label",
}


def _suggest(key: str) -> str:
    return _SUGGESTIONS.get(key, "ctx_" + key)

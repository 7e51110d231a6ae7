"""Is this call a logging call (stdlib, structlog, loguru, configured names) or a report function?

`classify_call` answers once per call (cached on the `FileContext` as `context.log_call(call)`),
with the level and whether the traceback is attached. Every logging-related rule reads this; none
re-derives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

import libcst as cst

from errlint.analysis import ModuleFacts, dotted_name, last_segment, logger_factory_library

if TYPE_CHECKING:
    from errlint.config import Config

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50
LOG_METHODS: dict[str, Optional[int]] = {
    "trace": 5,
    "debug": DEBUG,
    "info": INFO,
    "msg": INFO,
    "success": 25,
    "warning": WARNING,
    "warn": WARNING,
    "error": ERROR,
    "exception": ERROR,
    "critical": CRITICAL,
    "fatal": CRITICAL,
    "log": None,
}
_LEVEL_NAMES = {"DEBUG": DEBUG, "INFO": INFO, "WARNING": WARNING, "WARN": WARNING,
                "ERROR": ERROR, "CRITICAL": CRITICAL, "FATAL": CRITICAL}  # fmt: skip
_LOGGER_NAME_RE = re.compile(r"^_*(?:log|logger|logging|LOG|LOGGER|Log|Logger)$|(?:logger|LOGGER|Logger)$|_(?:log|LOG)$")


@dataclass(frozen=True)
class LogCall:
    """A call that writes a log record, or reports the exception to an error tracker."""

    node: cst.Call
    method: str
    level: Optional[int]  # None when `.log(level_var, ...)` cannot be resolved
    library: str  # stdlib | structlog | loguru | report
    exc_info: bool
    message: Optional[cst.BaseExpression]
    args: tuple[cst.BaseExpression, ...]
    keywords: tuple[tuple[str, cst.BaseExpression], ...]

    @property
    def is_report(self) -> bool:
        return self.library == "report"

    @property
    def at_least_error(self) -> bool:
        return self.level is not None and self.level >= ERROR

    def keyword(self, name: str) -> Optional[cst.BaseExpression]:
        for key, value in self.keywords:
            if key == name:
                return value
        return None


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value in ("False", "None") or (
        isinstance(node, cst.Integer) and node.value == "0"
    )


def logger_library(
    receiver: cst.BaseExpression, facts: ModuleFacts, logger_names: Sequence[str]
) -> Optional[str]:
    """Return the logging library of `receiver` if it is a logger, else None."""
    if isinstance(receiver, cst.Call):
        func = receiver.func
        library = logger_factory_library(func, facts)
        if library is not None:
            return library
        if isinstance(func, cst.Attribute) and func.attr.value in ("bind", "opt", "new", "patch", "contextualize", "with_context", "bind_contextvars"):
            return logger_library(func.value, facts, logger_names)
        return None
    qualified = facts.qualify(receiver)
    if qualified is None:
        return None
    if qualified == "logging":
        return "stdlib"
    if qualified == "loguru.logger":
        return "loguru"
    if qualified in ("structlog", "structlog.stdlib"):
        return None
    name = dotted_name(receiver) or ""
    last = name.rsplit(".", 1)[-1]
    for configured in logger_names:
        if name == configured or name.endswith("." + configured) or qualified == configured:
            return "stdlib"
    if last in facts.logger_vars:
        return facts.logger_vars[last]
    if _LOGGER_NAME_RE.search(last):
        if last.lower().lstrip("_") == "logging" and qualified != "logging" and "." not in name:
            return None
        return "stdlib"
    return None


def classify_call(call: cst.Call, facts: ModuleFacts, config: Config) -> Optional[LogCall]:
    """Return a `LogCall` when `call` logs or reports an error, else None."""
    func = call.func
    keywords = tuple((a.keyword.value, a.value) for a in call.args if a.keyword is not None)
    positional = tuple(a.value for a in call.args if a.keyword is None and not a.star)
    if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS:
        method = func.attr.value
        library = logger_library(func.value, facts, config.logger_names)
        if library is not None:
            return _make_log_call(call, method, library, positional, keywords, func.value)
    qualified = facts.qualify(func)
    if qualified is not None:
        for target in config.all_report_functions:
            if qualified == target or ("." not in target and qualified.rsplit(".", 1)[-1] == target):
                return LogCall(call, qualified, CRITICAL, "report", True, None, positional, keywords)
    return None


def _make_log_call(
    call: cst.Call,
    method: str,
    library: str,
    positional: tuple[cst.BaseExpression, ...],
    keywords: tuple[tuple[str, cst.BaseExpression], ...],
    receiver: cst.BaseExpression,
) -> LogCall:
    level = LOG_METHODS[method]
    args = positional
    if method == "log":
        level = _resolve_level(positional[0]) if positional else None
        args = positional[1:]
    message = args[0] if args else dict(keywords).get("msg", dict(keywords).get("event"))
    rest = args[1:] if args else ()
    exc_info = method == "exception"
    for key, value in keywords:
        if key == "exc_info":
            exc_info = not _is_false(value)
    if library == "loguru" or isinstance(receiver, cst.Call):
        exc_info = exc_info or _opt_exception(receiver)
    return LogCall(call, method, level, library, exc_info, message, rest, keywords)


def _opt_exception(receiver: cst.BaseExpression) -> bool:
    while isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
        if receiver.func.attr.value == "opt":
            for arg in receiver.args:
                if arg.keyword is not None and arg.keyword.value == "exception" and not _is_false(arg.value):
                    return True
        receiver = receiver.func.value
    return False


def _resolve_level(node: cst.BaseExpression) -> Optional[int]:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    name = last_segment(node)
    if name in _LEVEL_NAMES:
        return _LEVEL_NAMES[name]
    if isinstance(node, cst.SimpleString):
        return _LEVEL_NAMES.get(node.value.strip("'\"").upper())
    return None



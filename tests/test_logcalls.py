"""The shared "logging call" vocabulary: which calls log, with which library, level and traceback."""

from __future__ import annotations

import textwrap
from typing import ClassVar, Optional

import libcst as cst
import pytest

from errlint.analysis import collect_module_facts
from errlint.config import Config
from errlint.context import FileContext
from errlint.finding import Impact
from errlint.logcalls import (
    CRITICAL,
    DEBUG,
    ERROR,
    INFO,
    WARNING,
    LogCall,
    carries_traceback,
    classify_call,
    eager_format,
    resolve_level,
)
from errlint.rule import LintRule
from errlint.walker import run_rules


class _Probe(LintRule):
    """Records `context.log_call` for every call, keyed by the called code."""

    CODE: ClassVar[str] = "XH999"
    MESSAGE: ClassVar[str] = "probe"
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    seen: ClassVar[dict[str, Optional[LogCall]]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        code = cst.Module(body=()).code_for_node(node.func)
        type(self).seen[code] = self.context.log_call(node)


def classify(code: str, config: Optional[Config] = None) -> dict[str, Optional[LogCall]]:
    """Classify every call of `code` during a real walk (scopes as the rules see them)."""
    module = cst.parse_module(textwrap.dedent(code))
    context = FileContext("m.py", module, [], config or Config(), collect_module_facts(module))
    _Probe.seen = {}
    crashes = run_rules(context, [_Probe])
    assert not crashes, crashes[0].traceback
    return dict(_Probe.seen)


def summary(log: Optional[LogCall]) -> Optional[tuple[str, Optional[int], bool, bool]]:
    if log is None:
        return None
    return (log.library, log.level, log.exc_info, log.inferred)


# --- which receivers are loggers ------------------------------------------------------------


def test_stdlib_module_functions_and_factories() -> None:
    seen = classify(
        """
        import logging
        import logging as lg
        from logging import getLogger, error as log_error

        logger = logging.getLogger(__name__)
        logging.info("a")
        lg.warning("b")
        log_error("c")
        logger.debug("d")
        getLogger("x").critical("e")
        logging.getLogger(__name__).getChild("y").exception("f")
        """
    )
    assert summary(seen["logging.info"]) == ("stdlib", INFO, False, False)
    assert summary(seen["lg.warning"]) == ("stdlib", WARNING, False, False)
    assert summary(seen["log_error"]) == ("stdlib", ERROR, False, False)
    assert summary(seen["logger.debug"]) == ("stdlib", DEBUG, False, False)
    assert summary(seen['getLogger("x").critical']) == ("stdlib", CRITICAL, False, False)
    assert summary(seen['logging.getLogger(__name__).getChild("y").exception']) == ("stdlib", ERROR, True, False)
    assert seen["logging.getLogger"] is None
    assert seen["getLogger"] is None


def test_loggers_bound_at_class_and_function_level() -> None:
    seen = classify(
        """
        import logging

        class Service:
            audit = logging.getLogger("audit")

            def __init__(self):
                self._lg = logging.getLogger("svc")

            @property
            def tracer(self):
                return logging.getLogger("trace")

            def run(self):
                self.audit.info("a")
                self._lg.error("b")
                self.tracer.debug("c")
                cls_log = logging.getLogger("local")
                cls_log.warning("d")
        """
    )
    assert summary(seen["self.audit.info"]) == ("stdlib", INFO, False, False)
    assert summary(seen["self._lg.error"]) == ("stdlib", ERROR, False, False)
    assert summary(seen["self.tracer.debug"]) == ("stdlib", DEBUG, False, False)
    assert summary(seen["cls_log.warning"]) == ("stdlib", WARNING, False, False)


def test_loggers_by_name_are_inferred() -> None:
    seen = classify(
        """
        from app.log import LOGGER
        from flask import current_app

        def handle(self, log):
            LOGGER.error("a")
            log.info("b")
            self.logger.warning("c")
            self.log.info("d")
            current_app.logger.error("e")
            audit_log.info("f")
            get_app().logger.info("g")
        """
    )
    for func in ("LOGGER.error", "log.info", "self.logger.warning", "self.log.info", "current_app.logger.error",
                 "audit_log.info", "get_app().logger.info"):  # fmt: skip
        log = seen[func]
        assert log is not None and log.library == "stdlib" and log.inferred, func


def test_false_friends_are_not_loggers() -> None:
    seen = classify(
        """
        import math
        import numpy as np
        import warnings
        import click

        class Report:
            def log(self, text):
                self.lines.append(text)

            def build(self, session, parser, messages, request, task, console):
                math.log(2)
                np.log(3)
                self.log("x")
                warnings.warn("w")
                click.echo("c")
                session.log("nox")
                session.error("nox failed")
                parser.error("bad flag")
                messages.error(request, "Could not save")
                task.exception()
                console.log("rich")
                self.info("self")

        def changelog():
            log = ChangeLog.load("CHANGES")
            log.info("not a logger")
            entries = []
            for log in entries:
                pass
            logger = []
            logger.error("a list")
        """
    )
    for func in ("math.log", "np.log", "self.log", "warnings.warn", "click.echo", "session.log", "session.error",
                 "parser.error", "messages.error", "task.exception", "console.log", "self.info", "logger.error"):  # fmt: skip
        assert seen[func] is None, func
    # `ChangeLog.load(...)` is a call we cannot see into, and `for log in ...` is unknown: the name
    # decides, as for a parameter.
    assert seen["log.info"] is not None and seen["log.info"].inferred


def test_instance_of_another_class_named_log_is_not_a_logger() -> None:
    seen = classify(
        """
        def record(session):
            log = Log(event="login")
            log.info("x")
        """
    )
    assert seen["log.info"] is None


def test_local_binding_shadows_module_logger() -> None:
    seen = classify(
        """
        import structlog
        log = structlog.get_logger()

        def uses_module():
            log.info("a")

        def shadowed(log):
            log.warning("b")

        def rebinds():
            log = log.bind(order_id=1)
            log.error("c", order_id=2)
        """
    )
    assert summary(seen["log.info"]) == ("structlog", INFO, False, False)
    assert summary(seen["log.warning"]) == ("stdlib", WARNING, False, True)
    log = seen["log.error"]
    assert summary(log) == ("structlog", ERROR, False, False)


def test_structlog_and_loguru_chains() -> None:
    seen = classify(
        """
        import structlog
        from loguru import logger as lg

        slog = structlog.get_logger().bind(service="billing")

        async def pay(order_id):
            slog.bind(order_id=order_id).error("charge_failed", amount=3, exc_info=True)
            await slog.aerror("async_failed")
            lg.opt(exception=True).error("opt")
            lg.bind(user=1).opt(exception=False).error("no tb")
            lg.log("ERROR", "string level")
        """
    )
    bound = seen["slog.bind(order_id=order_id).error"]
    assert summary(bound) == ("structlog", ERROR, True, False)
    assert bound is not None and [k for k, _ in bound.bound] == ["order_id"]
    assert [k for k, _ in bound.fields] == ["order_id", "amount"]
    assert summary(seen["slog.aerror"]) == ("structlog", ERROR, False, False)
    assert summary(seen["lg.opt(exception=True).error"]) == ("loguru", ERROR, True, False)
    assert summary(seen["lg.bind(user=1).opt(exception=False).error"]) == ("loguru", ERROR, False, False)
    assert summary(seen["lg.log"]) == ("loguru", ERROR, False, False)


def test_bound_logging_methods() -> None:
    seen = classify(
        """
        from celery.utils.log import get_logger
        logger = get_logger(__name__)
        debug, info, error = logger.debug, logger.info, logger.error
        warn = logger.warning

        def work(pool):
            info("starting %s", pool)
            error("failed", exc_info=True)
            warn("slow")
            stats = pool.info
            stats()

        def shadowed(debug):
            debug("a parameter, not the alias")
        """
    )
    assert seen["debug"] is None
    assert summary(seen["info"]) == ("stdlib", INFO, False, False)
    assert summary(seen["error"]) == ("stdlib", ERROR, True, False)
    assert summary(seen["warn"]) == ("stdlib", WARNING, False, False)
    assert seen["stats"] is None


def test_annotated_parameters_and_attributes() -> None:
    seen = classify(
        """
        import logging
        from structlog.typing import FilteringBoundLogger

        def work(lg: logging.Logger, out: "FilteringBoundLogger"):
            lg.info("a")
            out.info("b")
        """
    )
    assert summary(seen["lg.info"]) == ("stdlib", INFO, False, False)
    assert summary(seen["out.info"]) == ("structlog", INFO, False, False)


def test_configured_logger_names_and_report_functions() -> None:
    config = Config(logger_names=("audit", "app.telemetry"), extend_report_functions=("report_error",))
    seen = classify(
        """
        import sentry_sdk
        from sentry_sdk import capture_exception as capture
        from app import telemetry

        audit.error("a")
        telemetry.warning("b")
        sentry_sdk.capture_exception()
        capture(err)
        self.report_error(err)
        sentry_sdk.capture_message("not configured")
        """,
        config,
    )
    assert summary(seen["audit.error"]) == ("stdlib", ERROR, False, False)
    assert summary(seen["telemetry.warning"]) == ("stdlib", WARNING, False, False)
    for func in ("sentry_sdk.capture_exception", "capture", "self.report_error"):
        log = seen[func]
        assert log is not None and log.is_report and log.exc_info and log.level == CRITICAL, func
    assert seen["sentry_sdk.capture_message"] is None


# --- levels, traceback, message -------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "level"),
    [
        ("logger.log(logging.ERROR, 'x')", ERROR),
        ("logger.log(ERROR, 'x')", ERROR),
        ("logger.log(40, 'x')", ERROR),
        ("logger.log(level=logging.WARNING, msg='x')", WARNING),
        ("logger.log('CRITICAL', 'x')", CRITICAL),
        ("logger.log(level, 'x')", None),
        ("logger.fatal('x')", CRITICAL),
        ("logger.warn('x')", WARNING),
    ],
)
def test_levels(call: str, level: Optional[int]) -> None:
    log = classify(call)[call.split("(")[0]]
    assert log is not None and log.level == level


@pytest.mark.parametrize(
    ("call", "exc_info"),
    [
        ("logger.error('x', exc_info=True)", True),
        ("logger.error('x', exc_info=err)", True),
        ("logger.error('x', exc_info=sys.exc_info())", True),
        ("logger.error('x', exc_info=False)", False),
        ("logger.exception('x', exc_info=None)", False),
        ("logger.exception('x')", True),
        ("logger.error('x')", False),
    ],
)
def test_exc_info(call: str, exc_info: bool) -> None:
    log = classify(call)[call.split("(")[0]]
    assert log is not None and log.exc_info is exc_info


def test_message_args_and_fields() -> None:
    seen = classify(
        """
        logger.log(logging.INFO, "user %s", uid, extra={"order_id": oid, "step": 2})
        logger.info(msg="keyword message")
        """
    )
    log = seen["logger.log"]
    assert log is not None
    assert isinstance(log.message, cst.SimpleString) and log.message.value == '"user %s"'
    assert [cst.ensure_type(a, cst.Name).value for a in log.args] == ["uid"]
    assert [k for k, _ in log.fields] == ["order_id", "step"]
    assert log.arg("extra") is not None and log.method_node is not None and log.method_node.value == "log"
    keyword = seen["logger.info"]
    assert keyword is not None and isinstance(keyword.message, cst.SimpleString)


def test_traceback_text_counts_as_traceback() -> None:
    module = cst.parse_module("import traceback\nlogger.error('failed: %s', traceback.format_exc())\n")
    facts = collect_module_facts(module)
    call = cst.ensure_type(cst.ensure_type(module.body[1], cst.SimpleStatementLine).body[0], cst.Expr).value
    log = classify_call(cst.ensure_type(call, cst.Call), facts, Config())
    assert log is not None and not log.exc_info and carries_traceback(log, facts)


def test_classify_without_scopes_uses_module_facts() -> None:
    module = cst.parse_module("import structlog\nlog = structlog.get_logger()\nlog.info('x')\n")
    call = cst.ensure_type(cst.ensure_type(module.body[2], cst.SimpleStatementLine).body[0], cst.Expr).value
    log = classify_call(cst.ensure_type(call, cst.Call), collect_module_facts(module), Config())
    assert log is not None and log.library == "structlog" and not log.inferred


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ('f"user {uid}"', "f-string"),
        ('f"done"', None),
        ('"a" "b"', None),
        ('"a" f"{b}"', "f-string"),
        ('"user {}".format(uid)', "format"),
        ('template.format(uid)', "format"),
        ('self.format(record)', None),
        ('formatter.format(record)', None),
        ('"user %s" % uid', "percent"),
        ('"a" + b', "concat"),
        ('"a" + "b"', None),
        ('prefix + suffix', None),
        ('msg', None),
        ('10 % 3', None),
    ],
)
def test_eager_format(message: str, kind: Optional[str]) -> None:
    assert eager_format(cst.parse_expression(message)) == kind


def test_resolve_level_unknown_string() -> None:
    assert resolve_level(cst.parse_expression("'VERBOSE'")) is None
    assert resolve_level(cst.parse_expression("logging.DEBUG")) == DEBUG


def test_only_known_factories_make_a_logger_of_certain_library() -> None:
    # Issue 11: another module's `get_logger()` may wrap loguru or structlog; the logger is then
    # recognised by its name only, and fixes that assume `%s` interpolation are unsafe.
    seen = classify(
        """
        import logging
        from logging import getLogger
        from myapp.logs import get_logger
        from celery.utils.log import get_task_logger

        own = get_logger(__name__)
        std = getLogger(__name__)
        task = get_task_logger(__name__)

        def work():
            own.info("a")
            std.info("b")
            task.info("c")
            logging.getLogger("x").getChild("y").info("d")
            get_logger("x").getChild("y").info("e")
        """
    )
    assert summary(seen["own.info"]) == ("stdlib", INFO, False, True)
    assert summary(seen["std.info"]) == ("stdlib", INFO, False, False)
    assert summary(seen["task.info"]) == ("stdlib", INFO, False, False)
    assert summary(seen['logging.getLogger("x").getChild("y").info']) == ("stdlib", INFO, False, False)
    assert summary(seen['get_logger("x").getChild("y").info']) == ("stdlib", INFO, False, True)

"""XH3 logging rules: behaviour beyond the embedded cases, and the false-positive patterns fixed
while measuring precision on the corpus (docs/precision.md)."""

from __future__ import annotations

import sys
import textwrap
from typing import Any, Optional

import libcst as cst
import pytest

from errlint.config import Config, parse_table
from errlint.docs import code_blocks, section
from errlint.errors import ConfigError
from errlint.finding import Finding, FixSafety
from errlint.fixes import apply_fixes
from errlint.rule import LintRule, all_rules
from errlint.rules.broad_except import BroadExcept
from errlint.rules.exception_as_message import ExceptionAsMessage
from errlint.rules.exception_log_outside_handler import ExceptionLogOutsideHandler
from errlint.rules.log_flood import LogFlood
from errlint.rules.print_in_handler import PrintInHandler
from errlint.rules.reserved_extra_key import ReservedExtraKey
from errlint.rules.traceback_dropped import TracebackDropped
from errlint.rules.unstructured_log_message import UnstructuredLogMessage, _percent_spec

from conftest import lint_snippet

XH3_RULES = [r for r in all_rules() if r.CODE.startswith("XH3")]


def run(rule: type[LintRule], code: str, *, path: str = "app/service.py", **options: Any) -> list[Finding]:
    """Run `rule` alone, as `--select <CODE>` does (rules that defer to another selected rule fire)."""
    result = lint_snippet(
        textwrap.dedent(code).lstrip("\n"),
        [rule],
        path=path,
        config=Config(preview=True, select=(rule.CODE,)),
        options={rule.CODE: options} if options else None,
    )
    assert not result.crashes, result.crashes[0].traceback
    return [f for f in result.findings if f.code == rule.CODE]


def lines(findings: list[Finding]) -> list[int]:
    return [f.line for f in findings]


def fixed(rule: type[LintRule], code: str, **options: Any) -> tuple[str, Optional[FixSafety]]:
    source = textwrap.dedent(code).lstrip("\n")
    findings = run(rule, source, **options)
    assert len(findings) == 1, findings
    fix = findings[0].fix
    if fix is None:
        return source, None
    return apply_fixes(source, [fix])[0], fix.safety


# --- every rule ---------------------------------------------------------------------------


@pytest.mark.parametrize("rule", XH3_RULES, ids=lambda r: r.CODE)
def test_embedded_cases_are_valid_python(rule: type[LintRule]) -> None:
    """`except` and `except*` cannot share a `try`: libcst parses it, Python does not."""
    for case in [*rule.VALID, *rule.INVALID]:
        compile(case.code, f"{rule.CODE}-case", "exec")


@pytest.mark.parametrize("rule", XH3_RULES, ids=lambda r: r.CODE)
def test_docs_examples_are_executable(rule: type[LintRule]) -> None:
    example = section(rule, "Example")
    bad, good = code_blocks(example)[0], code_blocks(example)[1]
    assert run(rule, bad), f"{rule.CODE}: the Example does not trigger the rule"
    assert run(rule, good) == [], f"{rule.CODE}: the 'Use instead' block triggers the rule"


def test_log_flood_is_preview_and_the_rest_stable() -> None:
    # Every XH3 rule is below the precision bar for now (docs/precision.md; the default set follows
    # the committed verdicts, see tests/test_precision_tool.py).
    assert {r.CODE: r.PREVIEW for r in XH3_RULES} == {
        "XH301": True, "XH302": True, "XH303": True, "XH304": True, "XH305": True, "XH306": True,
        "XH307": True,
    }  # fmt: skip


# --- XH301 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("placeholder", "expected"),
    [
        ("{x}", "%s"),
        ("{x!r}", "%r"),
        ("{x!a}", "%a"),
        ("{x:.2f}", "%.2f"),
        ("{x:>10}", "%10s"),
        ("{x:<10}", "%-10s"),
        ("{x:+d}", "%+d"),
        ("{x:08.3f}", "%08.3f"),
        ("{x:#x}", "%#x"),
        ("{x:10d}", "%10d"),
        ("{x:10}", None),  # strings align left, numbers right
        ("{x:.2}", None),
        ("{x:,}", None),
        ("{x:.1%}", None),
        ("{x:^10}", None),
        ("{x:*>10}", None),
        ("{x!r:>10}", None),
        ("{x=}", None),
        ("{x:{width}}", None),
    ],
)
def test_percent_spec(placeholder: str, expected: Optional[str]) -> None:
    string = cst.ensure_type(cst.parse_expression("f'" + placeholder + "'"), cst.FormattedString)
    piece = cst.ensure_type(string.parts[0], cst.FormattedStringExpression)
    assert _percent_spec(piece) == expected


def test_xh301_fix_escapes_percent_and_braces_and_parenthesises_tuples() -> None:
    code = """
    import logging
    log = logging.getLogger(__name__)
    log.info(f"{{literal}} 50% of {a, b} in {rate:.1f}s")
    """
    new, safety = fixed(UnstructuredLogMessage, code)
    assert safety == FixSafety.SAFE
    assert 'log.info("{literal} 50%% of %s in %.1fs", (a, b), rate)' in new


def test_xh301_raw_fstring_keeps_raw_prefix() -> None:
    new, _ = fixed(UnstructuredLogMessage, 'import logging\nlogging.info(rf"path\\d {p}")\n')
    assert new == 'import logging\nlogging.info(r"path\\d %s", p)\n'


@pytest.mark.parametrize(
    "call",
    [
        'log.info((f"a {x}"))',  # parenthesised: appending args would build a tuple
        'log.info(f"a {x}", *args)',
        'log.info(f"a {x}", y)',
        'log.info(msg=f"a {x}")',
        'log.info(f"""a\n{x}""")',
        'log.info(f"a {x!r:>4}")',
    ],
)
def test_xh301_no_fix_when_unsure(call: str) -> None:
    code = "import logging\nlog = logging.getLogger(__name__)\n" + call + "\n"
    _, safety = fixed(UnstructuredLogMessage, code)
    assert safety is None


def test_xh301_loguru_escapes_braces_of_plain_parts_and_reuses_names() -> None:
    code = """
    from loguru import logger
    logger.info("set {" f"{key}" "} to {{}}" f" {key} again")
    """
    new, safety = fixed(UnstructuredLogMessage, code)
    assert safety == FixSafety.SAFE
    # A plain part is literal text: once loguru formats the message, its braces must be doubled.
    assert 'logger.info("set {{" "{key}" "}} to {{{{}}}}" " {key} again", key=key)' in new


def test_xh301_structlog_fix_unescapes_and_appends_after_keywords() -> None:
    code = """
    import structlog
    log = structlog.get_logger()
    log.info(f"{{x}} {self.name} {order.id}", **ctx)
    """
    _, safety = fixed(UnstructuredLogMessage, code)
    assert safety is None  # `**ctx` may hold anything: no fix
    code = """
    import structlog
    log = structlog.get_logger()
    log.info(f"{{x}} {self.name} {order.id}", step=1)
    """
    new, safety = fixed(UnstructuredLogMessage, code)
    assert safety == FixSafety.UNSAFE
    assert 'log.info("{x} {name} {order_id}", step=1, name=self.name, order_id=order.id)' in new


def test_xh301_keyword_fix_refuses_clashing_names() -> None:
    code = """
    from loguru import logger
    logger.info(f"{a.id} {b.id} {a_id}")
    """
    _, safety = fixed(UnstructuredLogMessage, code)
    assert safety is None


def test_xh301_style_option_is_validated() -> None:
    rules = all_rules()
    with pytest.raises(ConfigError) as info:
        parse_table(
            {"rules": {"unstructured-log-message": {"style": "eager"}}},
            "pyproject.toml",
            ".",
            known_codes=[r.CODE for r in rules],
            rule_options={r.CODE: r.parse_options for r in rules if r.Options is not None},
            names_to_codes={r.NAME: r.CODE for r in rules},
        )
    assert "expected one of 'lazy', 'fields', got 'eager'" in str(info.value)


def test_xh301_fields_style_loguru_and_structlog_arguments() -> None:
    code = """
    import structlog
    from loguru import logger
    log = structlog.get_logger()
    logger.info("paying {}", order_id)
    log.info("paying %s", order_id)
    logger.info("paying {order_id}", order_id=order_id)
    log.info("paying", order_id=order_id)
    """
    findings = run(UnstructuredLogMessage, code, style="fields")
    assert lines(findings) == [4, 5]
    assert all("keyword fields" in f.message for f in findings)
    assert run(UnstructuredLogMessage, code) == []


def test_xh301_concatenation_that_builds_a_template_for_lazy_args() -> None:
    code = """
    import logging
    log = logging.getLogger(__name__)
    log.info("%s " + msg, *((self._log_desc,) + args))
    log.info("[%s] " + template, name, value)
    log.info("user " + name)
    """
    assert lines(run(UnstructuredLogMessage, code)) == [5]


def test_xh301_reports_the_message_of_log_with_level() -> None:
    findings = run(UnstructuredLogMessage, "import logging\nlogging.log(logging.INFO, 'n=%d' % n)\n")
    assert [(f.line, f.column, f.end_column) for f in findings] == [(2, 27, 37)]


# --- XH302 ---------------------------------------------------------------------------------


def test_xh302_conditional_reraise_and_report_functions_are_handled() -> None:
    code = """
    import logging
    log = logging.getLogger(__name__)
    try:
        run()
    except OSError as err:
        log.error("run failed")
        if err.errno != 2:
            raise
    try:
        run()
    except ValueError:
        log.error("bad value", **log_kwargs)
    try:
        run()
    except Exception:
        log.error("run failed")
        report_error()
    """
    config_rules = run(TracebackDropped, code)
    assert lines(config_rules) == [16]
    result = lint_snippet(
        textwrap.dedent(code).lstrip("\n"),
        [TracebackDropped],
        config=Config(preview=True, extend_report_functions=("report_error",)),
    )
    assert [f for f in result.findings if f.code == "XH302"] == []


@pytest.mark.parametrize(
    ("handler", "message", "flagged"),
    [
        ("except TaskNotFound:", '"task %s is gone", tid', False),
        ("except TaskNotFound as err:", '"task %s is gone", tid', False),
        ("except TaskNotFound as err:", '"task %s is gone: %s", tid, err', True),
        ("except TaskNotFound as err:", 'f"task {tid} is gone: {err!r}"', True),
        ("except TaskNotFound as err:", '"task gone", error=str(err)', True),
        ("except NotPopulated as err:", '"missing %s", sorted(err.missing)', False),
        ("except TaskNotFound as error:", '"task gone", error=tid', False),
        ("except Exception:", '"task %s is gone", tid', True),
        ("except:", '"task %s is gone", tid', True),
        ("except (KeyError, Exception):", '"task %s is gone", tid', True),
        ("except KeyError as err:", '"no such command: %s", err', False),
        ("except (KeyError, ValueError) as err:", '"bad input: %r", err', False),
        ("except (KeyError, OSError) as err:", '"lookup failed: %s", err', True),
    ],
)
def test_xh302_narrow_handlers_only_when_the_exception_is_interpolated(
    handler: str, message: str, flagged: bool
) -> None:
    code = f"""
    import logging
    try:
        run()
    {handler}
        logging.error({message})
    """
    assert len(run(TracebackDropped, code)) == (1 if flagged else 0)


def test_xh302_debug_and_warning_levels_are_not_flagged() -> None:
    code = """
    import logging
    try:
        run()
    except OSError:
        logging.warning("run failed")
        logging.debug("details")
        logging.log(level, "unknown level")
    """
    assert run(TracebackDropped, code) == []


def test_xh302_inferred_critical_fix_is_unsafe_and_aerror_becomes_aexception() -> None:
    new, safety = fixed(
        TracebackDropped,
        """
        async def pay(self):
            try:
                await charge()
            except Exception:
                await self.log.aerror("charge failed")
        """,
    )
    assert safety == FixSafety.SAFE and 'await self.log.aexception("charge failed")' in new


# --- XH303 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "flagged"),
    [
        ("err", True),
        ("str(err)", True),
        ("repr(err)", True),
        ("err.args[0]", True),
        ("err.message", True),
        ('f"{err}"', True),
        ('f"{err!r}."', True),
        ('"%s" % err', True),
        ('"%s: %s" % (type(err).__name__, err)', True),
        ('"{}".format(err)', True),
        ('"%s", err', True),
        ('"[%s] %s", err.__class__.__name__, err', True),
        ('"failed: %s", err', False),
        ('f"failed {err}"', False),
        ("str(other)", False),
        ('"%s", other', False),
        ("err.response.text", False),
    ],
)
def test_xh303_messages(message: str, flagged: bool) -> None:
    code = f"""
    import logging
    try:
        run()
    except OSError as err:
        logging.error({message})
    """
    assert len(run(ExceptionAsMessage, code)) == (1 if flagged else 0)


def test_xh303_logger_named_after_the_exception_is_djangos_idiom() -> None:
    code = """
    import logging
    try:
        load()
    except (DoesNotExist, SuspiciousOperation) as e:
        if isinstance(e, SuspiciousOperation):
            logger = logging.getLogger("django.security.%s" % e.__class__.__name__)
            logger.warning(str(e))
        other = logging.getLogger("app")
        other.warning(str(e))
    """
    assert lines(run(ExceptionAsMessage, code)) == [9]


def test_xh303_outer_handler_name_counts_in_nested_handler() -> None:
    code = """
    import logging
    try:
        run()
    except OSError as outer:
        try:
            cleanup()
        except ValueError:
            logging.error(outer)
    """
    assert lines(run(ExceptionAsMessage, code)) == [8]


# --- XH304 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "flagged"),
    [
        ("app/plugins.py", True),
        ("app/__main__.py", False),
        ("setup.py", False),
        ("scripts/migrate.py", False),
        ("docs/conf.py", False),
        ("tests/test_plugins.py", False),
        ("app/plugins_test.py", False),
        ("django/tests/admin/tests.py", False),
        ("airflow/cli/commands/info_command.py", False),
        ("django/core/management/commands/shell.py", False),
        ("airflow/migrations/versions/0049_remove_pickle.py", False),
        ("app/utils/archive.py", True),
        ("lib/sqlalchemy/testing/assertions.py", False),
        ("test/perf/invalidate_stresstest.py", False),
        ("t/integration/helpers.py", False),
        ("tests/fixtures/XH304_sample.py", False),  # sample inputs are test code (test-paths)
    ],
)
def test_xh304_entry_points_and_tests_are_exempt(path: str, flagged: bool) -> None:
    code = """
    def load(name):
        try:
            return import_plugin(name)
        except ImportError:
            print("missing", name)
    """
    assert len(run(PrintInHandler, code, path=path)) == (1 if flagged else 0)


def test_xh304_print_exc_to_a_given_stream_is_not_flagged() -> None:
    code = """
    import sys
    import traceback
    def run(stderr):
        try:
            launch()
        except OSError:
            traceback.print_exc(file=stderr)
            traceback.print_exc(file=sys.stderr)
    """
    assert lines(run(PrintInHandler, code)) == [8]


def test_xh304_cli_frameworks_main_function_and_custom_print() -> None:
    for header in ("import argparse", "from typer import Typer", 'if __name__ == "__main__":\n    pass'):
        code = header + "\ntry:\n    run()\nexcept OSError:\n    print('failed')\n"
        assert run(PrintInHandler, code) == [], header
    code = """
    from .console import print

    def main():
        try:
            run()
        except OSError:
            print("failed")
    """
    assert run(PrintInHandler, code) == []


def test_xh304_output_the_operator_turned_on_is_not_flagged() -> None:
    """pulpcore's migrate signal handlers print under `if verbosity >= 1:`, Mailman's template search
    under `if _trace:`: output asked for, not a failure hidden from the logs."""
    code = """
    def _populate_roles(sender, apps, verbosity, **kwargs):
        try:
            Role = apps.get_model("core", "Role")
        except LookupError:
            if verbosity >= 1:
                print("Role model does not exist. Skipping initialization.")
            return

    def find(path, _trace=False):
        try:
            return open(path)
        except FileNotFoundError:
            if _trace:
                print(" MISSING", file=sys.stderr)
            elif path.endswith(".txt"):
                print("missing text", path)
    """
    assert lines(run(PrintInHandler, code)) == [16]


def test_xh304_a_handler_that_ends_the_process_reports_on_stderr() -> None:
    """Synapse's dependency check: `sys.stderr.writelines(e.message); sys.exit(1)` is how a process
    that cannot start says why (the same as `raise SystemExit(1)`, which is a re-raise)."""
    code = """
    import os
    import sys
    from sys import exit as leave

    try:
        check_requirements()
    except DependencyException as e:
        sys.stderr.writelines(e.message)
        sys.exit(1)

    def child():
        try:
            work()
        except OSError as e:
            print("worker failed:", e)
            os._exit(1)

    def other():
        try:
            work()
        except OSError as e:
            print("failed:", e)
            leave(2)

    def keeps_running():
        try:
            work()
        except OSError as e:
            print("failed:", e)
            sys.exc_info()
    """
    assert lines(run(PrintInHandler, code)) == [29]


# --- XH305 ---------------------------------------------------------------------------------


def test_xh305_only_calls_placed_relative_to_the_functions_own_handling() -> None:
    code = """
    import logging
    log = logging.getLogger(__name__)

    def reconnect(self):
        log.warning("connection lost, reconnecting", exc_info=True)  # before any handler: a caller's
        try:
            self.consumer.cancel()
        except OSError:
            log.debug("cancel failed", exc_info=True)
        log.error("reconnected", exc_info=True)  # after this function's handler

    def resume(self):
        if self.closed:
            log.exception("resume of a closed consumer")  # `.exception()` before the function's own try
            return
        try:
            self.consumer.resume()
        except OSError:
            log.debug("resume failed", exc_info=True)

    def poll(self):
        try:
            log.exception("inside the try body")
            self.fetch()
        except OSError:
            return None
    """
    assert lines(run(ExceptionLogOutsideHandler, code)) == [10, 14, 23]


def test_xh305_function_called_from_a_handler_later_in_the_file() -> None:
    code = """
    import logging
    log = logging.getLogger(__name__)

    class Client:
        def _log_and_reset(self):
            log.exception("connection reset")

        def _unrelated(self):
            try:
                self.sock.close()
            except OSError:
                pass
            log.exception("not called from a handler")

        def send(self):
            try:
                self.sock.send()
            except OSError:
                self._log_and_reset()
            callbacks.register(self._unrelated)
    """
    findings = run(ExceptionLogOutsideHandler, code)
    assert lines(findings) == [13]
    assert findings[0].scope == "app.service.Client._unrelated"  # the function's scope, not the module's


@pytest.mark.parametrize(
    "signature",
    [
        "def handle_exception(self, request):",
        "def on_failure(self, task_id):",
        "def __aexit__(self, *args):",
        "def cleanup(self, exc_info):",
        "@app.errorhandler(500)\ndef server_error(request):",
        "@task_failure.connect\ndef notify(sender, **kwargs):",
        "@receiver(got_request_exception)\ndef notify(sender, **kwargs):",
    ],
)
def test_xh305_error_callbacks_are_exempt(signature: str) -> None:
    body = "\n    try:\n        close()\n    except OSError:\n        pass\n    logging.exception('failed')\n"
    code = "import logging\n" + signature + body
    assert run(ExceptionLogOutsideHandler, code) == []
    plain = "import logging\ndef plain(request):" + body
    assert lines(run(ExceptionLogOutsideHandler, plain)) == [7]


# --- XH306 ---------------------------------------------------------------------------------


def test_xh306_every_logrecord_attribute_is_reserved() -> None:
    import logging

    record = logging.LogRecord("n", logging.INFO, "p", 1, "m", (), None)
    from errlint.rules.reserved_extra_key import RESERVED_KEYS

    assert set(vars(record)) | {"message", "asctime", "taskName"} == set(RESERVED_KEYS)
    for key in RESERVED_KEYS - ({"taskName"} if sys.version_info < (3, 12) else set()):
        with pytest.raises(KeyError):
            logging.getLogger("xh306").makeRecord("n", logging.INFO, "f", 1, "m", (), None, extra={key: 1})


def test_xh306_only_stdlib_and_adapters() -> None:
    code = """
    import logging
    from loguru import logger
    logger.info("loguru", extra={"name": 1})
    other.info("not a logger", extra={"name": 1})
    logging.LoggerAdapter(logging.getLogger(), extra={"process": 1})
    """
    assert lines(run(ReservedExtraKey, code)) == [5]


# --- XH307 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loop", "flagged"),
    [
        ("for item in items:", True),
        ("while queue:", True),
        ("for i in range(5):", False),
        ("for i in range(1, 3):", False),
        ("for i in range(max_retries):", False),
        ("for attempt in attempts:", False),
        ("for receiver in self.receivers:", False),
        ("for name, plugin in plugins.items():", False),
        ("for executor in self.executors:", False),
        ("for name, cfg in self._bundle_config.items():", False),
        ("for secrets_backend in ensure_secrets_loaded():", False),
        ("for dag in bag.dags.values():", True),
        ("for package_name in ProvidersManager().providers:", False),
        ('for entry_point, dist in entry_points_with_dist("airflow.plugins"):', False),
    ],
)
def test_xh307_loops(loop: str, flagged: bool) -> None:
    code = f"""
    import logging
    def work():
        {loop}
            try:
                process()
            except OSError:
                logging.exception("failed")
    """
    assert len(run(LogFlood, code)) == (1 if flagged else 0)


def test_xh307_calling_the_loop_variable_is_callback_dispatch() -> None:
    code = """
    import logging
    def fire(entries):
        for entry in entries:
            try:
                entry(1)
            except Exception:
                logging.exception("callback failed")
        for entry in entries:
            try:
                entry.fn()
            except Exception:
                logging.exception("item failed")
    """
    assert lines(run(LogFlood, code)) == [12]
    code = """
    import logging
    def run_hooks(pending):
        while pending:
            _, func, robust = pending.pop(0)
            try:
                func()
            except Exception:
                logging.exception("hook failed")
    """
    assert run(LogFlood, code) == []


# --- where the logging rules run (test code, demos, operator scripts) --------------------------

_WHERE_CODE = """
import logging
log = logging.getLogger(__name__)

def sync(order):
    try:
        push(order)
    except Exception as err:
        log.warning(str(err))
        log.error(f"push failed for {order.id}: {err}")
    log.exception("after the handler")

def test_sync():
    log.info(f"testing {1}")
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("shop/orders.py", {"XH301": [9], "XH302": [9], "XH303": [8], "XH305": [10]}),
        ("tests/test_orders.py", {"XH301": [], "XH302": [], "XH303": [], "XH305": []}),
        ("examples/orders.py", {"XH301": [], "XH302": [], "XH303": [], "XH305": []}),
        ("shop/migrations/0042_orders.py", {"XH301": [], "XH302": [], "XH303": [], "XH305": [10]}),
        ("shop/management/commands/sync.py", {"XH301": [], "XH302": [], "XH303": [], "XH305": [10]}),
    ],
)
def test_logging_rules_defaults_for_tests_demos_and_operator_scripts(path: str, expected: dict[str, list[int]]) -> None:
    rules = {"XH301": UnstructuredLogMessage, "XH302": TracebackDropped, "XH303": ExceptionAsMessage,
             "XH305": ExceptionLogOutsideHandler}  # fmt: skip
    found = {code: lines(run(rule, _WHERE_CODE, path=path)) for code, rule in rules.items()}
    # In any file, a test function (`test_sync`, line 13) is test code.
    assert found == expected


def test_xh302_defers_to_xh102_on_except_exception() -> None:
    code = textwrap.dedent(
        """
        import logging
        log = logging.getLogger(__name__)

        def sync(order):
            try:
                push(order)
            except Exception as err:
                log.error("push failed: %s", err)
            try:
                pull(order)
            except OSError as err:
                log.error("pull failed: %s", err)
        """
    ).lstrip("\n")
    both = lint_snippet(code, [TracebackDropped, BroadExcept], path="app/sync.py")
    assert [(f.code, f.line) for f in both.findings] == [("XH102", 7), ("XH302", 12)]
    # XH102 not selected (or ignored for the file): XH302 reports the broad handler itself.
    alone = lint_snippet(code, [TracebackDropped], path="app/sync.py", config=Config(ignore=("XH102",)))
    assert [(f.code, f.line) for f in alone.findings] == [("XH302", 8), ("XH302", 12)]
    per_file = Config(per_file_ignores=(("app/*", ("XH102",)),))
    assert len(lint_snippet(code, [TracebackDropped], path="app/sync.py", config=per_file).findings) == 2


def test_xh302_not_the_only_record_when_the_exception_goes_on() -> None:
    code = """
    import json
    import logging
    log = logging.getLogger(__name__)

    class Preview:
        def render(self, chart):
            try:
                return draw(chart)
            except Exception as err:
                log.error("render failed: %s", err)
                return ChartError(error=f"Failed: {err}")
            except Exception as err:
                log.error("render failed: %s", err)
                self.last_error = str(err)
            except Exception as err:
                log.error("render failed: %s (%s)", err, json.dumps(err.args))
                return None
            except Exception as err:
                msg = f"render failed: {err}"
                log.error(msg)
            except Exception:
                # Do not log the exception: it may contain the signing secret
                log.error("render signing failed")
    """
    assert lines(run(TracebackDropped, code)) == [16, 20]


def test_xh303_companion_records_and_user_messages() -> None:
    code = """
    import logging
    import traceback
    log = logging.getLogger(__name__)

    def resolve(user):
        try:
            return lookup(user)
        except LookupError as err:
            log.info(traceback.format_exc())  # before the message: flagged
            log.warning("cannot resolve user %s: %s", user, err)
            log.debug(traceback.format_exc())
        except ConnectionError as ex:
            log.warning(ex.message)
            log.error(ex.message)  # at error level the record must say what failed
    """
    assert lines(run(ExceptionAsMessage, code)) == [9, 14]


def test_xh301_follows_the_modules_own_convention() -> None:
    eager = """
    import logging
    log = logging.getLogger(__name__)

    def sync(order, user):
        log.info(f"syncing {order.id}")
        log.debug(f"user {user.id}")
        log.info("pushing {}".format(order.id))
        log.info("done %s", order.id)
    """
    assert lines(run(UnstructuredLogMessage, eager)) == []  # f-strings are this module's convention
    lazy = eager.replace('log.debug(f"user {user.id}")', 'log.debug("user %s", user.id)').replace(
        'log.info("pushing {}".format(order.id))', 'log.info("pushing %s", order.id)'
    )
    assert lines(run(UnstructuredLogMessage, lazy)) == [5]  # a slip in a `%s` module


def test_xh302_traceback_recorded_at_debug_is_a_record() -> None:
    code = """
    import logging
    import traceback
    log = logging.getLogger(__name__)

    def resolve(user):
        try:
            return lookup(user)
        except Exception as err:
            log.error("cannot resolve %s: %s", user, err)
            log.debug(traceback.format_exc())
        except OSError as err:
            log.error("cannot resolve %s: %s", user, err)
            log.debug("details", exc_info=True)
        except ValueError as err:
            log.critical("cannot resolve %s: %s", user, err)
    """
    assert lines(run(TracebackDropped, code)) == []  # ValueError: a user error whose text says it all
    assert lines(run(TracebackDropped, code.replace("except ValueError", "except RuntimeError"))) == [15]


def test_xh303_not_at_debug_nor_before_a_raise() -> None:
    code = """
    import logging
    log = logging.getLogger(__name__)

    def load(path):
        try:
            return import_string(path)
        except ImportError as e:
            log.error(e)
            raise ConfigError(f"could not load {path}")
        except ValueError as e:
            log.debug(e)
            return None
        except OSError as e:
            log.warning(e)
            return None
    """
    assert lines(run(ExceptionAsMessage, code)) == [14]


def test_xh304_interactive_modules() -> None:
    code = """
    import sys

    def wizard(path):
        try:
            load(path)
        except OSError as err:
            print("cannot read", path, err)
            return input("another path? ")
    """
    assert lines(run(PrintInHandler, code)) == []
    assert lines(run(PrintInHandler, code.replace('input("another path? ")', "None"))) == [7]

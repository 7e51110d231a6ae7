"""XH102: `except Exception:` whose handler neither re-raises nor logs the traceback."""

from __future__ import annotations

import re
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler
from errlint.finding import Impact, Severity
from errlint.handlers import HandlerFacts
from errlint.logcalls import ERROR, LOG_METHODS
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import (
    body_only_raises,
    caught_label,
    deliberate_fallback_scope,
    handler_comments,
    handler_header_end,
    in_operator_script,
    in_test_code,
    only_cleanup_calls,
    silenced_elsewhere,
)
from errlint.rules._hints_catching import may_be_broad_except

_LEVEL_WORDS = {5: "trace", 10: "debug", 20: "info", 25: "success", 30: "warning"}
# A call to a function named like an error handler (`handle_error()`, `self._on_failure(entry)`,
# `report_crash()`) hands the failure to code that exists to deal with it.
# `self._log_exc()`, `log_exc(...)`: a helper that logs the active exception.
_ERROR_HANDLER_RE = re.compile(r"(?i)(?:error|fail|exception|crash|report|(?:^|_)exc(?:_|$))")


class BroadExcept(LintRule):
    """
    ## What it does
    Checks for `except Exception:` and `except BaseException:` handlers (alone, in a tuple, or
    with `except*`) that neither re-raise, nor log the failure at error level or above *with* the
    traceback, nor hand it to a configured report function such as
    `sentry_sdk.capture_exception`. The message says what the handler does instead: the failure
    is "logged only at debug level", has "no traceback logged", the handler "returns a default", …

    A broad handler that does nothing at all (`pass`, `return None`) is reported once, as
    `swallowed-exception` (XH103), not again here.

    A log at warning level or above *with* the traceback (`logger.warning(..., exc_info=True)`)
    before a deliberate fallback handles the failure: it is recorded, with its where.

    Measured on real code (`docs/precision.md`), these also count as handling the failure, so
    they are not reported: a comment inside the handler that says why the degradation is right
    (`# the CLI must still load without this plugin`); passing the caught exception on
    (`future.set_exception(err)`, `errors.append(err)`, `return Failure(err)`,
    `handle_user_exception(err)`) or capturing it with `sys.exc_info()`; calling a function named
    as an error handler (`self._on_failure()`, `report_error()`, `self._log_exc()`); printing the
    traceback (`traceback.print_exc()`, see `print-in-handler`); `try: raise X(...)` whose
    handlers catch exactly what it raised; best-effort cleanup that is logged (a `try` that only
    closes, removes or releases something: `conn.close()`, `os.remove(p)`); and functions
    designed never to raise (`__repr__`/`__str__`/`__del__`, template filters and tags,
    `safe_*`/`try_*` functions).
    Test code (`test-paths`, `test_*` functions, `Test*` classes) and operator scripts
    (migrations, management commands, `setup.py`) are not checked: there a broad catch arranges
    or inspects a failure on purpose, or an operator watches the run. Nor a handler whose line
    already silences the same check of another linter (`# noqa: BLE001`,
    `# pylint: disable=broad-exception-caught`).

    ## Why is this bad?
    A broad handler catches every bug along with the failure you meant to survive: a typo
    (`AttributeError`), a wrong argument (`TypeError`), a database outage. Once caught, the only
    evidence of the bug is what the handler records. A debug-level line is off in production,
    and an error line without the traceback tells you *that* something failed, not *where*.
    Either catch the exceptions you expect, or make the broad catch observable.

    ## Example
    ```python
    def refresh_prices(cache):
        try:
            cache.update(fetch_prices())
        except Exception:
            logger.debug("price refresh failed", exc_info=True)
    ```

    Use instead:
    ```python
    def refresh_prices(cache):
        try:
            cache.update(fetch_prices())
        except Exception:
            logger.exception("price refresh failed; serving stale prices")
    ```

    ## References
    - [PEP 8: Programming recommendations](https://peps.python.org/pep-0008/#programming-recommendations)
    - [Python docs: logging.Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
    - [ruff BLE001 blind-except](https://docs.astral.sh/ruff/rules/blind-except/)
    """

    CODE: ClassVar[str] = "XH102"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "broad-except"
    MESSAGE: ClassVar[str] = "Broad `{label}` is not handled: {reason}"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.SILENT_FAILURE
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("handler-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def refresh_prices(cache):
                try:
                    cache.update(fetch_prices())
                except Exception:
                    logger.exception("price refresh failed; serving stale prices")
            """
        ),
        Valid(
            """
            try:
                run()
            except Exception as err:
                cleanup()
                raise RuntimeError("run failed") from err
            """
        ),
        Valid(
            """
            import sentry_sdk

            def handle(event):
                try:
                    process(event)
                except* Exception as group:
                    sentry_sdk.capture_exception(group)
            """
        ),
        # The failure is handed on to code that deals with it.
        Valid(
            """
            def dispatch(self, request):
                try:
                    return self.route(request)
                except Exception as err:
                    return self.handle_user_exception(err)
            """
        ),
        Valid(
            """
            for entry in schedule:
                try:
                    due = entry.is_due()
                except Exception:
                    due = self._is_due_failed(entry)
            """
        ),
        Valid(
            """
            def test_broken_backend(backend):
                try:
                    backend.store()
                except Exception:
                    stored = False
            """
        ),
        # SQLAlchemy's `safe_reraise()` re-raises when the block ends.
        Valid(
            """
            try:
                connection = pool.connect()
            except BaseException as err:
                with util.safe_reraise():
                    pool.logger.debug("connect failed: %s", err)
            """
        ),
        # A discarding broad handler is XH103's finding, not this rule's.
        Valid(
            """
            try:
                run()
            except Exception:
                pass
            """
        ),
        # Narrow types are not broad.
        Valid(
            """
            try:
                run()
            except (KeyError, ValueError):
                return None
            """
        ),
        Valid(
            """
            try:
                run()
            except BaseException:
                logger.error("run failed", exc_info=True)
                raise
            """
        ),
        # A warning with the traceback before a deliberate fallback: recorded, with its where.
        Valid(
            """
            def load_plugins(names):
                for name in names:
                    try:
                        yield import_plugin(name)
                    except Exception:
                        logger.warning("plugin %s failed to load; skipped", name, exc_info=True)
            """
        ),
        # The reason for the degradation is written down; a helper logs the exception.
        Valid(
            """
            def health(self):
                try:
                    self.db.ping()
                except Exception:
                    # a health check reports, it must never raise
                    return Status.UNHEALTHY
                try:
                    self.cache.ping()
                except Exception:
                    self._log_exc("cache ping")
                    return Status.DEGRADED
            """
        ),
        # The traceback is in the message.
        Valid(
            """
            import traceback

            try:
                run()
            except Exception:
                logger.error("run failed:\\n%s", traceback.format_exc())
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def refresh_prices(cache):
                try:
                    cache.update(fetch_prices())
                except Exception:
                    logger.debug("price refresh failed", exc_info=True)
            """,
            expected_message="Broad `except Exception:` is not handled: logged only at debug level",
            line=4,
            column=5,
        ),
        Invalid(
            """
            def load(path):
                try:
                    return parse(path)
                except (OSError, Exception) as err:
                    log.error("cannot load %s: %s", path, err)
                    return DEFAULTS
            """,
            expected_message="Broad `except (OSError, Exception):` is not handled: no traceback logged",
            line=4,
            column=5,
        ),
        Invalid(
            """
            def price(item):
                try:
                    return quote(item)
                except ValueError:
                    raise
                except Exception:
                    return FALLBACK_PRICE
            """,
            expected_message="Broad `except Exception:` is not handled: returns a default",
            line=6,
            column=5,
        ),
        Invalid(
            """
            async def consume(queue):
                async with queue:
                    try:
                        await queue.get()
                    except* BaseException:
                        def later():
                            raise
                        schedule(later)
            """,
            expected_message="Broad `except* BaseException:` is not handled: the failure is neither logged nor re-raised",
            line=5,
            column=9,
        ),
        Invalid(
            """
            try:
                import yaml
            except Exception:
                yaml = None
            """,
            expected_message="Broad `except Exception:` is not handled: the failure is neither logged nor re-raised",
            line=3,
            column=1,
        ),
        Invalid(
            """
            for job in jobs:
                try:
                    job.run()
                except Exception as err:
                    logger.warning("job %s failed: %s", job, err)
                    continue
            """,
            expected_message="Broad `except Exception:` is not handled: logged only at warning level, without the traceback",
            line=4,
            column=5,
        ),
        # Celery's module-level logger aliases are logging calls too.
        Invalid(
            """
            logger = get_logger(__name__)
            debug, info, error = logger.debug, logger.info, logger.error

            def control(node, body):
                try:
                    node.handle_message(body)
                except Exception as exc:
                    error("Control command error: %r", exc)
            """,
            expected_message="Broad `except Exception:` is not handled: no traceback logged",
            line=7,
            column=5,
        ),
        Invalid(
            """
            try:
                run()
            except Exception:
                print("run failed")
            """,
            expected_message="Broad `except Exception:` is not handled: only printed, without the traceback",
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a typed handler neither re-raises nor surely discards."""
        return may_be_broad_except(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node)

    def _check(self, handler: Handler) -> None:
        if handler.type is None:
            return  # bare `except:` is XH101 (and XH103 when it discards)
        facts = self.context.handler_facts(handler)
        if not facts.broad or facts.handled or facts.discards or facts.passes_on:
            return
        if body_only_raises(self.context.parent):
            return  # `try: raise X` catches exactly what it raised
        logged = {id(c.node) for c in facts.log_calls}
        if in_test_code(self.context) or any(_calls_error_handler(c) for c in facts.calls if id(c) not in logged):
            return
        if silenced_elsewhere(self.CODE, handler_comments(handler)):
            return  # `except Exception:  # noqa: BLE001` / `# pylint: disable=broad-exception-caught`
        if facts.log_calls and only_cleanup_calls(self.context.parent):
            return  # best-effort close/remove, logged: nothing else depends on it
        if facts.has_comment or in_operator_script(self.context) or deliberate_fallback_scope(self.context):
            return  # a degradation whose reason is written down; migrations; must-not-raise functions
        reason = unhandled_reason(facts)
        if reason is None:
            return
        self.report(handler, end=handler_header_end(handler), label=caught_label(handler), reason=reason)


def unhandled_reason(facts: HandlerFacts) -> Optional[str]:
    """Say why a broad handler does not count as handled (None when it effectively does)."""
    if facts.prints_traceback:
        return None  # the traceback reaches stderr (print-in-handler, XH304, covers the sink)
    logs = [c for c in facts.log_calls if not c.is_report]
    if logs:
        unresolved = [c for c in logs if c.level is None]
        if any(facts.carries_traceback(c) for c in unresolved):
            return None  # `.log(level, ..., exc_info=True)` with a level we cannot resolve
        top = max((c.level for c in logs if c.level is not None), default=None)
        with_tb = [c for c in logs if facts.carries_traceback(c) and c.level is not None]
        if top is not None and top >= ERROR:
            return "no traceback logged"
        if with_tb:
            level = max(c.level for c in with_tb if c.level is not None)
            return f"logged only at {_level_word(level)} level"
        if top is not None:
            return f"logged only at {_level_word(top)} level, without the traceback"
        return "no traceback logged"
    if any(r.value is not None for r in facts.returns):
        return "returns a default"
    for call in facts.calls:
        if isinstance(call.func, cst.Name) and call.func.value == "print":
            return "only printed, without the traceback"
        name = _call_name(call)
        if name in ("warnings.warn", "warn"):
            return "only a warning is issued, without the traceback"
    return "the failure is neither logged nor re-raised"


def _calls_error_handler(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return bool(_ERROR_HANDLER_RE.search(name))


def _call_name(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        return f"{func.value.value}.{func.attr.value}"
    return ""


def _level_word(level: int) -> str:
    if level in _LEVEL_WORDS:
        return _LEVEL_WORDS[level]
    for name, value in LOG_METHODS.items():
        if value == level:
            return name
    return f"level {level}"

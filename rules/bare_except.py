"""XH101: `except:` with no exception type."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import handler_comments, in_test_code, silenced_elsewhere
from errlint.rules._hints_catching import may_be_bare_except


class BareExcept(LintRule):
    """
    ## What it does
    Checks for `except:` clauses that name no exception type.

    ## Why is this bad?
    A bare `except:` catches everything, including `KeyboardInterrupt` and `SystemExit`: Ctrl-C
    stops working, a worker ignores its shutdown signal, and a typo (`NameError`) is handled like
    an expected failure. Name the exceptions you expect; if you really mean "anything", write
    `except Exception:` so that interpreter exits still propagate.

    ## Example
    ```python
    def load_settings(path):
        try:
            return parse(path.read_text())
        except:
            return DEFAULTS
    ```

    Use instead:
    ```python
    def load_settings(path):
        try:
            return parse(path.read_text())
        except (OSError, ValueError):
            return DEFAULTS
    ```

    One problem, one finding: a bare handler that discards (`except: pass`) is reported here
    only, not again as `swallowed-exception` (XH103); after the fix, XH103 reports the
    `except Exception: pass` that remains.

    Not reported:

    - a handler that cleans up and then re-raises unconditionally (`except: rollback(); raise`,
      or SQLAlchemy's `with util.safe_reraise():`): it deliberately runs its cleanup on Ctrl-C
      too, and lets every exception through; likewise one that always ends by raising another
      error (`except: raise PermissionDenied()`): nothing is swallowed, an interrupt still
      unwinds the call;
    - outside a loop, a handler that logs the traceback at warning level or above
      (`except: logger.exception("..."); return fallback`): the failure is recorded, and an
      interrupt is not lost in a loop that goes on (inside a `for`/`while` it is reported);
    - `except: raise` alone: that is `useless-reraise` (XH105), whose fix removes the handler;
    - test code (`test-paths`, `test_*` functions, `Test*` classes; see the configuration): a
      test that catches everything is arranging or inspecting a failure.

    - a handler whose line already silences the same check of another linter
      (`except:  # noqa: E722`, `# noqa: B001`, `# pylint: disable=bare-except`): the team has
      seen this finding and kept the code.

    After an earlier `except Exception:` of the same `try`, a bare `except:` catches only
    `KeyboardInterrupt`, `SystemExit` and `GeneratorExit`; it is reported (when it does not
    re-raise) with a message saying so, and without a fix.

    ## Fix safety
    The fix replaces `except:` with `except Exception:`. It is unsafe: the handler no longer
    catches `KeyboardInterrupt`, `SystemExit` and `GeneratorExit`, which changes behaviour when the
    code relied on catching them (for example to clean up on Ctrl-C). It is not offered after an
    earlier `except Exception:` handler of the same `try` (it would create a second, dead
    `except Exception:`).

    ## References
    - [PEP 8: Programming recommendations](https://peps.python.org/pep-0008/#programming-recommendations)
    - [Python docs: Exception hierarchy](https://docs.python.org/3/library/exceptions.html#exception-hierarchy)
    """

    CODE: ClassVar[str] = "XH101"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "bare-except"
    MESSAGE: ClassVar[str] = "Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"
    FIX_TITLE: ClassVar[str] = "Replace `except:` with `except Exception:`"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.SILENT_FAILURE
    FIX: ClassVar[FixAvailability] = FixAvailability.UNSAFE
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            try:
                connect()
            except ConnectionError:
                retry_later()
            """
        ),
        Valid(
            """
            try:
                connect()
            except Exception:
                log.exception("connect failed")
                raise
            """
        ),
        # Cleans up, also on Ctrl-C, and re-raises whatever it caught.
        Valid(
            """
            def save(session, obj):
                try:
                    session.add(obj)
                    session.commit()
                except:
                    session.rollback()
                    raise
            """
        ),
        Valid(
            """
            try:
                connection = pool.connect()
            except:
                with util.safe_reraise():
                    pool.invalidate()
            """
        ),
        # `except: raise` alone is XH105's finding.
        Valid(
            """
            try:
                run()
            except:
                raise
            """
        ),
        # Flask app.py: the bare handler after `except Exception` only sees interpreter exits.
        Valid(
            """
            try:
                response = self.full_dispatch_request()
            except Exception as e:
                response = self.handle_exception(e)
            except:  # noqa: B001
                error = sys.exc_info()[1]
                raise
            """
        ),
        Valid(
            """
            def test_shutdown(worker):
                try:
                    worker.stop()
                except:
                    worker.kill()
            """
        ),
        # Nothing is swallowed: the handler always raises; the failure is logged with its traceback.
        Valid(
            """
            def load_session(store):
                try:
                    return store.load()
                except:
                    raise PermissionDenied("Please go back and try again.")

            def render_variable(name):
                try:
                    return VARIABLES[name]()
                except:
                    logger.exception("Failed to process variable.")
                    return "(error)"
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            try:
                connect()
            except:
                retry_later()
            """,
            expected_message="Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect",
            expected_replacement="""
            try:
                connect()
            except Exception:
                retry_later()
            """,
            expected_safety=FixSafety.UNSAFE,
            line=3,
            column=1,
        ),
        Invalid(
            """
            async def handle(job):
                try:
                    await job.run()
                except ValueError:
                    pass
                except:  # last resort
                    await job.fail()
            """,
            expected_message="Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect",
            expected_replacement="""
            async def handle(job):
                try:
                    await job.run()
                except ValueError:
                    pass
                except Exception:  # last resort
                    await job.fail()
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=5,
        ),
        # A re-raise on one branch only: the other branch swallows Ctrl-C.
        Invalid(
            """
            try:
                job.run()
            except:
                if job.critical:
                    raise
                job.mark_failed()
            """,
            expected_message="Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect",
            expected_replacement="""
            try:
                job.run()
            except Exception:
                if job.critical:
                    raise
                job.mark_failed()
            """,
            expected_safety=FixSafety.UNSAFE,
            line=3,
        ),
        # In a loop, a logged interrupt is lost: the loop goes on.
        Invalid(
            """
            for job in jobs:
                try:
                    job.run()
                except:
                    logger.exception("job failed")
            """,
            expected_message="Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect",
            expected_replacement="""
            for job in jobs:
                try:
                    job.run()
                except Exception:
                    logger.exception("job failed")
            """,
            expected_safety=FixSafety.UNSAFE,
            line=4,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where an `except:` does not end with `raise`."""
        return may_be_bare_except(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is not None:
            return
        facts = self.context.handler_facts(node)
        if facts.reraises_on_exit or ends_with_raise(node.body):
            return  # cleanup that re-raises everything (`except: raise` alone is XH105's)
        if facts.logs_traceback and not self._in_loop():
            return  # recorded with its traceback; an interrupt ends this call, not a loop
        if in_test_code(self.context) or silenced_elsewhere(self.CODE, handler_comments(node)):
            return
        after = self._after_broad_handler(node)
        if after == "BaseException":
            return  # nothing is left for it to catch: dead code, not a bare-except problem
        if after:
            self.report(
                node,
                end=node.whitespace_after_except,
                message=(
                    "Bare `except:` after a broad handler catches only `KeyboardInterrupt`, `SystemExit` and"
                    " `GeneratorExit`, and does not re-raise them; name them (`except BaseException:`) or re-raise"
                ),
            )
            return
        self.report(
            node,
            end=node.whitespace_after_except,
            fix=[(node.whitespace_after_except, " Exception")],
            safety=FixSafety.UNSAFE,
        )

    def _in_loop(self) -> bool:
        """Whether the handler runs inside a `for`/`while` loop of its function."""
        for node in reversed(self.context.ancestors):
            if isinstance(node, (cst.For, cst.While)):
                return True
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return False
        return False

    def _after_broad_handler(self, node: cst.ExceptHandler) -> str:
        """The broad type an earlier handler of the same `try` catches ("" when none does)."""
        parent = self.context.parent
        if not isinstance(parent, cst.Try):
            return ""
        found = ""
        for handler in parent.handlers:
            if handler is node:
                break
            facts = self.context.handler_facts(handler)
            if facts.broad:
                names = {(t.qualified or t.name).removeprefix("builtins.") for t in facts.types}
                found = "BaseException" if "BaseException" in names else found or "Exception"
        return found


def ends_with_raise(body: cst.BaseSuite) -> bool:
    """Whether the handler's last top-level statement is a `raise` (reached on every path)."""
    last: Optional[cst.CSTNode] = None
    if isinstance(body, cst.SimpleStatementSuite):
        last = body.body[-1] if body.body else None
    elif isinstance(body, cst.IndentedBlock) and body.body:
        stmt = body.body[-1]
        if isinstance(stmt, cst.SimpleStatementLine) and stmt.body:
            last = stmt.body[-1]
    return isinstance(last, cst.Raise)

"""XH101: `except:` with no exception type."""

from __future__ import annotations

from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.rule import Invalid, LintRule, Valid


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

    ## Fix safety
    The fix replaces `except:` with `except Exception:`. It is unsafe: the handler no longer
    catches `KeyboardInterrupt`, `SystemExit` and `GeneratorExit`, which changes behaviour when the
    code relied on catching them (for example to clean up on Ctrl-C).

    ## References
    - [PEP 8: Programming recommendations](https://peps.python.org/pep-0008/#programming-recommendations)
    - [Python docs: Exception hierarchy](https://docs.python.org/3/library/exceptions.html#exception-hierarchy)
    """

    CODE: ClassVar[str] = "XH101"
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
                    raise
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
                    raise
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=5,
        ),
    ]

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(
                node,
                end=node.whitespace_after_except,
                fix=[(node.whitespace_after_except, " Exception")],
                safety=FixSafety.UNSAFE,
            )

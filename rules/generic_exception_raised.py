"""XH202: `raise Exception(...)` / `raise BaseException(...)`."""

from __future__ import annotations

import ast
import re
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import SCOPE_TYPES
from errlint.finding import Impact, Severity
from errlint.handlers import BROAD_EXCEPTIONS
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import (
    body_only_raises,
    in_operator_script,
    in_test_code,
    silenced_elsewhere,
    statement_comments,
)


_NO_COVER_RE = re.compile(r"pragma:\s*no\s*cover", re.IGNORECASE)
_INVARIANT_RE = re.compile(
    r"(?i)should(?:\s+never|\s*n[o']t)\s+(?:happen|be\s+reached|get\s+here)|unreachable|can(?:not|'t)\s+happen"
    r"|never\s+happen|impossible"
    # A usage contract for the programmer: "gracefully_delete should only be called in a transaction".
    r"|(?:should|must)\s+only\s+be\s+(?:called|used)|must\s+be\s+called\s+(?:from|in|inside|within|with|before|after)"
)


def _states_an_invariant(exc: cst.BaseExpression) -> bool:
    """`raise Exception("should never happen")`: an internal assertion, not an error for callers."""
    if not isinstance(exc, cst.Call) or not exc.args:
        return False
    first = exc.args[0].value
    text = ""
    if isinstance(first, (cst.SimpleString, cst.ConcatenatedString)):
        value = first.evaluated_value
        text = value if isinstance(value, str) else ""
    elif isinstance(first, cst.FormattedString):
        text = "".join(p.value for p in first.parts if isinstance(p, cst.FormattedStringText))
    return bool(_INVARIANT_RE.search(text))


class GenericExceptionRaised(LintRule):
    """
    ## What it does
    Checks for `raise Exception(...)` and `raise BaseException(...)` (with or without arguments
    or a cause), and for the types configured in `broad-exceptions`.

    Not reported in test code (`test-paths`, `test_*` functions, `Test*` classes), where raising a
    generic exception simulates "any failure" on purpose; nor in operator scripts (Django and
    Alembic migrations, Django management commands, `tools/`, `scripts/`, `setup.py`), which an
    operator runs and whose error nobody catches: it stops the script with its message; nor for
    `try: raise Exception(...)` whose handlers catch it on the spot (the idiom that builds an
    exception with a traceback), nor for a raise anywhere in a `try` body (same function) that a
    broad handler of that `try` catches without re-raising it (`if replayed: raise Exception(...)`
    inside `try: ... except Exception: fall_back()`): the exception jumps to the handler and no
    caller ever sees it. Nor for internal invariants that callers are not meant to catch
    (`raise Exception("should never happen")`, "unreachable", "impossible") and usage contracts
    for the programmer (`"... should only be called in an atomic block"`), nor inside debug-only
    code marked `# pragma: no cover`, nor where the line already silences the same check of
    another linter (`# pylint: disable=broad-exception-raised`, `# noqa: TRY002`).

    ## Why is this bad?
    A caller cannot catch a generic exception without catching every other error too: to handle
    "the payment was declined" it has to write `except Exception:`, which also swallows bugs and
    outages. A domain-specific class (`class PaymentDeclined(PaymentError)`) documents the failure,
    lets callers handle exactly it, and lets monitoring group it.

    ## Example
    ```python
    def charge(card, amount):
        if amount <= 0:
            raise Exception(f"invalid amount: {amount}")
    ```

    Use instead:
    ```python
    def charge(card, amount):
        if amount <= 0:
            raise ValueError(f"invalid amount: {amount}")
    ```

    ## References
    - [Python docs: User-defined exceptions](https://docs.python.org/3/tutorial/errors.html#user-defined-exceptions)
    - [ruff TRY002 raise-vanilla-class](https://docs.astral.sh/ruff/rules/raise-vanilla-class/)
    - [pylint W0719 broad-exception-raised](https://pylint.readthedocs.io/en/stable/user_guide/messages/warning/broad-exception-raised.html)
    """

    CODE: ClassVar[str] = "XH202"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "generic-exception-raised"
    MESSAGE: ClassVar[str] = (
        "Raising a generic `{name}`: callers cannot catch it without catching every error;"
        " raise a specific exception class"
    )
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\braise\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts", "handler-facts")

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def charge(card, amount):
                if amount <= 0:
                    raise ValueError(f"invalid amount: {amount}")
            """
        ),
        Valid(
            """
            class PaymentError(Exception):
                pass

            raise PaymentError("declined")
            """
        ),
        Valid(
            """
            try:
                charge()
            except Exception:
                raise
            """
        ),
        # Test code simulates an arbitrary failure on purpose.
        Valid(
            """
            def test_rollback_on_failure(db):
                def fail():
                    raise Exception("boom")
                db.on_commit(fail)
            """
        ),
        # Built and caught on the spot, for its traceback.
        Valid(
            """
            try:
                raise Exception("sample")
            except Exception:
                info = sys.exc_info()
            """
        ),
        # A shadowing import is not the builtin.
        Valid(
            """
            from errors import Exception

            raise Exception("domain error")
            """
        ),
        # Control flow to the broad handler of the same function: no caller sees it.
        Valid(
            """
            def verify(device, response):
                try:
                    count = device.verify(response)
                    if count < device.count:
                        raise Exception("possible replay attack")
                except Exception:
                    log.warning("verification failed", exc_info=True)
                    return False
                return True
            """
        ),
        # A usage contract for the programmer, like an assertion.
        Valid(
            """
            def delete_bulk(items):
                if not transaction.in_atomic_block():
                    raise Exception("delete_bulk should only be called in an atomic transaction")
            """
        ),
        # An internal invariant, and debug-only code: nobody is meant to catch these.
        Valid(
            """
            def state_after(event):
                if event.kind not in TRANSITIONS:
                    raise Exception(f"unknown event {event.kind}: should never happen")
                if DEBUG:  # pragma: no cover
                    raise Exception("debug stop")
                return TRANSITIONS[event.kind]
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def charge(card, amount):
                if amount <= 0:
                    raise Exception(f"invalid amount: {amount}")
            """,
            expected_message=(
                "Raising a generic `Exception`: callers cannot catch it without catching every error;"
                " raise a specific exception class"
            ),
            line=3,
            column=15,
        ),
        Invalid(
            """
            try:
                charge()
            except* KeyError as err:
                raise BaseException from err
            """,
            expected_message=(
                "Raising a generic `BaseException`: callers cannot catch it without catching every"
                " error; raise a specific exception class"
            ),
            line=4,
            column=11,
        ),
        Invalid(
            """
            import builtins

            async def check(flag):
                if not flag:
                    raise builtins.Exception("flag missing") from None
            """,
            expected_message=(
                "Raising a generic `Exception`: callers cannot catch it without catching every error;"
                " raise a specific exception class"
            ),
            line=5,
        ),
        # The broad handler of the enclosing `try` lets it through (bare `raise`), and a specific
        # handler does not catch it: callers see the generic exception.
        Invalid(
            """
            def sync(job):
                try:
                    if not job.ready:
                        raise Exception("job not ready")
                    job.run()
                except Exception:
                    log.exception("sync failed")
                    raise
                try:
                    if job.failed:
                        raise Exception("job failed")
                except ValueError:
                    return None
            """,
            expected_message=(
                "Raising a generic `Exception`: callers cannot catch it without catching every error;"
                " raise a specific exception class"
            ),
            line=4,
            expected_count=2,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a `raise` raises a dotted name or a call of one (`raise Exception`,
        `raise errors.Failure(...)`): `qualify` names nothing else, and `broad-exceptions` may name
        any class, so the name itself cannot rule a raise out."""
        for stmt in region.statements():
            if isinstance(stmt, ast.Raise) and stmt.exc is not None:
                target = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
                while isinstance(target, ast.Attribute):
                    target = target.value
                if isinstance(target, ast.Name):
                    return True
        return False

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if exc is None:
            return
        target = exc.func if isinstance(exc, cst.Call) else exc
        qualified = self.context.qualify(target)
        if qualified is None:
            return
        if qualified not in BROAD_EXCEPTIONS and qualified not in self.context.config.broad_exceptions:
            return
        if in_test_code(self.context) or in_operator_script(self.context) or self._caught_on_the_spot():
            return
        if self._caught_by_broad_handler():
            return
        if _states_an_invariant(exc) or self._not_covered():
            return
        if silenced_elsewhere(self.CODE, statement_comments(self.context)):
            return  # `raise Exception(...)  # pylint: disable=broad-exception-raised`
        self.report(exc, name=qualified.rsplit(".", 1)[-1])

    def _not_covered(self) -> bool:
        """Inside a block marked `# pragma: no cover` (debug-only code) or on such a line."""
        for node in self.context.ancestors:
            comment = None
            if isinstance(node, cst.IndentedBlock):
                comment = node.header.comment
            elif isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                comment = node.trailing_whitespace.comment
            if comment is not None and _NO_COVER_RE.search(comment.value):
                return True
        return False

    def _caught_on_the_spot(self) -> bool:
        """`try: raise Exception(...)` whose own handlers catch what it raises."""
        ancestors = self.context.ancestors
        # Raise -> SimpleStatementLine -> IndentedBlock -> Try (or Raise -> SimpleStatementSuite -> Try)
        for depth in (3, 4):
            node = ancestors[-depth] if len(ancestors) > depth else None
            if isinstance(node, (cst.Try, cst.TryStar)):
                return body_only_raises(node) and ancestors[-depth + 1] is node.body
        return False

    def _caught_by_broad_handler(self) -> bool:
        """In the body of a `try` of the same function whose broad handler (`except Exception:`,
        bare `except:`) catches the exception and does not re-raise it: control flow, no caller
        sees it."""
        ancestors = self.context.ancestors
        for index in range(len(ancestors) - 2, -1, -1):
            node = ancestors[index]
            if isinstance(node, SCOPE_TYPES):
                return False
            if isinstance(node, (cst.Try, cst.TryStar)) and ancestors[index + 1] is node.body:
                for handler in node.handlers:
                    facts = self.context.handler_facts(handler)
                    if facts.catches_broad:
                        return not facts.reraises_on_exit and not any(
                            raised.exc is None
                            or (isinstance(raised.exc, cst.Name) and raised.exc.value == facts.name)
                            for raised in facts.raises
                        )
        return False

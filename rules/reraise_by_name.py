"""XH203: `raise err` where `err` is the caught exception; use a bare `raise`."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence, Union

import libcst as cst

from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.regions import Region, statements_in
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import in_test_code, rebinds
from errlint.rules.useless_reraise import is_useless_reraise


class ReraiseByName(LintRule):
    """
    ## What it does
    Checks for `raise err` inside `except ... as err:` that re-raises the caught exception, when
    `err` is not rebound in the handler and the `raise` is not inside a nested handler (where a
    bare `raise` would re-raise the *inner* exception). A handler whose whole body is `raise err`
    is reported as `useless-reraise` (XH105) instead.

    Test code (`test-paths`, `test_*` functions, `Test*` classes) is not checked.

    ## Why is this bad?
    A bare `raise` re-raises the active exception unchanged. `raise err` adds the current line to
    the traceback a second time, and it silently raises something else once someone rebinds
    `err` while editing the handler.

    ## Example
    ```python
    def load(path):
        try:
            return read(path)
        except OSError as err:
            cleanup(path)
            raise err
    ```

    Use instead:
    ```python
    def load(path):
        try:
            return read(path)
        except OSError:
            cleanup(path)
            raise
    ```

    ## Fix safety
    The fix replaces `raise err` by `raise`. It is unsafe: errlint skips handlers that visibly
    rebind `err`, but cannot see a rebinding through `exec` or frame manipulation, after which a
    bare `raise` re-raises a different object; and the traceback loses the extra entry for the
    `raise err` line, which a test comparing tracebacks may notice.

    ## References
    - [Python docs: the raise statement](https://docs.python.org/3/reference/simple_stmts.html#the-raise-statement)
    - [ruff TRY201 verbose-raise](https://docs.astral.sh/ruff/rules/verbose-raise/)
    """

    CODE: ClassVar[str] = "XH203"
    NAME: ClassVar[str] = "reraise-by-name"
    MESSAGE: ClassVar[str] = "Use a bare `raise` to re-raise the caught exception `{name}`"
    FIX_TITLE: ClassVar[str] = "Replace `raise {name}` with `raise`"
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)
    FIX: ClassVar[FixAvailability] = FixAvailability.UNSAFE

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def load(path):
                try:
                    return read(path)
                except OSError:
                    cleanup(path)
                    raise
            """
        ),
        Valid(
            """
            try:
                load()
            except OSError as err:
                raise LoadError("cannot load") from err
            """
        ),
        # Rebound: `err` is no longer the caught exception.
        Valid(
            """
            try:
                load()
            except OSError as err:
                err = translate(err)
                raise err
            """
        ),
        # Inside a nested handler a bare `raise` would re-raise the inner exception.
        Valid(
            """
            try:
                load()
            except OSError as err:
                try:
                    rollback()
                except RollbackError:
                    raise err
            """
        ),
        # Runs later, outside the handler.
        Valid(
            """
            try:
                load()
            except OSError as err:
                def again():
                    raise err
                later(again)
            """
        ),
        # `from None` deliberately hides the context.
        Valid(
            """
            try:
                load()
            except OSError as err:
                cleanup()
                raise err from None
            """
        ),
        # The whole handler is useless: reported as XH105.
        Valid(
            """
            try:
                load()
            except OSError as err:
                raise err
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def load(path):
                try:
                    return read(path)
                except OSError as err:
                    cleanup(path)
                    raise err
            """,
            expected_message="Use a bare `raise` to re-raise the caught exception `err`",
            expected_replacement="""
            def load(path):
                try:
                    return read(path)
                except OSError as err:
                    cleanup(path)
                    raise
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=9,
        ),
        Invalid(
            """
            async def load(path):
                try:
                    return await read(path)
                except* (OSError, ValueError) as group:
                    await cleanup(path)
                    if group: raise group  # give up
            """,
            expected_message="Use a bare `raise` to re-raise the caught exception `group`",
            expected_replacement="""
            async def load(path):
                try:
                    return await read(path)
                except* (OSError, ValueError) as group:
                    await cleanup(path)
                    if group: raise  # give up
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=19,
        ),
        Invalid(
            """
            try:
                load()
            except KeyError:
                pass
            except OSError as err:
                try:
                    rollback()
                except RollbackError:
                    pass
                raise err
            """,
            expected_message="Use a bare `raise` to re-raise the caught exception `err`",
            expected_replacement="""
            try:
                load()
            except KeyError:
                pass
            except OSError as err:
                try:
                    rollback()
                except RollbackError:
                    pass
                raise
            """,
            expected_safety=FixSafety.UNSAFE,
        ),
        # Not useless: a later handler catches a supertype, so XH105 stays quiet.
        Invalid(
            """
            try:
                load()
            except FileNotFoundError as err:
                raise err
            except OSError:
                log.warning("cannot load")
            """,
            expected_message="Use a bare `raise` to re-raise the caught exception `err`",
            expected_replacement="""
            try:
                load()
            except FileNotFoundError as err:
                raise
            except OSError:
                log.warning("cannot load")
            """,
            expected_safety=FixSafety.UNSAFE,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler `except ... as name:` holds a `raise name` without `from`."""
        for handler in region.handlers():
            name = handler.name
            if name is None:
                continue
            for stmt in statements_in(handler.body):
                if isinstance(stmt, ast.Raise) and stmt.cause is None and isinstance(stmt.exc, ast.Name) and stmt.exc.id == name:
                    return True
        return False

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if not isinstance(exc, cst.Name) or node.cause is not None:
            return
        context = self.context
        handler = context.enclosing_handler()
        if handler is None or handler.name is None or not isinstance(handler.name.name, cst.Name):
            return
        name = handler.name.name.value
        if exc.value != name:
            return
        # Between the handler and the raise: a `finally` (its own exception may be in flight).
        ancestors = context.ancestors
        try_node: Union[cst.Try, cst.TryStar, None] = None
        for index in range(len(ancestors) - 1, 0, -1):
            if ancestors[index] is handler:
                parent = ancestors[index - 1]
                if isinstance(parent, (cst.Try, cst.TryStar)):
                    try_node = parent
                break
            if isinstance(ancestors[index], cst.Finally):
                return
        if rebinds(handler.body, name) or in_test_code(context):
            return
        if try_node is not None:
            position = next(i for i, h in enumerate(try_node.handlers) if h is handler)
            if is_useless_reraise(try_node, position, context.module_facts):
                return  # the whole handler is useless: XH105
        self.report(node, name=name, fix=[(node, _bare_raise(node))], safety=FixSafety.UNSAFE)


def _bare_raise(node: cst.Raise) -> cst.Raise:
    return cst.Raise(semicolon=node.semicolon)

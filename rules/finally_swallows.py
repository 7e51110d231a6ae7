"""XH104: `return`, `break` or `continue` in a `finally` block."""

from __future__ import annotations

from typing import ClassVar, Iterator, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import SCOPE_TYPES, iter_children
from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_catching import finally_exits

Exit = Union[cst.Return, cst.Break, cst.Continue]
_KEYWORD = {cst.Return: "return", cst.Break: "break", cst.Continue: "continue"}


class FinallySwallows(LintRule):
    """
    ## What it does
    Checks for `return`, `break` and `continue` statements in a `finally` block that leave the
    block: a `return` anywhere in it (outside nested functions), a `break` or `continue` that
    belongs to a loop *around* the `try` statement (not to a loop inside the `finally` block).

    Test code is checked too: a `return` in `finally` discards the in-flight exception there as well.

    ## Why is this bad?
    Leaving a `finally` block with `return`, `break` or `continue` silently discards the
    exception that was propagating out of the `try` (or its handlers): the caller gets a normal
    return value, and the traceback is gone. A `return` in `finally` also overrides a `return` in
    the `try`. Python 3.14 warns about it (PEP 765, `SyntaxWarning`).

    ## Example
    ```python
    def save(record):
        try:
            db.write(record)
        finally:
            db.close()
            return True
    ```

    Use instead:
    ```python
    def save(record):
        try:
            db.write(record)
        finally:
            db.close()
        return True
    ```

    ## References
    - [PEP 765: Disallow return/break/continue that exit a finally block](https://peps.python.org/pep-0765/)
    - [Python docs: the try statement](https://docs.python.org/3/reference/compound_stmts.html#finally-clause)
    """

    CODE: ClassVar[str] = "XH104"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "finally-swallows"
    MESSAGE: ClassVar[str] = "`{keyword}` in `finally` discards any exception raised in the `try` block{extra}"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.SILENT_FAILURE
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bfinally\b",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def save(record):
                try:
                    db.write(record)
                finally:
                    db.close()
                return True
            """
        ),
        Valid(
            """
            def drain(queue):
                try:
                    process(queue)
                finally:
                    for item in queue.pending():
                        if item is None:
                            break
                        if item.done:
                            continue
                        item.cancel()
            """
        ),
        Valid(
            """
            try:
                run()
            finally:
                def report():
                    return summary()
                callbacks.append(report)
                handler = lambda: None
            """
        ),
        Valid(
            """
            async def stop(server):
                try:
                    await server.stop()
                except Exception:
                    return False
                finally:
                    while server.busy():
                        await asyncio.sleep(0.1)
                        continue
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def save(record):
                try:
                    db.write(record)
                finally:
                    db.close()
                    return True
            """,
            expected_message="`return` in `finally` discards any exception raised in the `try` block",
            line=6,
            column=9,
        ),
        Invalid(
            """
            for job in jobs:
                try:
                    job.run()
                except ValueError:
                    raise
                finally:
                    if job.last:
                        break
            """,
            expected_message=(
                "`break` in `finally` discards any exception raised in the `try` block; move it after"
                " the `try` statement"
            ),
            line=8,
            column=13,
        ),
        Invalid(
            """
            while True:
                try:
                    step()
                finally:
                    for item in pending:
                        pass
                    else:
                        continue
            """,
            expected_message=(
                "`continue` in `finally` discards any exception raised in the `try` block; move it"
                " after the `try` statement"
            ),
            line=8,
            column=13,
        ),
        Invalid(
            """
            def outer():
                try:
                    run()
                finally:
                    try:
                        cleanup()
                    finally:
                        return None
            """,
            expected_message="`return` in `finally` discards any exception raised in the `try` block",
            expected_count=1,
        ),
        Invalid(
            """
            async def fetch():
                try:
                    return await get()
                except* OSError:
                    pass
                finally:
                    async with lock:
                        return cached
            """,
            expected_message="`return` in `finally` discards any exception raised in the `try` block",
            line=8,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a `finally` block holds a `return`, `break` or `continue` that leaves it."""
        return finally_exits(region)

    def visit_Finally(self, node: cst.Finally) -> None:
        for exit_ in _exits(node.body):
            keyword = _KEYWORD[type(exit_)]
            extra = "" if keyword == "return" else "; move it after the `try` statement"
            self.report(exit_, keyword=keyword, extra=extra)


def _exits(body: cst.BaseSuite) -> Iterator[Exit]:
    """The statements that leave this `finally` block (not those of nested `finally` blocks)."""
    stack: list[tuple[cst.CSTNode, bool]] = [(child, False) for child in iter_children(body)]
    stack.reverse()
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, cst.Return):
            yield node
            continue
        if isinstance(node, (cst.Break, cst.Continue)):
            if not in_loop:
                yield node
            continue
        if isinstance(node, SCOPE_TYPES) or isinstance(node, cst.Finally):
            continue  # a nested scope, or a nested `finally` (reported on its own visit)
        children: list[tuple[cst.CSTNode, bool]]
        if isinstance(node, (cst.For, cst.While)):
            children = [(node.body, True)]
            if node.orelse is not None:
                children.append((node.orelse, in_loop))  # `break` in a loop's `else` leaves the outer loop
        else:
            children = [(child, in_loop) for child in iter_children(node)]
        children.reverse()
        stack.extend(children)

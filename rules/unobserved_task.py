"""XH605: a fire-and-forget asyncio task whose exception nobody sees."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import dotted_name
from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_privacy import imports_for, may_qualify

TASK_FUNCTIONS: frozenset[str] = frozenset(
    {"asyncio.create_task", "asyncio.ensure_future", "asyncio.tasks.create_task", "asyncio.tasks.ensure_future"}
)
_LOOP_METHODS = frozenset({"create_task", "ensure_future"})
_LOOP_FACTORIES = frozenset({"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"})


class UnobservedTask(LintRule):
    """
    ## What it does
    Checks for `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
    `loop.create_task(...)` calls whose result is thrown away (the call is a statement on its
    own). A task that is assigned, added to a collection, awaited, returned or passed on is
    observed by whoever holds it. `TaskGroup.create_task` is not flagged: the group awaits its
    tasks and raises their errors. A `.create_task` receiver counts as an event loop when it is
    `asyncio.get_event_loop()`/`get_running_loop()`/`new_event_loop()` or a name ending in `loop`
    (`loop`, `self._loop`, `event_loop`).

    Test code is checked too: a lost task exception hides a failing test.

    ## Why is this bad?
    The event loop keeps only a weak reference to a task. If nothing else holds it, the task can
    be garbage-collected before it finishes, and when it fails, its exception is stored on a task
    nobody awaits: at best "Task exception was never retrieved" appears at garbage collection,
    long after and far from the cause; at worst the work silently never happens. The asyncio
    documentation says to save a reference to the result of this function.

    ## Example
    ```python
    import asyncio

    async def handle(event):
        asyncio.create_task(send_notification(event))
    ```

    Use instead:
    ```python
    import asyncio

    background_tasks = set()

    async def handle(event):
        task = asyncio.create_task(send_notification(event))
        background_tasks.add(task)
        task.add_done_callback(background_tasks.discard)
    ```

    ## References
    - [Python docs: asyncio.create_task](https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task)
    - [Python docs: asyncio.TaskGroup](https://docs.python.org/3/library/asyncio-task.html#task-groups)
    """

    CODE: ClassVar[str] = "XH605"
    NAME: ClassVar[str] = "unobserved-task"
    MESSAGE: ClassVar[str] = (
        "Task from `{name}(...)` is discarded: its exception is never retrieved and it may be "
        "garbage-collected mid-run; keep a reference or use a `TaskGroup`"
    )
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.SILENT_FAILURE
    PREVIEW: ClassVar[bool] = True
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\b(?:create_task|ensure_future)\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import asyncio

            background_tasks = set()

            async def handle(event):
                task = asyncio.create_task(send_notification(event))
                background_tasks.add(task)
                task.add_done_callback(background_tasks.discard)
                await asyncio.ensure_future(flush())
                return asyncio.create_task(audit(event))
            """
        ),
        Valid(
            """
            import asyncio

            async def handle(events):
                async with asyncio.TaskGroup() as tg:
                    for event in events:
                        tg.create_task(send_notification(event))
                worker.create_task(job)  # not an event loop
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import asyncio

            async def handle(event):
                asyncio.create_task(send_notification(event))
            """,
            expected_message=(
                "Task from `asyncio.create_task(...)` is discarded: its exception is never retrieved and it "
                "may be garbage-collected mid-run; keep a reference or use a `TaskGroup`"
            ),
            line=4,
            column=5,
        ),
        Invalid(
            """
            from asyncio import ensure_future

            class Service:
                def start(self):
                    self._loop.create_task(self._heartbeat())
                    ensure_future(self._sync())
            """,
            expected_message=(
                "Task from `self._loop.create_task(...)` is discarded: its exception is never retrieved and "
                "it may be garbage-collected mid-run; keep a reference or use a `TaskGroup`"
            ),
            line=5,
            column=9,
            expected_count=2,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call is a statement of its own and is `<x>.create_task(...)`/
        `<x>.ensure_future(...)`, or a bare name that may be one imported from `asyncio`."""
        imports = imports_for(region)
        for stmt in region.statements():
            if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
                continue
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr in _LOOP_METHODS:
                return True
            if isinstance(func, ast.Name) and may_qualify(func, imports, TASK_FUNCTIONS):
                return True
        return False

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        qualified = self.context.qualify(call.func) or ""
        if qualified in TASK_FUNCTIONS:
            self.report(call, name=qualified)
            return
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _LOOP_METHODS and self._is_loop(func.value):
            self.report(call, name=dotted_name(func) or f"loop.{func.attr.value}")

    def _is_loop(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Call):
            return (self.context.qualify(receiver.func) or "") in _LOOP_FACTORIES
        name = dotted_name(receiver)
        return name is not None and name.rsplit(".", 1)[-1].lower().endswith("loop")

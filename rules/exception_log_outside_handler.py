"""XH305: `.exception()` / `exc_info=True` where no exception is being handled."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import dotted_name, last_segment
from errlint.finding import Impact, Severity
from errlint.logcalls import LogCall
from errlint.regions import TRIES, Region, call_name, last_segment as ast_last_segment, statements_in
from errlint.rule import Invalid, LintRule, Report, Valid
from errlint.rules._helpers import in_test_code

if TYPE_CHECKING:
    from errlint.context import FileContext

_EXCEPTION_METHOD = (
    "`{call}()` outside an exception handler logs `NoneType: None` instead of a traceback: use "
    "`.error()`, or pass the exception explicitly with `exc_info=err`"
)
_EXC_INFO_TRUE = (
    "`{what}` outside an exception handler attaches `NoneType: None` instead of a traceback: pass the "
    "exception explicitly (`{explicit}`) or drop it"
)
# A function whose name or decorator says it runs while an exception is being handled.
_CALLBACK_TOKENS = frozenset(
    {"error", "errors", "exception", "exceptions", "exc", "err", "fail", "failed", "failure", "failures",
     "crash", "crashed", "abort", "panic", "errback", "excepthook", "unraisablehook"}
)  # fmt: skip
# A parameter with one of these names usually receives the exception being handled.
_EXCEPTION_PARAMS = frozenset(
    {"e", "ex", "exc", "err", "error", "exception", "exc_val", "exc_value", "exc_info", "exc_type",
     "einfo", "failure", "tb", "traceback", "etype", "evalue"}
)  # fmt: skip
_TOKEN_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass
class _Candidate:
    report: Report
    function: str  # the name of the enclosing function
    function_id: int
    placed: bool  # in a `try` (body, `else:`, `finally:`) of that function, or after one of its handlers
    method: bool  # `.exception()` itself (not `exc_info=True`)


class ExceptionLogOutsideHandler(LintRule):
    """
    ## What it does
    Checks for `logger.exception(...)`, `exc_info=True` and loguru's `.opt(exception=True)` where
    no exception is being handled: at module or class level, and in a function that handles
    exceptions itself but makes the call outside its handlers (in a `try` body, `else:` or
    `finally:` block, or after an `except` handler of the same function; `.exception()` also
    before the function's own `try`).

    Code inside a function can run while its *caller* handles an exception, and callers in other
    files are out of sight, so a call that is not placed relative to handling in its own function
    is not flagged (`def _reconnect(self): log.warning("lost", exc_info=True)`); nor is a function
    that is evidently an error callback: it is called (or passed) from an `except` handler in the
    same file; its name or a decorator names an error (`on_error`, `handle_exception`,
    `@app.errorhandler`, `task_failure`); it takes the exception as a parameter (`exc`, `err`,
    `exception`, …); or it is `__exit__`/`__aexit__`. Passing the exception explicitly
    (`exc_info=err`) is never flagged.

    Where it runs: not in test code (files under `test-paths`: test suites, fixtures, `examples/`
    and `demos/`; test functions and classes anywhere); it does run in migrations and management
    commands.

    ## Why is this bad?
    `.exception()` and `exc_info=True` read `sys.exc_info()`. Outside a handler there is nothing
    there, so the record ends with `NoneType: None`: it looks like an error with a traceback but
    carries none, and it is logged at error level on a path where nothing failed. Usually the
    call was moved out of the handler during a refactoring, or meant `.error()`.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def fetch(session, url):
        try:
            response = session.get(url, timeout=5)
        except ConnectionError:
            logger.exception("cannot reach %s", url)
            return None
        if response.status_code >= 500:
            logger.exception("%s failed with %s", url, response.status_code)
        return response
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def fetch(session, url):
        try:
            response = session.get(url, timeout=5)
        except ConnectionError:
            logger.exception("cannot reach %s", url)
            return None
        if response.status_code >= 500:
            logger.error("%s failed with %s", url, response.status_code)
        return response
    ```

    ## References
    - [Python docs: Logger.exception](https://docs.python.org/3/library/logging.html#logging.Logger.exception)
    - [flake8-logging LOG004 / ruff LOG004 log-exception-outside-except-handler](https://docs.astral.sh/ruff/rules/log-exception-outside-except-handler/)
    """

    CODE: ClassVar[str] = "XH305"
    PREVIEW: ClassVar[bool] = False  # meets the precision bar: docs/precision.md
    NAME: ClassVar[str] = "exception-log-outside-handler"
    MESSAGE: ClassVar[str] = _EXCEPTION_METHOD
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    # Every report is a `.exception(` call, an `exc_info=` argument or loguru's `opt(exception=…)`.
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexception\b", r"\bexc_info\b")
    ANALYSES: ClassVar[tuple[str, ...]] = ("log-calls",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order):
                try:
                    push(order)
                except ConnectionError:
                    logger.exception("push failed")
                try:
                    push_group(order)
                except* OSError as err:
                    logger.error("disk", exc_info=True)
                logger.error("done", exc_info=err_or_none)

            def _report_failure(order):
                logger.exception("order %s failed", order.id)

            def run(order):
                try:
                    sync(order)
                except Exception:
                    _report_failure(order)
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            class Guard:
                def __exit__(self, exc_type, exc, tb):
                    logger.exception("guarded block failed")

                def on_error(self, request):
                    logger.exception("request failed")

                def handle(self, exc):
                    logger.error("failed", exc_info=True)

            @app.errorhandler(500)
            def server_error(request):
                logger.exception("unhandled")

            def log_current_error(job):
                # no handlers here: a caller in another module may call it from its handler
                logger.exception("job %s failed", job.id)
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def publish(event):
                if not event.ready:
                    logger.exception("event %s not ready", event.id)
                    return
                try:
                    send(event)
                except ConnectionError:
                    logger.exception("cannot publish %s", event.id)
            """,
            expected_message=(
                "`logger.exception()` outside an exception handler logs `NoneType: None` instead of a "
                "traceback: use `.error()`, or pass the exception explicitly with `exc_info=err`"
            ),
            line=6,
            column=9,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            class Client:
                def fetch(self, url):
                    try:
                        response = self.session.get(url)
                    except ConnectionError:
                        logger.exception("cannot reach %s", url)
                        return None
                    else:
                        if response.status_code >= 500:
                            logger.exception("%s failed with %s", url, response.status_code)
                    return response
            """,
            expected_message=(
                "`logger.exception()` outside an exception handler logs `NoneType: None` instead of a "
                "traceback: use `.error()`, or pass the exception explicitly with `exc_info=err`"
            ),
            line=13,
            column=17,
        ),
        Invalid(
            """
            import logging
            try:
                import yaml
            except ImportError:
                yaml = None
            finally:
                logging.warning("yaml loaded: %s", yaml, exc_info=True)
            """,
            expected_message=(
                "`exc_info=True` outside an exception handler attaches `NoneType: None` instead of a "
                "traceback: pass the exception explicitly (`exc_info=err`) or drop it"
            ),
            line=7,
            column=46,
        ),
        Invalid(
            """
            from loguru import logger

            async def consume(queue):
                try:
                    item = await queue.get()
                except OSError:
                    def retry():
                        logger.exception("retry failed")  # no handler of its own: left alone
                    return retry
                logger.opt(exception=True).error("after the handler")
            """,
            expected_message=(
                "`opt(exception=True)` outside an exception handler attaches `NoneType: None` instead of a "
                "traceback: pass the exception explicitly (`opt(exception=err)`) or drop it"
            ),
            line=10,
            column=16,
        ),
    ]

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._candidates: list[_Candidate] = []
        self._called_in_handlers: set[str] = set()
        self._with_handlers: set[int] = set()  # functions that have `except` handlers of their own

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call named `exception`, or with an `exc_info=`/`exception=` keyword, sits
        outside the handlers of its own function; in a function, only if it has a `try` with handlers
        (or the call is at class level)."""
        node = region.node
        names = _exception_names(region)
        if isinstance(node, ast.Module):
            return _candidate_call(node, names, has_try=True, module=True)
        has_try = any(isinstance(s, TRIES) and s.handlers for s in region.statements())
        return _candidate_call(node, names, has_try=has_try, module=False)

    def visit_Call(self, node: cst.Call) -> None:
        context = self.context
        if context.enclosing_handler() is not None:
            self._note_handler_call(node)
            return
        log = context.log_call(node)
        if log is None or log.is_report or in_test_code(context):
            return
        found = self._finding(log)
        if found is None:
            return
        target, message = found
        function = context.enclosing_function()
        if function is None:
            self.report(target, message=message)
        elif not _looks_like_error_callback(function):
            # Decided at the end of the file: the function's own handlers may come after the call
            # (a call before the `try` runs with no exception either), and a handler further down
            # may call this function.
            frame = context.frame
            report = Report(type(self), target, message, self.SEVERITY, context.top_index, frame.critical, frame.qualname)
            placed = id(function) in self._with_handlers or self._in_own_try(function)
            self._candidates.append(_Candidate(report, function.name.value, id(function), placed, log.is_exception_method))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._note_handler()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._note_handler()

    def _note_handler(self) -> None:
        function = self.context.enclosing_function()
        if function is not None:
            self._with_handlers.add(id(function))

    def _in_own_try(self, function: cst.FunctionDef) -> bool:
        """The call sits in a `try` of this function (with handlers): the author placed it
        relative to handling done right here."""
        for node in reversed(self.context.ancestors):
            if node is function:
                return False
            if isinstance(node, (cst.Try, cst.TryStar)) and node.handlers:
                return True
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
        return False

    def leave_Module(self, node: cst.Module) -> None:
        tree = self.context.cpython_tree
        if tree is not None:
            # The prefilter may have blanked functions whose handlers call a candidate: what the
            # handlers call is read from the whole original file.
            self._called_in_handlers |= _called_in_handlers(tree)
        for candidate in self._candidates:
            # Before the function's own `try`, only `.exception()` itself: `exc_info=True` on a warning
            # there is often a caller's exception (`def reconnect(): log.warning(..., exc_info=True)`).
            before_own_try = candidate.method and candidate.function_id in self._with_handlers
            if (candidate.placed or before_own_try) and candidate.function not in self._called_in_handlers:
                self.context.reports.append(candidate.report)

    def _note_handler_call(self, node: cst.Call) -> None:
        """Remember what a handler calls or passes along: those functions run during handling."""
        name = last_segment(node.func)
        if name:
            self._called_in_handlers.add(name)
        for arg in node.args:
            passed = last_segment(arg.value)
            if passed:
                self._called_in_handlers.add(passed)

    def _finding(self, log: LogCall) -> Optional[tuple[cst.CSTNode, str]]:
        if log.is_exception_method:
            if log.arg("exc_info") is not None:
                return None  # `exc_info=err` or `exc_info=False`: explicit
            call = self.context.module.code_for_node(log.node.func)
            return log.node.func, _EXCEPTION_METHOD.format(call=call)
        arg = log.arg("exc_info")
        if arg is not None and _is_true(arg.value):
            return arg, _EXC_INFO_TRUE.format(what="exc_info=True", explicit="exc_info=err")
        receiver = log.receiver
        while isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Attribute):
            if receiver.func.attr.value == "opt":
                for opt_arg in receiver.args:
                    if opt_arg.keyword is not None and opt_arg.keyword.value == "exception" and _is_true(opt_arg.value):
                        return opt_arg, _EXC_INFO_TRUE.format(
                            what="opt(exception=True)", explicit="opt(exception=err)"
                        )
            receiver = receiver.func.value
        return None


def _is_true(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Name) and node.value == "True") or (isinstance(node, cst.Integer) and node.value == "1")


def _tokens(name: str) -> set[str]:
    return {t.lower() for part in name.split("_") for t in _TOKEN_RE.findall(part)}


def _looks_like_error_callback(function: cst.FunctionDef) -> bool:
    name = function.name.value
    if name in ("__exit__", "__aexit__", "__del__"):
        return True
    if _tokens(name) & _CALLBACK_TOKENS:
        return True
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            for arg in expr.args:
                if _tokens(dotted_name(arg.value) or "") & _CALLBACK_TOKENS:
                    return True
            expr = expr.func
        if _tokens(dotted_name(expr) or "") & _CALLBACK_TOKENS:
            return True
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return any(p.name.value in _EXCEPTION_PARAMS for p in every)


# --- on CPython's tree: the prefilter's exact hint, and what handlers call in the whole file ---

_AST_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _exception_call(call: ast.Call, names: frozenset[str]) -> bool:
    return call_name(call) in names or any(k.arg in ("exc_info", "exception") for k in call.keywords)


_NAMES: list[tuple[ast.Module, frozenset[str]]] = []  # the last file's (its tree is held: ids stay unique)


def _exception_names(region: Region) -> frozenset[str]:
    """`exception` and every name the file binds to a method called `exception`
    (`oops = log.exception`, `debug, oops = log.debug, log.exception`, `self.oops = ...`,
    `from logging import exception as oops`, also inside functions): the logging analysis
    resolves such aliases."""
    tree = region.module
    if _NAMES and _NAMES[0][0] is tree:
        return _NAMES[0][1]
    names = {"exception"}
    names.update(name for name, dotted in region.bindings() if dotted.rsplit(".", 1)[-1] == "exception")
    for stmt in statements_in(tree.body):
        if isinstance(stmt, ast.ImportFrom):
            names.update(a.asname or a.name for a in stmt.names if a.name == "exception")
    found = frozenset(names)
    _NAMES[:] = [(tree, found)]
    return found


def _candidate_call(root: ast.AST, names: frozenset[str], *, has_try: bool, module: bool) -> bool:
    """Is there, under `root`, a call that may be reported: `_exception_call`, outside the
    handlers of its own scope, and either outside any function (module or class level) or in a
    function region that has a `try` with handlers (`has_try`)? For the module's own code
    (`module`), the functions are their own regions and are skipped. Decorators and defaults count
    as outside any function (more than the rule reports: a hint may say yes too often)."""
    stack: list[tuple[ast.AST, bool, bool]] = [(root, False, module)]  # node, in a handler, outside any function
    while stack:
        node, in_handler, outside = stack.pop()
        if isinstance(node, ast.Call) and not in_handler and (outside or has_try) and _exception_call(node, names):
            return True
        if isinstance(node, _AST_FUNCTIONS):
            if module:
                continue  # its own region
            stack.extend((child, False, True) for child in (*node.decorator_list, node.args, *([node.returns] if node.returns else ())))
            stack.extend((stmt, False, False) for stmt in node.body)
        elif isinstance(node, ast.ClassDef):
            stack.extend((child, False, True) for child in ast.iter_child_nodes(node))
        elif isinstance(node, ast.Lambda):
            stack.extend((child, False, outside) for child in ast.iter_child_nodes(node))
        elif isinstance(node, TRIES):
            stack.extend((stmt, in_handler, outside) for stmt in (*node.body, *node.orelse, *node.finalbody))
            for handler in node.handlers:
                if handler.type is not None:
                    stack.append((handler.type, in_handler, outside))
                stack.extend((stmt, True, outside) for stmt in handler.body)
        else:
            stack.extend((child, in_handler, outside) for child in ast.iter_child_nodes(node))
    return False


def _called_in_handlers(tree: ast.Module) -> set[str]:
    """What `_note_handler_call` collects, over the whole file: the names called or passed as an
    argument in `except` handlers (not inside a function, lambda or class nested in a handler)."""
    names: set[str] = set()
    for stmt in statements_in(tree.body):
        if not isinstance(stmt, TRIES):
            continue
        for handler in stmt.handlers:
            stack: list[ast.AST] = list(handler.body)
            while stack:
                node = stack.pop()
                if isinstance(node, _AST_SCOPES):
                    continue  # its own frame, without the handler
                if isinstance(node, ast.Call):
                    name = call_name(node)
                    if name:
                        names.add(name)
                    for arg in (*node.args, *(k.value for k in node.keywords)):
                        passed = ast_last_segment(arg.value if isinstance(arg, ast.Starred) else arg)
                        if passed:
                            names.add(passed)
                stack.extend(ast.iter_child_nodes(node))
    return names

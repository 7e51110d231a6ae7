"""XH603: retrying on errors that never heal (user errors, programming errors, `Exception`)."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, dotted_name, iter_scope
from errlint.finding import Impact, Severity
from errlint.regions import Region, TRIES, statements_in
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._retry import retry_loop
from errlint.rules._helpers import handler_header_end, in_test_code
from errlint.taxonomy import Kind, classify

# Programming errors: a retry runs the same buggy code again.
PROGRAMMING_ERRORS: frozenset[str] = frozenset(
    {
        "AttributeError", "NameError", "UnboundLocalError", "NotImplementedError",
        "ZeroDivisionError", "ArithmeticError", "RecursionError", "SyntaxError", "ImportError",
        "ModuleNotFoundError", "AssertionError",
    }
)  # fmt: skip
_TENACITY_FACTORIES = frozenset({"tenacity.retry", "tenacity.Retrying", "tenacity.AsyncRetrying"})
_TENACITY_TYPE_PREDICATES = frozenset({"retry_if_exception_type", "retry_if_exception_cause_type"})
_TENACITY_COMBINATORS = frozenset({"retry_any", "retry_all"})
_CELERY_TASK_DECORATORS = frozenset({"task", "shared_task"})
_RETRY_CALLS = _TENACITY_FACTORIES | {"backoff.on_exception", "stamina.retry", "stamina.retry_context"}


class RetryOnNonTransient(LintRule):
    """
    ## What it does
    Checks for retries on exceptions that never heal:

    - a retry loop (see XH602 for what counts) whose retrying handler catches `Exception`,
      `BaseException`, everything (`except:`), a user error (`ValueError`, `KeyError`,
      `TypeError`, `LookupError`, validation and decoding errors, …) or a programming error
      (`AttributeError`, `NameError`, `NotImplementedError`, `ZeroDivisionError`, …);
    - `tenacity.retry`/`Retrying`/`AsyncRetrying` with `retry=retry_if_exception_type(...)` naming
      such a type, with `retry_if_exception_type()` (which means `Exception`), or with no `retry=`
      at all (tenacity then retries on every exception);
    - `backoff.on_exception(wait, ValueError, ...)`, `stamina.retry(on=Exception)`, and Celery
      `@app.task(autoretry_for=(Exception,))`.

    Not flagged: a handler that tests the caught exception and re-raises the rest
    (`if not is_retryable(exc): raise`), loops that read user input (`input()`, prompts: asking
    again after `ValueError` is how they work), and test code, where retrying on anything is how
    a test polls for an eventual condition or exercises the retry machinery itself.

    User errors and broad types come from the shared exception taxonomy, which
    `user-error-exceptions`, `infrastructure-exceptions` and `broad-exceptions` in
    `[tool.errlint]` extend.

    ## Why is this bad?
    Retrying helps with transient failures: a timeout, a dropped connection, a dependency that is
    restarting. Bad input and bugs fail the same way every time, so retrying them only delays the
    error (by the whole backoff schedule), multiplies the load and the log lines, and can repeat
    side effects that happened before the failure. Catching `Exception` in a retry also hides
    the bug behind "failed after 5 attempts".

    ## Example
    ```python
    import time

    def charge(client, order):
        for attempt in range(3):
            try:
                return client.charge(order)
            except Exception:
                time.sleep(2**attempt)
        raise PaymentUnavailable(order.id)
    ```

    Use instead:
    ```python
    import time

    def charge(client, order):
        for attempt in range(3):
            try:
                return client.charge(order)
            except (ConnectionError, TimeoutError):
                time.sleep(2**attempt)
        raise PaymentUnavailable(order.id)
    ```

    ## References
    - [tenacity: Whether to retry](https://tenacity.readthedocs.io/en/latest/#whether-to-retry)
    - [backoff: on_exception](https://github.com/litl/backoff#backoffon_exception)
    - [Google Cloud: Retry strategy, idempotency and transient errors](https://cloud.google.com/storage/docs/retry-strategy)
    """

    CODE: ClassVar[str] = "XH603"
    NAME: ClassVar[str] = "retry-on-non-transient"
    MESSAGE: ClassVar[str] = "{what}: retry only transient failures (timeouts, connection errors)"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.RESILIENCE
    PREVIEW: ClassVar[bool] = True
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (
        r"\bexcept\b",
        r"\b(?:retry|Retrying|AsyncRetrying|on_exception|autoretry_for|stamina)\b",
    )
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import time

            def charge(client, order):
                for attempt in range(3):
                    try:
                        return client.charge(order)
                    except (ConnectionError, TimeoutError):
                        time.sleep(2**attempt)
                    except ValueError:
                        raise
            """
        ),
        Valid(
            """
            import backoff
            from tenacity import retry, retry_if_exception_type, stop_after_attempt

            @retry(retry=retry_if_exception_type(ConnectionError), stop=stop_after_attempt(3))
            def fetch(url):
                return get(url)

            @backoff.on_exception(backoff.expo, (TimeoutError, OSError), max_tries=5)
            def push(item):
                return post(item)
            """
        ),
        Valid(
            """
            def ask_quantity():
                while True:
                    try:
                        return int(input("quantity: "))
                    except ValueError:
                        print("please type a number")
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import time

            def charge(client, order):
                for attempt in range(3):
                    try:
                        return client.charge(order)
                    except Exception:
                        time.sleep(2**attempt)
            """,
            expected_message=(
                "Retries on every exception (`Exception`), including bugs and bad input that never heal: "
                "retry only transient failures (timeouts, connection errors)"
            ),
            line=7,
            column=16,
        ),
        Invalid(
            """
            import backoff

            @backoff.on_exception(backoff.expo, (ConnectionError, ValueError), max_tries=5)
            def push(item):
                return post(item)
            """,
            expected_message=(
                "Retries on `ValueError`, a user or programming error that never heals: retry only "
                "transient failures (timeouts, connection errors)"
            ),
            line=3,
            column=55,
        ),
        Invalid(
            """
            from tenacity import retry, stop_after_attempt

            @retry(stop=stop_after_attempt(5))
            async def fetch(url):
                return await get(url)
            """,
            expected_message=(
                "Retries on every exception (tenacity's default without `retry=`), including bugs and bad "
                "input that never heal: retry only transient failures (timeouts, connection errors)"
            ),
            line=3,
            column=2,
        ),
        Invalid(
            """
            while True:
                try:
                    data = load()
                    break
                except* (KeyError, OSError):
                    time.sleep(1)
            """,
            expected_message=(
                "Retries on `KeyError`, a user or programming error that never heals: retry only "
                "transient failures (timeouts, connection errors)"
            ),
            line=5,
            column=14,
        ),
    ]

    # -- retry loops ----------------------------------------------------------------------------

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler of a `try` inside a loop's body (same function) may go round again
        (it has a `continue`, or does not end with `raise`/`return`/`break`), or where a decorator
        or call may be a retry API (a plain name through the file's imports)."""
        return _ast_retry_handler(region) or _ast_retry_api(region)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check_handler(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check_handler(node)

    def _check_handler(self, handler: Handler) -> None:
        found = retry_loop(self.context.ancestors)
        if found is None or found.interactive or in_test_code(self.context):
            return
        if _filters(handler):
            return
        if handler.type is None:
            self.report(
                handler,
                end=handler_header_end(handler),
                what="Retries on every exception (bare `except:`), including bugs and bad input that never heal",
            )
            return
        self._check_types(_elements(handler.type))

    # -- decorators and retry objects -------------------------------------------------------

    def visit_Decorator(self, node: cst.Decorator) -> None:
        expr = node.decorator
        if in_test_code(self.context):
            return
        if not isinstance(expr, cst.Call) and self.context.qualify(expr) == "tenacity.retry":
            self.report(expr, what=_default_tenacity())

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualify(node.func) or ""
        if qualified not in _RETRY_CALLS and qualified.rsplit(".", 1)[-1] not in _CELERY_TASK_DECORATORS:
            return
        if in_test_code(self.context):
            return
        if qualified in _TENACITY_FACTORIES:
            self._check_tenacity(node)
        elif qualified in ("backoff.on_exception",):
            types = _argument(node, 1, "exception")
            if types is not None:
                self._check_types(_elements(types))
        elif qualified in ("stamina.retry", "stamina.retry_context"):
            types = _argument(node, None, "on")
            if types is not None:
                self._check_types(_elements(types))
        elif qualified.rsplit(".", 1)[-1] in _CELERY_TASK_DECORATORS:
            types = _argument(node, None, "autoretry_for")
            if types is not None:
                self._check_types(_elements(types))

    def _check_tenacity(self, node: cst.Call) -> None:
        if any(arg.star for arg in node.args):
            return
        predicate = _argument(node, None, "retry")
        if predicate is None:
            self.report(node.func, what=_default_tenacity())
            return
        self._check_predicate(predicate)

    def _check_predicate(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.BinaryOperation):
            self._check_predicate(node.left)
            self._check_predicate(node.right)
            return
        if not isinstance(node, cst.Call):
            return
        name = (self.context.qualify(node.func) or "").rsplit(".", 1)[-1]
        if name in _TENACITY_COMBINATORS:
            for arg in node.args:
                self._check_predicate(arg.value)
        elif name in _TENACITY_TYPE_PREDICATES:
            types = _argument(node, 0, "exception_types")
            if types is None:
                self.report(
                    node,
                    what=f"Retries on every exception (`{name}()` means `Exception`), including bugs and bad "
                    "input that never heal",
                )
            else:
                self._check_types(_elements(types))

    # -- classification ---------------------------------------------------------------------

    def _check_types(self, types: Sequence[cst.BaseExpression]) -> None:
        for expr in types:
            what = self._non_transient(expr)
            if what is not None:
                self.report(expr, what=what)
                return

    def _non_transient(self, expr: cst.BaseExpression) -> Optional[str]:
        name = dotted_name(expr)
        if name is None:
            return None
        qualified = self.context.qualify(expr) or name
        kind = classify(name, qualified, self.context.config)
        if kind is Kind.BROAD:
            return f"Retries on every exception (`{name}`), including bugs and bad input that never heal"
        if kind is Kind.USER_ERROR or (kind is Kind.OTHER and qualified in PROGRAMMING_ERRORS):
            return f"Retries on `{name}`, a user or programming error that never heals"
        return None


def _filters(handler: Handler) -> bool:
    """The handler decides per exception: it tests the caught exception and re-raises the rest
    (`if not is_retryable(exc): raise`)."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    name = handler.name.name.value
    has_raise = False
    tests = False
    for node in iter_scope(handler.body):
        if isinstance(node, cst.Raise):
            has_raise = True
        elif isinstance(node, (cst.If, cst.IfExp, cst.While)):
            test = node.test
            tests = tests or any(
                isinstance(n, cst.Name) and n.value == name for n in (test, *iter_scope(test))
            )
    return has_raise and tests


def _default_tenacity() -> str:
    return "Retries on every exception (tenacity's default without `retry=`), including bugs and bad input that never heal"


def _elements(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(expr, (cst.Tuple, cst.List)):
        return [e.value for e in expr.elements if not isinstance(e, cst.StarredElement)]
    return [expr]


def _argument(node: cst.Call, position: Optional[int], keyword: str) -> Optional[cst.BaseExpression]:
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if position is not None and len(positional) > position:
        return positional[position].value
    return None


# --- on CPython's tree: the prefilter's exact hint ---

_AST_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_AST_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# The last segments `qualify` gives the retry APIs the rule reads.
_RETRY_SEGMENTS = frozenset(name.rsplit(".", 1)[-1] for name in _RETRY_CALLS) | _CELERY_TASK_DECORATORS


def _ast_retry_handler(region: Region) -> bool:
    """A handler `retry_loop` may accept: its `try` is inside a loop's body without a function or
    class between them, and `_goes_round` may hold. (More than the rule: in a loop's `else:` too.)"""
    node = region.node
    module = isinstance(node, ast.Module)
    stack: list[tuple[ast.stmt, bool]] = [(s, False) for s in node.body] if isinstance(node, ast.Module) else [(node, False)]
    while stack:
        stmt, in_loop = stack.pop()
        if module and isinstance(stmt, _AST_FUNCTIONS):
            continue  # its own region
        if in_loop and isinstance(stmt, TRIES):
            for handler in stmt.handlers:
                last = handler.body[-1]
                if not isinstance(last, (ast.Raise, ast.Return, ast.Break)):
                    return True
                if any(isinstance(s, ast.Continue) for s in statements_in(handler.body)):
                    return True
        inner = in_loop and not isinstance(stmt, _AST_SCOPES)
        if isinstance(stmt, _AST_LOOPS):
            stack.extend((s, True) for s in stmt.body)
            stack.extend((s, inner) for s in stmt.orelse)
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if isinstance(block, list):
                stack.extend((s, inner) for s in block)
        for handler in getattr(stmt, "handlers", ()):
            stack.extend((s, inner) for s in handler.body)
        for case in getattr(stmt, "cases", ()):
            stack.extend((s, inner) for s in case.body)
    return False


def _ast_retry_api(region: Region) -> bool:
    """A decorator or call that `visit_Decorator`/`visit_Call` may resolve to a retry API: an
    attribute named like one (`tenacity.retry`, `app.task`), or a plain name that may stand for one
    through the file's imports (`from tenacity import Retrying as R`) or is one unqualified."""
    imports = region.imports()
    for node in region.nodes():
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if _may_be_retry_api(func.id, imports, decorator=False):
                    return True
            elif isinstance(func, ast.Attribute) and func.attr in _RETRY_SEGMENTS:
                return True
        elif isinstance(node, (*_AST_FUNCTIONS, ast.ClassDef)):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Name):
                    if _may_be_retry_api(decorator.id, imports, decorator=True):
                        return True
                elif isinstance(decorator, ast.Attribute) and decorator.attr == "retry":
                    return True
    return False


def _may_be_retry_api(name: str, imports: dict[str, frozenset[str]], *, decorator: bool) -> bool:
    """What `context.qualify(Name(name))` gives (the name, or an import's target) may be a retry
    API: a bare decorator only as `tenacity.retry`, a call as a factory, `backoff`/`stamina`, or a
    Celery task decorator (by its last segment)."""
    for target in imports.get(name, frozenset()) | {name}:
        if decorator:
            if target == "tenacity.retry":
                return True
        elif target in _RETRY_CALLS or target.rsplit(".", 1)[-1] in _CELERY_TASK_DECORATORS:
            return True
    return False


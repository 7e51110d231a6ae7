"""Exact prefilter hints (`LintRule.may_report`) shared by XH101-XH104, XH106, XH204, XH602, XH604.

Each function here reads CPython's tree (`ast`) the way the rules read libcst's, and errs on one
side only. A "may ..." answer is True whenever the rule's own check could be true (a superset);
a "surely ..." answer is True only when the rule's check is certainly true (a subset), because
the hint uses it to rule a handler out. Nothing here depends on the configuration (logger names,
report functions, broad or boundary exception names, test paths): those only narrow what the
rules report further.

libcst's `iter_scope` (what `HandlerFacts` reads) does not enter nested functions, lambdas or
classes; `own_statements` and `own_nodes` mirror it.
"""

from __future__ import annotations

import ast
from typing import Iterator, Optional, Sequence, Union

from errlint.knowledge.testcode import is_test_class_name, is_test_function_name
from errlint.logcalls import EXCEPTION_METHODS, LOG_METHODS
from errlint.regions import TRIES, FunctionNode, Region, dotted_name
from errlint.rules._helpers import _FALLBACK_NAME_RE, _MUST_NOT_FAIL_METHODS, _TEMPLATE_DECORATORS

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # statements that open a scope
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_BLOCKS = ("body", "orelse", "finalbody")
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
# `except*` and `match` are newer than Python 3.9 (`ast.TryStar`: 3.11, `ast.Match`: 3.10).
_TRIES: tuple[type[ast.Try], ...] = TRIES  # typed as `ast.Try`: an `ast.TryStar` has the same fields
_MATCH: tuple[type[ast.Match], ...] = (ast.Match,) if hasattr(ast, "Match") else ()
_WITHS = (ast.With, ast.AsyncWith)
Try = Union[ast.Try, "ast.TryStar"]
Loop = Union[ast.For, ast.AsyncFor, ast.While]


def _inner_blocks(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside a compound statement (not inside a def or class)."""
    if isinstance(stmt, _DEFS):
        return
    for name in _BLOCKS:
        inner = getattr(stmt, name, None)
        if inner and isinstance(inner, list):
            yield inner
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for case in getattr(stmt, "cases", ()):
        yield case.body


def own_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of `body`, nested blocks included, not inside nested defs or classes."""
    stack = list(body)
    while stack:
        stmt = stack.pop()
        yield stmt
        for inner in _inner_blocks(stmt):
            stack.extend(inner)


def own_blocks(body: list[ast.stmt]) -> Iterator[list[ast.stmt]]:
    """`body` and every statement list nested in it, not inside nested defs or classes."""
    stack = [body]
    while stack:
        block = stack.pop()
        yield block
        for stmt in block:
            stack.extend(_inner_blocks(stmt))


def own_nodes(nodes: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Every node under `nodes` (themselves included), not inside nested defs, lambdas or classes."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


# --- handlers ---------------------------------------------------------------------------------


def surely_reraises(body: Sequence[ast.stmt]) -> bool:
    """`HandlerFacts.reraises`: a `raise` in the handler's own scope, or `reraises_on_exit`."""
    return has_raise(body) or reraises_on_exit(body)


def reraises_on_exit(body: Sequence[ast.stmt]) -> bool:
    """`HandlerFacts.reraises_on_exit`: a `with` in the handler's own scope whose context
    manager's name contains `reraise` (SQLAlchemy's `with util.safe_reraise():`)."""
    for stmt in own_statements(body):
        if isinstance(stmt, _WITHS):
            for item in stmt.items:
                expr = item.context_expr
                func = expr.func if isinstance(expr, ast.Call) else expr
                last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if "reraise" in last.lower():
                    return True
    return False


def has_raise(body: Sequence[ast.stmt]) -> bool:
    """A `raise` in the handler's own scope (`HandlerFacts.raises` is not empty)."""
    return any(isinstance(stmt, ast.Raise) for stmt in own_statements(body))


def _surely_constant(node: Optional[ast.expr]) -> bool:
    """`errlint.analysis.is_constant`, surely (a subset: not `...`, not `list()`)."""
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return node.value is not Ellipsis
    if isinstance(node, ast.UnaryOp):
        return _surely_constant(node.operand)
    if isinstance(node, (ast.List, ast.Tuple)):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    return False


def _may_be_constant(node: Optional[ast.expr]) -> bool:
    """`errlint.analysis.is_constant`, maybe (a superset: `"a" f"{b}"` is one constant string there)."""
    if node is None or isinstance(node, (ast.Constant, ast.JoinedStr)):
        return True
    if isinstance(node, ast.UnaryOp):
        return _may_be_constant(node.operand)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and not node.args and not node.keywords
    return False


def surely_discards(body: Sequence[ast.stmt]) -> bool:
    """`HandlerFacts.discards`, surely: only `pass`, `continue`, `break`, `return <constant>`,
    `...` or strings (no name in it, so the bound name is not used)."""
    for stmt in body:
        if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
            continue
        if isinstance(stmt, ast.Return) and _surely_constant(stmt.value):
            continue
        if _is_string_or_ellipsis(stmt):
            continue
        return False
    return True


def _is_string_or_ellipsis(stmt: ast.stmt) -> bool:
    """A statement that is only a string (or bytes) literal or `...`."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Constant):
        return False
    value = stmt.value.value
    return isinstance(value, (str, bytes)) or value is Ellipsis


def may_discard(body: Sequence[ast.stmt]) -> bool:
    """`HandlerFacts.discards`, maybe (`_body_discards` on libcst's tree, ignoring name uses)."""
    for stmt in body:
        if isinstance(stmt, (ast.Pass, ast.Continue, ast.Break)):
            continue
        if isinstance(stmt, ast.Return) and _may_be_constant(stmt.value):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Constant, ast.JoinedStr)):
            continue
        return False
    return True


def only_raises(body: Sequence[ast.stmt]) -> bool:
    """`errlint.rules._helpers.body_only_raises` on a `try`'s body: every statement is `raise X`."""
    return bool(body) and all(isinstance(stmt, ast.Raise) and stmt.exc is not None for stmt in body)


class Scope:
    """The function or class a `try` is in, as the rules' `FileContext` sees it: the innermost
    function (None when a class is nearer: `FileContext.enclosing_function`), and whether a
    function named `test*` or a class named `Test*`/`test_*` encloses it within the region
    (`in_test_code`, by name only: `test-paths` are configuration)."""

    __slots__ = ("function", "in_test", "_fallback")

    def __init__(self, function: Optional[FunctionNode], in_test: bool) -> None:
        self.function = function
        self.in_test = in_test
        self._fallback: Optional[bool] = None

    @property
    def fallback(self) -> bool:
        """`errlint.rules._helpers.deliberate_fallback_scope`: a function designed never to raise."""
        if self._fallback is None:
            self._fallback = self.function is not None and _deliberate_fallback(self.function)
        return self._fallback

    def parameters(self) -> set[str]:
        """`fail_open._parameters` of the innermost function."""
        if self.function is None:
            return set()
        args = self.function.args
        names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        names.discard("self")
        names.discard("cls")
        return names


def _deliberate_fallback(function: FunctionNode) -> bool:
    name = function.name
    if name in _MUST_NOT_FAIL_METHODS or _FALLBACK_NAME_RE.search(name.strip("_")):
        return True
    for decorator in function.decorator_list:
        expr = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(expr, ast.Attribute) and expr.attr in _TEMPLATE_DECORATORS:
            owner = expr.value
            if isinstance(owner, ast.Name) and owner.id in ("register", "library", "env", "environment"):
                return True
    return False


# Where a statement is: its statement list, its index there, and where the statement holding that
# list is (None above a function's or class's body; `_MODULE` for the module's own body).
Position = tuple[list[ast.stmt], int, Optional["Position"]]
_MODULE: Position = ([], 0, None)


class Site:
    """A `try` statement, its `Scope`, its nearest loop (`_retry._enclosing_loop`: in the same
    scope, holding it in its body, not its `else`) and its `Position`."""

    __slots__ = ("try_", "scope", "loop", "position")

    def __init__(self, try_: Try, scope: Scope, loop: Optional[Loop], position: Position) -> None:
        self.try_ = try_
        self.scope = scope
        self.loop = loop
        self.position = position

    def raises_after(self) -> bool:
        """`errlint.rules._helpers.raises_after`: a `raise` in a statement after the `try`, or after
        a block holding it, up to its function's (or class's) body; not in the module's body."""
        position: Optional[Position] = self.position
        while position is not None and position is not _MODULE:
            body, index, parent = position
            if parent is _MODULE:
                return False  # a statement of the module's own body: the module is not looked at
            for stmt in body[index + 1 :]:
                inner = stmt.body if isinstance(stmt, _DEFS) else [stmt]
                if any(isinstance(s, ast.Raise) for s in own_statements(inner)):
                    return True
            position = parent
        return False

    def fails_closed_after(self) -> bool:
        """`fail_open.FailOpen._fails_closed_after`: past plain statements right after the `try`,
        a `raise`, or `return`/`return False`/`return None`."""
        body, index, _ = self.position
        for stmt in body[index + 1 :]:
            if isinstance(stmt, ast.Raise):
                return True
            if isinstance(stmt, ast.Return):
                value = stmt.value
                return value is None or (isinstance(value, ast.Constant) and (value.value is False or value.value is None))
            if not isinstance(stmt, _SIMPLE):
                return False
        return False


_SIMPLE = (
    ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Pass, ast.Break, ast.Continue, ast.Delete,
    ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.Assert, ast.Return, ast.Raise,
)  # fmt: skip


def sites(region: Region) -> Iterator[Site]:
    """Every `try` of the region, as a `Site`."""
    node = region.node
    stack: list[tuple[list[ast.stmt], Scope, Optional[Loop], Optional[Position]]]
    if isinstance(node, ast.Module):
        stack = [(node.body, Scope(None, False), None, _MODULE)]
    else:
        stack = [([node], Scope(None, False), None, None)]
    while stack:
        body, scope, loop, parent = stack.pop()
        for index, stmt in enumerate(body):
            if isinstance(stmt, ast.ClassDef):
                stack.append((stmt.body, Scope(None, scope.in_test or is_test_class_name(stmt.name)), None, None))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not isinstance(node, ast.Module):  # the module's functions are their own regions
                    in_test = scope.in_test or is_test_function_name(stmt.name)
                    stack.append((stmt.body, Scope(stmt, in_test), None, None))
            elif isinstance(stmt, _LOOPS):
                here = (body, index, parent)
                stack.append((stmt.body, scope, stmt, here))
                if stmt.orelse:
                    stack.append((stmt.orelse, scope, None, here))
            else:
                here = (body, index, parent)
                if isinstance(stmt, _TRIES):
                    yield Site(stmt, scope, loop, here)
                stack.extend((inner, scope, loop, here) for inner in _inner_blocks(stmt))


def _may_sink(call: ast.Call) -> bool:
    """Could `call` be a logging or report call, `print` or `warnings.warn` (what `HandlerFacts`
    does not count as passing the caught exception on)? A plain name may be any of them under an
    alias; an attribute only when named like a logging method (or a report function, which
    handles the failure anyway)."""
    func = call.func
    return isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr in LOG_METHODS)


_ERROR_HANDLER_WORDS = ("error", "fail", "exception", "crash", "report")


def surely_calls_error_handler(handler: ast.ExceptHandler) -> bool:
    """`broad_except._calls_error_handler`, surely: a method named like an error handler
    (`self._on_failure()`, `ctx.fail(...)`, `report_error`) that is not named like a logging
    method, so it is not a logging call (or it is a report function, which handles the failure)."""
    for node in own_nodes(handler.body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in LOG_METHODS:
                continue
            lower = name.lower()
            if any(word in lower for word in _ERROR_HANDLER_WORDS) or "exc" in lower.split("_"):
                return True
    return False


def surely_passes_on(handler: ast.ExceptHandler) -> bool:
    """`HandlerFacts.passes_on`, surely (or the handler reports the failure): the bound name is
    read outside any call that may be a logging call, `print` or `warnings.warn`
    (`handle_error(err)`, `return Failure(err)`, `errors[key] = err`, `err.code`)."""
    name = handler.name
    if name is None:
        return False
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in handler.body]
    while stack:
        node, in_sink = stack.pop()
        if isinstance(node, ast.Name):
            if node.id == name and not in_sink:
                return True
            continue
        if isinstance(node, _SCOPES):
            continue
        if not in_sink and isinstance(node, ast.Call) and _may_sink(node):
            in_sink = True
        stack.extend((child, in_sink) for child in ast.iter_child_nodes(node))
    return False


# --- XH104: exits from `finally` -----------------------------------------------------------------


def finally_exits(region: Region) -> bool:
    """A `return`, or a `break`/`continue` not inside a loop of the block, in a `finally` block
    (`finally_swallows._exits`: a nested `finally` is its own `try`'s)."""
    for try_ in (stmt for stmt in region.statements() if isinstance(stmt, _TRIES)):
        stack: list[tuple[ast.stmt, bool]] = [(stmt, False) for stmt in try_.finalbody]
        while stack:
            stmt, in_loop = stack.pop()
            if isinstance(stmt, ast.Return):
                return True
            if isinstance(stmt, (ast.Break, ast.Continue)):
                if not in_loop:
                    return True
                continue
            if isinstance(stmt, _DEFS):
                continue
            if isinstance(stmt, _LOOPS):
                stack.extend((inner, True) for inner in stmt.body)
                stack.extend((inner, in_loop) for inner in stmt.orelse)
                continue
            blocks: list[list[ast.stmt]] = [stmt.body, stmt.orelse] if isinstance(stmt, ast.If) else []
            if isinstance(stmt, _WITHS):
                blocks = [stmt.body]
            elif isinstance(stmt, _TRIES):
                blocks = [stmt.body, stmt.orelse, *(h.body for h in stmt.handlers)]
            elif isinstance(stmt, _MATCH):
                blocks = [case.body for case in stmt.cases]
            for block in blocks:
                stack.extend((inner, in_loop) for inner in block)
    return False


# --- XH106: a traceback logged, then the same exception re-raised ---------------------------------


def may_log_traceback(call: ast.Call) -> bool:
    """Could `call` be a logging call with the traceback (`LogCall.exc_info`, not a report)?

    `.exception()`, `exc_info=`, `.opt(exception=...)` on a chain; a plain name may be any
    logging function under an alias (`from logging import exception as log_exc`, `err = log.exception`).
    """
    if any(keyword.arg == "exc_info" for keyword in call.keywords):
        return True
    func = call.func
    if isinstance(func, ast.Name):
        return True
    if isinstance(func, ast.Attribute) and func.attr in LOG_METHODS:
        return func.attr in EXCEPTION_METHODS or isinstance(func.value, ast.Call)
    return False


def logs_then_reraises(handler: ast.ExceptHandler) -> bool:
    """In one statement list of the handler, a call statement that may log the traceback, then
    `raise` or `raise <bound name>` (`log_and_reraise.LogAndReraise._check`)."""
    for block in own_blocks(handler.body):
        logged = False
        for stmt in block:
            if not logged and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                logged = may_log_traceback(stmt.value)
            elif logged and isinstance(stmt, ast.Raise) and stmt.cause is None:
                exc = stmt.exc
                if exc is None or (isinstance(exc, ast.Name) and exc.id == handler.name):
                    return True
    return False


# --- XH602: retry loops ---------------------------------------------------------------------------

_BACKOFF_WORDS = ("sleep", "wait", "backoff", "delay", "pause", "throttle", "jitter", "cooldown", "retry_after")


def _has_backoff(loop: Loop) -> bool:
    """`errlint.rules._retry._has_backoff`: a call named like a sleep or backoff in the loop."""
    nodes: list[ast.AST] = list(loop.body)
    if isinstance(loop, ast.While):
        nodes.append(loop.test)
    for node in own_nodes(nodes):
        if isinstance(node, ast.Call):
            name = (dotted_name(node.func) or "").lower()
            if any(word in name for word in _BACKOFF_WORDS):
                return True
    return False


def _may_run_forever(loop: Loop) -> bool:
    """`_retry._is_forever`, maybe: `while True:` / `while 1:`."""
    return isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant)


def _may_be_flag(test: ast.expr) -> bool:
    """`while not done:` / `while pending:` (`_retry._flag_name`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return isinstance(test, (ast.Name, ast.Attribute))


def _has(body: Sequence[ast.stmt], kinds: tuple[type, ...]) -> bool:
    return any(isinstance(stmt, kinds) for stmt in own_statements(body))


def may_retry_without_backoff(region: Region) -> bool:
    """A handler of a `try` in a loop's body that may go round again (`continue`, or its last
    statement does not leave), in a loop that may leave on success (`break`/`return` in the
    `try` or its `else`, a `continue` in the handler, or `while <flag>:`), and which has no
    sleep/backoff call or may be `while True:`; not in test code by name (`_retry.retry_loop`,
    `RetryWithoutBackoff._check`)."""
    backoff: dict[int, bool] = {}
    for site in sites(region):
        loop, try_ = site.loop, site.try_
        if loop is None or site.scope.in_test:
            continue
        exits = (
            _has(try_.body, (ast.Break, ast.Return))
            or _has(try_.orelse, (ast.Break, ast.Return))
            or (isinstance(loop, ast.While) and _may_be_flag(loop.test))
        )
        for handler in try_.handlers:
            continues = _has(handler.body, (ast.Continue,))
            last = handler.body[-1]
            goes_round = continues or not isinstance(last, (ast.Raise, ast.Return, ast.Break, ast.Continue))
            if not goes_round or not (exits or continues):
                continue
            if _may_run_forever(loop):
                return True
            key = id(loop)
            if key not in backoff:
                backoff[key] = _has_backoff(loop)
            if not backoff[key]:
                return True
    return False


# --- XH604: one handler for a tuple of types --------------------------------------------------


def _reraises_caught(handler: ast.ExceptHandler) -> bool:
    """`mixed_impact_handler._reraises_caught`: `raise` or `raise <bound name>` in the handler."""
    for stmt in own_statements(handler.body):
        if isinstance(stmt, ast.Raise):
            if stmt.exc is None:
                return True
            if isinstance(stmt.exc, ast.Name) and stmt.exc.id == handler.name and stmt.cause is None:
                return True
    return False


def _tells_apart(handler: ast.ExceptHandler) -> bool:
    """`mixed_impact_handler._tells_apart`: `isinstance(err, ...)` / `type(err)` in the handler."""
    name = handler.name
    if name is None:
        return False
    for node in own_nodes(handler.body):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("isinstance", "type"):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Name) and first.id == name:
                return True
    return False


def may_mix_impacts(region: Region) -> bool:
    """A handler for a tuple of two types or more that neither re-raises what it caught nor
    branches on its type."""
    for handler in region.handlers():
        caught = handler.type
        if not isinstance(caught, ast.Tuple) or len(caught.elts) < 2:
            continue
        if not _reraises_caught(handler) and not _tells_apart(handler):
            return True
    return False


# --- the rules' hints -------------------------------------------------------------------------


def may_be_bare_except(region: Region) -> bool:
    """XH101: an `except:` whose last statement is not `raise` and that has no `with ...reraise...`,
    not in a function named `test*` (or a class `Test*`) of the region."""
    for site in sites(region):
        if site.scope.in_test:
            continue
        for handler in site.try_.handlers:
            if handler.type is None and not isinstance(handler.body[-1], ast.Raise) and not reraises_on_exit(handler.body):
                return True
    return False


def may_be_broad_except(region: Region) -> bool:
    """XH102: a typed handler (the broad names are configurable: any type may be broad) that
    neither re-raises, nor surely discards, nor surely passes the exception on or calls an error
    handler, of a `try` whose body does not only raise, not in test code (by name) nor in a
    function designed never to raise."""
    for site in sites(region):
        if site.scope.in_test or only_raises(site.try_.body):
            continue
        for handler in site.try_.handlers:
            if handler.type is None or surely_discards(handler.body) or surely_reraises(handler.body):
                continue
            if surely_passes_on(handler) or surely_calls_error_handler(handler) or site.scope.fallback:
                continue
            return True
    return False


def _may_suppress(expr: ast.expr) -> bool:
    """`with suppress(<name>):` under any import alias (`contextlib.suppress`, `from contextlib
    import suppress as quiet`); any dotted argument may be a configured broad exception."""
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    if not (isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr == "suppress")):
        return False
    values = [a.value if isinstance(a, ast.Starred) else a for a in expr.args] + [k.value for k in expr.keywords]
    return any(isinstance(v, (ast.Name, ast.Attribute)) for v in values)


def may_swallow(region: Region) -> bool:
    """XH103: a `with` item that may be `contextlib.suppress(<broad name>)`; or a typed handler
    that may only discard, of a `try` whose body does not only raise and that no `raise` follows
    in its function, not in test code (by name) nor in a function designed never to raise."""
    for stmt in region.statements():
        if isinstance(stmt, _WITHS) and any(_may_suppress(item.context_expr) for item in stmt.items):
            return True
    for site in sites(region):
        if site.scope.in_test or only_raises(site.try_.body):
            continue
        if any(h.type is not None and may_discard(h.body) for h in site.try_.handlers):
            if not site.scope.fallback and not site.raises_after():
                return True
    return False


def may_fail_open(region: Region) -> bool:
    """XH204: a handler without `raise` that returns `True` or a parameter of its function, or
    may only pass and is not followed by a denial (`return False`, `raise`) right after the `try`
    (the trust boundaries are configurable: any function or exception type may be one)."""
    for site in sites(region):
        parameters: Optional[set[str]] = None
        for handler in site.try_.handlers:
            if has_raise(handler.body):
                continue
            for stmt in own_statements(handler.body):
                if not isinstance(stmt, ast.Return):
                    continue
                value = stmt.value
                if isinstance(value, ast.Constant) and value.value is True:
                    return True
                if isinstance(value, ast.Name):
                    if parameters is None:
                        parameters = site.scope.parameters()
                    if value.id in parameters:
                        return True
            if all(isinstance(stmt, ast.Pass) or _is_string_or_ellipsis(stmt) for stmt in handler.body):
                if not site.fails_closed_after():  # `fail_open._only_passes`
                    return True
    return False

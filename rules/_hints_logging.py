"""The exact prefilter hints of the logging rules (XH301, XH302, XH303, XH304, XH306, XH307).

Each rule's `may_report(region)` asks `may_report(region, CODE)` here. One walk of the region
(CPython's tree, `errlint.regions`) answers for all six, cached for the last region asked, since
the prefilter asks every enabled rule about the same region in turn.

What a hint may rely on. A call is a logging call (`errlint.logcalls.classify_call`) according to
names the configuration can extend (`logger-names`, `report-functions`) and to bindings this region
may not show: `from logging import error as oops` or `info = logger.info` at module level make a
bare-name call (`oops(...)`, `info(...)`) a logging call with any name. So nothing here depends on
receivers' names, and every call of a bare name is taken as a logging call of any method. What the
configuration cannot change, and the hints read:

- the method of `<receiver>.<method>(...)` (the fixed `LOG_METHODS`), hence its level; for
  `.log(level, ...)` the level as written;
- the shape of the arguments: where the message is, whether it is built eagerly (XH301), whether it
  is only the caught exception (XH303), `exc_info=`/`**kwargs` (XH302), the keys of `extra=` (XH306);
- where the call is: in an `except` handler of its own frame (a function, lambda or class nested in
  a handler is its own frame, its decorators and defaults included, as errlint's walker has it),
  whether that handler re-raises, returns, breaks, ends the program, and the loop around it (XH307).

This module imports only `ast` and `re`: the prefilter runs before libcst is needed.
"""

from __future__ import annotations

import ast
import re
from typing import Optional, Union

from errlint.regions import Region, dotted_name, last_segment

XH301, XH302, XH303, XH304, XH306, XH307 = 1, 2, 4, 8, 16, 32
_ALL = XH301 | XH302 | XH303 | XH304 | XH306 | XH307
_BITS = {"XH301": XH301, "XH302": XH302, "XH303": XH303, "XH304": XH304, "XH306": XH306, "XH307": XH307}

# `errlint.logcalls.LOG_METHODS`, by level.
_LOG_METHODS = frozenset(
    {"trace", "debug", "info", "msg", "success", "warning", "warn", "error", "exception", "critical", "fatal", "log",
     "adebug", "ainfo", "amsg", "awarning", "awarn", "aerror", "aexception", "acritical", "afatal", "alog"}
)  # fmt: skip
_LEVEL_ARGUMENT = frozenset({"log", "alog"})
_DEBUG_METHODS = frozenset({"trace", "debug", "adebug"})  # level <= DEBUG
_ERROR_METHODS = frozenset({"error", "critical", "fatal", "aerror", "acritical", "afatal"})  # >= ERROR, no traceback
_EXCEPTION_METHODS = frozenset({"exception", "aexception"})
_ERROR_NAMES = frozenset({"ERROR", "CRITICAL", "FATAL"})  # `resolve_level` >= ERROR
_DEBUG_NAMES = frozenset({"DEBUG", "TRACE"})  # `resolve_level` <= DEBUG
# `errlint.logcalls`: `is_exception_text`.
_TEXT_FUNCTIONS = frozenset({"str", "repr", "ascii", "format", "type"})
_EXCEPTION_ATTRS = frozenset({"args", "message", "msg", "strerror", "reason", "__name__", "__class__", "__qualname__"})
_TRACEBACK_FORMATTERS = frozenset({"format_exc", "format_exception", "format_tb", "format_stack", "format_exception_only"})
_PLACEHOLDER_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgeExXoca]|%%|\{[^{}]*\}")
_WORD_RE = re.compile(r"[^\W_]")
# XH304 (`rules/print_in_handler.py`).
_PRINT_TRACEBACK = frozenset({"print_exc", "print_exception", "print_tb", "print_last"})
_STREAMS = frozenset({"stderr", "stdout", "__stderr__", "__stdout__"})
_STREAM_WRITES = frozenset({"write", "writelines"})
_ENTRY_FUNCTIONS = frozenset({"main", "cli", "run_cli"})
_STARTUP_WORDS = frozenset(
    {"init", "initialize", "initialise", "initializer", "initialiser", "initialization", "setup", "bootstrap",
     "configure", "startup", "daemon", "daemonize", "pidfile", "pidlock"}
)  # fmt: skip
_IPV_RE = re.compile(r"IPv(?=\d)")  # `errlint.sensitive.tokenize`
_BOUNDARY_RE = re.compile(
    r"[\W_]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])"
)
# XH302 (`rules/traceback_dropped.py`): handlers of control-flow exceptions only.
_NOT_FAILURES = frozenset(
    {"KeyboardInterrupt", "SystemExit", "GeneratorExit", "StopIteration", "StopAsyncIteration",
     "asyncio.CancelledError", "CancelledError", "concurrent.futures.CancelledError"}
)  # fmt: skip
# XH306 (`rules/reserved_extra_key.py`).
_RESERVED_KEYS = frozenset(
    {"name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
     "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated", "thread",
     "threadName", "processName", "process", "taskName", "message", "asctime"}
)  # fmt: skip
# XH307 (`rules/log_flood.py`).
_PACING = re.compile(r"(?i)(?:^|_)(?:sleep|wait|backoff|throttle|rate_limit|ratelimit|pause|delay)(?:$|_)")
_RETRY_TARGETS = re.compile(r"(?i)attempt|retr(?:y|ies)|tries|try_number")
_SMALL_RANGE = 10

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_TRIES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
_GUARDS = (ast.If, ast.IfExp, ast.BoolOp)  # with loops and tries: XH307's log is not on every pass

_last: tuple[Optional[ast.AST], int] = (None, 0)


def may_report(region: Region, code: str) -> bool:
    """Could the rule `code` report anything in `region`? (A necessary condition.)"""
    global _last
    node = region.node
    last = _last
    if last[0] is not node:
        last = (node, _scan(node))
        _last = last
    return bool(last[1] & _BITS[code])


# --- the walk -----------------------------------------------------------------------------


class _Handler:
    """An `except` handler around a call, in the call's frame, and what its body does (lazily)."""

    __slots__ = ("node", "loop", "names", "_facts")

    def __init__(self, node: ast.ExceptHandler, loop: Optional[ast.AST], outer: Optional[_Handler]) -> None:
        self.node = node
        self.loop = loop  # the loop whose body holds the handler (in its frame), else None
        names = outer.names if outer is not None else frozenset()
        self.names: frozenset[str] = names | {node.name} if node.name else names  # every enclosing handler's
        self._facts: Optional[tuple[bool, bool, bool, bool, bool]] = None

    def facts(self) -> tuple[bool, bool, bool, bool, bool]:
        """(raises, reraises: raises or a `with ...reraise...`, returns, breaks, ends the program or
        catches only control-flow exceptions) over the handler's own body (`iter_scope`)."""
        if self._facts is None:
            raises = reraises = returns = terminates = False
            stack: list[ast.AST] = list(self.node.body)
            while stack:
                node = stack.pop()
                if isinstance(node, ast.Raise):
                    raises = True
                elif isinstance(node, ast.Return):
                    returns = True
                elif isinstance(node, ast.withitem):
                    item = node.context_expr
                    func = item.func if isinstance(item, ast.Call) else item
                    if "reraise" in _last_segment(func).lower():
                        reraises = True
                elif isinstance(node, ast.Call):
                    func = node.func
                    if isinstance(func, ast.Attribute) and func.attr in ("exit", "abort") and _dotted(func):
                        terminates = True  # `sys.exit(1)`, `flask.abort(404)`: qualified, it ends in exit/abort
                if isinstance(node, _SCOPES):
                    continue
                stack.extend(ast.iter_child_nodes(node))
            self._facts = (raises, raises or reraises, returns, _breaks(self.node), terminates or self._control_flow())
        return self._facts

    def _control_flow(self) -> bool:
        expr = self.node.type
        if expr is None:
            return False
        items = expr.elts if isinstance(expr, ast.Tuple) else [expr]
        return all(_dotted_name(item) in _NOT_FAILURES for item in items)


def _breaks(handler: ast.ExceptHandler) -> bool:
    """A `break` in the handler that leaves the loop around it (`log_flood._breaks`)."""
    stack: list[ast.AST] = list(handler.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if isinstance(node, (*_LOOPS, *_SCOPES)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


class _Frame:
    """A function, lambda or class around the calls (or the module): what XH304 reads of it."""

    __slots__ = ("words", "entry", "quiet")

    def __init__(self, words: frozenset[str], entry: bool) -> None:
        self.words = words  # tokens of the qualified name's parts in the region (the rest is unknown)
        self.entry = entry  # `enclosing_function()` is main/cli/run_cli
        startup = bool(words & _STARTUP_WORDS) or {"create", "app"} <= words or {"make", "app"} <= words
        self.quiet = entry or startup  # XH304 never reports here


_MODULE_FRAME = _Frame(frozenset(), False)

# A walk item: the node, its frame, the innermost handler of that frame, whether nothing
# conditional (if, loop, try, `and`/`or`, `x if c else y`) lies between that handler and the node
# (XH307), and the loop whose body holds the node in this frame.
_Item = tuple[ast.AST, _Frame, Optional[_Handler], bool, Optional[ast.AST]]


def _scan(root: ast.AST) -> int:
    """The rules (bits) that may report in the region whose node is `root`."""
    found = 0
    stack: list[_Item] = []
    skip_functions = isinstance(root, ast.Module)  # the module's functions are their own regions
    if isinstance(root, ast.Module):
        stack.extend((stmt, _MODULE_FRAME, None, False, None) for stmt in root.body)
    else:
        stack.append((root, _MODULE_FRAME, None, False, None))
    paced: dict[int, bool] = {}
    while stack:
        node, frame, handler, clean, loop = stack.pop()
        if isinstance(node, ast.Call):
            found |= _call(node, frame, handler, clean, loop, found, paced)
            if found == _ALL:
                return found
        elif isinstance(node, _SCOPES):
            if skip_functions and isinstance(node, _FUNCTIONS):
                continue
            # The walker enters the new frame before the decorators, defaults and bases.
            inner = _frame_of(node, frame)
            stack.extend((child, inner, None, False, None) for child in ast.iter_child_nodes(node))
            continue
        elif isinstance(node, _TRIES):
            for stmt in (*node.body, *node.orelse, *node.finalbody):
                stack.append((stmt, frame, handler, False, loop))
            for clause in node.handlers:
                if clause.type is not None:
                    stack.append((clause.type, frame, handler, False, loop))
                inner_handler = _Handler(clause, loop, handler)
                stack.extend((stmt, frame, inner_handler, True, loop) for stmt in clause.body)
            continue
        elif isinstance(node, _LOOPS):
            for name, value in ast.iter_fields(node):
                if name == "body":
                    stack.extend((stmt, frame, handler, False, node) for stmt in value)
                elif isinstance(value, list):
                    stack.extend((v, frame, handler, False, None) for v in value if isinstance(v, ast.AST))
                elif isinstance(value, ast.AST):
                    stack.append((value, frame, handler, False, None))
            continue
        elif isinstance(node, _GUARDS):
            stack.extend((child, frame, handler, False, loop) for child in ast.iter_child_nodes(node))
            continue
        stack.extend((child, frame, handler, clean, loop) for child in ast.iter_child_nodes(node))
    return found


def _frame_of(node: Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef], outer: _Frame) -> _Frame:
    """XH304's view of a new frame: `enclosing_function()` (the innermost def, through lambdas; none
    in a class) named main/cli/run_cli, or start-up words in the qualified name (`_at_startup`)."""
    name = "<lambda>" if isinstance(node, ast.Lambda) else node.name
    tokens = {t.lower() for t in _BOUNDARY_RE.split(_IPV_RE.sub("Ipv", name)) if t and not t.isdigit()}
    if isinstance(node, ast.Lambda):
        entry = outer.entry
    else:
        entry = isinstance(node, _FUNCTIONS) and node.name in _ENTRY_FUNCTIONS
    return _Frame(outer.words | tokens, entry)


# --- one call -----------------------------------------------------------------------------


def _call(
    call: ast.Call,
    frame: _Frame,
    handler: Optional[_Handler],
    clean: bool,
    loop: Optional[ast.AST],
    found: int,
    paced: dict[int, bool],
) -> int:
    bits = 0
    func = call.func
    bare = isinstance(func, ast.Name)  # a logging call of any method, or a report function
    method: Optional[str] = None  # `<receiver>.<method>(...)` that may be a logging call
    if isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS and _may_be_logger(func.value):
        method = func.attr
    loggable = bare or method is not None
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    if not found & XH306:
        extra = keywords.get("extra")
        if loggable and extra is not None and _reserved_mapping(extra):
            bits |= XH306
        elif bare or (isinstance(func, ast.Attribute) and func.attr == "LoggerAdapter"):
            # `LoggerAdapter(logger, {...})` (under any imported name): `extra=` or its second argument
            mappings = [_unstar(a) for a in call.args]
            if extra is not None:
                mappings.append(extra)
            if any(_reserved_mapping(m) for m in mappings):
                bits |= XH306
    if not loggable:
        return bits | _print_in_handler(call, frame, handler, found)
    # (message, the positional arguments after it): where the message may be, per method
    shapes = _shapes(method, positional, keywords)
    if not found & XH301:
        if any(rest or (message is not None and _eager(message)) for message, rest in shapes):
            bits |= XH301  # eager (or, with `style = "fields"`, lazy arguments at all)
    if handler is None:
        return bits
    level_expr = (positional[0] if positional else keywords.get("level")) if method in _LEVEL_ARGUMENT else None
    raises, reraises, returns, breaks, ends = handler.facts()
    if not found & XH302 and not reraises and not ends:
        if "exc_info" not in keywords and not any(k.arg is None for k in call.keywords):
            if bare or method in _ERROR_METHODS or (method in _LEVEL_ARGUMENT and _at_least_error(level_expr)):
                bits |= XH302
    if not found & XH303 and not raises:
        debug = method in _DEBUG_METHODS or (method in _LEVEL_ARGUMENT and _at_most_debug(level_expr))
        if not debug and any(m is not None and _exception_only(m, rest, handler.names) for m, rest in shapes):
            bits |= XH303
    if not found & XH307 and clean and handler.loop is not None and not (raises or returns or breaks):
        if bare or method in _ERROR_METHODS or method in _EXCEPTION_METHODS or (
            method in _LEVEL_ARGUMENT and _at_least_error(level_expr)
        ):
            if not _bounded(handler.loop) and not _paced(handler.loop, paced):
                bits |= XH307
    if bare:
        bits |= _print_in_handler(call, frame, handler, found)
    return bits


def _shapes(
    method: Optional[str], positional: list[ast.expr], keywords: dict[str, ast.expr]
) -> list[tuple[Optional[ast.expr], list[ast.expr]]]:
    """`_make_log_call`'s (message, args) for `method`, or for any method when it is unknown."""
    offsets = (1,) if method in _LEVEL_ARGUMENT else (0,) if method is not None else (0, 1)
    out: list[tuple[Optional[ast.expr], list[ast.expr]]] = []
    for offset in offsets:
        args = positional[offset:] if positional else positional
        if args:
            out.append((args[0], args[1:]))
        else:
            out.append((keywords.get("msg", keywords.get("event")), []))
    return out


def _print_in_handler(call: ast.Call, frame: _Frame, handler: Optional[_Handler], found: int) -> int:
    """XH304: `print(...)`, `traceback.print_exc()`, `sys.stderr.write(...)` (under any imported
    name) in a handler that does not re-raise, outside entry points and start-up code."""
    if found & XH304 or handler is None or frame.quiet:
        return 0
    func = call.func
    if isinstance(func, ast.Name):
        if func.id == "print" and not _to_a_stream(call):
            return 0
    elif isinstance(func, ast.Attribute):
        if func.attr in _PRINT_TRACEBACK:
            if not _to_a_stream(call):
                return 0
        elif func.attr in _STREAM_WRITES:
            value = func.value
            if not (isinstance(value, ast.Name) or (isinstance(value, ast.Attribute) and value.attr in _STREAMS)):
                return 0
        else:
            return 0
    else:
        return 0
    return 0 if handler.facts()[1] else XH304


def _to_a_stream(call: ast.Call) -> bool:
    """No `file=`, or one that may be `sys.stderr`/`sys.stdout` (through imports)."""
    for keyword in call.keywords:
        if keyword.arg == "file":
            value = keyword.value
            if not (isinstance(value, ast.Name) or (isinstance(value, ast.Attribute) and value.attr in _STREAMS)):
                return False
    return True


# --- facts about expressions ---------------------------------------------------------------


_CHAIN_METHODS = frozenset({"bind", "new", "unbind", "try_unbind", "opt", "patch", "getChild", "with_context"})
_FACTORIES = frozenset({"getLogger", "getLoggerClass", "LoggerAdapter", "get_logger", "wrap_logger", "get_task_logger", "getChild"})


def _may_be_logger(node: ast.expr) -> bool:
    """`_Resolver.receiver` can say yes: a name or attribute (names are configurable), or a call of
    a logger factory (any imported name) or of a `.bind()`-like method on one."""
    while isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _CHAIN_METHODS:
            node = func.value
            continue
        if isinstance(func, ast.Name):
            return True
        return isinstance(func, ast.Attribute) and func.attr in _FACTORIES and _dotted(func)
    return isinstance(node, (ast.Name, ast.Attribute))


def _at_least_error(node: Optional[ast.expr]) -> bool:
    """`resolve_level(node)` may be ERROR or above."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return value >= 40
        return isinstance(value, str) and value.upper() in _ERROR_NAMES
    if isinstance(node, ast.Name):
        return node.id in _ERROR_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in _ERROR_NAMES
    return False


def _at_most_debug(node: Optional[ast.expr]) -> bool:
    """`resolve_level(node)` is certainly DEBUG or below (strings left out: `"DE" "BUG"` is one
    constant here, and no level for libcst)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return isinstance(value, int) and not isinstance(value, bool) and value <= 10
    if isinstance(node, ast.Name):
        return node.id in _DEBUG_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in _DEBUG_NAMES
    return False


def _eager(message: ast.expr) -> bool:
    """`eager_format(message)` may be an f-string, `.format()`, `%` or `+` (parentheses are not
    in CPython's tree: a nested `+` counts as a variable operand)."""
    if isinstance(message, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in message.values)
    if isinstance(message, ast.Call):
        return isinstance(message.func, ast.Attribute) and message.func.attr == "format"
    if isinstance(message, ast.BinOp):
        if isinstance(message.op, ast.Mod):
            left = message.left
            return not (isinstance(left, ast.Constant) and type(left.value) in (int, float))
        if isinstance(message.op, ast.Add):
            operands: list[ast.expr] = []
            nested = False
            stack: list[ast.expr] = [message.right, message.left]
            while stack:
                current = stack.pop()
                if isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
                    nested = True
                    stack.extend((current.right, current.left))
                else:
                    operands.append(current)
            literal = any(_is_string(o) for o in operands)
            return literal and (nested or any(not _constant_text(o) for o in operands))
    return False


def _is_string(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)))


def _constant_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.JoinedStr):
        return not any(isinstance(v, ast.FormattedValue) for v in node.values)
    return False


def _exception_only(message: ast.expr, rest: list[ast.expr], names: frozenset[str]) -> bool:
    """`exception_only_message` may say yes: the message is the caught exception (or its text) and
    punctuation."""
    if _exception_text(message, names):
        return True
    if isinstance(message, ast.JoinedStr):
        expressions = [v.value for v in message.values if isinstance(v, ast.FormattedValue)]
        texts = [v.value for v in message.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        return (
            bool(expressions)
            and all(_no_words_raw(t) for t in texts)
            and all(_exception_text(e, names) for e in expressions)
        )
    template: Optional[str] = None
    values: list[ast.expr] = rest
    if isinstance(message, ast.Constant):
        template = message.value if isinstance(message.value, str) else None
    elif isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod):
        left, right = message.left, message.right
        template = left.value if isinstance(left, ast.Constant) and isinstance(left.value, str) else None
        values = [_unstar(e) for e in right.elts] if isinstance(right, ast.Tuple) else [right]
    elif isinstance(message, ast.Call) and isinstance(message.func, ast.Attribute) and message.func.attr == "format":
        receiver = message.func.value
        template = receiver.value if isinstance(receiver, ast.Constant) and isinstance(receiver.value, str) else None
        values = [_unstar(a) for a in message.args] + [k.value for k in message.keywords]
    if template is None or not values or not _no_words(template):
        return False
    return all(_exception_text(v, names) for v in values)


def _exception_text(node: ast.expr, names: frozenset[str]) -> bool:
    """`is_exception_text` may say yes: `err`, `str(err)`, `err.args[0]`, `type(err).__name__`, or a
    call that may be a traceback formatter (`format_exc()`, under any imported name)."""
    pending = [node]
    while pending:
        current = pending.pop()
        while True:  # a loop over `.attr`, `[...]` and `str(...)` chains
            if isinstance(current, ast.Name):
                if current.id in names:
                    return True
                break
            if isinstance(current, ast.Call):
                func = current.func
                if isinstance(func, ast.Name) and func.id in _TEXT_FUNCTIONS and (current.args or current.keywords):
                    # libcst reads the first argument in source order: a positional one, or `**`
                    firsts = [_unstar(current.args[0])] if current.args else []
                    firsts.extend(k.value for k in current.keywords[:1] if k.arg is None)
                    if not firsts:
                        break
                    pending.extend(firsts[1:])
                    current = firsts[0]
                    continue
                if isinstance(func, ast.Name):
                    return True  # may be `traceback.format_exc` imported under this name
                if isinstance(func, ast.Attribute) and func.attr in _TRACEBACK_FORMATTERS and _dotted(func):
                    return True
                break
            if isinstance(current, ast.Attribute):
                if current.attr not in _EXCEPTION_ATTRS:
                    break
                current = current.value
                continue
            if isinstance(current, ast.Subscript):
                current = current.value
                continue
            break
    return False


def _no_words(text: str) -> bool:
    return not _WORD_RE.search(_PLACEHOLDER_RE.sub("", text))


def _no_words_raw(text: str) -> bool:
    """`_no_words` of an f-string's literal text as libcst has it (as written, escapes and `{{`
    unresolved), from its value: when the value has no `{`, `}`, `%` or `=` (an `{err=}`'s text is
    its own, not the f-string's), the text as written had no placeholder to remove either, and a
    word character in the value comes from one as written."""
    return any(c in text for c in "{}%=") or not _WORD_RE.search(text)


def _reserved_mapping(node: ast.expr) -> bool:
    """`{...}` with a string key, or `dict(...)` with a keyword, that is a `LogRecord` attribute."""
    if isinstance(node, ast.Dict):
        return any(key is not None and _string(key) in _RESERVED_KEYS for key in node.keys)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return any(k.arg in _RESERVED_KEYS for k in node.keywords)
    return False


def _string(node: ast.expr) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
    return None


def _unstar(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Starred) else node


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _dotted_name(node: ast.expr) -> str:
    return dotted_name(node) or ""


def _last_segment(node: ast.expr) -> str:
    return last_segment(node) or ""


# --- XH307: the loop around the handler --------------------------------------------------------


def _bounded(loop: ast.AST) -> bool:
    """`log_flood._bounded`: a `for` over a retry counter or a small `range`."""
    if not isinstance(loop, (ast.For, ast.AsyncFor)):
        return False
    target = loop.target
    targets = [target] if isinstance(target, ast.Name) else target.elts if isinstance(target, (ast.Tuple, ast.List)) else []
    if any(isinstance(t, ast.Name) and _RETRY_TARGETS.search(t.id) for t in targets):
        return True
    it = loop.iter
    if isinstance(it, ast.Call) and _last_segment(it.func) == "range" and it.args and not it.keywords:
        if any(isinstance(a, ast.Starred) for a in it.args):
            return False
        bound = it.args[-1 if len(it.args) < 3 else 1]
        if isinstance(bound, ast.Constant) and type(bound.value) is int and bound.value <= _SMALL_RANGE:
            return True
        if _RETRY_TARGETS.search(_last_segment(bound)):
            return True
    return False


def _paced(loop: ast.AST, memo: dict[int, bool]) -> bool:
    """`log_flood._paced`: a call in the loop's body (not in nested functions) named like sleep/backoff."""
    key = id(loop)
    if key not in memo:
        memo[key] = False
        stack: list[ast.AST] = list(getattr(loop, "body", ()))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Call) and _PACING.search(_last_segment(node.func)):
                memo[key] = True
                break
            if isinstance(node, _SCOPES):
                continue
            stack.extend(ast.iter_child_nodes(node))
    return memo[key]

"""Retry-loop analysis shared by XH602 (retry-without-backoff) and XH603 (retry-on-non-transient).

A *retry loop* is a `for`/`while` loop around a `try` that

- leaves the loop when the operation succeeds (`break`/`return` in the `try` body or its `else`,
  a `break` right after the `try`, or `while not done:` with `done` set in the `try`),
- has a handler that goes round again (`continue`, or falls through to the next iteration), and
- repeats the *same* operation: the `try` body reads nothing that the loop rebinds between
  rounds (the loop variable, or names the handler or the rest of the loop body assign).

So `for host in hosts: try: return connect(host)` (trying alternatives), `while True: item =
queue.get(); try: handle(item)` (a consumer) and `while True: try: os.mkdir(name); break except
FileExistsError: name = next_name()` (a search) are not retry loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import SCOPE_TYPES, Handler, dotted_name, iter_children

Loop = Union[cst.For, cst.While]
TryNode = Union[cst.Try, cst.TryStar]
_LOOP_TYPES = (cst.For, cst.While)
_BACKOFF_WORDS = ("sleep", "wait", "backoff", "delay", "pause", "throttle", "jitter", "cooldown", "retry_after")
_BOUND_WORDS = ("attempt", "retr", "tries", "deadline", "timeout", "max", "limit", "remaining", "elapsed", "budget")
_INTERACTIVE = frozenset(
    {"input", "raw_input", "getpass", "prompt", "ask", "confirm", "getkey", "getch", "getstr", "get_wch"}
)


@dataclass(frozen=True)
class RetryLoop:
    """A loop that retries the `try` body after `handler` catches."""

    loop: Loop
    try_: TryNode
    handler: Handler
    forever: bool  # `while True` with no attempt bound anywhere in the loop
    has_backoff: bool  # a sleep/backoff/wait call somewhere in the loop
    interactive: bool  # the operation reads user input (`input()`, `getpass`, a prompt)


def retry_loop(ancestors: Sequence[cst.CSTNode]) -> Optional[RetryLoop]:
    """Return the retry loop whose handler is `ancestors[-1]` (an except handler), if any."""
    if len(ancestors) < 3:
        return None
    handler = ancestors[-1]
    try_ = ancestors[-2]
    if not isinstance(handler, (cst.ExceptHandler, cst.ExceptStarHandler)):
        return None
    if not isinstance(try_, (cst.Try, cst.TryStar)):
        return None
    loop = _enclosing_loop(ancestors[:-1])
    if loop is None:
        return None
    block = ancestors[-3]
    after = _statements_after(block, try_)
    if not _goes_round(handler, after):
        return None
    if not _exits_on_success(loop, try_, handler, after):
        return None
    reads = _reads(try_.body)
    if reads & _rebound(loop, try_):
        return None
    interactive = any(
        isinstance(n, cst.Call) and (dotted_name(n.func) or "").rsplit(".", 1)[-1] in _INTERACTIVE
        for n in _walk(try_.body, into_loops=True)
    )
    return RetryLoop(
        loop=loop,
        try_=try_,
        handler=handler,
        forever=_is_forever(loop) and not _bounded(loop, try_),
        has_backoff=_has_backoff(loop),
        interactive=interactive,
    )


# --- structure ------------------------------------------------------------------------------


def _enclosing_loop(ancestors: Sequence[cst.CSTNode]) -> Optional[Loop]:
    """The nearest loop whose body holds `ancestors[-1]`, in the same function."""
    for index in range(len(ancestors) - 2, -1, -1):
        node = ancestors[index]
        if isinstance(node, SCOPE_TYPES):
            return None
        if isinstance(node, _LOOP_TYPES):
            return node if ancestors[index + 1] is node.body else None
    return None


def _statements_after(block: cst.CSTNode, stmt: cst.CSTNode) -> Sequence[cst.CSTNode]:
    body = getattr(block, "body", None)
    if not isinstance(body, (list, tuple)):
        return ()
    for index, item in enumerate(body):
        if item is stmt:
            return body[index + 1 :]
    return ()


def _simple(stmt: cst.CSTNode) -> Sequence[cst.BaseSmallStatement]:
    if isinstance(stmt, cst.SimpleStatementLine):
        return stmt.body
    return ()


def _block(suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return suite.body
    return ()


def _last_statement(suite: cst.BaseSuite) -> Optional[cst.CSTNode]:
    statements = _block(suite)
    if not statements:
        return None
    last = statements[-1]
    small = _simple(last)
    return small[-1] if small else last


def _walk(node: cst.CSTNode, *, into_loops: bool) -> Iterator[cst.CSTNode]:
    """Descendants of `node` in the same function; nested loops only when `into_loops`."""
    stack = list(iter_children(node))
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, SCOPE_TYPES):
            continue
        if not into_loops and isinstance(current, _LOOP_TYPES):
            continue
        stack.extend(iter_children(current))


def _has(node: cst.CSTNode, kinds: tuple[type, ...]) -> bool:
    """A statement of `kinds` in `node` that acts on the current loop (or returns/raises)."""
    loop_bound = tuple(k for k in kinds if k in (cst.Break, cst.Continue))
    other = tuple(k for k in kinds if k not in (cst.Break, cst.Continue))
    if other and any(isinstance(n, other) for n in _walk(node, into_loops=True)):
        return True
    return bool(loop_bound) and any(isinstance(n, loop_bound) for n in _walk(node, into_loops=False))


def _goes_round(handler: Handler, after: Sequence[cst.CSTNode]) -> bool:
    if _has(handler.body, (cst.Continue,)):
        return True
    last = _last_statement(handler.body)
    if isinstance(last, (cst.Raise, cst.Return, cst.Break, cst.Continue)):
        return False
    # Falls through: the statements after the `try` must not leave the loop unconditionally.
    for stmt in after:
        if any(isinstance(s, (cst.Break, cst.Return, cst.Raise)) for s in _simple(stmt)):
            return False
    return True


def _exits_on_success(loop: Loop, try_: TryNode, handler: Handler, after: Sequence[cst.CSTNode]) -> bool:
    if _has(try_.body, (cst.Break, cst.Return)):
        return True
    if try_.orelse is not None and _has(try_.orelse, (cst.Break, cst.Return)):
        return True
    if _has(handler.body, (cst.Continue,)):
        for stmt in after:
            if any(isinstance(s, (cst.Break, cst.Return)) for s in _simple(stmt)):
                return True
    if isinstance(loop, cst.While):
        flag = _flag_name(loop.test)
        if flag is not None:
            assigned = _assigned(try_.body) | (_assigned(try_.orelse) if try_.orelse is not None else set())
            return flag in assigned
    return False


def _flag_name(test: cst.BaseExpression) -> Optional[str]:
    """`while not done:` / `while pending:` -> the flag's dotted name."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    return dotted_name(test)


# --- names ----------------------------------------------------------------------------------


def _reads(node: cst.CSTNode) -> set[str]:
    """Every dotted name (and each of its prefixes) read in `node`."""
    names: set[str] = set()
    for current in _walk(node, into_loops=True):
        if isinstance(current, (cst.Name, cst.Attribute)):
            dotted = dotted_name(current)
            if dotted:
                parts = dotted.split(".")
                names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return names


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for element in target.elements:
            out |= _target_names(element.value)
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    if isinstance(target, cst.Subscript):
        return _target_names(target.value)
    name = dotted_name(target)
    return {name} if name else set()


def _assigned(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    for current in _walk(node, into_loops=True):
        if isinstance(current, cst.Assign):
            for target in current.targets:
                names |= _target_names(target.target)
        elif isinstance(current, (cst.AugAssign, cst.AnnAssign)):
            names |= _target_names(current.target)
        elif isinstance(current, cst.NamedExpr):
            names |= _target_names(current.target)
        elif isinstance(current, (cst.For, cst.CompFor)):
            names |= _target_names(current.target)
        elif isinstance(current, cst.AsName):
            names |= _target_names(current.name)
    return names


_MUTATORS = frozenset(
    {
        "pop", "popleft", "popitem", "append", "appendleft", "insert", "remove", "extend", "update",
        "clear", "add", "discard", "setdefault", "sort", "reverse", "rotate",
    }
)  # fmt: skip


def _rebound(loop: Loop, try_: TryNode) -> set[str]:
    """What changes between rounds, outside the `try` body: the loop target, assigned names,
    objects whose attributes are assigned (`self.key = new_key()` changes what `self.save()`
    does), and containers changed in place (`todo.pop()`, `next(candidates)`)."""
    names: set[str] = set()
    if isinstance(loop, cst.For):
        names |= _target_names(loop.target)
    stack: list[cst.CSTNode] = list(iter_children(loop.body))
    while stack:
        node = stack.pop()
        if node is try_.body or isinstance(node, SCOPE_TYPES):
            continue
        stack.extend(iter_children(node))
        if isinstance(node, cst.Assign):
            for target in node.targets:
                names |= _changed_by_assignment(target.target)
        elif isinstance(node, cst.AnnAssign):
            names |= _changed_by_assignment(node.target)
        elif isinstance(node, cst.AugAssign):
            names |= _target_names(node.target)  # a counter: only the counter itself changes
        elif isinstance(node, cst.NamedExpr):
            names |= _target_names(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            names |= _target_names(node.target)
        elif isinstance(node, cst.AsName):
            names |= _target_names(node.name)
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
                changed = dotted_name(func.value)
                if changed:
                    names.add(changed)
            elif isinstance(func, cst.Name) and func.value == "next" and node.args:
                changed = dotted_name(node.args[0].value)
                if changed:
                    names.add(changed)
    return names


def _changed_by_assignment(target: cst.BaseExpression) -> set[str]:
    names = _target_names(target)
    if isinstance(target, (cst.Attribute, cst.Subscript)):
        # `obj.attr = ...` / `obj[key] = ...` changes `obj` for whatever reads it next round.
        root = dotted_name(target.value)
        if root:
            names.add(root)
    return names


# --- bounds and backoff ---------------------------------------------------------------------


def _is_forever(loop: Loop) -> bool:
    if not isinstance(loop, cst.While):
        return False
    test = loop.test
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0",)
    return False


def _bounded(loop: Loop, try_: TryNode) -> bool:
    """Something limits the attempts: a raise/return/break in a handler, a guarded exit outside
    the `try`, or a counter/deadline name in the loop."""
    for handler in try_.handlers:
        if _has(handler.body, (cst.Raise, cst.Return, cst.Break)):
            return True
    inside = {id(n) for n in _walk(try_.body, into_loops=True)}
    for handler in try_.handlers:  # `except TimeoutError:` is no deadline
        if handler.type is not None:
            inside.add(id(handler.type))
            inside.update(id(n) for n in _walk(handler.type, into_loops=True))
    for node in _walk(loop.body, into_loops=True):
        if id(node) in inside or node is try_.body:
            continue
        if isinstance(node, cst.If) and _has(node, (cst.Raise, cst.Return, cst.Break)):
            if id(try_) not in {id(n) for n in _walk(node, into_loops=True)}:
                return True
        if isinstance(node, cst.Name) and any(word in node.value.lower() for word in _BOUND_WORDS):
            return True
    return False


def _has_backoff(loop: Loop) -> bool:
    nodes: list[cst.CSTNode] = list(_walk(loop.body, into_loops=True))
    if isinstance(loop, cst.While):
        nodes.extend(_walk(loop.test, into_loops=True))
        nodes.append(loop.test)
    for node in nodes:
        if isinstance(node, cst.Call):
            name = (dotted_name(node.func) or "").lower()
            if any(word in name for word in _BACKOFF_WORDS):
                return True
    return False

"""Small predicates shared by several rules (the heavier shared analyses live in errlint.analysis)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import Handler, comments_within
from errlint.knowledge.testcode import in_test_scope, is_operator_script

if TYPE_CHECKING:
    from errlint.context import FileContext

HandlerOrNone = Optional[Handler]


def handler_header_end(handler: Handler) -> cst.CSTNode:
    """The node where the `except ...` header of `handler` ends, for a tight report range."""
    if handler.name is not None:
        return handler.name
    if handler.type is not None:
        return handler.type
    return handler.whitespace_after_except


def caught_label(handler: Handler) -> str:
    """`except:`, `except Exception:`, `except* (A, B):` as written, on one line, for messages."""
    star = "*" if isinstance(handler, cst.ExceptStarHandler) else ""
    if handler.type is None:
        return "except:"
    return f"except{star} {one_line(cst.Module(body=()).code_for_node(handler.type))}:"


_COMMENT_RE = re.compile(r"#[^\r\n]*")
_SPACE_RE = re.compile(r"\s+")


def one_line(code: str) -> str:
    """Code of an expression that may span lines (`(A,\n    B)`), on one line for a message:
    comments dropped, each run of whitespace one space, none inside the brackets' edges. Only for
    code without strings (exception types): a `#` is taken for a comment."""
    if "\n" not in code and "\r" not in code and "#" not in code:
        return code
    text = _SPACE_RE.sub(" ", _COMMENT_RE.sub("", code)).strip()
    text = re.sub(r"([(\[{]) | ([)\]}])", lambda m: m.group(1) or m.group(2), text)
    if text.endswith(",)") and text.count(",") > 1:
        text = text[:-2] + ")"  # the trailing comma of a tuple written one type per line
    return text


def is_suite_of(node: cst.CSTNode, parent: Union[cst.CSTNode, None]) -> bool:
    return parent is not None and node is getattr(parent, "body", None)


def bound_names(target: cst.BaseExpression) -> list[str]:
    """The plain names an assignment target binds (`a`, `a, *b`, `[a, (b, c)]`; not `a.x`/`a[0]`)."""
    names: list[str] = []
    stack: list[cst.BaseExpression] = [target]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.append(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack.extend(e.value for e in node.elements)
        elif isinstance(node, cst.StarredElement):
            stack.append(node.value)
    return names


def rebinds(body: cst.CSTNode, name: str) -> bool:
    """Whether `body` (not its nested scopes) assigns, deletes or re-binds `name`."""
    from errlint.analysis import iter_scope

    for node in iter_scope(body):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.AssignTarget):
            targets.append(node.target)
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets.append(node.target)
        elif isinstance(node, (cst.For, cst.CompFor)):
            targets.append(node.target)
        elif isinstance(node, cst.NamedExpr):
            targets.append(node.target)
        elif isinstance(node, cst.AsName):
            targets.append(node.name)  # `with ... as name`, `except ... as name`, `import x as name`
        elif isinstance(node, cst.Del):
            targets.append(node.target)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            targets.append(node.name)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            targets.extend(n.name for n in node.names)
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            targets.append(cst.Name(value=(node.evaluated_name.split(".")[0])))
        if any(name in bound_names(t) for t in targets):
            return True
    return False


def body_only_raises(node: Optional[cst.CSTNode]) -> bool:
    """Whether `node` is a `try` whose body only raises (`try: raise X ... except ...:`).

    Its handlers then catch exactly what the body raises, nothing unexpected: the idiom builds an
    exception with a traceback (tests, `sys.exc_info()` helpers), it does not hide failures.
    """
    if not isinstance(node, (cst.Try, cst.TryStar)):
        return False
    body = node.body
    lines: Sequence[cst.BaseStatement]
    if isinstance(body, cst.SimpleStatementSuite):
        return all(isinstance(s, cst.Raise) and s.exc is not None for s in body.body)
    if not isinstance(body, cst.IndentedBlock):
        return False
    lines = body.body
    return bool(lines) and all(
        isinstance(line, cst.SimpleStatementLine)
        and all(isinstance(s, cst.Raise) and s.exc is not None for s in line.body)
        for line in lines
    )


def in_test_code(context: FileContext) -> bool:
    """Whether the node being visited is test code (`errlint.knowledge.testcode`, `test-paths`).

    True in a file under `test-paths` (tests, fixtures, demos) and inside a function named
    `test*` or a class named `Test*`/`test_*` in any file.
    """
    if context.config.is_test_path(context.path):
        return True
    scopes: list[tuple[str, str]] = []
    for frame in context.frames:
        node = frame.node
        if isinstance(node, cst.FunctionDef):
            scopes.append(("def", node.name.value))
        elif isinstance(node, cst.ClassDef):
            scopes.append(("class", node.name.value))
    return in_test_scope(scopes)


def in_operator_script(context: FileContext) -> bool:
    """Whether the file is a migration or a management command (`errlint.knowledge.testcode`)."""
    return is_operator_script(context.path, context.config.root)


# Methods that must not fail: the interpreter calls them while printing, logging or collecting.
_MUST_NOT_FAIL_METHODS = frozenset({"__repr__", "__str__", "__format__", "__del__", "__hash__", "__bool__"})
# Template filters and tags (Django, Jinja) are documented to fail silently: a template renders on.
_TEMPLATE_DECORATORS = frozenset({"filter", "simple_tag", "inclusion_tag", "tag", "contextfilter", "pass_context"})
# Functions named as fallbacks say in their name that they may return nothing.
_FALLBACK_NAME_RE = re.compile(r"(?i)(?:^|_)(?:safe|safely|try|maybe|best_effort|quiet|quietly|silent|silently)(?:_|$)")


def deliberate_fallback_scope(context: FileContext) -> bool:
    """Whether the innermost function is one whose design is to never raise.

    `__repr__`/`__str__`/`__del__` (called while printing or collecting), template filters and tags
    (`@register.filter`: Django documents that they fail silently), and functions named as
    fallbacks (`safe_*`, `*_safe`, `try_*`, `maybe_*`, `*_quietly`).
    """
    function = context.enclosing_function()
    if function is None:
        return False
    name = function.name.value
    if name in _MUST_NOT_FAIL_METHODS or _FALLBACK_NAME_RE.search(name.strip("_")):
        return True
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        if isinstance(expr, cst.Attribute) and expr.attr.value in _TEMPLATE_DECORATORS:
            owner = expr.value
            if isinstance(owner, cst.Name) and owner.value in ("register", "library", "env", "environment"):
                return True
    return False


def raises_after(context: FileContext, statement: cst.CSTNode) -> bool:
    """Whether a `raise` follows `statement` in its function (the failure is reported later).

    Looks at the statements after `statement` and after each enclosing block, up to the
    function: `for b in backends: try: return b.get() except Missing: pass` then `raise Missing`.
    """
    ancestors = context.ancestors
    try:
        index = max(i for i, node in enumerate(ancestors) if node is statement)
    except ValueError:
        return False
    from errlint.analysis import iter_scope

    child: cst.CSTNode = statement
    for node in reversed(ancestors[:index]):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Module)):
            if isinstance(node, cst.Module):
                return False
            body = node.body
            if isinstance(body, cst.IndentedBlock):
                return _raise_after_child(body.body, child, iter_scope)
            return False
        if isinstance(node, cst.IndentedBlock):
            if _raise_after_child(node.body, child, iter_scope):
                return True
        child = node
    return False


def _raise_after_child(statements: Sequence[cst.CSTNode], child: cst.CSTNode, iter_scope: Any) -> bool:
    seen = False
    for stmt in statements:
        if seen and any(isinstance(n, cst.Raise) for n in iter_scope(stmt)):
            return True
        if stmt is child:
            seen = True
    return False


# Best-effort cleanup: removing, closing or releasing something that may already be gone.
CLEANUP_CALLS = frozenset(
    {
        "remove", "unlink", "rmtree", "rmdir", "removedirs", "close", "aclose", "chown", "chmod",
        "lchown", "kill", "killpg", "terminate", "shutdown", "release", "unregister", "cancel",
        "disconnect", "stop", "cleanup", "flush", "delete", "discard", "unlisten", "detach",
    }
)  # fmt: skip


def simple_statements(body: cst.BaseSuite) -> Optional[list[cst.BaseSmallStatement]]:
    """The small statements of `body` in order, or None when it holds a compound statement."""
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    smalls: list[cst.BaseSmallStatement] = []
    for stmt in body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return None
        smalls.extend(stmt.body)
    return smalls


def only_cleanup_calls(node: Optional[cst.CSTNode]) -> bool:
    """Whether the body of the `try` statement `node` only calls cleanup functions (`os.remove(p)`)."""
    if not isinstance(node, (cst.Try, cst.TryStar)):
        return False
    smalls = simple_statements(node.body)
    if not smalls:
        return False
    for small in smalls:
        value = small.value if isinstance(small, cst.Expr) else None
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return False
        func = value.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name.lstrip("_") not in CLEANUP_CALLS:
            return False
    return True


# The same check in other linters: a team that silenced it there on this line has decided.
EQUIVALENT_CHECKS: dict[str, tuple[str, ...]] = {
    "XH101": ("E722", "B001", "bare-except", "W0702"),
    "XH102": ("BLE001", "broad-except", "broad-exception-caught", "W0703", "W0718"),
    "XH103": ("S110", "S112", "BLE001", "broad-except", "broad-exception-caught", "W0703", "W0718", "E722"),
    "XH201": ("B904", "raise-missing-from", "W0707", "TRY200"),
    "XH202": ("TRY002", "broad-exception-raised", "W0719"),
    "XH601": ("S113", "B113"),
}
_SUPPRESSION_RE = re.compile(r"(?i)(?:noqa\s*:\s*|pylint\s*:\s*disable\s*=\s*|nosec\s+)([\w\s,-]+)")


def silenced_elsewhere(code: str, comments: Sequence[Optional[cst.Comment]]) -> bool:
    """Whether one of `comments` suppresses `code`'s equivalent in flake8, ruff, pylint or bandit.

    `except:  # noqa: E722`, `raise Exception(...)  # pylint: disable=broad-exception-raised`,
    `requests.get(url)  # nosec B113`: the team has seen this exact finding and kept the code.
    """
    wanted = {name.lower() for name in EQUIVALENT_CHECKS.get(code, ())}
    for comment in comments:
        if comment is None:
            continue
        for match in _SUPPRESSION_RE.finditer(comment.value):
            names = {part.strip().lower() for part in re.split(r"[\s,]+", match.group(1)) if part.strip()}
            if names & wanted:
                return True
    return False


def comments_in(node: cst.CSTNode) -> list[cst.Comment]:
    """Every comment inside `node` (for a statement: on its lines, within brackets)."""
    return comments_within(node)


def _statement_comments(context: FileContext, statement: cst.CSTNode) -> list[cst.Comment]:
    return comments_within(statement)


def handler_comments(handler: Handler) -> list[cst.Comment]:
    """The comment on the `except ...:` line."""
    body = handler.body
    if isinstance(body, cst.IndentedBlock):
        return [body.header.comment] if body.header.comment is not None else []
    if isinstance(body, cst.SimpleStatementSuite):
        return [body.trailing_whitespace.comment] if body.trailing_whitespace.comment is not None else []
    return []


def statement_comments(context: FileContext) -> list[cst.Comment]:
    """The comments of the innermost simple statement holding the current node (its line and brackets)."""
    for node in reversed(context.ancestors):
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            # Once per statement and file: every call in a long statement asks for the same.
            return context.get(_statement_comments, node)
        if isinstance(node, cst.BaseCompoundStatement):
            break
    return []

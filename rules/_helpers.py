"""Small predicates shared by several rules (the heavier shared analyses live in errlint.analysis)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import Handler
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
    """`except:`, `except Exception:`, `except* (A, B):` as written, for messages."""
    star = "*" if isinstance(handler, cst.ExceptStarHandler) else ""
    if handler.type is None:
        return "except:"
    code = cst.Module(body=()).code_for_node(handler.type)
    return f"except{star} {code}:"


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

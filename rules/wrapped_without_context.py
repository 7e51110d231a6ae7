"""XH503: `raise NewError(str(err)) from err` — a wrapper that only copies the caught message."""

from __future__ import annotations

import ast
import re
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, dotted_name, iter_scope
from errlint.finding import Impact, Severity
from errlint.regions import Region, statements_in
from errlint.rule import Invalid, LintRule, Valid

_TEXT_ATTRIBUTES = frozenset({"args", "message", "msg", "strerror", "reason"})
# Errors whose message is shown to whoever made the request or ran the command (CLI usage errors,
# HTTP 4xx and validation errors): the request is the context and the message is the answer.
_PRESENTATION_RE = re.compile(
    r"(?:CommandError|UsageError|ClickException|BadParameter|BadArgumentUsage|ValidationError|"
    r"HTTPException|BadRequest|Http404|SystemExit|Abort|Exit)$"
)
# Builtin lookup failures re-raised under the type a protocol expects (`__getattr__` must raise
# AttributeError, a sequence IndexError): the key is the whole message.
_RETYPED_LOOKUPS = frozenset({"AttributeError", "IndexError", "KeyError", "LookupError"})


class WrappedWithoutContext(LintRule):
    """
    ## What it does
    Checks for exceptions raised in an `except` handler whose only argument is the caught
    exception or its text: `raise NewError(err)`, `raise NewError(str(err)) from err`,
    `raise NewError(f"{err}")`, `raise NewError(*err.args)`.

    Not flagged: a raise with any other argument or keyword, a re-raise of the caught exception
    itself (`raise err`, bare `raise`), a call that is not a class name in CapWords (a factory or
    a raising helper such as `pytest.skip(str(err))`), errors whose message is shown to the person
    who made the request or ran the command (`CommandError`, click's `UsageError`/`BadParameter`,
    `*ValidationError`, `HTTPException`, `BadRequest`, `Http404`, `SystemExit`: the request is the
    context), a lookup failure re-raised as the builtin a protocol expects (`raise
    AttributeError(err.args[0]) from err` in `__getattr__`), raises in functions nested in the
    handler, and handlers that rebind the exception name.

    Test code is checked too.

    ## Why is this bad?
    Wrapping translates a low-level failure into the caller's vocabulary. That is the moment to
    add what only this layer knows: which operation, which entity, which input. A wrapper that
    copies the message adds a second, identical line to the traceback (and with `from None`, it
    also drops the original one).

    ## Example
    ```python
    def load_config(path):
        try:
            return parse(path.read_text())
        except OSError as err:
            raise ConfigError(str(err)) from err
    ```

    Use instead:
    ```python
    def load_config(path):
        try:
            return parse(path.read_text())
        except OSError as err:
            raise ConfigError(f"cannot read config file {path}") from err
    ```

    ## References
    - [Python tutorial: Exception chaining](https://docs.python.org/3/tutorial/errors.html#exception-chaining)
    - [PEP 3134: Exception chaining and embedded tracebacks](https://peps.python.org/pep-3134/)
    """

    CODE: ClassVar[str] = "XH503"
    NAME: ClassVar[str] = "wrapped-without-context"
    MESSAGE: ClassVar[str] = (
        "`{new}` only copies the caught exception's message: add which operation failed and with which input"
    )
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    PREVIEW: ClassVar[bool] = True
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def load_config(path):
                try:
                    return parse(path.read_text())
                except OSError as err:
                    raise ConfigError(f"cannot read config file {path}") from err
            """
        ),
        Valid(
            """
            def load_config(path):
                try:
                    return parse(path.read_text())
                except OSError as err:
                    raise err
                except ValueError as err:
                    err = ConfigError(path)
                    raise ConfigError(err)
                except KeyError as err:
                    raise ConfigError(str(err), path=path) from err
                except LookupError as err:
                    raise pytest.skip(err.args[0])
            """
        ),
        Valid(
            """
            def load_config(path):
                try:
                    return parse(path.read_text())
                except OSError as err:
                    def fail():
                        raise ConfigError(str(err))
                    return fail
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def load_config(path):
                try:
                    return parse(path.read_text())
                except OSError as err:
                    raise ConfigError(str(err)) from err
            """,
            expected_message=(
                "`ConfigError` only copies the caught exception's message: add which operation failed "
                "and with which input"
            ),
            line=5,
            column=15,
        ),
        Invalid(
            """
            async def fetch(client, url):
                try:
                    return await client.get(url)
                except* (TimeoutError, ConnectionError) as group:
                    raise errors.FetchFailed(group) from None
            """,
            expected_message=(
                "`errors.FetchFailed` only copies the caught exception's message: add which operation "
                "failed and with which input"
            ),
            line=5,
            column=15,
        ),
        Invalid(
            """
            try:
                settings = load()
            except KeyError:
                raise
            except ValueError as exc:
                raise ImproperlyConfigured(f"{exc}")
            """,
            expected_message=(
                "`ImproperlyConfigured` only copies the caught exception's message: add which operation "
                "failed and with which input"
            ),
            line=6,
            column=11,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler `except ... as name:` holds a `raise Capitalized(...)` whose
        arguments (at least one, no keywords) each only copy `name` (`name`, `str(name)`,
        `name.args[0]`, `f"{name}"`...)."""
        for handler in region.handlers():
            name = handler.name
            if name is None:
                continue
            for stmt in statements_in(handler.body):
                if not isinstance(stmt, ast.Raise) or not isinstance(stmt.exc, ast.Call):
                    continue
                call = stmt.exc
                if not call.args or call.keywords or not _ast_capitalized(call.func):
                    continue
                if all(_ast_copies(arg, name) for arg in call.args):
                    return True
        return False

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if not isinstance(exc, cst.Call) or not exc.args:
            return
        handler = self.context.enclosing_handler()
        if handler is None:
            return
        callee = dotted_name(exc.func) or ""
        last = callee.rsplit(".", 1)[-1]
        if not last[:1].isupper():
            return  # a factory or a raising helper (`pytest.skip(...)`), not an exception class
        if _PRESENTATION_RE.search(last):
            return  # shown to the person who asked: the request or command is the context
        if callee in _RETYPED_LOOKUPS:
            return  # `except KeyError as e: raise AttributeError(e.args[0])`: a protocol, not a wrapper
        name = _bound_name(handler)
        if name is None or not all(_copies(arg, name) for arg in exc.args):
            return
        if _rebinds(handler, name):
            return
        self.report(exc, new=callee)


def _ast_capitalized(func: ast.expr) -> bool:
    """The last segment of a dotted callee starts with a capital (CPython's tree)."""
    if isinstance(func, ast.Attribute):
        last = func.attr
        while isinstance(func, ast.Attribute):
            func = func.value
        return isinstance(func, ast.Name) and last[:1].isupper()
    return isinstance(func, ast.Name) and func.id[:1].isupper()


def _ast_copies(arg: ast.expr, name: str) -> bool:
    """`_copies` on CPython's tree, or more (a hint may say yes too often)."""
    if isinstance(arg, ast.Starred):
        return _ast_text_of(arg.value, name, allow_args=True)
    return _ast_text_of(arg, name, allow_args=False)


def _ast_text_of(node: ast.expr, name: str, *, allow_args: bool) -> bool:
    if isinstance(node, ast.Name):
        return node.id == name
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr"):
        values = [*node.args, *(k.value for k in node.keywords)]
        return len(values) == 1 and _ast_text_of(values[0], name, allow_args=False)
    if isinstance(node, ast.Attribute):
        if not (isinstance(node.value, ast.Name) and node.value.id == name):
            return False
        return node.attr in _TEXT_ATTRIBUTES and (allow_args or node.attr != "args")
    if isinstance(node, ast.Subscript):
        value = node.value
        return isinstance(value, ast.Attribute) and value.attr == "args" and isinstance(value.value, ast.Name) and value.value.id == name
    if isinstance(node, ast.JoinedStr):
        # Only the expression counts (`f"{err=}"` adds its text as a constant on CPython's tree).
        expressions = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        return len(expressions) == 1 and _ast_text_of(expressions[0].value, name, allow_args=False)
    return False


def _bound_name(handler: Handler) -> Optional[str]:
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        return handler.name.name.value
    return None


def _copies(arg: cst.Arg, name: str) -> bool:
    """The argument is the caught exception or only its text."""
    if arg.keyword is not None:
        return False
    if arg.star == "*":
        return _is_text_of(arg.value, name, allow_args=True)
    if arg.star:
        return False
    return _is_text_of(arg.value, name, allow_args=False)


def _is_text_of(node: cst.BaseExpression, name: str, *, allow_args: bool) -> bool:
    if isinstance(node, cst.Name):
        return node.value == name
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("str", "repr"):
        return len(node.args) == 1 and not node.args[0].star and _is_text_of(node.args[0].value, name, allow_args=False)
    if isinstance(node, cst.Attribute):
        if not (isinstance(node.value, cst.Name) and node.value.value == name):
            return False
        return node.attr.value in _TEXT_ATTRIBUTES and (allow_args or node.attr.value != "args")
    if isinstance(node, cst.Subscript):
        # err.args[0]
        return (
            isinstance(node.value, cst.Attribute)
            and node.value.attr.value == "args"
            and isinstance(node.value.value, cst.Name)
            and node.value.value.value == name
        )
    if isinstance(node, cst.FormattedString):
        expressions = [p for p in node.parts if isinstance(p, cst.FormattedStringExpression)]
        texts = [p for p in node.parts if isinstance(p, cst.FormattedStringText)]
        return (
            len(expressions) == 1
            and all(not t.value.strip() for t in texts)
            and _is_text_of(expressions[0].expression, name, allow_args=False)
        )
    return False


def _rebinds(handler: Handler, name: str) -> bool:
    """The handler assigns to its exception name, so `name` may no longer be the caught exception."""
    for node in iter_scope(handler.body):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        elif isinstance(node, (cst.For, cst.CompFor)):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        elif isinstance(node, cst.NamedExpr):
            targets = [node.target]
        for target in targets:
            for sub in _target_names(target):
                if sub == name:
                    return True
    return False


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out: list[str] = []
        for element in target.elements:
            out.extend(_target_names(element.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []

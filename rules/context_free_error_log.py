"""XH502: an error-level log in a handler whose message identifies nothing."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Sequence, cast

import libcst as cst

from errlint.analysis import Handler, dotted_name, iter_scope
from errlint.finding import Impact, Severity
from errlint.logcalls import ERROR, LOG_METHODS, LogCall
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid

if TYPE_CHECKING:
    from errlint.context import FileContext

# Texts that say only "something failed" (compared after lower-casing and dropping punctuation
# and format placeholders).
GENERIC_MESSAGES: frozenset[str] = frozenset(
    {
        "error", "errors", "error occurred", "error occured", "an error occurred",
        "an error occured", "an error has occurred", "error happened", "an error happened",
        "error caught", "caught error", "got error", "got an error", "error raised",
        "unexpected error", "an unexpected error occurred", "unexpected error occurred",
        "unknown error", "an unknown error occurred", "unhandled error", "internal error",
        "fatal error", "exception", "exception occurred", "exception occured",
        "an exception occurred", "an exception occured", "an exception has occurred",
        "exception caught", "caught exception", "caught an exception", "got exception",
        "got an exception", "exception raised", "exception thrown", "unexpected exception",
        "unhandled exception", "an unexpected exception occurred", "unknown exception",
        "failed", "failure", "fail", "it failed", "something failed", "operation failed",
        "something went wrong", "something bad happened", "something happened", "oops",
        "whoops", "uh oh", "problem", "a problem occurred", "error error", "exception error",
        "error exception", "err", "crash", "crashed", "ouch", "damn", "bad", "boom",
    }
)  # fmt: skip

# Last words of names that identify an entity, request or resource (`order_id`, `task`, `bucket`).
IDENTIFIER_WORDS: frozenset[str] = frozenset(
    {
        "id", "ids", "pk", "uuid", "guid", "key", "name", "path", "url", "uri", "host", "hostname",
        "filename", "fname", "slug", "tenant", "queue", "topic", "table", "bucket", "endpoint",
        "ref", "sku", "task", "job", "dag",
    }
)  # fmt: skip
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Keywords that control the record rather than add data to it.
_CONTROL_KEYWORDS = frozenset({"exc_info", "stack_info", "stacklevel", "exception"})
_PLACEHOLDER_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifgeExXoca%]|\{[^{}]*\}")
_NOISE_RE = re.compile(r"[^a-z ]+")


@dataclass(frozen=True)
class Options:
    """Options of XH502."""

    extend_generic_messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Message:
    """The literal text of a log message and whether it carries data other than the exception."""

    text: str
    has_data: bool  # interpolates something other than the caught exception
    constant: bool  # a plain literal, nothing interpolated


class ContextFreeErrorLog(LintRule):
    """
    ## What it does
    Checks for error-level logs (`error`, `exception`, `critical`, `log(logging.ERROR, ...)`) in
    an `except` handler whose message identifies nothing:

    - a generic text such as `"error"`, `"failed"`, `"exception occurred"`, `"something went
      wrong"` or `"an error occurred"`, with no data besides the exception itself; or
    - a constant message with no arguments, no `extra=` and no keyword fields, in a stdlib
      `logging` call, in a function that has an identifier at hand: a parameter or an earlier
      local whose name ends in `id`, `key`, `name`, `path`, `url`, `host`, `task`, `job`,
      `queue`, `table`, `bucket`, … (`order_id`, `task`, `hostname`), bound before the `try`
      (what the `try` body assigns may not exist when the handler runs). A constant message in a
      function with nothing to identify (`def shutdown(self)`) names the operation, which is all
      it can say.

    Messages built from the exception alone (`log.error("Error: %s", err)`) count as generic: the
    exception says what broke, not what the code was doing or for whom. structlog and loguru calls
    are only checked for generic texts, because their context is usually bound earlier
    (`log.bind(order_id=...)`, `contextualize`).

    Test code is checked too.

    ## Why is this bad?
    An error log is read during an incident, by someone who did not write the code. "error" with
    a traceback says where the code broke, but not which request, order, file or job it was
    handling, so the log cannot be searched, grouped or tied to a user report. Put the operation
    in the message and the identifiers in fields.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def sync(order_id):
        try:
            push(order_id)
        except ConnectionError:
            logger.exception("error")
            raise
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def sync(order_id):
        try:
            push(order_id)
        except ConnectionError:
            logger.exception("order sync failed", extra={"order_id": order_id})
            raise
    ```

    ## Options
    - `extend-generic-messages`: more message texts to treat as generic (compared lower-cased,
      without punctuation and placeholders), e.g. `["request error"]`.

    ## References
    - [Python docs: Logging HOWTO, adding contextual information](https://docs.python.org/3/howto/logging-cookbook.html#adding-contextual-information-to-your-logging-output)
    - [structlog: Context](https://www.structlog.org/en/stable/bound-loggers.html)
    """

    CODE: ClassVar[str] = "XH502"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "context-free-error-log"
    MESSAGE: ClassVar[str] = "Error log {what}: say which operation failed and for which entity"
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    Options: ClassVar[Optional[type]] = Options
    # A handler, and the functions that bind loggers used in other methods (`self.log = ...`).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (
        r"\bexcept\b",
        r"\b(?:getLogger|get_logger|get_task_logger|getChild|LoggerAdapter)\b",
    )
    ANALYSES: ClassVar[tuple[str, ...]] = ("log-calls",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order_id):
                try:
                    push(order_id)
                except ConnectionError:
                    logger.exception("order sync failed", extra={"order_id": order_id})
                    raise
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order_id):
                try:
                    push(order_id)
                except ConnectionError:
                    logger.error("Could not push order %s", order_id, exc_info=True)
                    logger.warning("failed")  # below error level
            """
        ),
        Valid(
            """
            import structlog
            log = structlog.get_logger()

            def sync(order_id):
                try:
                    push(order_id)
                except ConnectionError:
                    log.exception("order_sync_failed")  # context bound elsewhere
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order_id):
                logger.error("error")  # not in a handler
                try:
                    push(order_id)
                except ConnectionError:
                    def later():
                        logger.error("error")  # runs elsewhere
                    schedule(later)
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            class Pool:
                def close(self):
                    try:
                        self._release_all()
                    except OSError:
                        logger.exception("Could not close the connection pool")  # nothing to identify
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order_id):
                try:
                    push(order_id)
                except ConnectionError:
                    logger.exception("error")
                    raise
            """,
            expected_message=(
                'Error log with the generic message "error": say which operation failed and for which entity'
            ),
            line=8,
            column=26,
        ),
        Invalid(
            """
            import logging

            def sync(order_id):
                try:
                    push(order_id)
                except* ValueError:
                    pass
                except* ConnectionError as err:
                    logging.error("Something went wrong: %s", err)
            """,
            expected_message=(
                'Error log with the generic message "Something went wrong: %s": say which operation '
                "failed and for which entity"
            ),
            line=9,
            column=23,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            async def sync(order_id):
                try:
                    await push(order_id)
                except ConnectionError:
                    logger.critical("Order push to the warehouse failed", exc_info=True)
            """,
            expected_message=(
                "Error log with a constant message and no data, although `order_id` is in scope: "
                "say which operation failed and for which entity"
            ),
            line=8,
            column=25,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            try:
                connect()
            except OSError as err:
                logger.error(f"Error: {err}")
            """,
            expected_message=(
                'Error log with the generic message "Error: {err}": say which operation failed and for which entity'
            ),
            line=7,
            column=18,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def import_all(paths):
                for path in paths:
                    try:
                        load(path)
                    except OSError:
                        logger.exception("Import failed, skipping the file")
            """,
            expected_message=(
                "Error log with a constant message and no data, although `path` is in scope: "
                "say which operation failed and for which entity"
            ),
            line=9,
            column=30,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order_id):
                try:
                    push(order_id)
                except ConnectionError:
                    logger.error("request error")
            """,
            expected_message=(
                'Error log with the generic message "request error": say which operation failed and for which entity'
            ),
            options={"extend_generic_messages": ("request error",)},
        ),
    ]

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        extra = getattr(self.options, "extend_generic_messages", ())
        self._generic = GENERIC_MESSAGES | {normalize(text) for text in extra}

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler holds a call that may be an error-level log (`<x>.error(...)`,
        `.exception`, `.critical`, `.log(...)`... or a plain name: `logging` functions and bound
        methods may be imported or assigned under any name) with a message built from literals
        (`_read_message`) and no keyword that adds data (`fields`)."""
        for handler in region.handlers():
            for stmt in handler.body:
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Call) and _ast_may_log(node, handler.name):
                        return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        handler = self.context.enclosing_handler()
        if handler is None:
            return
        log = self.context.log_call(node)
        if log is None or log.is_report or not log.at_least_error or log.message is None:
            return
        exc_name = _bound_name(handler)
        message = _read_message(log.message, exc_name)
        if message is None:
            return
        fields = [key for key, _ in log.keywords if key not in _CONTROL_KEYWORDS and key not in ("msg", "event")]
        data = message.has_data or bool(fields) or any(not _is_exception_expr(a, exc_name) for a in log.args)
        if data or _bound_receiver(log):
            return
        if normalize(message.text) in self._generic:
            what = f'with the generic message "{_display(message.text)}"'
        elif message.constant and not log.args and log.library == "stdlib":
            ancestors = self.context.ancestors
            owner = next(
                (ancestors[i - 1] for i in range(len(ancestors) - 1, 0, -1) if ancestors[i] is handler), handler
            )
            identifier = _identifier_in_scope(self.context.enclosing_function(), owner)
            if identifier is None:
                return
            what = f"with a constant message and no data, although `{identifier}` is in scope"
        else:
            return
        self.report(log.message, what=what)


_AST_QUIET_KEYWORDS = _CONTROL_KEYWORDS | {"msg", "event"}


def _ast_may_log(call: ast.Call, exc_name: Optional[str]) -> bool:
    """The call may be an error-level `LogCall` whose message `_read_message` reads, without data
    (fields, arguments or interpolations other than the caught exception `exc_name`), on
    CPython's tree (the prefilter's exact hint: more, never less)."""
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr not in LOG_METHODS:
            return False
        level = LOG_METHODS[func.attr]
        if level is not None and level < ERROR:
            return False
    elif not isinstance(func, ast.Name):
        return False
    message = False
    for keyword in call.keywords:
        if keyword.arg is None:
            continue
        if keyword.arg not in _AST_QUIET_KEYWORDS:
            return False  # a field: data
        if keyword.arg in ("msg", "event"):
            message = message or _ast_literal_message(keyword.value)
    if isinstance(func, ast.Attribute) and func.attr not in ("log", "alog"):
        # The message is known (`_make_log_call`): the first positional argument, else `msg=`/`event=`.
        positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
        named = {k.arg: k.value for k in call.keywords if k.arg is not None}
        first = positional[0] if positional else named.get("msg", named.get("event"))
        if first is None or not _ast_literal_message(first) or _ast_adds_data(first, exc_name):
            return False
        return all(_ast_exception_expr(arg, exc_name) for arg in positional[1:])
    # A plain name may be `log` itself (`from logging import log`): the message may be any argument.
    return message or any(_ast_literal_message(arg) for arg in call.args)


def _ast_adds_data(node: ast.expr, exc_name: Optional[str]) -> bool:
    """`_read_message(node).has_data` where it is certain (f-string, `%`, `.format()`), else False."""
    values: list[ast.expr] = []
    if isinstance(node, ast.JoinedStr):
        values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]  # not the format specs
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        operand = node.right
        values = list(operand.elts) if isinstance(operand, ast.Tuple) else [operand]
    elif isinstance(node, ast.Call):  # `"...".format(...)`
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return True
        values = [*node.args, *(k.value for k in node.keywords)]
    return any(not _ast_exception_expr(v.value if isinstance(v, ast.Starred) else v, exc_name) for v in values)


def _ast_exception_expr(node: ast.expr, exc_name: Optional[str]) -> bool:
    """`_is_exception_expr` on CPython's tree."""
    if exc_name is None:
        return False
    if isinstance(node, ast.Name):
        return node.id == exc_name
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("str", "repr", "type"):
        values = [a.value if isinstance(a, ast.Starred) else a for a in node.args] + [k.value for k in node.keywords]
        return len(values) == 1 and _ast_exception_expr(values[0], exc_name)
    if isinstance(node, ast.Attribute):
        root: ast.expr = node
        while isinstance(root, ast.Attribute):
            root = root.value
        return isinstance(root, ast.Name) and root.id == exc_name and node.attr in ("args", "message", "msg", "__name__", "__class__")
    if isinstance(node, ast.Subscript):
        return _ast_exception_expr(node.value, exc_name)
    return False


def _ast_literal_message(node: ast.expr) -> bool:
    """A message `_read_message` may read: a string, an f-string, `%` or `+`, `"...".format()`."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Mod, ast.Add))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        base = node.func.value
        return isinstance(base, ast.JoinedStr) or (isinstance(base, ast.Constant) and isinstance(base.value, str))
    return False


def _identifier_in_scope(function: Optional[cst.FunctionDef], try_: cst.CSTNode) -> Optional[str]:
    """A parameter of `function`, or a local bound before `try_` (names bound inside the `try`
    may be unbound when its handler runs), whose name says it identifies something."""
    if function is None:
        return None
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if _identifies(param.name.value):
            return param.name.value
    for node in iter_scope(function.body):
        if node is try_:
            break
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.For)):
            targets = [node.target]
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            targets = [cast(cst.BaseExpression, node.asname.name)]
        for target in targets:
            elements = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else [target]
            for element in elements:
                if isinstance(element, cst.Name) and _identifies(element.value):
                    return element.value
    return None


def _identifies(name: str) -> bool:
    words = _CAMEL_RE.sub("_", name).lower().strip("_").split("_")
    return bool(words) and words[-1] in IDENTIFIER_WORDS


def normalize(text: str) -> str:
    """Lower-case `text`, drop format placeholders and punctuation, collapse spaces."""
    text = _PLACEHOLDER_RE.sub(" ", text.lower())
    return " ".join(_NOISE_RE.sub(" ", text).split())


def _display(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _bound_name(handler: Handler) -> Optional[str]:
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        return handler.name.name.value
    return None


def _bound_receiver(log: LogCall) -> bool:
    """`logger.bind(...)`-style receivers carry context the call does not show."""
    func = log.node.func
    receiver = func.value if isinstance(func, cst.Attribute) else None
    while isinstance(receiver, cst.Call):
        inner = receiver.func
        if isinstance(inner, cst.Attribute) and inner.attr.value in ("bind", "new", "contextualize", "patch"):
            return bool(receiver.args)
        receiver = inner.value if isinstance(inner, cst.Attribute) else None
    return False


def _read_message(node: cst.BaseExpression, exc_name: Optional[str]) -> Optional[_Message]:
    """Split a message expression into its literal text and whether it adds data.

    Returns None when the message is not built from literals (a variable, a call).
    """
    if isinstance(node, cst.SimpleString):
        text = _string_value(node)
        return None if text is None else _Message(text, False, True)
    if isinstance(node, cst.ConcatenatedString):
        left = _read_message(node.left, exc_name)
        right = _read_message(node.right, exc_name)
        if left is None or right is None:
            return None
        return _Message(left.text + right.text, left.has_data or right.has_data, left.constant and right.constant)
    if isinstance(node, cst.FormattedString):
        texts: list[str] = []
        data = False
        constant = True
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                texts.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                texts.append("{" + cst.Module(body=()).code_for_node(part.expression) + "}")
                data = data or not _is_exception_expr(part.expression, exc_name)
                constant = False
        return _Message("".join(texts), data, constant)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        left = _read_message(node.left, exc_name)
        if left is None or not left.constant:
            return None
        operand = node.right
        values = [e.value for e in operand.elements] if isinstance(operand, cst.Tuple) else [operand]
        return _Message(left.text, any(not _is_exception_expr(v, exc_name) for v in values), False)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        # `a + b + c` nests to the left: fold the chain bottom-up in a loop, not by recursion.
        spine = [node]
        while isinstance(spine[-1].left, cst.BinaryOperation) and isinstance(spine[-1].left.operator, cst.Add):
            spine.append(spine[-1].left)
        below: Optional[_Message] = None
        for index, current in enumerate(reversed(spine)):
            pieces: list[str] = []
            data = False
            literal = False
            for position, side in enumerate((current.left, current.right)):
                msg = below if position == 0 and index > 0 else _read_message(side, exc_name)
                if msg is not None:
                    pieces.append(msg.text)
                    data = data or msg.has_data
                    literal = True
                else:
                    pieces.append("{}")
                    data = data or not _is_exception_expr(side, exc_name)
            below = _Message("".join(pieces), data, False) if literal else None
        return below
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "format"
        and isinstance(node.func.value, (cst.SimpleString, cst.ConcatenatedString))
    ):
        base = _read_message(node.func.value, exc_name)
        if base is None:
            return None
        data = any(a.star or not _is_exception_expr(a.value, exc_name) for a in node.args)
        return _Message(base.text, data, False)
    return None


def _string_value(node: cst.SimpleString) -> Optional[str]:
    if "b" in node.prefix.lower():
        return None
    return node.raw_value


def _is_exception_expr(node: cst.BaseExpression, exc_name: Optional[str]) -> bool:
    """The caught exception, its text or its type name: `err`, `str(err)`, `repr(err)`, `err.args`."""
    if exc_name is None:
        return False
    if isinstance(node, cst.Name):
        return node.value == exc_name
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("str", "repr", "type"):
        return len(node.args) == 1 and _is_exception_expr(node.args[0].value, exc_name)
    if isinstance(node, cst.Attribute):
        root = dotted_name(node) or ""
        return root.split(".")[0] == exc_name and node.attr.value in ("args", "message", "msg", "__name__", "__class__")
    if isinstance(node, cst.Subscript):
        return _is_exception_expr(node.value, exc_name)
    return False

"""XH301: a log message built eagerly (f-string, `.format()`, `%`, `+`) instead of a constant
message with lazy arguments or fields."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional, Sequence

import libcst as cst

from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.logcalls import (
    LOG_CALL_PATTERNS, LogCall, eager_format, exception_only_message, fills_arguments, string_parts,
)  # fmt: skip
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Replacement, Valid
from errlint.rules._hints_logging import may_report as _may_report
from errlint.rules._helpers import in_operator_script, in_test_code

if TYPE_CHECKING:
    from errlint.context import FileContext


@dataclass(frozen=True)
class Options:
    """Options of XH301."""

    style: str = "lazy"
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"style": ("lazy", "fields")}


_HOW = {
    "f-string": "an f-string",
    "format": "`.format()`",
    "percent": "the `%` operator",
    "concat": "`+` concatenation",
}
_ADVICE = {
    ("stdlib", "lazy"): "pass a constant message and the values as `%s` arguments, so records with the same message group together",
    ("stdlib", "fields"): "pass a constant message and the values in `extra=`, so they stay separate, searchable fields",
    ("structlog", "lazy"): "use a constant event and pass the values as keyword fields",
    ("structlog", "fields"): "use a constant event and pass the values as keyword fields",
    ("loguru", "lazy"): "use a constant message with `{}` placeholders and pass the values as arguments or keyword fields",
    ("loguru", "fields"): "use a constant message and pass the values as keyword fields",
}
_FIELDS_MESSAGE = (
    "Variable data passed as positional message arguments: with `style = \"fields\"`, put it in {where} "
    "so it stays a separate, searchable field"
)
# A format spec that `%`-formatting renders the same way: [align][sign][#][0][width][.precision][type].
_SPEC_RE = re.compile(r"^(?P<align>[<>])?(?P<sign>[+\- ])?(?P<alt>#)?(?P<zero>0)?(?P<width>\d+)?(?P<prec>\.\d+)?(?P<type>[deEfFgGoxXcs])?$")


# Log calls whose message is an f-string / a `%s` template with lazy arguments (a cheap count of
# the module's own convention).
_LOG_METHOD = r"\.(?:debug|info|warning|warn|error|exception|critical|fatal)\(\s*"
_EAGER_CALL_RE = re.compile(_LOG_METHOD + r"(?:[rR]?[fF][rR]?['\"]|['\"][^'\"\n]*['\"]\.format\()")
_LAZY_CALL_RE = re.compile(_LOG_METHOD + r"['\"][^'\"\n]*%[-#0 +\d.]*[sdrif][^'\"\n]*['\"]\s*,")
_CONVENTION_MIN = 3


class UnstructuredLogMessage(LintRule):
    """
    ## What it does
    Checks for log messages built before the call: an f-string with placeholders, `.format()`,
    the `%` operator or `+` concatenation with a literal.

    Constant messages are fine: a plain literal, implicit concatenation of literals
    (`logger.info("a" "b")`), an f-string without placeholders (`f"done"`). So are lazy
    arguments (`logger.info("user %s", uid)`), `extra=` (a `%` inside `extra=` is not the
    message), structlog's constant event with keyword fields, and loguru's `{}` placeholders with
    arguments or keyword fields. A message held in a variable (`logger.info(msg)`) is not checked:
    where it was built is out of sight.

    With `style = "fields"`, variable data must go into fields (`extra=` for stdlib, keyword
    arguments for structlog and loguru); positional message arguments are flagged too.

    Where it runs: not in test code (files under `test-paths`: test suites, fixtures, `examples/`
    and `demos/`; test functions and classes anywhere), nor in migrations and management commands:
    there log lines are read by the person running the code, and released migrations are frozen
    history nobody restyles.

    ## Why is this bad?
    This is about **structured logging**, not speed. A log pipeline (Sentry, Datadog, Loki,
    CloudWatch Insights, ELK) groups records by their message template and indexes their
    arguments and fields. `f"payment {order_id} failed"` produces one distinct message per order:
    nothing groups, alerts on "payment failed" never fire, and the order id cannot be searched as
    a field. `logger.error("payment %s failed", order_id)` keeps one template (`record.msg`) and
    the data in `record.args`; `extra={"order_id": order_id}` or structlog/loguru keyword fields
    make it a named field. (Deferring the formatting until the record is emitted is a small bonus,
    not the reason.)

    Decisions users argue about, and errlint's line:
    - *"f-strings are more readable."* Readability of the call site is traded for the
      searchability of every record it writes; the autofix keeps the text identical, so the cost
      is one edit. Teams that disagree turn the rule off; `style = "lazy"` (the default) accepts
      the classic `%s` form, `style = "fields"` asks for named fields.
    - *Only the message is checked.* Eager conversion of an argument (`"%s", str(x)`) or a `%` in
      `extra=` values is not flagged.
    - *A message in a variable* (`msg = f"..."; logger.info(msg)`) is not flagged: the
      rule does not track values across statements. Neither is `+` that builds a *template* for
      lazy arguments (`log.info("%s " + msg, prefix, *args)`, a wrapper adding a prefix). When
      the literal's own `%s` placeholders take every argument, what is concatenated is data and
      is flagged (`log.error("order %s failed: " + str(err), order_id)`).
    - *The exception as the whole message* (`log.error(f"{err}")`) is left to XH303.
    - *A codebase that logs with f-strings on purpose.* A module whose log messages are mostly
      built eagerly (at least three f-string/`.format()` messages, more than its `%s` messages with
      lazy arguments) follows its own convention and is not flagged: at application scale the
      findings are style noise a team silences wholesale. An eager message in a module that
      otherwise logs lazily is a slip, and is flagged.

    ## Example
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def charge(order_id, amount):
        logger.info(f"charging order {order_id} for {amount:.2f}")
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def charge(order_id, amount):
        logger.info("charging order %s for %.2f", order_id, amount)
    ```

    ## Fix safety
    For an f-string message, the fix moves each placeholder into an argument:
    - stdlib `logging`: `"... %s ...", value`. `!r`/`!a` become `%r`/`%a`, format specs that
      `%`-formatting renders identically (`.2f`, `>10`, `+d`, `08.3f`, …) are translated, a
      literal `%` becomes `%%`. It is **safe** only when the logger is known to be a stdlib
      logger (the `logging` module, or bound from `logging.getLogger()`, `logging.LoggerAdapter`
      or Celery's `get_task_logger()`), and **unsafe** when the logger is recognised only by its
      name (`self.log`, an imported `LOGGER`, or the result of another module's
      `get_logger()`/`getLogger()`, such as a project's own wrapper): if it is really a loguru or
      structlog logger, `%s` would not be interpolated. `%s` calls `str(value)` where the
      f-string called `format(value, "")`; the two differ only for types whose `__format__`
      disagrees with `__str__` (some enum mixins on old Pythons).
    - loguru: `"... {name} ...", name=value` — loguru formats the message with the same
      `str.format` machinery, so the text is identical and the values are also captured in
      `record["extra"]`: **safe**.
    - structlog: `"... {name} ...", name=value` — structlog does not interpolate the event, so the
      rendered event text changes (`'user {uid} logged in' uid=5`): **unsafe**.
    There is no fix when a placeholder is not a plain name or attribute (loguru, structlog), when
    a format spec has no `%` equivalent, for `.format()`/`%`/`+` messages, for parenthesised or
    multi-line f-strings, when the call already has positional arguments, or with
    `style = "fields"` for stdlib (the right field names are a human decision).

    ## Options
    - `style` (`"lazy"` or `"fields"`, default `"lazy"`): with `"fields"`, variable data passed as
      positional message arguments is flagged too; put it in `extra=` (stdlib) or keyword fields.

    ## References
    - [Python docs: Logging HOWTO, optimization](https://docs.python.org/3/howto/logging.html#optimization)
    - [Python docs: using arbitrary objects as messages](https://docs.python.org/3/howto/logging.html#using-arbitrary-objects-as-messages)
    - [structlog: Best practices (canonical log lines, events)](https://www.structlog.org/en/stable/logging-best-practices.html)
    - [loguru: Structured logging as needed](https://loguru.readthedocs.io/en/stable/overview.html#structured-logging-as-needed)
    - [ruff G004 logging-f-string](https://docs.astral.sh/ruff/rules/logging-f-string/)
    """

    CODE: ClassVar[str] = "XH301"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "unstructured-log-message"
    MESSAGE: ClassVar[str] = "Log message built eagerly with {how}: {advice}"
    FIX_TITLE: ClassVar[str] = "Use a constant message with {what}"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREFILTER: ClassVar[Optional[Sequence[str]]] = LOG_CALL_PATTERNS
    ANALYSES: ClassVar[tuple[str, ...]] = ("log-calls", "module-facts")
    FIX: ClassVar[FixAvailability] = FixAvailability.SOMETIMES
    Options: ClassVar[Optional[type]] = Options

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            logger.info("user %s logged in", uid)
            logger.info(f"constant, no placeholders")
            logger.info("implicit " "concatenation")
            logger.info("a" + "b")
            logger.info("charged", extra={"note": "%d%% off" % pct})
            logger.info(msg)
            """
        ),
        Valid(
            """
            import structlog
            from loguru import logger

            log = structlog.get_logger()

            async def pay(order_id):
                log.info("payment_started", order_id=order_id)
                logger.info("paying {}", order_id)
                logger.bind(order_id=order_id).info("paying")
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def sync(order_id):
                try:
                    push(order_id)
                except ValueError as err:
                    logger.error(f"{err}")  # XH303's territory
                try:
                    push_group(order_id)
                except* OSError:
                    logger.warning("push failed", extra={"order_id": order_id})
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)
            logger.info("user logged in", extra={"user_id": uid})
            """,
            options={"style": "fields"},
        ),
        Valid(
            """
            print(f"not a log {x}")
            math.log(f"{x}")
            warnings.warn(f"deprecated {name}")
            """
        ),
        Valid(
            """
            import logging
            logger = logging.getLogger(__name__)

            class Mapper:
                def log(self, msg, *args):
                    logger.info("%s " + msg, self.name, *args)

                def warn(self, template, name, value):
                    logger.warning("[%s] " + template, self.name, name, value)
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
                except OSError as err:
                    logger.error("push of order %s failed: " + str(err), order_id)
            """,
            expected_message=(
                "Log message built eagerly with `+` concatenation: pass a constant message and the values as "
                "`%s` arguments, so records with the same message group together"
            ),
            line=8,
            column=22,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def charge(order_id, amount):
                logger.info(f"charging {order_id!r} for {amount:.2f} (100%)")
            """,
            expected_message=(
                "Log message built eagerly with an f-string: pass a constant message and the values as "
                "`%s` arguments, so records with the same message group together"
            ),
            expected_replacement="""
            import logging
            logger = logging.getLogger(__name__)

            def charge(order_id, amount):
                logger.info("charging %r for %.2f (100%%)", order_id, amount)
            """,
            expected_safety=FixSafety.SAFE,
            line=5,
            column=17,
        ),
        Invalid(
            """
            class Worker:
                def run(self, job):
                    try:
                        job.run()
                    except OSError:
                        self.log.error(f"job {job.id} failed", exc_info=True)
            """,
            expected_message=(
                "Log message built eagerly with an f-string: pass a constant message and the values as "
                "`%s` arguments, so records with the same message group together"
            ),
            expected_replacement="""
            class Worker:
                def run(self, job):
                    try:
                        job.run()
                    except OSError:
                        self.log.error("job %s failed", job.id, exc_info=True)
            """,
            expected_safety=FixSafety.UNSAFE,
            line=6,
            column=28,
        ),
        Invalid(
            """
            from myapp.logs import get_logger
            log = get_logger(__name__)
            log.info(f"synced {count} rows")
            """,
            expected_message=(
                "Log message built eagerly with an f-string: pass a constant message and the values as "
                "`%s` arguments, so records with the same message group together"
            ),
            expected_replacement="""
            from myapp.logs import get_logger
            log = get_logger(__name__)
            log.info("synced %s rows", count)
            """,
            expected_safety=FixSafety.UNSAFE,
            line=3,
            column=10,
        ),
        Invalid(
            """
            from loguru import logger

            async def pay(order):
                logger.info(f"paying {order.id} ({order.total!r})")
            """,
            expected_message=(
                "Log message built eagerly with an f-string: use a constant message with `{}` placeholders "
                "and pass the values as arguments or keyword fields"
            ),
            expected_replacement="""
            from loguru import logger

            async def pay(order):
                logger.info("paying {order_id} ({order_total!r})", order_id=order.id, order_total=order.total)
            """,
            expected_safety=FixSafety.SAFE,
            line=4,
            column=17,
        ),
        Invalid(
            """
            import structlog
            log = structlog.get_logger()
            log.warning(f"retrying {url}", attempt=2)
            """,
            expected_message=(
                "Log message built eagerly with an f-string: use a constant event and pass the values as "
                "keyword fields"
            ),
            expected_replacement="""
            import structlog
            log = structlog.get_logger()
            log.warning("retrying {url}", attempt=2, url=url)
            """,
            expected_safety=FixSafety.UNSAFE,
            line=3,
            column=13,
        ),
        Invalid(
            """
            import logging
            try:
                import yaml
            except ImportError:
                logging.warning("yaml missing, using %s" % FALLBACK)
            """,
            expected_message=(
                "Log message built eagerly with the `%` operator: pass a constant message and the values "
                "as `%s` arguments, so records with the same message group together"
            ),
            line=5,
            column=21,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)

            def load(path):
                try:
                    return read(path)
                except OSError as err:
                    def report():
                        logger.error("cannot read {}".format(path))
                    report()
                except ValueError:
                    logger.error("bad file: " + path)
            """,
            expected_message=(
                "Log message built eagerly with `.format()`: pass a constant message and the values as "
                "`%s` arguments, so records with the same message group together"
            ),
            line=9,
            column=26,
            expected_count=2,
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)
            logger.info("user %s logged in", uid)
            """,
            expected_message=(
                'Variable data passed as positional message arguments: with `style = "fields"`, put it in '
                "`extra=` so it stays a separate, searchable field"
            ),
            line=3,
            column=34,
            options={"style": "fields"},
        ),
        Invalid(
            """
            import logging
            logger = logging.getLogger(__name__)
            logger.info(f"user {uid} logged in")
            """,
            expected_message=(
                "Log message built eagerly with an f-string: pass a constant message and the values in "
                "`extra=`, so they stay separate, searchable fields"
            ),
            line=3,
            column=13,
            options={"style": "fields"},
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a call that may log has a message built eagerly (f-string with placeholders, `.format()`, `%`, `+` with a literal) or positional arguments after its message (`style = "fields"`); any method for a bare-name call (an alias)."""
        return _may_report(region, cls.CODE)

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._convention: Optional[bool] = None

    def visit_Call(self, node: cst.Call) -> None:
        log = self.context.log_call(node)
        if log is None or log.is_report or log.message is None:
            return
        if in_test_code(self.context) or in_operator_script(self.context):
            return
        if self._eager_convention():
            return
        style = self.options.style if self.options is not None else "lazy"
        kind = eager_format(log.message)
        if kind == "concat" and (log.args or any(a.star == "*" for a in node.args)):
            # `"%s " + template, *args`: building a template for lazy arguments -- unless the
            # literal's own placeholders take every argument (`"order %s: " + str(err), order_id`),
            # so what is concatenated is data.
            if log.library != "stdlib" or any(a.star for a in node.args) or not fills_arguments(log):
                kind = None
        if kind is not None:
            if exception_only_message(log, self._exception_names(), self.context.module_facts):
                return  # the exception is the whole message: XH303
            advice = _ADVICE[(log.library, style)]
            fix, safety, what = self._fix(log, kind, style)
            self.report(
                log.message,
                fix=fix,
                safety=safety,
                how=_HOW[kind],
                advice=advice,
                what=what,
            )
            return
        if style == "fields" and log.args:
            where = "`extra=`" if log.library == "stdlib" else "keyword fields"
            self.report(log.args[0], message=_FIELDS_MESSAGE.format(where=where))

    def _eager_convention(self) -> bool:
        """The module builds its log messages eagerly as a rule (more f-string/`.format()` messages
        than lazy `%s` ones): a codebase convention, not a slip. Style findings there are noise."""
        if self._convention is None:
            code = "\n".join(self.context.lines)  # the source as read: no code generation (deep trees)
            eager = len(_EAGER_CALL_RE.findall(code))
            lazy = len(_LAZY_CALL_RE.findall(code))
            self._convention = eager >= _CONVENTION_MIN and eager > lazy
        return self._convention

    def _exception_names(self) -> frozenset[str]:
        names = set()
        for handler in self.context.enclosing_handlers():
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                names.add(handler.name.name.value)
        return frozenset(names)

    # -- fixes ------------------------------------------------------------------------------

    def _fix(
        self, log: LogCall, kind: str, style: str
    ) -> tuple[Optional[list[tuple[cst.CSTNode, Replacement]]], FixSafety, str]:
        message = log.message
        if kind != "f-string" or log.args or not isinstance(message, (cst.FormattedString, cst.ConcatenatedString)):
            return None, FixSafety.SAFE, ""
        if message.lpar or any(a.star for a in log.node.args):
            return None, FixSafety.SAFE, ""
        if not any(a.value is message and a.keyword is None for a in log.node.args):
            return None, FixSafety.SAFE, ""
        parts = string_parts(message)
        code = self.context.module.code_for_node
        if any("\n" in code(p) for p in parts):
            return None, FixSafety.SAFE, ""
        if log.library == "stdlib":
            if style == "fields":
                return None, FixSafety.SAFE, ""
            edits = self._percent_edits(parts)
            safety = FixSafety.UNSAFE if log.inferred else FixSafety.SAFE
            return edits, safety, "`%s` arguments"
        edits = self._keyword_edits(log, parts)
        safety = FixSafety.SAFE if log.library == "loguru" and not log.inferred else FixSafety.UNSAFE
        return edits, safety, "keyword fields"

    def _percent_edits(self, parts: list[cst.BaseString]) -> Optional[list[tuple[cst.CSTNode, Replacement]]]:
        code = self.context.module.code_for_node
        texts: list[str] = []
        args: list[str] = []
        for part in parts:
            if isinstance(part, cst.SimpleString):
                texts.append(part.value.replace("%", "%%"))
                continue
            if not isinstance(part, cst.FormattedString):
                return None
            body = []
            for piece in part.parts:
                if isinstance(piece, cst.FormattedStringText):
                    body.append(piece.value.replace("{{", "{").replace("}}", "}").replace("%", "%%"))
                    continue
                if not isinstance(piece, cst.FormattedStringExpression):
                    return None
                spec = _percent_spec(piece)
                if spec is None:
                    return None
                body.append(spec)
                args.append(_arg_code(piece.expression, code))
            texts.append(_plain_start(part) + "".join(body) + part.end)
        return _edits(parts, texts, ", " + ", ".join(args))

    def _keyword_edits(self, log: LogCall, parts: list[cst.BaseString]) -> Optional[list[tuple[cst.CSTNode, Replacement]]]:
        code = self.context.module.code_for_node
        loguru = log.library == "loguru"
        taken = {key for key, _ in log.keywords}
        chosen: dict[str, str] = {}  # keyword -> expression code
        texts: list[str] = []
        for part in parts:
            if isinstance(part, cst.SimpleString):
                texts.append(part.value.replace("{", "{{").replace("}", "}}") if loguru else part.value)
                continue
            if not isinstance(part, cst.FormattedString):
                return None
            body = []
            for piece in part.parts:
                if isinstance(piece, cst.FormattedStringText):
                    body.append(piece.value if loguru else piece.value.replace("{{", "{").replace("}}", "}"))
                    continue
                if not isinstance(piece, cst.FormattedStringExpression):
                    return None
                name = _field_name(piece.expression)
                spec = piece.format_spec or ()
                if name is None or piece.equal is not None or not all(isinstance(s, cst.FormattedStringText) for s in spec):
                    return None
                expr = code(piece.expression)
                if name in taken or chosen.get(name, expr) != expr:
                    return None
                chosen[name] = expr
                conversion = f"!{piece.conversion}" if piece.conversion else ""
                spec_text = "".join(cst.ensure_type(s, cst.FormattedStringText).value for s in spec)
                body.append("{" + name + conversion + (":" + spec_text if spec_text else "") + "}")
            texts.append(_plain_start(part) + "".join(body) + part.end)
        if not chosen:
            return None
        # Keyword arguments go after every other argument of the call.
        last_arg = log.node.args[-1]
        fields = ", ".join(f"{k}={v}" for k, v in chosen.items())
        edits = _edits(parts, texts, "")
        if edits is None:
            return None
        if last_arg.value is parts[-1] or last_arg.value is log.message:
            # the message is the last argument: append after it
            node, text = edits[-1]
            edits[-1] = (node, f"{text}, {fields}")
        else:
            edits.append((last_arg.value, code(last_arg.value) + f", {fields}"))
        return edits


def _edits(parts: list[cst.BaseString], texts: list[str], suffix: str) -> Optional[list[tuple[cst.CSTNode, Replacement]]]:
    """Replace each part whose text changes; append `suffix` to the last part."""
    edits: list[tuple[cst.CSTNode, Replacement]] = []
    module = cst.Module(body=())
    for index, (part, text) in enumerate(zip(parts, texts)):
        last = index == len(parts) - 1
        if last:
            edits.append((part, text + suffix))
        elif text != module.code_for_node(part):
            edits.append((part, text))
    return edits


def _plain_start(part: cst.FormattedString) -> str:
    """`f"` -> `"`, `rf'''` -> `r'''`: the opening of the same string without the `f`."""
    return part.start.replace("f", "").replace("F", "")


def _arg_code(expr: cst.BaseExpression, code: Callable[[cst.CSTNode], str]) -> str:
    text = code(expr)
    if isinstance(expr, cst.Tuple) and not expr.lpar:
        return f"({text})"
    return text



def _percent_spec(piece: cst.FormattedStringExpression) -> Optional[str]:
    """The `%`-format placeholder that renders `{expr!conv:spec}` identically, or None."""
    if piece.equal is not None:
        return None
    conversion = piece.conversion
    spec_parts = piece.format_spec or ()
    if not spec_parts:
        return "%" + (conversion or "s")
    if conversion is not None or not all(isinstance(s, cst.FormattedStringText) for s in spec_parts):
        return None
    spec = "".join(cst.ensure_type(s, cst.FormattedStringText).value for s in spec_parts)
    match = _SPEC_RE.match(spec)
    if match is None:
        return None
    kind = match.group("type")
    width = match.group("width")
    align = match.group("align")
    if kind is None:
        if match.group("prec") or match.group("sign") or match.group("alt") or match.group("zero"):
            return None  # `{x:.2}` is "general" for floats but truncates strings
        if width and align is None:
            return None  # strings align left, numbers right: `%Ns` cannot know which
        kind = "s"
    flags = "-" if align == "<" else ""
    sign = match.group("sign")
    flags += sign if sign in ("+", " ") else ""
    flags += match.group("alt") or ""
    flags += match.group("zero") or ""
    return "%" + flags + (width or "") + (match.group("prec") or "") + kind


def _field_name(expr: cst.BaseExpression) -> Optional[str]:
    """`uid` -> `uid`, `order.id` -> `order_id`, `self.name` -> `name`; None when not simple."""
    parts: list[str] = []
    node = expr
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name) or node.lpar or (isinstance(expr, cst.Attribute) and expr.lpar):
        return None
    if node.value not in ("self", "cls") or not parts:
        parts.append(node.value)
    name = "_".join(reversed(parts))
    if not name.isidentifier() or keyword.iskeyword(name) or name in ("exc_info", "stack_info", "event", "stacklevel"):
        return None
    return name

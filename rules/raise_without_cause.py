"""XH201: `raise New(...)` inside a handler without `from`."""

from __future__ import annotations

import ast
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import Handler, iter_children
from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.regions import Region, statements_in
from errlint.rule import Invalid, LintRule, Replacement, Valid
from errlint.rules._helpers import in_test_code, rebinds, silenced_elsewhere, statement_comments, one_line
from errlint.taxonomy import is_user_facing

# Control flow, not errors: they end the process, an iterator or a test, and no traceback with a
# cause chain is ever shown for them.
_EXEMPT = frozenset(
    {
        "SystemExit", "KeyboardInterrupt", "GeneratorExit", "StopIteration", "StopAsyncIteration",
        "unittest.SkipTest", "SkipTest", "pytest.skip", "pytest.xfail", "pytest.exit", "pytest.fail",
        "self.skipTest",
        # Django's template loaders try the next loader on it.
        "django.template.TemplateDoesNotExist", "django.template.exceptions.TemplateDoesNotExist",
    }
)  # fmt: skip
# Decorators of validators whose `ValueError`/`TypeError`/`AssertionError` pydantic turns into a
# validation error for the user (an HTTP 422 in FastAPI), without a traceback.
_VALIDATOR_DECORATORS = frozenset({"validator", "field_validator", "root_validator", "model_validator"})
_NAME_CANDIDATES = ("err", "exc", "error", "exception")


class RaiseWithoutCause(LintRule):
    """
    ## What it does
    Checks for `raise NewError(...)` inside an `except` handler without `from`. Not reported:
    a bare `raise`, `raise err` of a caught exception (or `err.with_traceback(tb)`), a lower-case
    variable or attribute holding an exception caught earlier (`raise self._saved_error`),
    `raise X from None` (an explicit decision to hide the cause), raises inside functions defined
    in the handler (they run later, outside it), and control-flow exceptions that never show a
    traceback: `SystemExit`, `KeyboardInterrupt`, `GeneratorExit`, `StopIteration`,
    `StopAsyncIteration`, and test outcomes (`pytest.skip(...)`, `unittest.SkipTest`).

    Also not reported, because no traceback is ever shown for them: errors a framework renders to
    the user as a response or a usage message: Django `ValidationError`, `Http404`,
    `PermissionDenied`, `SuspiciousOperation`, `CommandError`; every Django REST framework
    `APIException`; Starlette/FastAPI `HTTPException` and `RequestValidationError`; werkzeug's
    HTTP exceptions; click's `UsageError`/`BadParameter`/`ClickException` (and typer's);
    argparse's `ArgumentTypeError`; WTForms and marshmallow `ValidationError`. Nor Celery's
    `raise self.retry(exc=err)`, nor test code (`test-paths`, `test_*` functions, `Test*`
    classes), where a test raises to simulate a failure. Nor control flow: `AttributeError` in
    `__getattr__` (how `hasattr()` works), Django's `TemplateDoesNotExist` (the next loader is
    tried), a `ValueError`/`TypeError`/`AssertionError` in a pydantic validator
    (`@field_validator`, `@validator`: pydantic reports it as a validation error). Nor a new
    error that carries the caught one as an argument (`raise LoadError(path, err)`,
    `raise self.error(token, err)`): the original is kept explicitly. Nor an error whose message
    is translated (`raise OrderError(_("This seat is taken."))`, `gettext(...)`,
    `gettext_lazy(...)`): a translated message is written for the end user, who is shown the
    message, not a traceback. Nor a `raise` whose line already silences the same check of another
    linter (`# noqa: B904`, `# pylint: disable=raise-missing-from`).

    ## Why is this bad?
    Python keeps the caught error either way (as `__context__`), but without `from` the traceback
    joins the two with "During handling of the above exception, another exception occurred": it
    reads as if the handler itself failed while handling the first error, and whoever debugs it
    looks for a bug in the handler. `raise NewError(...) from err` says the new error was *caused*
    by the old one ("The above exception was the direct cause of the following exception") and
    sets `__cause__`, which error trackers and your own `except` blocks can follow; `from None`
    says the original is irrelevant and hides it.

    ## Example
    ```python
    def load_config(path):
        try:
            return json.loads(path.read_text())
        except ValueError as err:
            raise ConfigError(f"invalid JSON in {path}")
    ```

    Use instead:
    ```python
    def load_config(path):
        try:
            return json.loads(path.read_text())
        except ValueError as err:
            raise ConfigError(f"invalid JSON in {path}") from err
    ```

    ## Fix safety
    When the handler binds a name (`except ValueError as err:`), the fix appends `from err`; it is
    safe: only `__cause__` is set and the traceback wording changes. When it binds none, the fix
    also adds `as err` (or another unused name) to the handler, which is unsafe: the name is
    deleted when the handler ends, so a variable of the same name used after the `try` statement
    would be lost. It is also unsafe when the handler rebinds or deletes the caught name before
    the `raise`.

    ## References
    - [PEP 3134: Exception chaining and embedded tracebacks](https://peps.python.org/pep-3134/)
    - [ruff B904 raise-without-from-inside-except](https://docs.astral.sh/ruff/rules/raise-without-from-inside-except/)
    - [pylint W0707 raise-missing-from](https://pylint.readthedocs.io/en/stable/user_guide/messages/warning/raise-missing-from.html)
    """

    CODE: ClassVar[str] = "XH201"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "raise-without-cause"
    MESSAGE: ClassVar[str] = (
        "`raise` inside `{label}` without `from`: the traceback will say it happened \"during handling of"
        " the above exception\", as if this handler failed; use `from {name}` (or `from None` to hide it)"
    )
    FIX_TITLE: ClassVar[str] = "Add `from {name}`"
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)
    FIX: ClassVar[FixAvailability] = FixAvailability.SOMETIMES

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def load_config(path):
                try:
                    return json.loads(path.read_text())
                except ValueError as err:
                    raise ConfigError(f"invalid JSON in {path}") from err
            """
        ),
        Valid(
            """
            try:
                value = cache[key]
            except KeyError:
                raise AttributeError(key) from None
            """
        ),
        Valid(
            """
            try:
                connect()
            except OSError as err:
                cleanup()
                raise err
            """
        ),
        Valid(
            """
            try:
                connect()
            except* OSError:
                raise
            """
        ),
        # The nested function runs later, outside the handler.
        Valid(
            """
            try:
                connect()
            except OSError:
                def retry():
                    raise ConnectionLost("gave up")
                schedule(retry)
            """
        ),
        Valid(
            """
            try:
                main()
            except KeyboardInterrupt:
                raise SystemExit(130)
            """
        ),
        Valid(
            """
            import pytest

            def __next__(self):
                try:
                    return self.items.pop()
                except IndexError:
                    raise StopIteration
                except KeyError as err:
                    raise pytest.skip(err.args[0])
            """
        ),
        Valid(
            """
            try:
                connect()
            except OSError as outer:
                try:
                    reconnect()
                except OSError:
                    raise outer
            """
        ),
        Valid(
            """
            raise ConfigError("no handler here")
            """
        ),
        # Rendered to the user as a response or a usage message: no traceback is shown.
        Valid(
            """
            from django.core.exceptions import ValidationError
            from django.http import Http404
            from fastapi import HTTPException
            from rest_framework import serializers
            import click

            def clean_amount(value):
                try:
                    return Decimal(value)
                except InvalidOperation:
                    raise ValidationError("Enter a number.")

            def detail(request, pk):
                try:
                    return Order.objects.get(pk=pk)
                except Order.DoesNotExist:
                    raise Http404("No such order")

            async def read_item(item_id):
                try:
                    return items[item_id]
                except KeyError:
                    raise HTTPException(status_code=404, detail="Item not found")

            def validate_code(self, value):
                try:
                    return Voucher.lookup(value)
                except LookupError:
                    raise serializers.ValidationError("Unknown voucher")

            def parse_port(ctx, param, value):
                try:
                    return int(value)
                except ValueError:
                    raise click.BadParameter("must be a number")
            """
        ),
        # Celery's retry keeps the exception; a test raises to simulate a failure.
        Valid(
            """
            @app.task(bind=True)
            def send(self, message):
                try:
                    deliver(message)
                except ConnectionError as exc:
                    raise self.retry(exc=exc, countdown=60)

            def test_wraps_errors(client):
                try:
                    client.get("/")
                except KeyError:
                    raise AssertionError("lookup failed")
            """
        ),
        # An exception caught earlier, raised again on purpose: not a new one.
        Valid(
            """
            try:
                parse_raster(value)
            except RasterError as err:
                blocked_err = err
            try:
                return parse_geometry(value)
            except GeometryError:
                raise blocked_err
            """
        ),
        # Control flow and carriers: `hasattr()`, pydantic validators, the original as an argument.
        Valid(
            """
            class Settings:
                def __getattr__(self, name):
                    try:
                        return self._values[name]
                    except KeyError:
                        raise AttributeError(name)

                @field_validator("port")
                def check_port(cls, value):
                    try:
                        return int(value)
                    except TypeError:
                        raise ValueError("port must be a number")

            def load(path):
                try:
                    return parse(path)
                except OSError as err:
                    raise LoadError(path, err)
            """
        ),
        # A translated message is for the end user, who never sees a traceback.
        Valid(
            """
            from django.utils.translation import gettext as _

            def reserve(seat_id):
                try:
                    return Seat.objects.get(pk=seat_id)
                except Seat.DoesNotExist:
                    raise OrderError(_("This seat is no longer available."))
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def load_config(path):
                try:
                    return json.loads(path.read_text())
                except ValueError as err:
                    raise ConfigError(f"invalid JSON in {path}")
            """,
            expected_message=(
                "`raise` inside `except ValueError as err:` without `from`: the traceback will say it happened"
                " \"during handling of the above exception\", as if this handler failed;"
                " use `from err` (or `from None` to hide it)"
            ),
            expected_replacement="""
            def load_config(path):
                try:
                    return json.loads(path.read_text())
                except ValueError as err:
                    raise ConfigError(f"invalid JSON in {path}") from err
            """,
            expected_safety=FixSafety.SAFE,
            line=5,
            column=9,
        ),
        Invalid(
            """
            def lookup(self, name):
                try:
                    return self._fields[name]
                except KeyError:  # unknown field
                    raise AttributeError(
                        name,
                    )
            """,
            expected_message=(
                "`raise` inside `except KeyError:` without `from`: the traceback will say it happened"
                " \"during handling of the above exception\", as if this handler failed;"
                " use `from err` (or `from None` to hide it)"
            ),
            expected_replacement="""
            def lookup(self, name):
                try:
                    return self._fields[name]
                except KeyError as err:  # unknown field
                    raise AttributeError(
                        name,
                    ) from err
            """,
            expected_safety=FixSafety.UNSAFE,
            line=5,
            column=9,
        ),
        Invalid(
            """
            async def fetch(err):
                try:
                    await get()
                except* (OSError, TimeoutError):
                    raise FetchError("unreachable")  # retry later
            """,
            expected_message=(
                "`raise` inside `except* (OSError, TimeoutError):` without `from`: the traceback will say it happened"
                " \"during handling of the above exception\", as if this handler failed;"
                " use `from exc` (or `from None` to hide it)"
            ),
            expected_replacement="""
            async def fetch(err):
                try:
                    await get()
                except* (OSError, TimeoutError) as exc:
                    raise FetchError("unreachable") from exc  # retry later
            """,
            expected_safety=FixSafety.UNSAFE,
        ),
        Invalid(
            """
            try:
                connect()
            except OSError as err:
                err = wrap(err)
                raise ConnectionLost()
            """,
            expected_message=(
                "`raise` inside `except OSError as err:` without `from`: the traceback will say it happened"
                " \"during handling of the above exception\", as if this handler failed;"
                " use `from err` (or `from None` to hide it)"
            ),
            expected_replacement="""
            try:
                connect()
            except OSError as err:
                err = wrap(err)
                raise ConnectionLost() from err
            """,
            expected_safety=FixSafety.UNSAFE,
        ),
        Invalid(
            """
            try:
                connect()
            except:
                if retry: raise ConnectionLost; log("x")
            """,
            expected_message=(
                "`raise` inside `except:` without `from`: the traceback will say it happened"
                " \"during handling of the above exception\", as if this handler failed;"
                " use `from err` (or `from None` to hide it)"
            ),
            expected_replacement="""
            try:
                connect()
            except BaseException as err:
                if retry: raise ConnectionLost from err; log("x")
            """,
            expected_safety=FixSafety.UNSAFE,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler holds a `raise <expression>` without `from` whose expression is not
        a lower-case name or attribute (an exception object raised again: `_is_instance_name`)."""
        for handler in region.handlers():
            for stmt in statements_in(handler.body):
                if isinstance(stmt, ast.Raise) and stmt.exc is not None and stmt.cause is None:
                    if not _ast_instance_name(stmt.exc):
                        return True
        return False

    def visit_Raise(self, node: cst.Raise) -> None:
        if node.exc is None or node.cause is not None:
            return
        context = self.context
        handler = context.enclosing_handler()
        if handler is None:
            return
        handlers = context.enclosing_handlers()
        bound = {h.name.name.value for h in handlers if h.name is not None and isinstance(h.name.name, cst.Name)}
        exc = node.exc
        target = exc.func if isinstance(exc, cst.Call) else exc
        if isinstance(exc, cst.Name) and exc.value in bound:
            return  # re-raises a caught exception (reraise-by-name, XH203)
        if _is_instance_name(exc):
            return  # raises an exception object caught or built earlier, not a new one
        if (
            isinstance(exc, cst.Call)
            and isinstance(exc.func, cst.Attribute)
            and isinstance(exc.func.value, cst.Name)
            and exc.func.value.value in bound
            and exc.func.attr.value == "with_traceback"
        ):
            return  # the caught exception itself, with another traceback
        qualified = context.qualify(target) or ""
        if qualified.removeprefix("builtins.") in _EXEMPT or qualified.startswith("pytest."):
            return
        if is_user_facing(qualified) or _is_task_retry(exc):
            return  # rendered to the user without a traceback; Celery's `raise self.retry(exc=...)`
        if isinstance(exc, cst.Call) and _carries(exc, bound):
            return  # the caught exception is passed to the new one: `raise Wrapped("...", err)`
        if isinstance(exc, cst.Call) and _translated_message(exc):
            return  # `raise OrderError(_("Sold out"))`: a message for the end user, shown without a traceback
        if self._control_flow(qualified):
            return
        if in_test_code(context) or silenced_elsewhere(self.CODE, statement_comments(context)):
            return
        name = _handler_name(handler)
        safety = FixSafety.SAFE
        fix: Optional[list[tuple[cst.CSTNode, Replacement]]] = []
        if name is None:
            name = self._unused_name()
            safety = FixSafety.UNSAFE
            header = _bind_name(handler, name)
            fix = [header] if header is not None else None
        elif rebinds(handler.body, name):
            safety = FixSafety.UNSAFE
        cause = self._insert_cause(node, name)
        if fix is not None and cause is not None:
            fix.append(cause)
        else:
            fix = None
        self.report(
            node,
            fix=fix or None,
            safety=safety,
            label=_label(handler),
            name=name,
        )

    def _control_flow(self, qualified: str) -> bool:
        """`AttributeError` in `__getattr__` (how `hasattr` works) or an error of a pydantic validator."""
        function = self.context.enclosing_function()
        if function is None:
            return False
        name = qualified.removeprefix("builtins.")
        if function.name.value in ("__getattr__", "__getattribute__") and name == "AttributeError":
            return True
        if name in ("ValueError", "TypeError", "AssertionError", "pydantic_core.PydanticCustomError"):
            for decorator in function.decorators:
                expr = decorator.decorator
                if isinstance(expr, cst.Call):
                    expr = expr.func
                last = expr.attr.value if isinstance(expr, cst.Attribute) else expr.value if isinstance(expr, cst.Name) else ""
                if last in _VALIDATOR_DECORATORS:
                    return True
        return False

    def _insert_cause(self, node: cst.Raise, name: str) -> Optional[tuple[cst.CSTNode, Replacement]]:
        """A zero-width edit that appends ` from name` right after the raised expression."""
        parent = self.context.parent
        if isinstance(node.semicolon, cst.Semicolon):
            before = node.semicolon.whitespace_before
            if not isinstance(before, cst.SimpleWhitespace):
                return None
            return before, f" from {name}{before.value}"
        if isinstance(parent, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and parent.body[-1] is node:
            ws = parent.trailing_whitespace.whitespace
            return ws, f" from {name}{ws.value}"
        return None

    def _unused_name(self) -> str:
        function = self.context.enclosing_function()
        used = _names(function or self.context.module)
        tree = self.context.cpython_tree
        if function is None and tree is not None:
            # The prefilter may have blanked functions of the module: their names are read from
            # CPython's tree of the whole original file.
            used |= _ast_names(tree)
        for candidate in _NAME_CANDIDATES:
            if candidate not in used:
                return candidate
        index = 1
        while f"err{index}" in used:
            index += 1
        return f"err{index}"


_GETTEXT = frozenset(
    {
        "_", "_l", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext", "pgettext_lazy",
        "ngettext", "ngettext_lazy", "npgettext", "lazy_gettext", "lazy_pgettext",
    }
)  # fmt: skip


def _translated_message(call: cst.Call) -> bool:
    """Whether the message is translated (`_("...")`, `gettext(...).format(...)`): it is for the end user."""
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "format":
            value = value.func.value  # `_("...").format(...)`
        if isinstance(value, cst.Call):
            func = value.func
            name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
            if name in _GETTEXT:
                return True
    return False


def _carries(call: cst.Call, bound: set[str]) -> bool:
    """Whether a caught exception object itself is an argument of the call (`Wrapped(msg, err)`)."""
    return any(isinstance(arg.value, cst.Name) and arg.value.value in bound for arg in call.args)


def _is_task_retry(exc: cst.BaseExpression) -> bool:
    """`raise self.retry(exc=err)` / `raise task.retry(...)`: Celery's Retry, control flow that keeps `exc`."""
    return isinstance(exc, cst.Call) and isinstance(exc.func, cst.Attribute) and exc.func.attr.value == "retry"


def _is_instance_name(exc: cst.BaseExpression) -> bool:
    """`raise saved_err` / `raise self._exc`: a variable holding an exception object, not a class.

    Exception classes are CapWords by convention; a lower-case name or attribute holds an
    exception raised earlier (with its own traceback and cause), re-raised here on purpose.
    """
    if isinstance(exc, cst.Name):
        last = exc.value
    elif isinstance(exc, cst.Attribute):
        last = exc.attr.value
    else:
        return False
    stripped = last.lstrip("_")
    return bool(stripped) and stripped[0].islower()


def _ast_instance_name(exc: ast.expr) -> bool:
    """`_is_instance_name` on CPython's tree (the prefilter's exact hint)."""
    if isinstance(exc, ast.Name):
        last = exc.id
    elif isinstance(exc, ast.Attribute):
        last = exc.attr
    else:
        return False
    stripped = last.lstrip("_")
    return bool(stripped) and stripped[0].islower()


def _names(scope: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack = [scope]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        stack.extend(iter_children(node))
    return found


def _ast_names(tree: ast.AST) -> set[str]:
    """The identifiers of `tree` (CPython's), as `_names` finds them on libcst's: every name,
    attribute, parameter, keyword, definition, import part and bound name."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.keyword):
            if node.arg is not None:
                found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
            if node.asname is not None:
                found.add(node.asname)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                found.update(node.module.split("."))
        elif isinstance(node, ast.ExceptHandler):
            if node.name is not None:
                found.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
            if node.name is not None:
                found.add(node.name)
        elif isinstance(node, ast.MatchMapping):
            if node.rest is not None:
                found.add(node.rest)
        elif isinstance(node, ast.MatchClass):
            found.update(node.kwd_attrs)
        else:
            name = getattr(node, "name", None)  # type parameters (Python 3.12)
            if isinstance(name, str):
                found.add(name)
    return found


def _handler_name(handler: Handler) -> Optional[str]:
    if handler.name is not None and isinstance(handler.name.name, cst.Name):
        return handler.name.name.value
    return None


def _bind_name(handler: Handler, name: str) -> Optional[tuple[cst.CSTNode, Replacement]]:
    """The edit that turns `except X:` into `except X as name:` (`except:` into `except BaseException as name:`)."""
    ws = handler.whitespace_before_colon
    if handler.type is None:
        if isinstance(handler, cst.ExceptStarHandler):
            return None
        return handler.whitespace_after_except, f" BaseException as {name}"
    return ws, f" as {name}{ws.value}"


def _label(handler: Handler) -> str:
    star = "*" if isinstance(handler, cst.ExceptStarHandler) else ""
    if handler.type is None:
        return "except:"
    code = one_line(cst.Module(body=()).code_for_node(handler.type))
    suffix = ""
    name = _handler_name(handler)
    if name is not None:
        suffix = f" as {name}"
    return f"except{star} {code}{suffix}:"

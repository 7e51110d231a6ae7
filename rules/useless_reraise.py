"""XH105: `except X: raise` that only re-raises (and hides no broader handler below it)."""

from __future__ import annotations

import ast
import builtins
from typing import ClassVar, Optional, Sequence, Union

import libcst as cst

from errlint.analysis import Handler, ModuleFacts, iter_children
from errlint.finding import FixAvailability, FixSafety, Impact, Severity
from errlint.handlers import CaughtType, caught_types, explains
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import caught_label, handler_header_end, in_test_code

TryNode = Union[cst.Try, cst.TryStar]

# Names that are the same class as a builtin (or a stdlib subclass of one), for the supertype test.
_BUILTIN_ALIASES = {
    "socket.error": "OSError",
    "os.error": "OSError",
    "select.error": "OSError",
    "IOError": "OSError",
    "EnvironmentError": "OSError",
    "socket.timeout": "TimeoutError",
    "asyncio.TimeoutError": "TimeoutError",
    "concurrent.futures.TimeoutError": "TimeoutError",
}


class UselessReraise(LintRule):
    """
    ## What it does
    Checks for `except` handlers whose whole body re-raises the caught exception (`raise`, or
    `raise err` of the bound name), unless a later handler of the same `try` statement may catch
    a supertype of it: then the handler deliberately lets that exception through the broader one
    (`except ValueError: raise` above `except Exception: ...`). Nor when it is the only handler of
    a `try` with an `else:` block: Python requires a handler there, and `try`/`except: raise`/`else`
    is a deliberate way to say "only when this succeeded".

    Not reported in test code (files under `test-paths`: test suites, fixtures, `examples/` and
    `demos/`; test functions and classes anywhere): a leftover handler in a test helper or mock
    costs nothing in production, and teams silence it there wholesale.

    ## Why is this bad?
    The handler does nothing the interpreter would not do without it; it only adds a level of
    nesting and makes the reader look for a reason that is not there. When it is the only handler,
    the whole `try` statement is noise.

    ## Example
    ```python
    def load(path):
        try:
            return json.loads(path.read_text())
        except ValueError:
            raise
    ```

    Use instead:
    ```python
    def load(path):
        return json.loads(path.read_text())
    ```

    ## Fix safety
    When the handler is the only one and the `try` has no `else` or `finally`, the fix replaces
    the `try` statement by its body, dedented, keeping the comments. It is safe: an exception from
    the body propagates exactly as before. (No fix is offered when the body holds a multi-line
    string, whose contents would change with the indentation.)

    ## References
    - [ruff TRY203 useless-try-except](https://docs.astral.sh/ruff/rules/useless-try-except/)
    - [pylint W0706 try-except-raise](https://pylint.readthedocs.io/en/stable/user_guide/messages/warning/try-except-raise.html)
    """

    CODE: ClassVar[str] = "XH105"
    PREVIEW: ClassVar[bool] = False  # meets the precision bar: docs/precision.md
    NAME: ClassVar[str] = "useless-reraise"
    MESSAGE: ClassVar[str] = "Useless `{label}`: the handler only re-raises the exception"
    FIX_TITLE: ClassVar[str] = "Remove the `try` statement and keep its body"
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    # Only functions whose source matches may hold a finding (errlint.prefilter).
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)
    FIX: ClassVar[FixAvailability] = FixAvailability.SOMETIMES

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def load(path):
                return json.loads(path.read_text())
            """
        ),
        Valid(
            """
            def load(path):
                try:
                    return json.loads(path.read_text())
                except ValueError:
                    raise
                except Exception:
                    log.exception("cannot load %s", path)
                    return {}
            """
        ),
        Valid(
            """
            try:
                run()
            except (KeyError, ValueError) as err:
                raise RuntimeError("bad input") from err
            """
        ),
        # A variable may hold a tuple with a supertype (`socket.timeout` is an OSError).
        Valid(
            """
            try:
                drain()
            except socket.timeout:
                raise
            except self._connection_errors:
                reconnect()
            """
        ),
        # A custom type may derive from the later handler's type.
        Valid(
            """
            try:
                run()
            except* ConfigError:
                raise
            except* ValueError:
                report()
            """
        ),
        Valid(
            """
            try:
                run()
            except OSError:
                cleanup()
                raise
            """
        ),
        Valid(
            """
            try:
                run()
            except OSError as err:
                def again():
                    raise err
                retry(again)
            """
        ),
        # The only handler of a `try` with `else:`: required by the syntax, deliberate.
        Valid(
            """
            try:
                conn = connect()
            except:
                raise
            else:
                register(conn)
            """
        ),
        # Test code: a mock's leftover handler is not worth a finding.
        Valid(
            """
            class TestDirectory:
                def load(self, path):
                    try:
                        return read(path)
                    except OSError as e:
                        raise
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def load(path):
                try:
                    return json.loads(path.read_text())
                except ValueError:
                    raise
            """,
            expected_message="Useless `except ValueError:`: the handler only re-raises the exception",
            expected_replacement="""
            def load(path):
                return json.loads(path.read_text())
            """,
            expected_safety=FixSafety.SAFE,
            line=4,
            column=5,
        ),
        Invalid(
            """
            try:  # load the settings
                settings = read(
                    path,
                )
                # fall back to defaults below
                if not settings:
                    settings = DEFAULTS
            except (OSError, KeyError) as err:  # propagate
                raise err  # with the original traceback
            print(settings)
            """,
            expected_message="Useless `except (OSError, KeyError):`: the handler only re-raises the exception",
            expected_replacement="""
            # load the settings
            settings = read(
                path,
            )
            # fall back to defaults below
            if not settings:
                settings = DEFAULTS
            # propagate  # with the original traceback
            print(settings)
            """,
            expected_safety=FixSafety.SAFE,
            line=8,
            column=1,
        ),
        # Not the only handler: reported without a fix.
        Invalid(
            """
            try:
                run()
            except KeyError:
                raise
            except ValueError:
                log.warning("bad value")
            """,
            expected_message="Useless `except KeyError:`: the handler only re-raises the exception",
            line=3,
        ),
        # A later handler for a builtin that is not a supertype does not excuse it.
        Invalid(
            """
            async def fetch():
                try:
                    await get()
                except KeyboardInterrupt:
                    raise
                except Exception:
                    return None
            """,
            expected_message="Useless `except KeyboardInterrupt:`: the handler only re-raises the exception",
            line=4,
        ),
        Invalid(
            """
            class Loader:
                def load(self):
                    try:
                        x = 1
                    except* OSError:
                        raise
            """,
            expected_message="Useless `except* OSError:`: the handler only re-raises the exception",
            expected_replacement="""
            class Loader:
                def load(self):
                    x = 1
            """,
            expected_safety=FixSafety.SAFE,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a handler's whole body is `raise` or `raise <its bound name>`."""
        return any(_ast_only_reraises(handler) for handler in region.handlers())

    def visit_Try(self, node: cst.Try) -> None:
        self._check(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._check(node)

    def _check(self, node: TryNode) -> None:
        handlers: Sequence[Handler] = node.handlers
        facts = self.context.module_facts
        if len(handlers) == 1 and node.orelse is not None:
            return  # `try: ... except X: raise else: ...`: the handler is there so that `else` may be
        if in_test_code(self.context):
            return
        for index, handler in enumerate(handlers):
            if not is_useless_reraise(node, index, facts):
                continue
            fix = None
            if len(handlers) == 1 and node.orelse is None and node.finalbody is None:
                text = _unwrapped_body(node, handler, self.context.module)
                if text is not None:
                    fix = [(node, text)]
            self.report(handler, end=handler_header_end(handler), fix=fix, label=caught_label(handler))


def _ast_only_reraises(handler: ast.ExceptHandler) -> bool:
    """`only_reraises` on CPython's tree (the prefilter's exact hint)."""
    if len(handler.body) != 1:
        return False
    stmt = handler.body[0]
    if not isinstance(stmt, ast.Raise) or stmt.cause is not None:
        return False
    return stmt.exc is None or (isinstance(stmt.exc, ast.Name) and stmt.exc.id == handler.name)


def only_reraises(handler: Handler) -> Optional[cst.Raise]:
    """The `raise`/`raise <bound name>` that is the handler's whole body, else None."""
    body = handler.body
    smalls: Sequence[cst.BaseSmallStatement]
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = body.body
    elif isinstance(body, cst.IndentedBlock) and len(body.body) == 1 and isinstance(body.body[0], cst.SimpleStatementLine):
        smalls = body.body[0].body
    else:
        return None
    if len(smalls) != 1 or not isinstance(smalls[0], cst.Raise):
        return None
    raise_ = smalls[0]
    if raise_.cause is not None:
        return None
    if raise_.exc is None:
        return raise_
    name = handler.name.name if handler.name is not None else None
    if isinstance(raise_.exc, cst.Name) and isinstance(name, cst.Name) and raise_.exc.value == name.value:
        return raise_
    return None


def is_useless_reraise(node: TryNode, index: int, facts: ModuleFacts) -> bool:
    """Whether `node.handlers[index]` only re-raises and no later handler may catch a supertype."""
    handler = node.handlers[index]
    if only_reraises(handler) is None:
        return False
    if handler.type is None:
        return True  # a bare `except: raise` excludes nothing (nothing may follow it)
    mine = caught_types(handler, facts)
    for later in node.handlers[index + 1 :]:
        if later.type is None:
            return False
        for theirs in caught_types(later, facts):
            if any(_may_be_supertype(t, theirs) for t in mine):
                return False
    return True


def _builtin_exception(caught: CaughtType) -> Optional[type]:
    name = caught.qualified or caught.name
    name = _BUILTIN_ALIASES.get(name, name)
    if name.startswith("builtins."):
        name = name[len("builtins.") :]
    if not name or "." in name:
        return None
    value = getattr(builtins, name, None)
    if isinstance(value, type) and issubclass(value, BaseException):
        return value
    return None


def _may_be_supertype(sub: CaughtType, sup: CaughtType) -> bool:
    """Could the later handler's type `sup` catch what `sub` names (or a subclass of it)?"""
    if (sup.qualified or sup.name) in ("BaseException", "builtins.BaseException"):
        return True
    sub_cls, sup_cls = _builtin_exception(sub), _builtin_exception(sup)
    if sub_cls is not None and sup_cls is not None:
        return issubclass(sub_cls, sup_cls)
    if sub_cls is not None:
        # A class that is not a builtin cannot be a base class of a builtin; but a variable or an
        # attribute (`self._connection_errors`, `catch`) may hold a builtin or a tuple of them.
        last = sup.name.rsplit(".", 1)[-1]
        return not (last[:1].isupper() and any(ch.islower() for ch in last))
    return True  # an unknown class may derive from anything


# --- the fix: replace the `try` by its body -------------------------------------------------


def _unwrapped_body(node: TryNode, handler: Handler, module: cst.Module) -> Optional[str]:
    """The `try` body as text at the `try`'s own indentation, with every comment kept."""
    body = node.body
    statements: Sequence[cst.BaseStatement]
    before: list[str] = []
    after: list[str] = []
    if isinstance(body, cst.IndentedBlock):
        statements = body.body
        _comment(before, body.header)
        _comments(after, body.footer, keep_all=True)
    elif isinstance(body, cst.SimpleStatementSuite):
        statements = [cst.SimpleStatementLine(body=body.body, trailing_whitespace=body.trailing_whitespace)]
    else:
        return None
    if not statements or _has_multiline_string(node.body, module):
        return None
    _comments(after, handler.leading_lines, keep_all=True)
    if isinstance(handler.body, cst.IndentedBlock):
        _comment(after, handler.body.header)
        for stmt in handler.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                _comments(after, stmt.leading_lines)
    newline = module.default_newline
    code = module.with_changes(body=statements, header=(), footer=()).code.rstrip("\r\n")
    if not code.strip():
        return None
    return newline.join([*before, code, *after])


def _comment(out: list[str], trailing: cst.TrailingWhitespace) -> None:
    """Keep a header comment that explains something (not `# noqa`, `# pragma: no cover`, ...)."""
    if trailing.comment is not None and explains(trailing.comment):
        out.append(trailing.comment.value)


def _comments(out: list[str], lines: Sequence[cst.EmptyLine], keep_all: bool = False) -> None:
    """Keep comment lines: all of the body's, and the handler's that explain something."""
    out.extend(
        line.comment.value for line in lines if line.comment is not None and (keep_all or explains(line.comment))
    )


def _has_multiline_string(body: cst.BaseSuite, module: cst.Module) -> bool:
    stack: list[cst.CSTNode] = [body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.SimpleString):
            if "\n" in current.value or "\r" in current.value:
                return True
            continue
        if isinstance(current, cst.FormattedString):
            code = module.code_for_node(current)
            if "\n" in code or "\r" in code:
                return True
            continue
        stack.extend(iter_children(current))
    return False

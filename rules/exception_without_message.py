"""XH501: a builtin exception raised with no message (`raise ValueError()`, `raise KeyError`)."""

from __future__ import annotations

import ast
import builtins
import re
from typing import ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import SCOPE_TYPES, dotted_name
from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._helpers import in_test_code

# Raised without arguments by design: control flow and interpreter exits, or a marker whose type
# is the whole message.
EXEMPT: frozenset[str] = frozenset(
    {
        "NotImplementedError",
        "StopIteration",
        "StopAsyncIteration",
        "KeyboardInterrupt",
        "SystemExit",
        "GeneratorExit",
        # An assertion: `raise AssertionError()` in an `else:` that cannot be reached is `assert False`,
        # a broken invariant of the code itself, which the traceback locates.
        "AssertionError",
        # XH202 (generic-exception-raised) already asks for a specific class instead.
        "Exception",
        "BaseException",
    }
)

BUILTIN_EXCEPTIONS: dict[str, type[BaseException]] = {
    name: value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException) and name not in EXEMPT
}
_BROAD = frozenset({"Exception", "BaseException"})
# `except` clauses as written (a tuple may span lines); read from the source text, once per file
# and only when a candidate raise was found.
_EXCEPT_RE = re.compile(r"^[ \t]*except\*?[ \t]*\(?([^:]*):", re.M)
_NAME_RE = re.compile(r"[A-Za-z_]\w*")


class ExceptionWithoutMessage(LintRule):
    """
    ## What it does
    Checks for builtin exceptions raised with no message: `raise ValueError()`, `raise KeyError`,
    `raise RuntimeError("")`.

    Not flagged:
    - `NotImplementedError`, `StopIteration`, `StopAsyncIteration`, `KeyboardInterrupt`,
      `SystemExit` and `GeneratorExit`: their type is the whole message;
    - `AssertionError`: `raise AssertionError()` after the cases a function handles is
      `assert False`, a broken invariant of the code that the traceback locates, not a report
      about a value;
    - `Exception` and `BaseException`: XH202 (generic-exception-raised) asks for a specific class;
    - a name the module imports or defines itself (it is not the builtin), and project exception
      classes in general: their name says what failed;
    - a raise that is a signal rather than a report: a handler of an enclosing `try` in the same
      function catches it by a specific type; the module itself catches that type by name
      somewhere (`_lookup()` raises `KeyError`, its caller has `except KeyError:` and falls back);
      or `__getattribute__` raises `AttributeError` to hand over to `__getattr__`;
    - test code (test files, `test_*` functions, `Test*` classes): a test double that raises
      `ConnectionError` to simulate a failure has no reader to inform.

    ## Why is this bad?
    A builtin type says only what kind of thing went wrong. The traceback of
    `ValueError` with no message does not say which value was wrong, what was expected or which
    input it came from, so whoever reads the log has to reproduce the failure to learn it.

    ## Example
    ```python
    def parse_quantity(text):
        value = int(text)
        if value <= 0:
            raise ValueError()
        return value
    ```

    Use instead:
    ```python
    def parse_quantity(text):
        value = int(text)
        if value <= 0:
            raise ValueError(f"quantity must be positive, got {value}")
        return value
    ```

    ## References
    - [Python docs: Built-in exceptions](https://docs.python.org/3/library/exceptions.html)
    - [Python tutorial: User-defined exceptions](https://docs.python.org/3/tutorial/errors.html#user-defined-exceptions)
    """

    CODE: ClassVar[str] = "XH501"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "exception-without-message"
    MESSAGE: ClassVar[str] = "`{name}` raised {how}: say what was wrong and with which value"
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.LOST_CONTEXT
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\braise\b",)
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            def parse_quantity(text):
                value = int(text)
                if value <= 0:
                    raise ValueError(f"quantity must be positive, got {value}")
                return value
            """
        ),
        Valid(
            """
            class Shape:
                def area(self):
                    raise NotImplementedError

            def first(items):
                for item in items:
                    return item
                raise StopIteration

            def execute(strategy):
                if strategy == "bulk":
                    return bulk()
                elif strategy == "orm":
                    return orm()
                else:
                    raise AssertionError()
            """
        ),
        Valid(
            """
            from myapp.errors import TimeoutError

            def wait(job):
                if not job.done:
                    raise TimeoutError()
            """
        ),
        Valid(
            """
            def test_retry_gives_up():
                def flaky():
                    raise ConnectionError
                assert retry(flaky) is None
            """
        ),
        Valid(
            """
            def lookup(table, key):
                try:
                    if key not in table:
                        raise KeyError
                    return table[key]
                except LookupError:
                    return None
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def parse_quantity(text):
                value = int(text)
                if value <= 0:
                    raise ValueError()
                return value
            """,
            expected_message="`ValueError` raised without a message: say what was wrong and with which value",
            line=4,
            column=15,
        ),
        Invalid(
            """
            def get(self, key):
                if key not in self._data:
                    raise KeyError
                return self._data[key]
            """,
            expected_message="`KeyError` raised without a message: say what was wrong and with which value",
            line=3,
            column=15,
        ),
        Invalid(
            """
            async def load(path):
                try:
                    return await read(path)
                except OSError:
                    raise RuntimeError("") from None
            """,
            expected_message="`RuntimeError` raised with an empty message: say what was wrong and with which value",
            line=5,
            column=15,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where a builtin exception (not exempt) is raised by its bare name, without
        arguments or with one empty string: `raise KeyError`, `raise ValueError()`,
        `raise TypeError("")`."""
        for stmt in region.statements():
            if not isinstance(stmt, ast.Raise) or stmt.exc is None:
                continue
            exc = stmt.exc
            if isinstance(exc, ast.Name):
                if exc.id in BUILTIN_EXCEPTIONS:
                    return True
            elif isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) and exc.func.id in BUILTIN_EXCEPTIONS:
                if not exc.keywords and (not exc.args or (len(exc.args) == 1 and _ast_empty_string(exc.args[0]))):
                    return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        # Module-level classes and assignments shadow the builtin of the same name.
        self._module_catches: Optional[list[frozenset[str]]] = None
        self._shadowed: set[str] = set(self.context.module_facts.imports)
        pending: list[cst.CSTNode] = list(node.body)
        while pending:
            stmt = pending.pop()
            if isinstance(stmt, cst.ClassDef):
                self._shadowed.add(stmt.name.value)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            name = dotted_name(target.target)
                            if name:
                                self._shadowed.add(name)
            elif isinstance(stmt, (cst.If, cst.Try)) and isinstance(stmt.body, cst.IndentedBlock):
                pending.extend(stmt.body.body)
                if isinstance(stmt, cst.Try):
                    for handler in stmt.handlers:
                        if isinstance(handler.body, cst.IndentedBlock):
                            pending.extend(handler.body.body)

    def visit_Raise(self, node: cst.Raise) -> None:
        exc = node.exc
        if exc is None:
            return
        how = "without a message"
        func = exc
        if isinstance(exc, cst.Call):
            func = exc.func
            if exc.args:
                if len(exc.args) == 1 and _is_empty_string(exc.args[0]):
                    how = "with an empty message"
                else:
                    return
        if not isinstance(func, cst.Name):
            return
        name = func.value
        if name not in BUILTIN_EXCEPTIONS or name in self._shadowed:
            return
        raised = BUILTIN_EXCEPTIONS[name]
        if self._caught_locally(raised) or self._signal(raised) or in_test_code(self.context):
            return
        self.report(exc, name=name, how=how)

    def _signal(self, raised: type[BaseException]) -> bool:
        """The exception is a signal, not a report: the module catches its type by name
        (`_lookup()` raises `KeyError`, its caller falls back), or `__getattribute__` raises
        `AttributeError` to hand over to `__getattr__`."""
        if raised is AttributeError:
            function = self.context.enclosing_function()
            if function is not None and function.name.value == "__getattribute__":
                return True
        if self._module_catches is None:
            clauses = []
            for match in _EXCEPT_RE.finditer("\n".join(self.context.lines)):
                names = frozenset(_NAME_RE.findall(match.group(1)))
                clauses.append(frozenset(n for n in names if n in BUILTIN_EXCEPTIONS and n not in self._shadowed))
            self._module_catches = clauses
        catching = sum(1 for clause in self._module_catches if _clause_catches(clause, raised))
        if not catching:
            return False
        # The handlers the raise sits in do not count: `except KeyError: raise KeyError from None`
        # translates a failure, it does not signal one.
        enclosing = sum(
            1
            for node in self.context.ancestors
            if isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler))
            and _clause_catches(frozenset(t.value for t in _handler_types(node.type) if isinstance(t, cst.Name)), raised)
        )
        return catching > enclosing

    def _caught_locally(self, raised: type[BaseException]) -> bool:
        """True when a specific handler of an enclosing `try` (same function) catches `raised`."""
        ancestors = self.context.ancestors
        for index in range(len(ancestors) - 2, -1, -1):
            node = ancestors[index]
            if isinstance(node, SCOPE_TYPES):
                return False
            if isinstance(node, (cst.Try, cst.TryStar)) and ancestors[index + 1] is node.body:
                for handler in node.handlers:
                    if any(_catches(t, raised) for t in _handler_types(handler.type)):
                        return True
        return False


def _clause_catches(names: frozenset[str], raised: type[BaseException]) -> bool:
    return any(
        name in BUILTIN_EXCEPTIONS and name not in _BROAD and issubclass(raised, BUILTIN_EXCEPTIONS[name])
        for name in names
    )


def _handler_types(expr: Optional[cst.BaseExpression]) -> list[cst.BaseExpression]:
    if expr is None:
        return []
    if isinstance(expr, cst.Tuple):
        return [e.value for e in expr.elements]
    return [expr]


def _catches(expr: cst.BaseExpression, raised: type[BaseException]) -> bool:
    if not isinstance(expr, cst.Name) or expr.value in _BROAD:
        return False
    caught = getattr(builtins, expr.value, None)
    return isinstance(caught, type) and issubclass(raised, caught)


def _ast_empty_string(value: ast.expr) -> bool:
    """`_is_empty_string` on CPython's tree: `""` (implicitly concatenated empty strings too, more
    than libcst's `SimpleString`: a hint may say yes too often)."""
    return isinstance(value, ast.Constant) and value.value in ("", b"")


def _is_empty_string(arg: cst.Arg) -> bool:
    if arg.keyword is not None or arg.star:
        return False
    value = arg.value
    if isinstance(value, cst.SimpleString):
        return value.raw_value == ""
    return False

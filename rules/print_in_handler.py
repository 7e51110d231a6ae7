"""XH304: `print()`/`sys.stderr.write()`/`traceback.print_exc()` in an exception handler of a library
module."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Optional, Sequence

import libcst as cst

from errlint.analysis import dotted_name
from errlint.finding import Impact, Severity
from errlint.regions import Region
from errlint.rule import Invalid, LintRule, Valid
from errlint.rules._hints_logging import may_report as _may_report
from errlint.rules._helpers import in_operator_script, in_test_code
from errlint.sensitive import code_of, tokenize

if TYPE_CHECKING:
    from errlint.context import FileContext

_PRINT_TRACEBACK = frozenset(
    {"traceback.print_exc", "traceback.print_exception", "traceback.print_tb", "traceback.print_last"}
)
_STREAM_WRITES = frozenset(
    {"sys.stderr.write", "sys.stdout.write", "sys.stderr.writelines", "sys.stdout.writelines",
     "sys.__stderr__.write", "sys.__stdout__.write"}
)  # fmt: skip
_STD_STREAMS = frozenset({"sys.stderr", "sys.stdout", "sys.__stderr__", "sys.__stdout__"})
# Files that are scripts by convention, whatever they import.
_SCRIPT_FILES = re.compile(r"(?:^|/)(?:__main__|setup|manage|conftest|noxfile|fabfile|tasks)\.py$")
_SCRIPT_DIRS = re.compile(
    r"(?:^|/)(?:scripts?|bin|tools|examples?|docs?|cli|commands|management|migrations|alembic|testing"
    r"|benchmarks?|perf)/"
)
# Start-up code, where logging is not configured yet.
_STARTUP_FILES = re.compile(r"(?:^|/)(?:(?:config|settings|conf|configuration)\.py$|initiali[sz]ation/)")
_STARTUP_WORDS = frozenset(
    {"init", "initialize", "initialise", "initializer", "initialiser", "initialization", "setup", "bootstrap",
     "configure", "startup", "daemon", "daemonize", "pidfile", "pidlock"}
)  # fmt: skip
_INTERACTIVE_RE = re.compile(r"(?<![\w.])input\s*\(|\.isatty\s*\(")
# A condition on one of these flags makes the output something the operator asked for
# (`if verbosity >= 1:` in a Django migrate signal, `if _trace:`, `if settings.DEBUG:`).
_OPT_IN_WORDS = frozenset({"verbosity", "verbose", "debug", "trace", "quiet"})
# Calls that end the process: the printed line is its last word to the operator.
_EXITS = frozenset({"sys.exit", "os._exit", "exit", "quit"})
# Functions that are entry points by name.
_ENTRY_FUNCTIONS = frozenset({"main", "cli", "run_cli"})

_MESSAGES = {
    "print": (
        "`print()` in an exception handler writes the failure to {stream}, outside logging: no level, "
        "no timestamp, no traceback where the logs are collected; use a logger"
    ),
    "stream": (
        "`{call}()` in an exception handler writes the failure around logging: no level, no timestamp, "
        "no traceback where the logs are collected; use a logger"
    ),
    "traceback": (
        "`{call}()` prints the traceback to stderr, bypassing logging: use `logger.exception(...)` so it "
        "reaches the log pipeline with a message and a level"
    ),
}


class PrintInHandler(LintRule):
    """
    ## What it does
    Checks for `print(...)`, `sys.stderr.write(...)`/`sys.stdout.write(...)` and
    `traceback.print_exc()` (also `print_exception`, `print_tb`, `print_last`) inside an
    `except` handler.

    Command-line entry points are exempt, because there the terminal *is* the user interface:
    modules with `if __name__ == "__main__":`, modules that import `click`, `argparse`, `typer`,
    `fire` or `docopt`, script files by convention (`__main__.py`, `setup.py`, `manage.py`,
    `conftest.py`, `noxfile.py`, files under `scripts/`, `bin/`, `tools/`, `examples/`, `docs/`),
    command packages (`cli/`, `commands/`, Django's `management/`), database migrations
    (`migrations/`, `alembic/`: they run as a command and report progress on the terminal), and
    functions named `main`/`cli`. Test code is exempt too (test modules and directories, test
    functions and classes, test-support packages under `testing/`, benchmarks under `perf/` or
    `benchmarks/`): pytest captures the output and shows it with the failing test, which is what
    a diagnostic `print` before a re-raise is for. A `print(..., file=stream)` to a stream other than
    stdout/stderr writes to an output the caller chose and is not flagged either; nor is
    `traceback.print_exc(file=stream)`. Test code and operator scripts follow the one definition
    in `errlint.knowledge.testcode` (`test-paths`, migrations, management commands).

    Not flagged either: a handler that re-raises (the failure goes on to the caller; the output
    only adds to it) or ends the process (`sys.exit(1)`, `os._exit(1)`: stderr is where a
    process that stops reports why), output the operator turned on (inside `if verbosity >= 1:`,
    `if self.verbose:`, `if _trace:`, `if settings.DEBUG:`, as Django's migrate signals do), and
    application start-up code, where logging is not configured yet and the
    console is the only channel (functions named `create_app`/`make_app` or with `init`, `setup`,
    `bootstrap`, `configure`, `startup`, `daemon`, `pidfile` in their qualified name, such as an
    `AppInitializer` or `Pidfile` class; `config.py`, `settings.py`, `conf.py`,
    `initialization/`). A handler is reported once,
    at its first print: a banner of five `sys.stderr.write` lines is one problem. A module that
    talks to a person at a terminal (`input()`, `sys.stdout.isatty()`) is an interactive program,
    and its prints are its interface.

    ## Why is this bad?
    In a service, stdout and stderr are not where errors are looked for: they have no level, no
    timestamp, no logger name, no request context, and in many deployments (WSGI servers,
    Celery workers, Lambda) they are buffered, interleaved or dropped. An error printed in a
    handler is an error nobody sees. `traceback.print_exc()` is the worst case: the most useful
    part of the failure goes around the log pipeline.

    ## Example
    ```python
    def load_plugins(names):
        for name in names:
            try:
                import_plugin(name)
            except ImportError as err:
                print("could not load plugin", name, err)
    ```

    Use instead:
    ```python
    import logging

    logger = logging.getLogger(__name__)

    def load_plugins(names):
        for name in names:
            try:
                import_plugin(name)
            except ImportError:
                logger.warning("could not load plugin %s", name, exc_info=True)
    ```

    ## References
    - [Python docs: Logging HOWTO, when to use logging](https://docs.python.org/3/howto/logging.html#when-to-use-logging)
    - [The Twelve-Factor App: Logs](https://12factor.net/logs)
    - [ruff T201 print](https://docs.astral.sh/ruff/rules/print/)
    """

    CODE: ClassVar[str] = "XH304"
    PREVIEW: ClassVar[bool] = True  # below the precision bar: docs/precision.md
    NAME: ClassVar[str] = "print-in-handler"
    MESSAGE: ClassVar[str] = _MESSAGES["print"].format(stream="stdout")
    SEVERITY: ClassVar[Severity] = Severity.INFO
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (
        r"\bprint\s*\(",
        r"\bsys\.(?:std(?:err|out)|__std(?:err|out)__)\.write",
        r"\btraceback\.print_",
        r"\bprint_(?:exc|exception|tb|last)\b",
    )
    ANALYSES: ClassVar[tuple[str, ...]] = ("module-facts",)

    VALID: ClassVar[Sequence[Valid]] = [
        Valid(
            """
            import sys

            def run():
                try:
                    work()
                except OSError as err:
                    print(f"error: {err}", file=sys.stderr)
                    sys.exit(1)

            if __name__ == "__main__":
                run()
            """
        ),
        Valid(
            """
            import click

            @click.command()
            def sync():
                try:
                    push()
                except ConnectionError:
                    traceback.print_exc()
            """
        ),
        Valid(
            """
            def render(report, out):
                try:
                    report.build()
                except ValueError as err:
                    print("report failed:", err, file=out)  # the caller's stream
                    def later():
                        print("runs outside the handler")
                    return later
                print("not in a handler")
            """
        ),
    ]
    INVALID: ClassVar[Sequence[Invalid]] = [
        Invalid(
            """
            def load_plugins(names):
                for name in names:
                    try:
                        import_plugin(name)
                    except ValueError:
                        raise
                    except ImportError as err:
                        print("could not load plugin", name, err)
            """,
            expected_message=(
                "`print()` in an exception handler writes the failure to stdout, outside logging: no level, "
                "no timestamp, no traceback where the logs are collected; use a logger"
            ),
            line=8,
            column=13,
        ),
        Invalid(
            """
            import traceback

            async def consume(queue):
                try:
                    await queue.get()
                except* OSError:
                    traceback.print_exc()
            """,
            expected_message=(
                "`traceback.print_exc()` prints the traceback to stderr, bypassing logging: use "
                "`logger.exception(...)` so it reaches the log pipeline with a message and a level"
            ),
            line=7,
            column=9,
        ),
        Invalid(
            """
            import sys
            try:
                import ujson as json
            except ImportError:
                sys.stderr.write("ujson missing, falling back\\n")
                import json
            """,
            expected_message=(
                "`sys.stderr.write()` in an exception handler writes the failure around logging: no level, "
                "no timestamp, no traceback where the logs are collected; use a logger"
            ),
            line=5,
            column=5,
        ),
    ]

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """Only where `print(...)`, a `print_exc`-like call, `<stream>.write(...)` or a bare-name call (an import alias) sits in an `except` handler of its own frame that does not re-raise, outside `main`/`cli` and start-up functions."""
        return _may_report(region, cls.CODE)

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__(context, options)
        self._reported: set[int] = set()  # handlers already reported: one finding per handler
        self._prompts: Optional[bool] = None

    def visit_Call(self, node: cst.Call) -> None:
        handler = self.context.enclosing_handler()
        if handler is None or id(handler) in self._reported:
            return
        kind, call = self._kind(node)
        if kind is None or self._is_entry_point() or self._at_startup() or self._interactive():
            return
        facts = self.context.handler_facts(handler)
        if facts.reraises:
            return  # the failure goes on to the caller: the output only adds to it
        if any(self.context.qualify(call.func) in _EXITS for call in facts.calls):
            return  # `sys.exit(1)` ends the process like `raise SystemExit(1)`: stderr is where it reports
        if self._opted_in():
            return
        self._reported.add(id(handler))
        self.report(node, message=_MESSAGES[kind].format(call=call, stream=call))

    def _opted_in(self) -> bool:
        """Inside `if verbosity >= 1:`, `if self.verbose:`, `if _trace:`, `if settings.DEBUG:`: output the
        operator turned on, not the failure's only report."""
        ancestors = self.context.ancestors
        for index, ancestor in enumerate(ancestors[:-1]):
            if isinstance(ancestor, cst.If) and ancestors[index + 1] is ancestor.body:
                if set(tokenize(code_of(ancestor.test, 200))) & _OPT_IN_WORDS:
                    return True
        return False

    def _interactive(self) -> bool:
        """The module talks to a person at a terminal (`input()`, `isatty()`)."""
        if self._prompts is None:
            # The source as read: the parsed module may have functions blanked by the prefilter.
            self._prompts = bool(_INTERACTIVE_RE.search("\n".join(self.context.lines)))
        return self._prompts

    def _at_startup(self) -> bool:
        """Application start-up and configuration (`create_app`, `init_*`, an `...Initializer`,
        `config.py`/`settings.py`): logging is not configured yet, the console is the channel."""
        path = self.context.path.replace("\\", "/")
        if _STARTUP_FILES.search(path):
            return True
        frame = self.context.frame
        words = set(tokenize(frame.qualname or ""))
        return bool(words & _STARTUP_WORDS) or {"create", "app"} <= words or {"make", "app"} <= words

    def _kind(self, node: cst.Call) -> tuple[Optional[str], str]:
        func = node.func
        if isinstance(func, cst.Name) and func.value == "print":
            imported = self.context.module_facts.imports.get("print")
            if imported is not None and imported not in ("rich.print", "builtins.print"):
                return None, ""
            stream = "stdout"
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "file":
                    target = self.context.qualify(arg.value)
                    if target not in _STD_STREAMS:
                        return None, ""
                    stream = "stderr" if "stderr" in (target or "") else "stdout"
            return "print", stream
        qualified = self.context.qualify(func)
        if qualified in _PRINT_TRACEBACK:
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "file":
                    if self.context.qualify(arg.value) not in _STD_STREAMS:
                        return None, ""
            return "traceback", dotted_name(func) or qualified
        if qualified in _STREAM_WRITES:
            return "stream", dotted_name(func) or qualified
        return None, ""

    def _is_entry_point(self) -> bool:
        context = self.context
        if context.is_cli_module:
            return True
        path = context.path.replace("\\", "/")
        if _SCRIPT_FILES.search(path) or _SCRIPT_DIRS.search(path) or in_test_code(context) or in_operator_script(context):
            return True
        function = context.enclosing_function()
        return function is not None and function.name.value in _ENTRY_FUNCTIONS

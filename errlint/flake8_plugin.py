"""The flake8 adapter: run errlint's engine inside flake8 under the `XH` prefix.

flake8 finds `Plugin` through the `flake8.extension` entry point `XH` and, because `__init__` takes
`tree`, runs it once per file as an AST plugin. The adapter ignores the `ast` tree (errlint
re-parses `lines` with libcst), runs the rules errlint's configuration enables and yields
`(line, 0-based column, "XH101 [warning] message", type(self))`.

errlint's configuration applies under flake8 as on the command line: the closest
`.errlint.toml`/`errlint.toml`/`pyproject.toml` with `[tool.errlint]` to the linted file (the
working directory for standard input), with its `local-rules`, or the file given with
`--errlint-config`: the plugin lints through `errlint.api`'s `Session`, as `errlint check` does.
So errlint's `select`, `ignore`, `per-file-ignores`, preview, vocabularies, per-rule options,
critical paths and PII severities apply, and each message carries errlint's severity (`[error]`, `[warning]`,
`[info]`), since flake8 has none. flake8's own `--select`/`--ignore`/`per-file-ignores` and
`# noqa` then filter what errlint reported (the engine runs with `apply_noqa=False`: flake8 owns
noqa). A configuration error does not stop flake8 (which would blank every other linter's
results in an editor): each file gets one `XH000 [error] errlint configuration error: …` at 1:1.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any, ClassVar, Iterator, Optional, Sequence

from errlint import __version__
from errlint.errors import ErrlintError
from errlint.api import Session, display_of

_STDIN_NAMES = ("stdin", "-", "")


class Plugin:
    """flake8 AST plugin: yields errlint findings for one file."""

    name: ClassVar[str] = "errlint"
    version: ClassVar[str] = __version__

    # Set by `parse_options` (once per flake8 process, including each `-j` worker).
    config_file: ClassVar[Optional[str]] = None
    # The configurations and rules of the files linted so far (errlint.api's `Session`).
    _session: ClassVar[Optional[Session]] = None

    def __init__(self, tree: ast.AST, lines: Sequence[str], filename: str) -> None:
        # flake8 requires `tree` to classify the plugin; errlint parses `lines` with libcst.
        del tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, manager: Any) -> None:
        """Register `--errlint-config` (also `errlint-config = ...` in flake8's config)."""
        manager.add_option(
            "--errlint-config",
            metavar="FILE",
            default=None,
            parse_from_config=True,
            normalize_paths=True,
            help="Read errlint's [tool.errlint] settings from FILE instead of the nearest "
            "pyproject.toml with a [tool.errlint] table.",
        )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.config_file = getattr(options, "errlint_config", None)
        cls._session = None

    @classmethod
    def session(cls) -> Session:
        if cls._session is None:
            cls._session = Session(cls.config_file)
        return cls._session

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        """Lint the file and yield flake8 results (0-based columns)."""
        path = None if self.filename in _STDIN_NAMES else Path(self.filename)
        cwd = Path.cwd()
        try:
            # As `errlint check` does: the configuration closest to the file (for standard input,
            # the working directory's).
            linter = self.session().linter_for(path, cwd)
        except ErrlintError as err:
            # One diagnostic, not a crash: flake8 and its other plugins keep working.
            yield 1, 0, f"XH000 [error] errlint configuration error: {err.format_message()}", type(self)
            return
        if not linter.rules:
            return
        # flake8 owns noqa: its `# noqa` and `--disable-noqa` apply to errlint's results too.
        result = linter.lint_text("".join(self.lines), display_of(path, cwd), apply_noqa=False)
        if result.facts:  # project-level rules (XH405): this file with the stored facts of the others
            from errlint.projectlevel import judge_one

            result.findings += judge_one(result, path, linter.config, text="".join(self.lines), cwd=cwd)
        for crash in result.crashes:
            # flake8 has no channel for a partial failure: say so on stderr and keep the rest.
            print(f"errlint: rule {crash.rule} crashed on {crash.path}: {crash.error}", file=sys.stderr)
        for finding in result.findings:
            critical = " (critical)" if finding.critical else ""
            message = f"{finding.code} [{finding.severity.value}]{critical} {finding.message}"
            yield finding.line, max(finding.column - 1, 0), message, type(self)

"""The flake8 adapter: run errlint's engine inside flake8 under the `XH` prefix.

flake8 finds `Plugin` through the `flake8.extension` entry point `XH` and, because `__init__` takes
`tree`, runs it once per file as an AST plugin. The adapter ignores the `ast` tree (errlint
re-parses `lines` with libcst), runs the rules errlint's configuration enables and yields
`(line, 0-based column, "XH101 [warning] message", type(self))`.

errlint's configuration applies under flake8 as on the command line: the closest
`.errlint.toml`/`errlint.toml`/`pyproject.toml` with `[tool.errlint]` to the linted file (the
working directory for standard input), or the file given with `--errlint-config`. So errlint's
`select`, `ignore`, `per-file-ignores`, preview, vocabularies, per-rule options, critical paths and
PII severities apply, and each message carries errlint's severity (`[error]`, `[warning]`,
`[info]`), since flake8 has none. flake8's own `--select`/`--ignore`/`per-file-ignores` and
`# noqa` then filter what errlint reported (the engine runs with `apply_noqa=False`: flake8 owns
noqa). A configuration error does not stop flake8 (which would blank every other linter's
results in an editor): each file gets one `XH000 [error] errlint configuration error: …` at 1:1.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from pathlib import Path
from typing import Any, ClassVar, Iterator, Optional, Sequence

from errlint import __version__
from errlint.config import Config
from errlint.errors import ErrlintError
from errlint.rule import LintRule, all_rules

_STDIN_NAMES = ("stdin", "-", "")


class Plugin:
    """flake8 AST plugin: yields errlint findings for one file."""

    name: ClassVar[str] = "errlint"
    version: ClassVar[str] = __version__

    # Set by `parse_options` (once per flake8 process, including each `-j` worker).
    config_file: ClassVar[Optional[str]] = None
    # Loaded configurations, by directory searched or by --errlint-config file.
    _configs: ClassVar[dict[str, Config]] = {}
    # Rules and their option objects, by configuration.
    _prepared: ClassVar[dict[int, tuple[Config, list[type[LintRule]], dict[str, object]]]] = {}

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
        cls._configs.clear()
        cls._prepared.clear()

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        """Lint the file and yield flake8 results (0-based columns)."""
        from errlint.engine import lint_text

        path = self._display_path()
        try:
            config, rules, options = self._prepare(self._config())
        except ErrlintError as err:
            # One diagnostic, not a crash: flake8 and its other plugins keep working.
            yield 1, 0, f"XH000 [error] errlint configuration error: {err.format_message()}", type(self)
            return
        if not rules:
            return
        result = lint_text("".join(self.lines), path, config, rules, options=options, apply_noqa=False)
        if result.facts:  # project-level rules (XH405): this file with the stored facts of the others
            from errlint.projectlevel import judge_one

            result.findings += judge_one(result, Path(self.filename), config, text="".join(self.lines))
        for crash in result.crashes:
            # flake8 has no channel for a partial failure: say so on stderr and keep the rest.
            print(f"errlint: rule {crash.rule} crashed on {crash.path}: {crash.error}", file=sys.stderr)
        for finding in result.findings:
            critical = " (critical)" if finding.critical else ""
            message = f"{finding.code} [{finding.severity.value}]{critical} {finding.message}"
            yield finding.line, max(finding.column - 1, 0), message, type(self)

    # -- helpers ------------------------------------------------------------------------

    def _display_path(self) -> str:
        """The path as the errlint CLI would show it: relative to the working directory."""
        if self.filename in _STDIN_NAMES:
            return "-"
        from errlint.discovery import display_path

        return display_path(Path(self.filename), Path.cwd()).replace(os.sep, "/")

    def _config(self) -> Config:
        from errlint.api import load_run_config

        if self.config_file is not None:
            key = "file:" + self.config_file
            if key not in self._configs:
                self._configs[key] = load_run_config(self.config_file, False, Path.cwd())
            return self._configs[key]
        if self.filename in _STDIN_NAMES or not os.path.exists(self.filename):
            start = Path.cwd()
        else:
            start = Path(self.filename).resolve().parent
        key = "dir:" + str(start)
        if key not in self._configs:
            self._configs[key] = load_run_config(None, False, start)
        return self._configs[key]

    def _prepare(self, config: Config) -> tuple[Config, list[type[LintRule]], dict[str, object]]:
        """The engine's configuration, rules and rule options for `config` (cached)."""
        key = id(config)
        if key not in self._prepared:
            from errlint.engine import rule_options, select_rules

            rules = select_rules(config, all_rules())
            self._prepared[key] = (config, rules, rule_options(config, rules))
        return self._prepared[key]

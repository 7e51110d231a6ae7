"""The flake8 adapter: run errlint's engine inside flake8 under the `XH` prefix.

flake8 finds `Plugin` through the `flake8.extension` entry point `XH` and, because `__init__` takes
`tree`, runs it once per file as an AST plugin. The adapter ignores the `ast` tree (errlint
re-parses `lines` with libcst), runs every enabled rule and yields
`(line, 0-based column, "XH101 message", type(self))`.

Who decides what:

- flake8 decides what is shown: `--select`/`--ignore`/`--extend-ignore`, `per-file-ignores` and
  `# noqa` are flake8's, so errlint's own `select`, `ignore` and `per-file-ignores` are not applied
  here, and the engine runs with `apply_noqa=False`.
- errlint's `[tool.errlint]` still applies to what the rules *mean*: vocabularies (`logger-names`,
  `report-functions`, exception taxonomies, `[tool.errlint.pii]`), per-rule options, critical paths
  and `preview` (preview rules run when `preview = true` or when `select`/`extend-select` names
  their exact code, as on the command line). It is found like the CLI finds it: the nearest
  `pyproject.toml` with `[tool.errlint]`, walking up from the linted file's directory (from the
  working directory for standard input), or the file given with `--errlint-config`.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
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
            # A bad [tool.errlint] stops the run with one clear line, as on the command line.
            raise _execution_error(f"errlint: error: {err.format_message()}") from None
        if not rules:
            return
        result = lint_text("".join(self.lines), path, config, rules, options=options, apply_noqa=False)
        for crash in result.crashes:
            # flake8 has no channel for a partial failure: say so on stderr and keep the rest.
            print(f"errlint: rule {crash.rule} crashed on {crash.path}: {crash.error}", file=sys.stderr)
        for finding in result.findings:
            critical = "(critical) " if finding.critical else ""
            yield finding.line, max(finding.column - 1, 0), f"{finding.code} {critical}{finding.message}", type(self)

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
            from errlint.engine import UNPARSABLE, rule_options

            named = set(config.select) | set(config.extend_select)
            rules = [
                rule
                for rule in all_rules()
                if rule.CODE != UNPARSABLE and (not rule.PREVIEW or config.preview or rule.CODE in named)
            ]
            # flake8 applies per-file-ignores (and noqa) itself: keep errlint's out of the way.
            engine_config = dataclasses.replace(config, per_file_ignores=()) if config.per_file_ignores else config
            self._prepared[key] = (engine_config, rules, rule_options(config, rules))
        return self._prepared[key]


def _execution_error(message: str) -> Exception:
    """flake8's `ExecutionError` (flake8 prints it as a critical error and exits non-zero)."""
    import importlib

    exceptions = importlib.import_module("flake8.exceptions")  # flake8 ships no type information
    error: Exception = exceptions.ExecutionError(message)
    return error

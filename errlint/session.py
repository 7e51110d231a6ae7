"""The configuration and the rules of every file, resolved the same way by every entry point.

A `Session` is what `errlint check`, the flake8 plugin, `errlint review` and the editor server
share: the closest configuration to each file (`errlint.project.ConfigResolver`: `.errlint.toml`,
`errlint.toml` or `pyproject.toml` with `[tool.errlint]`, its `local-rules` loaded), the
command-line overrides (`select` replaces, `extend-select` and `ignore` add, `preview`), and per
configuration a `Linter`: the enabled rules and their options, with the one fix path
(`errlint.fixview.fix_result`). `errlint.api.check` builds the whole run on it.

Nothing here imports libcst, rich or the anthropic SDK at import time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence, Union

from errlint.config import Config, validate_selector, with_overrides

if TYPE_CHECKING:
    from errlint.engine import FileResult
    from errlint.fixview import Fixed
    from errlint.rule import LintRule

Codes = Union[str, Sequence[str], None]  # "XH1,XH301" as on the command line, or a list

# XH700-XH999 belong to external rules, which a project's `local-rules` may load later.
_EXTERNAL_RE = re.compile(r"^XH[7-9][0-9]{0,2}$")


def parse_codes(value: Codes, option: str) -> Optional[tuple[str, ...]]:
    """Validated codes or prefixes from `"XH1, XH301"` or a list; `option` names them in errors."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    known = _known_codes()
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        external = _EXTERNAL_RE.match(item.upper())
        out.append(item.upper() if external else validate_selector(item, known, "command line", option))
    return tuple(out)


def _known_codes() -> list[str]:
    """Every rule code (errlint's and the loaded plugins')."""
    from errlint.catalog import known_codes  # without importing the rules

    return known_codes()


@dataclass
class Linter:
    """A configuration with its enabled rules and their options: everything a lint needs."""

    config: Config
    rules: Sequence[type[LintRule]]  # a lazy `RuleSelection`: a rule is imported when first used
    prefilter: bool = True
    _options: Optional[dict[str, object]] = field(default=None, repr=False, compare=False)

    @classmethod
    def from_config(
        cls, config: Config, rules: Optional[Sequence[type[LintRule]]] = None, *, prefilter: bool = True
    ) -> Linter:
        """The rules `config` enables (or `rules` as given)."""
        from errlint.engine import select_rules

        return cls(config, list(rules) if rules is not None else select_rules(config), prefilter)

    @property
    def options(self) -> dict[str, object]:
        """The rules' configured options (made when a text is first linted here: files linted by
        workers or found in the cache never need them in this process)."""
        if self._options is None:
            from errlint.engine import rule_options

            self._options = rule_options(self.config, self.rules)
        return self._options

    def lint_text(self, text: str, path: str, *, apply_noqa: bool = True, keep_source: bool = False) -> FileResult:
        from errlint.engine import lint_text

        return lint_text(
            text,
            path,
            self.config,
            self.rules,
            options=self.options,
            apply_noqa=apply_noqa,
            keep_source=keep_source,
            prefilter=self.prefilter,
        )

    def lint_bytes(self, data: bytes, path: str, *, apply_noqa: bool = True, keep_source: bool = False) -> FileResult:
        from errlint.engine import lint_bytes

        return lint_bytes(
            data,
            path,
            self.config,
            self.rules,
            options=self.options,
            apply_noqa=apply_noqa,
            keep_source=keep_source,
            prefilter=self.prefilter,
        )

    def fix_result(self, result: FileResult, *, unsafe: bool = False, path: Optional[Path] = None) -> Fixed[FileResult]:
        """Fix the file linted as `result` (with its source kept), re-linting between passes:
        written once to `path` when given, else only the fixed text (`errlint.fixview`)."""
        from errlint.fixview import fix_result

        def relint(text: str) -> FileResult:
            return self.lint_text(text, result.path, keep_source=True)

        return fix_result(result, relint, unsafe=unsafe, path=path)


class Session:
    """The configurations of a run's files, with the overrides applied, and their linters."""

    def __init__(
        self,
        config_file: Optional[str] = None,
        *,
        isolated: bool = False,
        select: Codes = None,
        extend_select: Codes = None,
        ignore: Codes = None,
        preview: Optional[bool] = None,
        prefilter: bool = True,
    ) -> None:
        from errlint.project import ConfigResolver

        self._select = parse_codes(select, "--select")
        self._extend_select = parse_codes(extend_select, "--extend-select")
        self._ignore = parse_codes(ignore, "--ignore")
        self._preview = preview
        self.prefilter = prefilter
        self._linters: dict[int, tuple[Config, Linter]] = {}
        # Raises UsageError for a missing `config_file` (`--config: FILE: no such file`).
        self.resolver: ConfigResolver = ConfigResolver(config_file, isolated, self._override)

    def _override(self, config: Config) -> Config:
        return with_overrides(
            config,
            select=self._select,
            extend_select=self._extend_select,
            ignore=(config.ignore + self._ignore) if self._ignore else None,
            preview=self._preview,
        )

    def config_for_dir(self, directory: Path) -> Config:
        """The configuration for files in `directory` (a `ConfigError` when it is invalid)."""
        return self.resolver.for_dir(directory)

    def config_for(self, path: Optional[Path], cwd: Optional[Path] = None) -> Config:
        """The configuration for the file `path` (need not exist); None: code in `cwd` (stdin)."""
        if path is None:
            return self.resolver.for_dir(cwd or Path.cwd())
        return self.resolver.for_path(path)

    def linter(self, config: Config) -> Linter:
        """The rules `config` enables and their options (built once per configuration)."""
        known = self._linters.get(id(config))
        if known is None or known[0] is not config:
            known = (config, Linter.from_config(config, prefilter=self.prefilter))
            self._linters[id(config)] = known
        return known[1]

    def linter_for(self, path: Optional[Path], cwd: Optional[Path] = None) -> Linter:
        return self.linter(self.config_for(path, cwd))

    def lint_text(
        self,
        text: str,
        path: Optional[Path],
        *,
        cwd: Optional[Path] = None,
        apply_noqa: bool = True,
        keep_source: bool = False,
    ) -> FileResult:
        """Lint one source text (an editor buffer, a flake8 file, standard input) as the file
        `path` with the configuration that applies to it, reported as `errlint check` shows it."""
        cwd = cwd or Path.cwd()
        linter = self.linter_for(path, cwd)
        return linter.lint_text(text, display_of(path, cwd), apply_noqa=apply_noqa, keep_source=keep_source)


def display_of(path: Optional[Path], cwd: Path) -> str:
    """How `errlint check` shows `path`: relative to `cwd` when below it, `-` for standard input."""
    if path is None:
        return "-"
    from errlint.discovery import display_path

    return display_path(path, cwd).replace(os.sep, "/")


def load_run_config(config_file: Optional[str], isolated: bool, cwd: Path) -> Config:
    """The configuration for files in `cwd`, found and validated as every entry point does.

    `isolated`: no file at all (defaults). `config_file`: that file (a `UsageError` if missing).
    Otherwise the closest configuration from `cwd` upwards, with its `local-rules` loaded.
    """
    return Session(config_file, isolated=isolated).config_for_dir(cwd)


def configure(
    config_file: Optional[str] = None,
    *,
    isolated: bool = False,
    cwd: Optional[Path] = None,
    select: Codes = None,
    extend_select: Codes = None,
    ignore: Codes = None,
    preview: Optional[bool] = None,
) -> Config:
    """The configuration for files in `cwd` with command-line overrides: `select` replaces,
    `extend_select` and `ignore` add."""
    session = Session(
        config_file, isolated=isolated, select=select, extend_select=extend_select, ignore=ignore, preview=preview
    )
    return session.config_for_dir(cwd or Path.cwd())

"""errlint's one orchestration: load the configuration, select the rules, lint, fix.

The command line (`errlint check`), the flake8 plugin, `errlint review` and editor integrations
all go through here, so a selection, a cache or a fix behaves the same wherever it is used:

    config = configure(cwd=Path.cwd(), select="XH1,XH3")        # [tool.errlint] + overrides
    linter = Linter.from_config(config)                          # enabled rules and their options
    run = linter.lint_paths(["src"], jobs=2, cache_dir=None)     # discover, cache, lint: a LintRun
    fixed = linter.fix(run, unsafe=False)                        # apply fixes, write files, re-lint
    for result in run.results: ...                               # one FileResult per file

`lint_paths` hands the files to a `FileRunner` (default: `errlint.engine.lint_files`, processes
when it pays off). Another runner - crash-isolating workers, a remote pool - plugs in with the
same signature: given `(path, display)` pairs it returns one `FileResult` per file, in order.

Nothing here imports libcst, rich or the anthropic SDK at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, Sequence, Union

from errlint.config import Config, find_config_file, load_config, validate_selector, with_overrides
from errlint.errors import UsageError
from errlint.finding import Finding, RuleCrash

if TYPE_CHECKING:
    from errlint.cache import ResultCache
    from errlint.engine import FileResult
    from errlint.rule import LintRule
    from errlint.writeback import FileFix

Codes = Union[str, Sequence[str], None]  # "XH1,XH301" as on the command line, or a list


# --- configuration and selection ------------------------------------------------------------


def load_run_config(config_file: Optional[str], isolated: bool, cwd: Path) -> Config:
    """Find and validate the configuration the way every entry point does.

    `isolated`: no file at all (defaults). `config_file`: that file (a `UsageError` if missing).
    Otherwise the nearest `pyproject.toml` with `[tool.errlint]` from `cwd` upwards.
    """
    from errlint import catalog  # the rules' codes and names without importing them

    known = catalog.known_codes()
    options = catalog.option_parsers()
    names = catalog.names_to_codes()
    if isolated:
        return Config()
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise UsageError(f"--config: {config_file}: no such file")
        return load_config(path, known_codes=known, rule_options=options, names_to_codes=names)
    found = find_config_file(cwd)
    return load_config(found, known_codes=known, rule_options=options, names_to_codes=names)


def parse_codes(value: Codes, option: str) -> Optional[tuple[str, ...]]:
    """Validated codes or prefixes from `"XH1, XH301"` or a list; `option` names them in errors."""
    if value is None:
        return None
    from errlint.catalog import known_codes

    items = value.split(",") if isinstance(value, str) else list(value)
    known = known_codes()
    return tuple(validate_selector(v, known, "command line", option) for v in (i.strip() for i in items) if v)


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
    """The configuration with command-line overrides: `select` replaces, `ignore` adds."""
    config = load_run_config(config_file, isolated, cwd or Path.cwd())
    extra_ignore = parse_codes(ignore, "--ignore")
    return with_overrides(
        config,
        select=parse_codes(select, "--select"),
        extend_select=parse_codes(extend_select, "--extend-select"),
        ignore=(config.ignore + extra_ignore) if extra_ignore else None,
        preview=preview,
    )


# --- linting ----------------------------------------------------------------------------------


class FileRunner(Protocol):
    """Lints `(path, display)` pairs and returns one `FileResult` per pair, in order."""

    def __call__(
        self,
        files: Sequence[tuple[Path, str]],
        config: Config,
        rules: Sequence[type[LintRule]],
        *,
        jobs: Optional[int] = None,
        keep_source: bool = False,
        cache: Optional[ResultCache] = None,
        prefilter: bool = True,
    ) -> list[FileResult]: ...


@dataclass
class LintRun:
    """What one lint of paths produced: one result per file (unreadable folders included)."""

    results: list[FileResult] = field(default_factory=list)
    files: int = 0  # files linted (not counting unreadable folders)
    fixed: int = 0  # fixes applied by `Linter.fix`
    paths: list[Path] = field(default_factory=list)  # where each linted result's file is, in order
    fix_errors: list[str] = field(default_factory=list)  # files `fix` could not write, one line each
    fix_notes: list[str] = field(default_factory=list)  # fixes skipped (not encodable), one line each

    @property
    def findings(self) -> list[Finding]:
        return [f for result in self.results for f in result.findings]

    @property
    def crashes(self) -> list[RuleCrash]:
        return [c for result in self.results for c in result.crashes]


@dataclass
class Linter:
    """A configuration with its enabled rules and their options: everything a lint needs."""

    config: Config
    rules: Sequence[type[LintRule]]
    options: dict[str, object]
    prefilter: bool = True

    @classmethod
    def from_config(cls, config: Config, rules: Optional[Sequence[type[LintRule]]] = None, *, prefilter: bool = True) -> Linter:
        """The rules `config` enables (or `rules` as given) and their configured options."""
        from errlint.engine import rule_options, select_rules

        chosen = list(rules) if rules is not None else select_rules(config)
        return cls(config, chosen, rule_options(config, chosen), prefilter)

    def lint_text(self, text: str, path: str, *, apply_noqa: bool = True, keep_source: bool = False) -> FileResult:
        from errlint.engine import lint_text

        return lint_text(
            text, path, self.config, self.rules, options=self.options, apply_noqa=apply_noqa, keep_source=keep_source, prefilter=self.prefilter
        )

    def lint_bytes(self, data: bytes, path: str, *, apply_noqa: bool = True, keep_source: bool = False) -> FileResult:
        from errlint.engine import lint_bytes

        return lint_bytes(
            data, path, self.config, self.rules, options=self.options, apply_noqa=apply_noqa, keep_source=keep_source, prefilter=self.prefilter
        )

    def lint_paths(
        self,
        paths: Sequence[str],
        *,
        cwd: Optional[Path] = None,
        jobs: Optional[int] = None,
        use_cache: bool = True,
        cache_dir: Optional[Path] = None,
        keep_source: bool = False,
        runner: Optional[FileRunner] = None,
    ) -> LintRun:
        """Discover the files under `paths`, look them up in the cache, lint the others.

        Unreadable folders and `.gitignore` files are XH000 results (after the linted files).
        """
        from errlint.discovery import discover

        cwd = cwd or Path.cwd()
        found = discover(paths, self.config, cwd)
        targets = [t for t in found if t.error is None]
        cache = None
        if use_cache:
            from errlint.cache import ResultCache, default_cache_dir

            cache = ResultCache.open(cache_dir or default_cache_dir(self.config, cwd), self.config, self.rules)
        if runner is None:
            from errlint.engine import lint_files

            runner = lint_files
        results = runner(
            [(t.path, t.display) for t in targets],
            self.config,
            self.rules,
            jobs=jobs,
            keep_source=keep_source,
            cache=cache,
            prefilter=self.prefilter,
        )
        run = LintRun(list(results), len(targets), paths=[t.path for t in targets])
        if any(t.error for t in found):
            from errlint.engine import FileResult, unparsable

            run.results.extend(FileResult(t.display, [unparsable(t.display, t.error)]) for t in found if t.error)
        return run

    # -- fixing ----------------------------------------------------------------------------------

    def fix(self, run: LintRun, *, unsafe: bool = False) -> int:
        """Apply the fixes of `run` (linted with `keep_source=True`) to its files; return how many.

        Each file is fixed until no fix applies (at most `errlint.fixes.MAX_FIX_PASSES` rounds), re-linted in
        between, and written once through `errlint.writeback` (atomic, in the file's own encoding,
        never over a newer edit). A file that cannot be written keeps its result and adds one line
        to `run.fix_errors`; fixes that could not be encoded add a line to `run.fix_notes`.
        """
        total = 0
        for index, path in enumerate(run.paths):
            outcome = self.fix_file(path, run.results[index], unsafe=unsafe)
            display = run.results[index].path
            run.fix_notes.extend(f"{display}:{note}" for note in outcome.notes)
            if outcome.error is not None:
                run.fix_errors.append(f"{display}: not fixed, the file is unchanged: {outcome.error}")
            run.results[index] = outcome.result
            total += outcome.applied
        run.fixed += total
        return total

    def fix_file(self, path: Path, result: FileResult, *, unsafe: bool = False) -> FileFix:
        """Fix one file whose `result` kept its source and write it once (errlint.writeback)."""
        from errlint.writeback import fix_file

        def relint(text: str) -> FileResult:
            return self.lint_text(text, result.path, keep_source=True)

        return fix_file(path, result, relint, unsafe=unsafe)

"""errlint's one orchestration: load the configuration, select the rules, lint, fix.

`errlint check` is `check(CheckRequest(...), observer)`; its click code only parses the options
and prints. `errlint review` lints through `check` too, and the flake8 plugin and the editor
server lint one text at a time through the same `Session` (`errlint.session`): the closest
configuration to each file, the command-line overrides, the enabled rules and their options, the
one fix path. So a selection, a cache or a fix behaves the same wherever errlint is used:

    request = CheckRequest(paths=["src"], preview=True, fix=True)
    result = check(request)                  # discover, cache, lint, fix: a CheckResult
    for finding in result.findings: ...      # shown findings, sorted
    result.results                           # one FileResult per linted file, in display order

A run: validate the request; resolve the configurations (`Session`); discover the files under
each path with the configuration of each folder; keep the shard's files (`shard`); lint them per
configuration in batches (`runner`: `errlint.engine.lint_files` by default, any callable with its
signature plugs in), from the result cache when it holds them; fix each batch (`fix`/`diff`);
`_finish` the run (project-level rules: where all file results are known); then choose the
findings shown (`critical_only`, `min_severity`, `baseline`) or record them (`write_baseline`,
`add_noqa`). A `CheckObserver` hears about each step as it happens (the command line prints `-v`
lines, fix errors and a progress bar from it, and streams concise findings).

Nothing here imports libcst, rich or the anthropic SDK at import time.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, Sequence

from errlint.config import Config
from errlint.errors import UsageError
from errlint.finding import Finding, FixSafety, RuleCrash, Severity
from errlint.session import Codes, Linter, Session, configure, display_of, load_run_config, parse_codes

if TYPE_CHECKING:
    from errlint.cache import ResultCache
    from errlint.discovery import Target
    from errlint.engine import FileResult
    from errlint.reporters import RunResult
    from errlint.rule import LintRule
    from errlint.shard import Shard

__all__ = [
    "CheckObserver",
    "CheckRequest",
    "CheckResult",
    "Codes",
    "FileRunner",
    "Linter",
    "Session",
    "check",
    "configure",
    "display_of",
    "discover",
    "load_run_config",
    "parse_codes",
    "settings_text",
]


# --- the request ------------------------------------------------------------------------------


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
class CheckRequest:
    """Everything `errlint check` can be asked, as values (the command line's options)."""

    paths: Sequence[str] = (".",)  # `("-",)`: standard input (`stdin`, else `sys.stdin`)
    cwd: Optional[Path] = None  # where relative paths start, shown relative to it (default: the process's)
    # configuration
    config_file: Optional[str] = None
    isolated: bool = False
    select: Codes = None
    extend_select: Codes = None
    ignore: Codes = None
    preview: Optional[bool] = None
    # standard input
    stdin: Optional[bytes] = None
    stdin_filename: Optional[str] = None
    # linting
    jobs: Optional[int] = None
    use_cache: bool = True
    cache_dir: Optional[Path] = None
    prefilter: bool = True
    keep_source: bool = False  # keep each file's text on its result (fixes keep it anyway)
    runner: Optional[FileRunner] = None
    shard: Optional[Shard] = None  # lint only the files this shard owns
    # fixing
    fix: bool = False  # write the fixes (standard input: `CheckResult.fixed_source`)
    diff: bool = False  # collect the fixes as unified diffs, write nothing
    unsafe_fixes: bool = False
    # the findings shown
    critical_only: bool = False
    min_severity: Optional[str] = None
    baseline: Optional[Path] = None
    prune_baseline: bool = False
    # recording instead of reporting
    write_baseline: Optional[Path] = None
    add_noqa: bool = False
    noqa_reason: Optional[str] = None

    def validate(self) -> None:
        """Reject what cannot mean anything (`UsageError`/`ConfigError`: one line, exit 2)."""
        from errlint.adoption import check_options
        from errlint.shard import check_options as check_shard_options

        for value, option in ((self.select, "--select"), (self.extend_select, "--extend-select"), (self.ignore, "--ignore")):
            parse_codes(value, option)
        check_options(
            self.write_baseline, self.baseline, self.prune_baseline, self.add_noqa, self.noqa_reason, self.fix or self.diff
        )
        check_shard_options(self.shard, stdin="-" in self.paths, write_baseline=self.write_baseline is not None)
        if self.fix and self.diff:
            raise UsageError("--fix and --diff cannot be combined: --diff shows the fixes without applying them")
        if self.min_severity is not None and self.min_severity not in {s.value for s in Severity}:
            raise UsageError(f"--min-severity: unknown severity {self.min_severity!r} (expected error, warning or info)")

    def session(self) -> Session:
        return Session(
            self.config_file,
            isolated=self.isolated,
            select=self.select,
            extend_select=self.extend_select,
            ignore=self.ignore,
            preview=self.preview,
            prefilter=self.prefilter,
        )

    @property
    def fixing(self) -> bool:
        return self.fix or self.diff


# --- the result -------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """What one run produced."""

    results: list[FileResult] = field(default_factory=list)  # linted files, in display order
    unreadable: list[FileResult] = field(default_factory=list)  # folders/.gitignore not read: XH000
    files: int = 0  # files linted with at least one rule
    findings: list[Finding] = field(default_factory=list)  # shown: filtered, baselined, sorted
    crashes: list[RuleCrash] = field(default_factory=list)
    fixed: int = 0  # fixes applied (--fix)
    fixed_codes: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (path, code, name)
    would_fix: int = 0  # --diff: fixes that would apply
    diffs: list[str] = field(default_factory=list)  # --diff: one unified diff per file
    unsafe_left: int = 0  # findings shown whose fix is unsafe and was not asked for (--unsafe-fixes)
    fixed_source: Optional[str] = None  # standard input with --fix/--diff: the fixed text
    fix_errors: list[str] = field(default_factory=list)  # files not written, one line each
    run_findings: list[Finding] = field(default_factory=list)  # about the whole run, not one file's lint
    baselined: int = 0  # findings hidden by the baseline
    baseline_fixed: int = 0  # baseline entries that matched nothing
    stdin: Optional[tuple[str, bytes]] = None  # (display, bytes) when standard input was linted

    def all_findings(self) -> list[Finding]:
        """Every finding of the run, unfiltered: each file's in file order, then the unreadable
        targets', then `run_findings`."""
        return [f for r in [*self.results, *self.unreadable] for f in r.findings] + self.run_findings

    def run_result(self, *, statistics: bool = False, show_fixes: bool = False) -> RunResult:
        """The reporters' view of this run (`errlint.reporters`)."""
        from errlint.reporters import RunResult

        return RunResult(
            findings=self.findings,
            crashes=self.crashes,
            files=self.files,
            fixed=self.fixed,
            statistics=statistics,
            show_fixes=show_fixes,
            baselined=self.baselined,
            baseline_fixed=self.baseline_fixed,
            would_fix=self.would_fix,
            fixed_codes=self.fixed_codes,
            fixed_source=self.fixed_source,
        )


class CheckObserver:
    """What a run tells its caller as it goes. Every method does nothing; override what you need."""

    def configured(self, config: Config, files: int) -> None:
        """`config` applies to the next `files` files."""

    def no_rules(self, config: Config) -> None:
        """`config` enables no rule: its files are not linted."""

    def no_files(self, paths: Sequence[str], other_shards: bool) -> None:
        """Nothing to lint was found under `paths` (`other_shards`: files were found, but they
        all belong to other shards)."""

    def started(self, total: int) -> int:
        """`total` files are about to be linted; return how many to lint per batch."""
        return max(total, 1)

    def advanced(self, files: int, results: Sequence[FileResult]) -> None:
        """`files` more files are done (`results`: those linted, fixes applied)."""

    def message(self, text: str) -> None:
        """One line for the user: `error: …` (a file not written), `warning: …`, or what a
        baseline or noqa step did."""

    def finished(self) -> None:
        """The linting is over (also when it was interrupted)."""


# --- what a run would do ---------------------------------------------------------------------


def settings_text(request: CheckRequest, file: str) -> str:
    """`--show-settings FILE`: where the configuration of FILE comes from and every value."""
    from errlint.project import describe_settings

    request.validate()
    session = request.session()
    target = Path(_at(request, file))
    config = session.resolver.for_path(target) if target.exists() else session.resolver.for_dir(target.parent)
    return describe_settings(config, file.replace("\\", "/"))


def discover(request: CheckRequest) -> list[tuple[Target, Config]]:
    """`--show-files`: the files a run would lint (and the unreadable targets), with their
    configuration, in display order."""
    request.validate()
    session = request.session()
    return _owned(request, _discover_all(request, session))


# --- the run ----------------------------------------------------------------------------------


def check(request: CheckRequest, observer: Optional[CheckObserver] = None) -> CheckResult:
    """Run `request`: lint (and fix) its files and choose the findings to show."""
    observer = observer or CheckObserver()
    request.validate()
    session = request.session()
    out = CheckResult()
    if "-" in request.paths:
        discovered = _check_stdin(request, session, observer, out)
    else:
        discovered = _discover_all(request, session)
        _check_files(request, session, _owned(request, discovered), bool(discovered), observer, out)
    out.crashes = [c for r in [*out.results, *out.unreadable] for c in r.crashes]
    _finish(request, session, discovered, out, observer)
    _choose_findings(request, out, observer)
    return out


def _cwd(request: CheckRequest) -> Path:
    return request.cwd or Path.cwd()


def _paths(request: CheckRequest) -> tuple[str, ...]:
    """The paths to lint, read from `request.cwd` (shown relative to it, as given)."""
    return tuple(_at(request, p) for p in request.paths) or (".",)


def _at(request: CheckRequest, path: str) -> str:
    """`path` as the process can open it: relative paths start at `request.cwd`."""
    if request.cwd is None or path == "-" or os.path.isabs(path) or os.path.samefile(request.cwd, os.curdir):
        return path
    return os.path.join(request.cwd, path)


def _discover_all(request: CheckRequest, session: Session) -> list[tuple[Target, Config]]:
    """Every file under the paths with its configuration (a `UsageError` for a missing path)."""
    from errlint.project import discover_files

    return discover_files(_paths(request), session.resolver, _cwd(request))


def _owned(request: CheckRequest, found: list[tuple[Target, Config]]) -> list[tuple[Target, Config]]:
    """The discovered targets this run lints: all of them, or the shard's own."""
    shard = request.shard
    return found if shard is None else [(t, c) for t, c in found if shard.owns(t.display)]


def _check_stdin(
    request: CheckRequest, session: Session, observer: CheckObserver, out: CheckResult
) -> list[tuple[Target, Config]]:
    """Lint (and fix) standard input; return it as the run's one target."""
    if len(request.paths) > 1:
        raise UsageError("`-` (standard input) cannot be combined with other paths")
    if request.add_noqa:
        raise UsageError("--add-noqa cannot be used with standard input")
    name = request.stdin_filename
    display = name or "-"
    config = session.config_for(Path(_at(request, name)) if name else None, _cwd(request))
    observer.configured(config, 1)
    linter = session.linter(config)
    if not linter.rules:
        observer.no_rules(config)
    data = request.stdin if request.stdin is not None else sys.stdin.buffer.read()
    result = linter.lint_bytes(data, display, keep_source=request.fixing or request.keep_source)
    out.stdin = (display, data)
    if request.fixing and result.source is not None:
        fixed = linter.fix_result(result, unsafe=request.unsafe_fixes)
        out.fixed_source = fixed.text
        if request.diff:
            _count_diff(out, result, fixed.text, fixed.applied)
        else:
            _count_fixed(out, result, fixed.result, fixed.applied, fixed.codes)
    out.results = [result]
    out.files = 1 if linter.rules else 0
    from errlint.discovery import Target

    return [(Target(Path(_at(request, name or "-")), display), config)]


def _check_files(
    request: CheckRequest,
    session: Session,
    found: list[tuple[Target, Config]],
    found_any: bool,
    observer: CheckObserver,
    out: CheckResult,
) -> None:
    from errlint.engine import FileResult, unparsable
    from errlint.progress import batches
    from errlint.project import grouped

    # Unreadable directories and .gitignore files are findings, never silently skipped.
    out.unreadable = [FileResult(t.display, [unparsable(t.display, t.error)]) for t, _ in found if t.error]
    groups = grouped([(t, c) for t, c in found if t.error is None])
    if not groups and not out.unreadable:
        observer.no_files(tuple(request.paths) or (".",), request.shard is not None and found_any)
    batch_size = observer.started(sum(len(targets) for _, targets in groups))
    try:
        for config, targets in groups:
            observer.configured(config, len(targets))
            linter = session.linter(config)
            if not linter.rules:
                observer.no_rules(config)
                observer.advanced(len(targets), [])
                continue
            out.files += len(targets)
            cache = _open_cache(request, linter)
            for batch in batches(targets, batch_size):
                results = _runner(request)(
                    [(t.path, t.display) for t in batch],
                    config,
                    linter.rules,
                    jobs=request.jobs,
                    keep_source=request.fixing or request.keep_source,
                    cache=cache,
                    prefilter=request.prefilter,
                )
                if request.fixing:
                    for target, result in zip(batch, results):
                        _fix_file(request, linter, target.path, result, observer, out)
                out.results.extend(results)
                observer.advanced(len(batch), results)
    finally:
        observer.finished()


def _runner(request: CheckRequest) -> FileRunner:
    if request.runner is not None:
        return request.runner
    from errlint.engine import lint_files

    return lint_files


def _open_cache(request: CheckRequest, linter: Linter) -> Optional[ResultCache]:
    if not request.use_cache:
        return None
    from errlint.cache import ResultCache, default_cache_dir

    directory = request.cache_dir or default_cache_dir(linter.config, _cwd(request))
    return ResultCache.open(directory, linter.config, linter.rules)


def _fix_file(
    request: CheckRequest, linter: Linter, path: Path, result: FileResult, observer: CheckObserver, out: CheckResult
) -> None:
    """Fix one linted file: write it (`fix`) or collect its diff (`diff`). A file that cannot be
    written keeps its findings and is one `error:` line (the run then exits 2)."""
    if result.source is None:
        return
    if request.diff:
        fixed = linter.fix_result(result, unsafe=request.unsafe_fixes)
        _count_diff(out, result, fixed.text, fixed.applied)
        return
    fixed = linter.fix_result(result, unsafe=request.unsafe_fixes, path=path)
    for note in fixed.notes:
        observer.message(f"warning: {result.path}:{note}")
    if fixed.error is not None:
        line = f"{result.path}: not fixed, the file is unchanged: {fixed.error}"
        out.fix_errors.append(line)
        observer.message(f"error: {line}")
        return
    _count_fixed(out, result, fixed.result, fixed.applied, fixed.codes)


def _count_diff(out: CheckResult, result: FileResult, text: Optional[str], applied: int) -> None:
    from errlint.fixview import unified_diff

    if applied and result.source is not None and text is not None:
        out.diffs.append(unified_diff(result.path, result.source, text))
    out.would_fix += applied


def _count_fixed(
    out: CheckResult, result: FileResult, after: FileResult, applied: int, codes: Counter[tuple[str, str]]
) -> None:
    """Count the fixes applied to `result`'s file; it now reports what is left (`after`)."""
    if not applied:
        return
    out.fixed += applied
    for (code, name), count in codes.items():
        out.fixed_codes[(result.path, code, name)] += count
    result.findings = after.findings
    result.crashes = after.crashes


def _finish(
    request: CheckRequest,
    session: Session,
    discovered: list[tuple[Target, Config]],
    out: CheckResult,
    observer: CheckObserver,
) -> None:
    """The step where every file result of the run is known (`out.results`, `out.unreadable`,
    `out.crashes`), before any finding is filtered or shown: the place for checks that need the
    whole run, such as project-level rules (`discovered`: every target found, also outside this
    run's shard; standard input is one target). Findings added to `out.run_findings` are
    filtered, baselined and reported like every other (`observer.advanced(0, …)` streams them)."""
    from errlint.engine import FileResult, selects_project_rules

    if not selects_project_rules(c for _, c in discovered):  # else nothing more is imported (a warm run)
        return
    from errlint import projectcache

    key = projectcache.run_key(discovered, out.results, request.shard, _cwd(request)) if request.use_cache and out.stdin is None else None
    cache = projectcache.store(discovered[0][1], _cwd(request), request.cache_dir) if key is not None else None
    project = cache.get(key) if cache is not None and key is not None else None
    if project is None:
        from errlint import projectlevel  # project-level rules (XH405): judged over every file's facts

        crashed = len(out.crashes)
        project = projectlevel.judge(
            discovered, out.results, cwd=_cwd(request), use_cache=request.use_cache, cache_dir=request.cache_dir,
            shard=request.shard, crashes=out.crashes, stdin=out.stdin,
        )  # fmt: skip
        if cache is not None and key is not None and len(out.crashes) == crashed:
            projectcache.remember(cache, key, project)  # the same files judged again give the same findings
    if project:
        out.run_findings += project
        observer.advanced(0, [FileResult("", project)])


def _choose_findings(request: CheckRequest, out: CheckResult, observer: CheckObserver) -> None:
    """The findings shown (severity and critical filters, baseline), or recorded instead
    (`write_baseline`, `add_noqa`)."""
    findings = out.all_findings()
    if request.critical_only:
        findings = [f for f in findings if f.critical]
    if request.min_severity:
        floor = Severity(request.min_severity).rank
        findings = [f for f in findings if f.severity.rank >= floor]
    if request.write_baseline or request.baseline or request.add_noqa:
        from errlint import adoption

        read = adoption.file_reader(out.stdin)
        if request.write_baseline is not None:
            adoption.write_baseline(request.write_baseline, findings, read, observer.message)
            out.findings = findings
            return
        if request.add_noqa:
            adoption.add_noqa_to_files(findings, request.noqa_reason, read, adoption.write_source, observer.message)
            out.findings = findings
            return
        if request.baseline is not None:
            linted = [r.path for r in out.results]
            findings, out.baselined, out.baseline_fixed = adoption.apply_baseline(
                request.baseline, findings, linted, read, request.prune_baseline, observer.message
            )
    out.findings = sorted(findings, key=lambda f: f.sort_key)
    if not request.unsafe_fixes:
        out.unsafe_left = sum(1 for f in findings if f.fix is not None and f.fix.safety is FixSafety.UNSAFE)

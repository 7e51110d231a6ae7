"""Lint files: select the rules, look results up in the cache, lint the others in workers.

Linting one text (parse, prefilter, walk, positions) is `errlint.lintfile`, imported only when a
file is really linted: a run whose files are all cache hits imports neither libcst nor the rules
(the selection works on `errlint.catalog`, and the rule classes are imported on first use).

`lint_text` never raises for bad input: unreadable or unparsable code is an XH000 finding at the
parser's position, and a rule that crashes is a `RuleCrash` while the other rules' findings stand.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence, Union, overload

from errlint import catalog
from errlint.catalog import RuleSelection as RuleSelection, rule_codes as rule_codes
from errlint.cache import ResultCache, entry_key
from errlint.config import Config
from errlint.finding import Finding, Impact, RuleCrash, Severity
from errlint.limits import Limits
from errlint.source import UnreadableSource, decode_source

if TYPE_CHECKING:
    from errlint.rule import LintRule

UNPARSABLE = "XH000"
UNUSED_NOQA = "XH001"


@dataclass
class FileResult:
    """Everything one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    source: Optional[str] = None  # kept only when fixes may be applied
    cache_key: Optional[str] = None  # the result-cache key of the bytes linted (errlint.cache)
    facts: Optional[dict[str, Any]] = None  # facts of the project-level rules (errlint.projectlevel)


def describe(err: BaseException, limit: int = 200) -> str:
    """`Type: message` on one line, cut to `limit` characters (a KeyError may hold a whole node)."""
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- rule selection -----------------------------------------------------------------------


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def _selected(code: str, preview: bool, config: Config) -> bool:
    if code == UNPARSABLE:
        return False  # XH000 is emitted by the engine itself, always
    exact = code in config.select or code in config.extend_select
    chosen = _matches(code, config.select) if config.select else True
    if not (chosen or _matches(code, config.extend_select)):
        return False
    if preview and not (config.preview or exact):
        return False
    # The more specific selector wins: `ignore = ["XH1"]` with `select = ["XH103"]` keeps XH103.
    return not (_matches(code, config.ignore) and not (exact and code not in config.ignore))


@overload
def select_rules(config: Config) -> RuleSelection: ...


@overload
def select_rules(config: Config, rules: Sequence[type[LintRule]]) -> list[type[LintRule]]: ...


def select_rules(
    config: Config, rules: Optional[Sequence[type[LintRule]]] = None
) -> Union[RuleSelection, list[type[LintRule]]]:
    """Return the enabled rules: select/extend-select, minus ignore, preview-gated.

    A preview rule runs with `preview = true`, or when selected by its exact code. Without
    `rules`, every rule errlint knows (`errlint.catalog`), as a `RuleSelection` that imports the
    classes only when they are used.
    """
    if rules is None:
        return RuleSelection([info.code for info in catalog.infos() if _selected(info.code, info.preview, config)])
    return [rule for rule in rules if _selected(rule.CODE, rule.PREVIEW, config)]


def selects_project_rules(configs: Iterable[Config]) -> bool:
    """Whether one of `configs` enables a project-level rule (`errlint.projectlevel`, which imports
    the rules): known from the catalog, so a run without one imports nothing more."""
    project = {info.code for info in catalog.infos() if info.project}
    if not project:
        return False
    distinct = {id(config): config for config in configs}.values()  # one per configuration, not per file
    return any(code in project for config in distinct for code in select_rules(config).codes)


def rule_options(config: Config, rules: Sequence[type[LintRule]]) -> dict[str, object]:
    """The options of the rules whose options `config` sets, by code; a rule absent here uses its
    defaults (`LintRule.__init__`). Only those rules are imported (a `RuleSelection` stays lazy)."""
    configured = {code for code, _ in config.rule_options}
    wanted = [code for code in rule_codes(rules) if code in configured]
    if not wanted:
        return {}
    classes = catalog.load(wanted) if isinstance(rules, RuleSelection) else [r for r in rules if r.CODE in configured]
    return {r.CODE: r.make_options(config.options_for(r.CODE)) for r in classes if r.Options is not None}


def ignored_for_path(config: Config, rel_path: str) -> tuple[str, ...]:
    """Codes ignored for `rel_path` by `per-file-ignores` (globs on the path relative to the
    configuration's folder, or on the file name)."""
    rel = config.relative(rel_path)
    base = rel.rsplit("/", 1)[-1]
    codes: list[str] = []
    for pattern, listed in config.per_file_ignores:
        if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(base, pattern) or fnmatch.fnmatchcase(
            rel, pattern.rstrip("/") + "/*"
        ):
            codes.extend(listed)
    return tuple(codes)


def module_name_for(path: str) -> str:
    """`app/billing/client.py` -> `app.billing.client` (for `critical-functions` globs)."""
    rel = path.replace("\\", "/")
    if rel.startswith("./"):
        rel = rel[2:]
    for suffix in (".pyi", ".py"):
        if rel.endswith(suffix):
            rel = rel[: -len(suffix)]
    parts = [p for p in rel.split("/") if p and p not in (".", "..")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    if parts and parts[0] == "src":
        parts.pop(0)
    return ".".join(parts)


# --- one file -----------------------------------------------------------------------------


def unparsable(path: str, reason: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(
        code=UNPARSABLE,
        name="unparsable-file",
        message=reason,
        severity=Severity.ERROR,
        impact=Impact.CRASH,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
    )


def lint_bytes(
    data: bytes,
    path: str,
    config: Config,
    rules: Sequence[type[LintRule]],
    *,
    options: Optional[dict[str, object]] = None,
    apply_noqa: bool = True,
    keep_source: bool = False,
    prefilter: bool = True,
) -> FileResult:
    """Decode `data` (PEP 263) and lint it; a decoding problem is an XH000 finding."""
    try:
        text = decode_source(data)
    except UnreadableSource as err:
        return FileResult(path, [unparsable(path, err.reason, err.line, err.column)])
    return lint_text(
        text, path, config, rules, options=options, apply_noqa=apply_noqa, keep_source=keep_source, prefilter=prefilter
    )


def lint_text(
    text: str,
    path: str,
    config: Config,
    rules: Sequence[type[LintRule]],
    *,
    options: Optional[dict[str, object]] = None,
    apply_noqa: bool = True,
    keep_source: bool = False,
    prefilter: bool = True,
) -> FileResult:
    """Lint `text` as the file `path` (relative, as shown to the user): `errlint.lintfile`.

    With `prefilter` (the default), the bodies of functions that no enabled rule can report in are
    blanked before parsing (`errlint.prefilter`); the findings are the same either way.
    """
    from errlint.lintfile import lint_text as lint

    return lint(
        text, path, config, rules, options=options, apply_noqa=apply_noqa, keep_source=keep_source, prefilter=prefilter
    )


# --- many files ---------------------------------------------------------------------------

@dataclass
class _WorkerState:
    config: Config
    rules: list[type[LintRule]]
    options: dict[str, object]
    keep_source: bool
    cache_keys: bool = False  # compute each file's result-cache key (the parent stores results)
    prefilter: bool = True
    limits: Limits = Limits()


_WORKER: list[_WorkerState] = []


def _set_worker(state: _WorkerState) -> None:
    _WORKER[:] = [state]


def lint_file(path: Path, display: str) -> FileResult:
    """Read and lint one file in a worker; reading problems become XH000 findings.

    With `cache_keys`, the result carries the cache key of the bytes that were linted.
    """
    state = _WORKER[0]
    config, rules, options, keep_source = state.config, state.rules, state.options, state.keep_source
    try:
        data = read_source(path)
    except OSError as err:
        return FileResult(display, [unparsable(display, f"cannot read file: {_os_reason(err)}")])
    too_large = state.limits.check(data)  # errlint.limits: never parse what would exhaust memory
    if too_large is not None:
        return FileResult(display, [unparsable(display, too_large.reason, too_large.line, too_large.column)])
    try:
        result = lint_bytes(data, display, config, rules, options=options, keep_source=keep_source, prefilter=state.prefilter)
    except MemoryError:  # the worker's memory ceiling (errlint.limits): this file only
        return FileResult(display, [unparsable(display, "errlint could not analyse this file: out of memory")])
    except Exception as err:  # noqa: XH102 - an engine bug on one file is reported, the run goes on
        crash = RuleCrash(display, "engine", describe(err), traceback.format_exc())
        return FileResult(display, crashes=[crash])
    if state.cache_keys:
        result.cache_key = entry_key(display, data)
    return result


def read_source(path: Path) -> bytes:
    """The bytes of `path`; a directory, FIFO, socket or device is an `OSError`, never a hang."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise OSError(errno.EINVAL, f"not a regular file ({kind})", str(path))
    return path.read_bytes()


def _os_reason(err: OSError) -> str:
    """`Is a directory`, `Permission denied`, ... (what `strerror` says, else the exception)."""
    return err.strerror or str(err) or type(err).__name__


def _cached(path: Path, display: str, cache: ResultCache, keep_source: bool) -> Optional[FileResult]:
    """The stored result for the file as it is now, or None (a miss, or the file is unreadable)."""
    try:
        data = read_source(path)
    except OSError:
        return None  # lint_file reports it
    key = cache.key(display, data)
    findings = cache.get(key)
    if findings is None:
        return None
    source = None
    if keep_source:
        try:
            source = decode_source(data)
        except UnreadableSource:
            return None
    return FileResult(display, findings, source=source, cache_key=key)


def _collect(
    done: Iterable[FileResult], todo: Sequence[int], results: list[Optional[FileResult]], cache: Optional[ResultCache]
) -> None:
    """Place each result as it arrives; remember the clean ones (no crash) in the cache."""
    for index, result in zip(todo, done):
        results[index] = result
        if cache is not None and result.cache_key is not None and not result.crashes:
            cache.put(result.cache_key, result.findings)


def lint_files(
    files: Sequence[tuple[Path, str]],
    config: Config,
    rules: Sequence[type[LintRule]],
    *,
    jobs: Optional[int] = None,
    keep_source: bool = False,
    cache: Optional[ResultCache] = None,
    prefilter: bool = True,
    isolate: bool = True,
) -> list[FileResult]:
    """Lint `(path, display_path)` pairs in worker processes (errlint.workers), also with `jobs=1`.

    A worker that dies (the parser overflowing its stack, the memory ceiling) costs only its file
    an XH000. `isolate=False` lints in this process (for embedding; no crash isolation). With
    `cache`, files whose result is stored are not linted again (looked up here, before any worker
    starts), the workers compute each result's key and this process stores the clean results,
    writing the cache once at the end.
    """
    results: list[Optional[FileResult]] = [None] * len(files)
    todo: list[int] = []
    for index, (path, display) in enumerate(files):
        hit = _cached(path, display, cache, keep_source) if cache is not None else None
        if hit is None:
            todo.append(index)
        else:
            results[index] = hit
    pending = [files[i] for i in todo]
    limits = Limits.from_section(config.section("limits"))
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    try:
        if not pending:
            pass  # every file a cache hit: nothing more is imported (no workers, rules or libcst)
        elif not isolate:
            _set_worker(_WorkerState(config, list(rules), rule_options(config, rules), keep_source, cache is not None, prefilter, limits))
            _collect((lint_file(path, display) for path, display in pending), todo, results, cache)
        else:
            from errlint.workers import LintSettings, lint_isolated

            settings = LintSettings(config, tuple(rules), keep_source, prefilter, cache is not None, limits)
            for position, result in lint_isolated(pending, settings, workers):
                _collect((result,), (todo[position],), results, cache)
    finally:
        if cache is not None:
            cache.save()  # also when interrupted: what was linted so far is kept
    return [r for r in results if r is not None]

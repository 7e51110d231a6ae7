"""Lint one source text, or many files in parallel: parse once, walk once, resolve what was reported.

`lint_text` never raises for bad input: unreadable or unparsable code is an XH000 finding at the
parser's position, and a rule that crashes is a `RuleCrash` while the other rules' findings stand.
"""

from __future__ import annotations

import ast
import errno
import fnmatch
import os
import re
import stat
import sys
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

import libcst as cst

from errlint.analysis import collect_module_facts
from errlint.cache import ResultCache
from errlint.config import Config
from errlint.context import FileContext
from errlint.finding import Edit, Finding, Fix, FixSafety, Impact, RuleCrash, Severity
from errlint.fingerprints import assign as assign_fingerprints
from errlint.noqa import SKIP_FILE_RE, NoqaMap, unused_directives
from errlint.positions import PositionResolver
from errlint.prefilter import Prefiltered, blank_irrelevant, rules_pattern
from errlint.rule import LintRule, Report, all_rules
from errlint.source import UnreadableSource, decode_source, split_lines
from errlint.walker import describe, walk

UNPARSABLE = "XH000"
UNUSED_NOQA = "XH001"
_INDENT_RE = re.compile(r"[ \t\f]*")


@dataclass
class FileResult:
    """Everything one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    source: Optional[str] = None  # kept only when fixes may be applied


# --- rule selection -----------------------------------------------------------------------


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def select_rules(config: Config, rules: Optional[Sequence[type[LintRule]]] = None) -> list[type[LintRule]]:
    """Return the enabled rule classes: select/extend-select, minus ignore, preview-gated.

    A preview rule runs with `preview = true`, or when selected by its exact code.
    """
    rules = all_rules() if rules is None else rules
    selected = []
    for rule in rules:
        if rule.CODE == UNPARSABLE:
            continue  # XH000 is emitted by the engine itself, always
        exact = rule.CODE in config.select or rule.CODE in config.extend_select
        chosen = _matches(rule.CODE, config.select) if config.select else True
        if not (chosen or _matches(rule.CODE, config.extend_select)):
            continue
        if rule.PREVIEW and not (config.preview or exact):
            continue
        # The more specific selector wins: `ignore = ["XH1"]` with `select = ["XH103"]` keeps XH103.
        if _matches(rule.CODE, config.ignore) and not (exact and rule.CODE not in config.ignore):
            continue
        selected.append(rule)
    return selected


def rule_options(config: Config, rules: Sequence[type[LintRule]]) -> dict[str, object]:
    return {r.CODE: r.make_options(config.options_for(r.CODE)) for r in rules if r.Options is not None}


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


@dataclass(frozen=True)
class _CPythonError:
    """Why CPython's parser rejected the text; `limit`: a resource limit, not a syntax version."""

    reason: Optional[str]
    line: int = 1
    column: int = 1
    limit: bool = False
    syntax: bool = True  # a SyntaxError (else the parser gave up: recursion, memory)


_LIMIT_MESSAGES = ("too many nested parentheses", "too many levels of indentation", "too many statically nested blocks")


def _cpython_parse(text: str) -> tuple[Optional[ast.Module], Optional[_CPythonError]]:
    """Parse with CPython first: cheap, and it guards libcst against input it cannot survive.

    libcst's native parser recurses without a limit (thousands of nested brackets crash the
    process; long unary chains take minutes). Code CPython rejects for a resource limit cannot run
    anyway and is reported as XH000 without calling libcst. Other syntax errors may be syntax newer
    than this Python, which libcst may know: libcst gets to try, and CPython's message is used if it
    fails too.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text), None
    except SyntaxError as err:
        limit = any(m in (err.msg or "") for m in _LIMIT_MESSAGES)
        return None, _CPythonError(err.msg, err.lineno or 1, max(err.offset or 1, 1), limit)
    except (RecursionError, MemoryError, OverflowError) as err:
        name = "RecursionError" if isinstance(err, RecursionError) else type(err).__name__
        reason = f"the code is nested too deeply to parse ({name} in Python's parser)"
        return None, _CPythonError(reason, limit=True, syntax=False)
    except ValueError:
        return None, _CPythonError(None)


def _parse(text: str, path: str, cpython: Optional[_CPythonError] = None) -> cst.Module | Finding:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        reason, line, column = (cpython.reason, cpython.line, cpython.column) if cpython else (None, 1, 1)
        if reason is None:
            reason = " ".join(err.message.split())
            line, column = err.raw_line, err.raw_column + 1
        return unparsable(path, f"SyntaxError: {reason}", line, column)
    except RecursionError:
        return unparsable(path, "the code is nested too deeply to parse (RecursionError)")
    except Exception as err:  # noqa: XH102 - libcst's own errors (e.g. CSTLogicError) become XH000
        return unparsable(path, f"libcst cannot parse this file: {type(err).__name__}: {err}")


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
    """Lint `text` as the file `path` (relative, as shown to the user).

    With `prefilter` (the default), the bodies of functions that no enabled rule can report in are
    blanked before parsing (`errlint.prefilter`); the findings are the same either way.
    """
    result = FileResult(path, source=text if keep_source else None)
    if SKIP_FILE_RE.search(text):
        return result
    ignored = ignored_for_path(config, path)
    active = [r for r in rules if not _matches(r.CODE, ignored)]
    if not active:
        return result
    lines = split_lines(text)
    tree, cpython = _cpython_parse(text)
    if cpython is not None and cpython.limit:
        reason = f"SyntaxError: {cpython.reason}" if cpython.syntax else str(cpython.reason)
        result.findings.append(unparsable(path, reason, cpython.line, cpython.column))
        return result
    pre: Optional[Prefiltered] = None
    if prefilter and tree is not None and "def" in text:
        pattern = rules_pattern(active, config)
        if pattern is not None:
            pre = blank_irrelevant(text, pattern, tree)
    if pre is not None and pre.blanked:
        findings, crashes = _analyse(pre.text, lines, path, config, active, options, tree, cpython)
        if not _blanking_showed(findings, pre):
            findings, crashes = _analyse(text, lines, path, config, active, options, tree, cpython, parsed_lines=lines)
    else:
        findings, crashes = _analyse(text, lines, path, config, active, options, tree, cpython, parsed_lines=lines)
    result.crashes.extend(crashes)
    if any(f.code == UNPARSABLE for f in findings):
        result.findings.extend(f for f in findings if f.code == UNPARSABLE)  # never silenced by noqa
        return result
    unused_rule = next((r for r in active if r.CODE == UNUSED_NOQA), None) if apply_noqa else None
    if not findings and unused_rule is None:
        return result
    findings = assign_fingerprints(sorted(findings, key=lambda f: (f.line, f.column, f.code)), lines)
    if apply_noqa:
        noqa = NoqaMap(text, lines)
        if noqa:
            findings = [f for f in findings if not noqa.suppresses(f.code, f.line)]
            if unused_rule is not None and not crashes:
                findings.extend(_unused_noqa(noqa, lines, path, active, unused_rule))
    result.findings.extend(sorted(findings, key=lambda f: (f.line, f.column, f.code)))
    return result


def _unused_noqa(
    noqa: NoqaMap, lines: Sequence[str], path: str, active: Sequence[type[LintRule]], rule: type[LintRule]
) -> list[Finding]:
    """XH001 findings: directives (or XH codes in them) that suppressed nothing (errlint.noqa).

    Not after a rule crash: a crashed rule may have had findings the directive was for.
    """
    known = [r.CODE for r in all_rules()]
    ran = {r.CODE for r in active} | {UNPARSABLE}
    all_ran = all(code in ran for code in known)
    out = []
    for item in unused_directives(noqa, lines, sorted(ran), known, all_ran):
        edit = Edit(item.line, item.fix_column, item.line, item.fix_end_column, item.replacement)
        title = "Remove the unused codes" if item.replacement.startswith("# noqa") else "Remove the unused `noqa` directive"
        safety = FixSafety.SAFE if item.safe else FixSafety.UNSAFE
        out.append(
            Finding(
                code=rule.CODE,
                name=rule.NAME,
                message=item.message,
                severity=rule.SEVERITY,
                impact=rule.IMPACT,
                path=path,
                line=item.line,
                column=item.column,
                end_line=item.line,
                end_column=item.end_column,
                fix=Fix(title, safety, (edit,)),
            )
        )
    return assign_fingerprints(out, lines)


def _blanking_showed(findings: Sequence[Finding], pre: Prefiltered) -> bool:
    """False when a finding could have been changed by the blanking: parse error, or a range
    (finding or fix edit) that spans a blanked body (its text would be the blanked one)."""
    for finding in findings:
        if finding.code == UNPARSABLE or pre.covers(finding.line, finding.end_line):
            return False
        if finding.fix is not None and any(pre.covers(e.line, e.end_line) for e in finding.fix.edits):
            return False
    return True


def _analyse(
    source: str,
    lines: Sequence[str],
    path: str,
    config: Config,
    rules: Sequence[type[LintRule]],
    options: Optional[dict[str, object]],
    tree: Optional[ast.Module],
    cpython: Optional[_CPythonError],
    *,
    parsed_lines: Optional[Sequence[str]] = None,
) -> tuple[list[Finding], list[RuleCrash]]:
    """Parse `source` (the text, or its prefiltered version), walk, resolve the reports.

    `lines` are the original lines (what rules and fixes see); `parsed_lines` those of `source`.
    """
    parsed = _parse(source, path, cpython)
    if isinstance(parsed, Finding):
        return [parsed], []
    module = parsed
    context = FileContext(path, module, lines, config, collect_module_facts(module), module_name_for(config.relative(path)))
    try:
        walker = walk(context, list(rules), options)
    except RecursionError:
        return [unparsable(path, "the code is nested too deeply to analyse (RecursionError)")], []
    crashes = list(walker.crashes)
    if not context.reports:
        return [], crashes
    resolver = PositionResolver(module, parsed_lines or split_lines(source), tree=tree, text=source)
    paths: Sequence[Sequence[cst.CSTNode]] = walker.report_paths
    if len(paths) != len(context.reports):
        paths = [()] * len(context.reports)
    return _resolve(context.reports, paths, resolver, lines, path, crashes), crashes


def _resolve(
    reports: Sequence[Report],
    paths: Sequence[Sequence[cst.CSTNode]],
    resolver: PositionResolver,
    lines: Sequence[str],
    path: str,
    crashes: list[RuleCrash],
) -> list[Finding]:
    module = resolver.module
    findings = []
    for report, ancestors in zip(reports, paths):
        try:
            top = report.top_index
            line, column, end_line, end_column = resolver.resolve_in(report.node, ancestors, top)
            coarse = resolver.last_coarse  # a coarse range is never used for a fix
            if report.end_node is not None:
                _, _, end_line, end_column = resolver.resolve_in(report.end_node, ancestors, top)
                coarse = coarse or resolver.last_coarse
            fix = None
            if report.fix is not None and not coarse:
                edits = []
                for node, replacement in report.fix.changes:
                    start_line, start_col, stop_line, stop_col = resolver.resolve_in(node, ancestors, top)
                    coarse = coarse or resolver.last_coarse
                    content = replacement if isinstance(replacement, str) else module.code_for_node(replacement)
                    if "\n" in content and start_line <= len(lines):
                        indent = _INDENT_RE.match(lines[start_line - 1])
                        prefix = indent.group(0) if indent else ""
                        content = content.replace("\n", "\n" + prefix).replace("\n" + prefix + "\n", "\n\n")
                    edits.append(Edit(start_line, start_col, stop_line, stop_col, content))
                fix = None if coarse else Fix(report.fix.title, report.fix.safety, tuple(sorted(edits, key=lambda e: (e.line, e.column))))
            severity = report.severity.raised() if report.critical else report.severity
            findings.append(
                Finding(
                    code=report.rule.CODE,
                    name=report.rule.NAME,
                    message=report.message,
                    severity=severity,
                    impact=report.rule.IMPACT,
                    path=path,
                    line=line,
                    column=column,
                    end_line=end_line,
                    end_column=end_column,
                    critical=report.critical,
                    fix=fix,
                    scope=report.scope,
                )
            )
        except Exception as err:  # noqa: XH102 - one unresolvable report must not lose the others
            crashes.append(RuleCrash(path, report.rule.CODE, describe(err), traceback.format_exc()))
    return findings


# --- many files ---------------------------------------------------------------------------

@dataclass
class _WorkerState:
    config: Config
    rules: list[type[LintRule]]
    options: dict[str, object]
    keep_source: bool
    cache: Optional[ResultCache] = None
    prefilter: bool = True


_WORKER: list[_WorkerState] = []


def _init_worker(
    config: Config, codes: tuple[str, ...], keep_source: bool, cache: Optional[ResultCache] = None, prefilter: bool = True
) -> None:
    rules = [r for r in all_rules() if r.CODE in codes]
    _WORKER[:] = [_WorkerState(config, rules, rule_options(config, rules), keep_source, cache, prefilter)]


def _set_worker(state: _WorkerState) -> None:
    _WORKER[:] = [state]


def lint_file(path: Path, display: str) -> FileResult:
    """Read and lint one file in a worker; reading problems become XH000 findings.

    With a result cache, a clean result (no crash) is stored under the file's key.
    """
    state = _WORKER[0]
    config, rules, options, keep_source = state.config, state.rules, state.options, state.keep_source
    try:
        data = read_source(path)
    except OSError as err:
        return FileResult(display, [unparsable(display, f"cannot read file: {_os_reason(err)}")])
    try:
        result = lint_bytes(data, display, config, rules, options=options, keep_source=keep_source, prefilter=state.prefilter)
    except Exception as err:  # noqa: XH102 - an engine bug on one file is reported, the run goes on
        crash = RuleCrash(display, "engine", describe(err), traceback.format_exc())
        return FileResult(display, crashes=[crash])
    if state.cache is not None and not result.crashes:
        state.cache.put(state.cache.key(display, data), result.findings)
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


def _lint_one(item: tuple[Path, str]) -> FileResult:
    return lint_file(*item)


def _cached(path: Path, display: str, cache: ResultCache, keep_source: bool) -> Optional[FileResult]:
    """The stored result for the file as it is now, or None (a miss, or the file is unreadable)."""
    try:
        data = read_source(path)
    except OSError:
        return None  # lint_file reports it
    findings = cache.get(cache.key(display, data))
    if findings is None:
        return None
    source = None
    if keep_source:
        try:
            source = decode_source(data)
        except UnreadableSource:
            return None
    return FileResult(display, findings, source=source)


def lint_files(
    files: Sequence[tuple[Path, str]],
    config: Config,
    rules: Sequence[type[LintRule]],
    *,
    jobs: Optional[int] = None,
    keep_source: bool = False,
    cache: Optional[ResultCache] = None,
    prefilter: bool = True,
) -> list[FileResult]:
    """Lint `(path, display_path)` pairs, in parallel processes when it pays off.

    With `cache`, files whose result is stored are not linted again (looked up here, before any
    worker starts), and the workers store what they lint.
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
    codes = tuple(r.CODE for r in rules)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(pending) < 8 or sys.platform == "win32":
        _set_worker(_WorkerState(config, list(rules), rule_options(config, rules), keep_source, cache, prefilter))
        done = [lint_file(path, display) for path, display in pending]
    else:
        chunk = max(1, min(32, len(pending) // (workers * 8)))
        initargs = (config, codes, keep_source, cache, prefilter)
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=initargs) as pool:
            done = list(pool.map(_lint_one, pending, chunksize=chunk))
    for index, result in zip(todo, done):
        results[index] = result
    return [r for r in results if r is not None]

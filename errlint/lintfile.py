"""Lint one source text: CPython's parse, the prefilter, libcst's parse, one walk, positions.

`errlint.engine` imports this module only when a file is really linted: a run whose files are all
cache hits never imports libcst (`tests/test_startup.py`).

`lint_text` never raises for bad input: unreadable or unparsable code is an XH000 finding at the
parser's position, and a rule that crashes is a `RuleCrash` while the other rules' findings stand.
"""

from __future__ import annotations

import ast
import gc
import re
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import libcst as cst

from errlint import catalog
from errlint.analysis import collect_module_facts
from errlint.chunkparse import parse_in_parts
from errlint.config import Config
from errlint.context import FileContext
from errlint.engine import UNPARSABLE, UNUSED_NOQA, FileResult, _matches, ignored_for_path, module_name_for, unparsable
from errlint.finding import Edit, Finding, Fix, FixSafety, RuleCrash
from errlint.fingerprints import assign as assign_fingerprints
from errlint.logcalls import clear_bindings
from errlint.noqa import SKIP_FILE_RE, NoqaMap, unused_directives
from errlint.positions import PositionResolver
from errlint.prefilter import Part, Plan, Prefiltered, blank_irrelevant, prefilter_plan
from errlint.projectlevel import file_facts, is_project_rule
from errlint.rule import LintRule, Report, all_rules
from errlint.source import split_lines
from errlint.walker import Walker, describe, walk

_INDENT_RE = re.compile(r"[ \t\f]*")


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


def _read_beyond_the_rules(active: Sequence[type[LintRule]], rules: Sequence[type[LintRule]], apply_noqa: bool) -> bool:
    """Something other than the rules' walk reads the file: a project-level rule wants its facts,
    or XH001 judges its `noqa` directives."""
    return any(is_project_rule(r) for r in rules) or (apply_noqa and any(r.CODE == UNUSED_NOQA for r in active))


def _compiles(text: str) -> bool:
    """Whether CPython compiles `text`: the syntax check (XH000) of a file no rule can report in,
    without building its tree (a third cheaper than `ast.parse`). Anything it rejects takes the
    usual path, which says why: compiling also parses, so what compiles is what `ast` accepts."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<errlint>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


VALID_BUT_UNREADABLE = "valid Python that errlint's parser cannot read"


def _parse(
    text: str, path: str, cpython: Optional[_CPythonError] = None, tree: Optional[ast.Module] = None
) -> cst.Module | Finding:
    """libcst's tree of `text`, or the XH000 saying why not.

    `tree` is CPython's tree when CPython accepted the text: then a libcst failure is not a syntax
    error but a limit of libcst, said as such ("valid Python that errlint's parser cannot read")
    at the best position known.
    """
    try:
        # A large file in parts, when it can be cut between top-level statements (less memory).
        whole = parse_in_parts(text, tree) if tree is not None else None
        return whole if whole is not None else cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        message = " ".join(err.message.split())
        if tree is not None:
            line, column = _libcst_error_position(text, message, err.raw_line, err.raw_column + 1, tree)
            return unparsable(path, f"{VALID_BUT_UNREADABLE}: {message}", line, column)
        reason, line, column = (cpython.reason, cpython.line, cpython.column) if cpython else (None, 1, 1)
        if reason is None:
            reason = message
            line, column = err.raw_line, err.raw_column + 1
        return unparsable(path, f"SyntaxError: {reason}", line, column)
    except RecursionError:
        return unparsable(path, "the code is nested too deeply to parse (RecursionError)")
    except Exception as err:  # noqa: XH102 - libcst's own errors (e.g. CSTLogicError) become XH000
        if cpython is not None and cpython.reason is not None:
            return unparsable(path, f"SyntaxError: {cpython.reason}", cpython.line, cpython.column)
        detail = f"{type(err).__name__}: {err}"
        if tree is not None:
            line, column = _unsupported_position(tree)
            return unparsable(path, f"{VALID_BUT_UNREADABLE}: {detail}", line, column)
        return unparsable(path, f"libcst cannot parse this file: {detail}")


def _libcst_error_position(text: str, message: str, line: int, column: int, tree: ast.Module) -> tuple[int, int]:
    """Where to report valid code libcst refuses: the start of the innermost statement holding
    the place libcst gave up (for 10,000 implicitly concatenated strings it names the closing
    bracket); for "unexpected end of file after a line continuation", which libcst's tokenizer
    reports at 1:1, the file's last backslash."""
    if "line continuation" in message and (line, column) == (1, 1):
        body = text.rstrip("\r\n")
        if body.endswith("\\"):
            lines = split_lines(body)
            return len(lines), len(lines[-1])
    best: Optional[ast.stmt] = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or (node.lineno, node.col_offset) > (best.lineno, best.col_offset):
                best = node
    return (best.lineno, best.col_offset + 1) if best is not None else (line, column)


def _unsupported_position(tree: ast.Module) -> tuple[int, int]:
    """Where libcst gives up without a position: the first construct it is known not to read
    (implicitly concatenated template strings, Python 3.14), else the file's start."""
    template = getattr(ast, "TemplateStr", None)
    if template is not None:
        for node in ast.walk(tree):
            if isinstance(node, template):
                return node.lineno, node.col_offset + 1
    return 1, 1


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while one file is linted.

    Building a libcst tree allocates hundreds of thousands of container objects; each time the
    allocation count crosses a threshold the collector traverses them, and the full collections
    re-traverse everything alive (measured: 35 of 78 s of CPU on a corpus sample). The file's
    objects are freed by reference counting when `_analyse` tears its structures down; the state
    is restored (also on errors), so nesting and callers that disabled the collector are fine.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_no_cyclic_gc()  # a ContextDecorator: the collector is paused for each call
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
    plan = prefilter_plan(active, config) if prefilter else None
    present = plan.present(text) if plan is not None else {}
    if plan is not None and not plan.live(present) and not _read_beyond_the_rules(active, rules, apply_noqa):
        if _compiles(text):
            return result  # valid Python no rule's pattern occurs in: CPython's tree is not even built
    lines = split_lines(text)
    tree, cpython = _cpython_parse(text)
    result.facts = file_facts(tree, rules)  # project-level rules: errlint.projectlevel
    if cpython is not None and cpython.limit:
        reason = f"SyntaxError: {cpython.reason}" if cpython.syntax else str(cpython.reason)
        result.findings.append(unparsable(path, reason, cpython.line, cpython.column))
        return result
    findings, crashes = _findings(text, lines, path, config, active, options, tree, cpython, plan, present)
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


def _findings(
    text: str,
    lines: Sequence[str],
    path: str,
    config: Config,
    active: Sequence[type[LintRule]],
    options: Optional[dict[str, object]],
    tree: Optional[ast.Module],
    cpython: Optional[_CPythonError],
    plan: Optional[Plan],
    present: dict[int, Part],
) -> tuple[list[Finding], list[RuleCrash]]:
    """The rules' findings before `noqa`: prefiltered by `plan` (None: no prefilter) when CPython
    could parse the text (`present`: `plan.present(text)`)."""
    pre: Optional[Prefiltered] = None
    if plan is not None and tree is not None:
        if not plan.live(present):
            return [], []  # no rule's pattern occurs in it: not parsed with libcst at all
        pre = blank_irrelevant(text, plan, tree, present)
        if pre is not None and pre.nothing:
            return [], []  # no rule's exact hint holds anywhere in it: not parsed either
    if pre is not None and pre.blanked:
        findings, crashes = _analyse(pre.text, lines, path, config, active, options, tree, cpython)
        if _blanking_showed(findings, pre):
            return findings, crashes
    return _analyse(text, lines, path, config, active, options, tree, cpython, parsed_lines=lines)


def _unused_noqa(
    noqa: NoqaMap, lines: Sequence[str], path: str, active: Sequence[type[LintRule]], rule: type[LintRule]
) -> list[Finding]:
    """XH001 findings: directives (or XH codes in them) that suppressed nothing (errlint.noqa).

    Not after a rule crash: a crashed rule may have had findings the directive was for.
    """
    known = catalog.known_codes()
    ran = {r.CODE for r in active if not is_project_rule(r)} | {UNPARSABLE}  # those report later
    all_ran = all(code in ran or is_project_rule(r) for code, r in zip(known, all_rules()))  # blanket noqa
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
    parsed = _parse(source, path, cpython, tree)
    if isinstance(parsed, Finding):
        return [parsed], []
    module = parsed
    context = FileContext(
        path, module, lines, config, collect_module_facts(module), module_name_for(config.relative(path)), tree
    )
    try:
        walker = walk(context, list(rules), options)
    except RecursionError:
        clear_bindings()
        context.__dict__.clear()
        return [unparsable(path, "the code is nested too deeply to analyse (RecursionError)")], []
    crashes = list(walker.crashes)
    if not context.reports:
        _tear_down(walker, context)
        return [], crashes
    resolver = PositionResolver(module, parsed_lines or split_lines(source), tree=tree, text=source)
    paths: Sequence[Sequence[cst.CSTNode]] = walker.report_paths
    if len(paths) != len(context.reports):
        paths = [()] * len(context.reports)
    try:
        return _resolve(context.reports, paths, resolver, lines, path, crashes), crashes
    finally:
        _tear_down(walker, context)


def _tear_down(walker: Walker, context: FileContext) -> None:
    """Break the reference cycles (rules <-> context <-> walker) that hold the tree, so reference
    counting frees it at once instead of the cyclic collector (paused meanwhile) later, and drop
    the scope bindings of the file (`errlint.logcalls`), which hold its nodes: nothing of one file
    outlives it (a worker lints hundreds of files)."""
    for rule in walker._all:  # crashed rules too: they hold the context as well
        rule.__dict__.clear()
    walker.__dict__.clear()
    context.__dict__.clear()
    clear_bindings()


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


"""Fixes seen from the command line: the fixed text of a file without writing it (for `--diff`,
`--fix -` and `--fix`), which codes were fixed (`--show-fixes`), and unified diffs.

Fixes are applied pass after pass until none applies (at most `errlint.fixes.MAX_FIX_PASSES`), re-linting in
between, exactly as `--fix` does; writing the result is the caller's business.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from errlint.config import Config
from errlint.finding import Finding, FixSafety
from errlint.reporters import RunResult

if TYPE_CHECKING:
    from errlint.rule import LintRule  # imports libcst: not on the way of a run without fixes



@dataclass
class Fixed:
    text: str
    applied: int
    result: Any  # the FileResult of the last lint
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, name) -> fixed count


def fixable(finding: Finding, unsafe: bool) -> bool:
    if finding.fix is None:
        return False
    return finding.fix.safety is FixSafety.SAFE or (unsafe and finding.fix.safety is FixSafety.UNSAFE)


def fixed_text(text: str, result: Any, relint: Callable[[str], Any], unsafe: bool) -> Fixed:
    """Apply the fixes of `result` (the lint of `text`) until none applies (`errlint.fixes.fix_text`,
    the loop `--fix` uses), and count the fixed findings per rule for `--show-fixes`."""
    from errlint.fixes import fix_text

    done = fix_text(text, result, relint, unsafe=unsafe)
    return Fixed(done.text, done.applied, done.result, fixed_codes(result, done.result, unsafe))


def fixed_codes(before: Any, after: Any, unsafe: bool) -> Counter[tuple[str, str]]:
    """(code, name) -> how many fixable findings of `before` are gone in `after` (`--show-fixes`)."""
    left = Counter((f.code, f.name) for f in after.findings)
    gone: Counter[tuple[str, str]] = Counter()
    for key, count in Counter((f.code, f.name) for f in before.findings if fixable(f, unsafe)).items():
        if left[key] < count:
            gone[key] = count - left[key]
    return gone


def unified_diff(path: str, before: str, after: str) -> str:
    """`before` -> `after` as a unified diff naming `path` on both sides (as ruff's `--diff`)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=path, tofile=path
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def fix_group(
    targets: Sequence[Any],
    file_results: Sequence[Any],
    config: Config,
    rules: Sequence[type[LintRule]],
    unsafe: bool,
    diff: bool,
    result: RunResult,
    diffs: list[str],
) -> list[str]:
    """Fix each file of one configuration group: write it (--fix) or collect its diff (--diff).

    Files are written by `errlint.writeback.fix_file` (atomic, in the file's own encoding, never
    over a newer edit). Returns what to tell the user, one line each: `error: …` for a file that
    was not written (the run then exits 2), `warning: …` for a fix skipped because its text
    cannot be encoded in the file's encoding.
    """
    from errlint.engine import lint_text, rule_options
    from errlint.writeback import fix_file

    options = rule_options(config, rules)
    messages: list[str] = []
    for target, file_result in zip(targets, file_results):
        if file_result.source is None:
            continue
        path = file_result.path

        def relint(text: str, path: str = path) -> Any:
            return lint_text(text, path, config, rules, options=options, keep_source=True)

        if diff:
            outcome = fixed_text(file_result.source, file_result, relint, unsafe)
            if outcome.applied:
                diffs.append(unified_diff(path, file_result.source, outcome.text))
                result.would_fix += outcome.applied
            continue
        written = fix_file(target.path, file_result, relint, unsafe=unsafe)
        messages.extend(f"warning: {path}:{note}" for note in written.notes)
        if written.error is not None:
            messages.append(f"error: {path}: not fixed, the file is unchanged: {written.error}")
            continue
        if not written.applied:
            continue
        result.fixed += written.applied
        for (code, name), count in fixed_codes(file_result, written.result, unsafe).items():
            result.fixed_codes[(path, code, name)] += count
        file_result.findings = written.result.findings
        file_result.crashes = written.result.crashes
    return messages


def fix_stdin(
    file_result: Any,
    config: Config,
    rules: Sequence[type[LintRule]],
    options: dict[str, object],
    unsafe: bool,
    diff: bool,
    result: RunResult,
    diffs: list[str],
) -> None:
    """`--fix -` / `--diff -`: the fixed source goes to standard output, nothing is written."""
    from errlint.engine import lint_text

    def relint(text: str) -> Any:
        return lint_text(text, file_result.path, config, rules, options=options, keep_source=True)

    outcome = fixed_text(file_result.source, file_result, relint, unsafe)
    result.fixed_source = outcome.text
    if diff:
        if outcome.applied:
            diffs.append(unified_diff(file_result.path, file_result.source, outcome.text))
        result.would_fix += outcome.applied
        return
    result.fixed += outcome.applied
    for (code, name), count in outcome.codes.items():
        result.fixed_codes[(file_result.path, code, name)] += count
    file_result.findings = outcome.result.findings
    file_result.crashes = outcome.result.crashes

"""Human output: `path:line:col: CODE [severity] message`, then a summary.

Colour only on a terminal (rich's detection); `--no-color` or a non-empty `NO_COLOR` mean no escape
codes at all (not even bold).
Every user-derived string is escaped for rich markup; lines are never wrapped.

Output that cannot be coloured (a pipe, a file, `--no-color`) and holds only printable characters
is written directly, as rich would write it, without importing rich (start-up time of a pre-commit
or CI run); anything else goes through rich.
"""

from __future__ import annotations

from collections import Counter
import os
import sys
from typing import IO, TYPE_CHECKING, Any, Optional, Sequence

from errlint.finding import Finding, FixSafety, Severity
from errlint.reporters import ReporterOptions, RunResult

if TYPE_CHECKING:
    from rich.console import Console

# `[*]`: `--fix` fixes it; `[~]`: only `--fix --unsafe-fixes` does (review those); display-only: none.
FIX_MARKS = {FixSafety.SAFE: " [*]", FixSafety.UNSAFE: " [~]"}
_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def color_wanted(options: ReporterOptions) -> Optional[bool]:
    """False with `--no-color` or a non-empty `NO_COLOR` (no-color.org): no escape codes at all."""
    if options.color is False or os.environ.get("NO_COLOR"):
        return False
    return options.color


def _console(out: IO[str], options: ReporterOptions) -> Console:
    from rich.console import Console

    color = color_wanted(options)
    return Console(
        file=out,
        force_terminal=True if color else False if color is False else None,
        no_color=color is False or None,
        color_system="auto" if color is not False else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        width=options.width or 100,
    )


def format_line(finding: Finding, markup: bool = True) -> str:
    """One finding as one line (markup-escaped when `markup`)."""
    fixable = FIX_MARKS.get(finding.fix.safety, "") if finding.fix is not None else ""
    critical = " (critical)" if finding.critical else ""
    location = f"{finding.path}:{finding.line}:{finding.column}:"
    if not markup:
        return f"{location} {finding.code} [{finding.severity.value}]{critical} {finding.message}{fixable}"
    from rich.markup import escape

    style = _SEVERITY_STYLE[finding.severity]
    return (
        f"[bold]{escape(location)}[/bold] [{style}]{finding.code}[/{style}] "
        f"{escape('[' + finding.severity.value + ']')}{escape(critical)} {escape(finding.message)}"
        f"{escape(fixable)}"
    )


def _never_colored(out: IO[str], options: ReporterOptions) -> bool:
    """True when rich would write no escape codes to `out`: colour off, or (rich's detection) no
    terminal and neither `TTY_COMPATIBLE` nor `FORCE_COLOR` set, outside Jupyter and IDLE."""
    color = color_wanted(options)
    if color is False:
        return True
    if color is not None or "IPython" in sys.modules or "idlelib" in sys.modules:
        return False
    if os.environ.get("TTY_COMPATIBLE", "") in ("0", "1") or "FORCE_COLOR" in os.environ:
        return os.environ.get("TTY_COMPATIBLE") == "0"
    isatty = getattr(out, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:
        return True  # a closed file: rich says "not a terminal" too


def _plain_lines(result: RunResult, options: ReporterOptions) -> list[str]:
    """The report as plain lines (what rich writes when it colours nothing)."""
    lines = [format_line(finding, markup=False) for finding in result.findings]
    if options.quiet:
        return lines
    if result.findings:
        lines.append("")
    lines.extend(summary_lines(result))
    if result.fixed and result.show_fixes:
        lines.extend(_fix_lines(result))
    return lines


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    if _never_colored(out, options):
        lines = _plain_lines(result, options)
        if all(line.isprintable() for line in lines):  # rich would change nothing in them
            out.write("".join(line + "\n" for line in lines))
            return
    from rich.markup import escape

    console = _console(out, options)
    for finding in result.findings:
        console.print(format_line(finding))
    if options.quiet:
        return
    if result.findings:
        console.print()
    for line in summary_lines(result):
        console.print(escape(line))
    if result.fixed and result.show_fixes:
        _show_fixes(console, result)


def files_checked(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''} checked"


def _checked(result: RunResult) -> str:
    """How much was checked: files, or (`errlint merge`: reports do not record it) reports."""
    if result.merged_reports:
        return f"{result.merged_reports} report{'s' if result.merged_reports != 1 else ''} merged"
    return files_checked(result.files)


def summary_lines(result: RunResult) -> list[str]:
    """The summary after the listing: counts, files checked, what --fix would do."""
    lines = []
    severities = Counter(f.severity for f in result.findings)
    parts = [
        f"{severities[s]} {s.value}{'s' if severities[s] != 1 and s is not Severity.INFO else ''}"
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if severities[s]
    ]
    if result.findings:
        noun = "finding" if len(result.findings) == 1 else "findings"
        with_findings = len({f.path for f in result.findings})
        where = f"{with_findings} file{'s' if with_findings != 1 else ''}; {_checked(result)}"
        lines.append(f"Found {len(result.findings)} {noun} ({', '.join(parts)}) in {where}.")
        safe = sum(1 for f in result.findings if f.fix is not None and f.fix.safety is FixSafety.SAFE)
        unsafe = sum(1 for f in result.findings if f.fix is not None and f.fix.safety is FixSafety.UNSAFE)
        if safe:
            lines.append(f"[*] {safe} fixable with `--fix`.")
        if unsafe:
            lines.append(f"[~] {unsafe} more fixable with `--fix --unsafe-fixes` (review the changes).")
    else:
        lines.append(f"All checks passed ({_checked(result)}).")
    if result.suppressed:
        noun = "finding" if len(result.suppressed) == 1 else "findings"
        lines.append(f"{len(result.suppressed)} suppressed {noun} not shown.")
    if result.baselined:
        noun = "finding" if result.baselined == 1 else "findings"
        lines.append(f"{result.baselined} {noun} in the baseline not shown.")
    if result.fixed:
        lines.append(f"Fixed {result.fixed} finding{'s' if result.fixed != 1 else ''}.")
    return lines


def _fix_lines(result: RunResult) -> list[str]:
    """`--show-fixes`: per file, how many findings of each rule were fixed (as ruff lists them)."""
    by_path: dict[str, list[tuple[str, str, int]]] = {}
    for (path, code, name), count in sorted(result.fixed_codes.items()):
        by_path.setdefault(path, []).append((code, name, count))
    lines = []
    for path, rows in by_path.items():
        lines.append(f"- {path}:")
        lines.extend(f"    {count} × {code} ({name})" for code, name, count in rows)
    return lines


def _show_fixes(console: Console, result: RunResult) -> None:
    from rich.markup import escape

    for line in _fix_lines(result):
        console.print(escape(line))


def report_concise(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    """One plain line per finding and nothing else."""
    for finding in result.findings:
        out.write(format_line(finding, markup=False) + "\n")


def stream_concise(file_results: Sequence[Any], critical_only: bool, min_severity: Optional[str], out: IO[str]) -> None:
    """Concise lines for files that just finished (a long run on a terminal streams them)."""
    floor = Severity(min_severity).rank if min_severity else 0
    for file_result in file_results:
        for finding in file_result.findings:
            if (finding.critical or not critical_only) and finding.severity.rank >= floor:
                out.write(format_line(finding, markup=False) + "\n")
    out.flush()

"""Human output: `path:line:col: CODE [severity] message`, then a summary.

Colour only on a terminal (rich's detection, `NO_COLOR` respected, `--no-color` forces it off).
Every user-derived string is escaped for rich markup; lines are never wrapped.
"""

from __future__ import annotations

from collections import Counter
from typing import IO

from rich.console import Console
from rich.markup import escape

from errlint.finding import Finding, FixSafety, Severity
from errlint.reporters import ReporterOptions, RunResult

# `[*]`: `--fix` fixes it; `[~]`: only `--fix --unsafe-fixes` does (review those); display-only: none.
FIX_MARKS = {FixSafety.SAFE: " [*]", FixSafety.UNSAFE: " [~]"}
_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _console(out: IO[str], options: ReporterOptions) -> Console:
    return Console(
        file=out,
        force_terminal=True if options.color else None,
        no_color=options.color is False or None,
        color_system="auto" if options.color is not False else None,
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
    style = _SEVERITY_STYLE[finding.severity]
    return (
        f"[bold]{escape(location)}[/bold] [{style}]{finding.code}[/{style}] "
        f"{escape('[' + finding.severity.value + ']')}{escape(critical)} {escape(finding.message)}"
        f"{escape(fixable)}"
    )


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    console = _console(out, options)
    for finding in result.findings:
        console.print(format_line(finding))
    if options.quiet:
        return
    if result.findings:
        console.print()
    if result.statistics or options.statistics:
        by_code = Counter((f.code, f.name, f.severity.value) for f in result.findings)
        for (code, name, severity), count in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0])):
            console.print(escape(f"{count:>6}  {code}  {'[' + severity + ']':<10} {name}"))
        if by_code:
            console.print()
    severities = Counter(f.severity for f in result.findings)
    parts = [
        f"{severities[s]} {s.value}{'s' if severities[s] != 1 and s is not Severity.INFO else ''}"
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if severities[s]
    ]
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if result.findings:
        noun = "finding" if len(result.findings) == 1 else "findings"
        console.print(f"Found {len(result.findings)} {noun} ({', '.join(parts)}) in {files}.")
        safe = sum(1 for f in result.findings if f.fix is not None and f.fix.safety.value == "safe")
        unsafe = sum(1 for f in result.findings if f.fix is not None and f.fix.safety.value == "unsafe")
        if safe:
            console.print(escape(f"[*] {safe} fixable with `--fix`."))
        if unsafe:
            console.print(escape(f"[~] {unsafe} more fixable with `--fix --unsafe-fixes` (review the changes)."))
    else:
        console.print(f"All checks passed ({files}).")
    if result.baselined:
        noun = "finding" if result.baselined == 1 else "findings"
        console.print(f"{result.baselined} {noun} in the baseline not shown.")
    if result.fixed:
        console.print(f"Fixed {result.fixed} finding{'s' if result.fixed != 1 else ''}.")
        if result.show_fixes:
            _show_fixes(console, result)


def _show_fixes(console: Console, result: RunResult) -> None:
    """`--show-fixes`: per file, how many findings of each rule were fixed (as ruff lists them)."""
    by_path: dict[str, list[tuple[str, str, int]]] = {}
    for (path, code, name), count in sorted(result.fixed_codes.items()):
        by_path.setdefault(path, []).append((code, name, count))
    for path, rows in by_path.items():
        console.print(escape(f"- {path}:"))
        for code, name, count in rows:
            console.print(escape(f"    {count} × {code} ({name})"))


def report_concise(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    """One plain line per finding and nothing else."""
    for finding in result.findings:
        out.write(format_line(finding, markup=False) + "\n")

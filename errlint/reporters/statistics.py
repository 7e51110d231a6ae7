"""`--statistics`: one row per rule instead of the listing, as ruff's `--statistics` does.

With `--format json` the rows are a JSON array (`code`, `name`, `severity`, `count`, `fixable`:
how many of them `--fix` fixes); every other format prints the plain table, most frequent rule
first, then the summary line (unless `--quiet`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, Any

from errlint.finding import FixSafety
from errlint.reporters import ReporterOptions, RunResult


def rows(result: RunResult) -> list[dict[str, Any]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    fixable: Counter[str] = Counter()
    for finding in result.findings:
        counts[(finding.code, finding.name, finding.severity.value)] += 1
        if finding.fix is not None and finding.fix.safety is FixSafety.SAFE:
            fixable[finding.code] += 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        {"code": code, "name": name, "severity": severity, "count": count, "fixable": fixable[code]}
        for (code, name, severity), count in ordered
    ]


def report_json(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    json.dump(rows(result), out, indent=2)
    out.write("\n")


def report_table(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    from errlint.reporters.text import summary_lines

    for row in rows(result):
        mark = "[*] " if row["fixable"] else "    "
        out.write(f"{row['count']:>6}  {row['code']}  {'[' + row['severity'] + ']':<10} {mark}{row['name']}\n")
    if not options.quiet:
        for line in summary_lines(result):
            out.write(line + "\n")

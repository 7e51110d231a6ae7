"""`--format gitlab`: a GitLab Code Quality report (a JSON array of Code Climate issues).

Each issue has `description` (code and message), `check_name` (the rule code), `fingerprint`
(`Finding.fingerprint`: stable across line shifts, so GitLab can tell new findings from old ones),
`severity` and `location` (`path` plus 1-based begin/end positions). errlint's severities map to
GitLab's `info`, `minor` and `major`; an error on a business-critical path is `critical`. Paths are
relative to the directory errlint ran in: run it from the repository root.
"""

from __future__ import annotations

import json
from typing import IO, Any

from errlint.finding import Finding, Severity
from errlint.fingerprints import of as fingerprint_of
from errlint.reporters import ReporterOptions, RunResult

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def issue(finding: Finding) -> dict[str, Any]:
    critical = "(critical) " if finding.critical else ""
    severity = SEVERITIES[finding.severity]
    if finding.critical and finding.severity is Severity.ERROR:
        severity = "critical"
    return {
        "description": f"{finding.code} {critical}{finding.message}",
        "check_name": finding.code,
        "fingerprint": fingerprint_of(finding),
        "severity": severity,
        "location": {
            "path": finding.path,
            "positions": {
                "begin": {"line": finding.line, "column": finding.column},
                "end": {"line": finding.end_line, "column": finding.end_column},
            },
        },
    }


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    json.dump([issue(f) for f in result.findings], out, indent=2, ensure_ascii=False)
    out.write("\n")

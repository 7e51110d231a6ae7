"""`--format github`: GitHub Actions workflow commands, shown as annotations on the pull request.

One line per finding:
`::warning file=app.py,line=3,col=1,endLine=3,endColumn=8,title=XH101 bare-except::message`.
errlint's severities map to `error`, `warning` and `notice`. Values are escaped as the Actions
toolkit does (`%`, CR and LF everywhere; also `:` and `,` in properties), so a message can never
end the command early or inject another one.
"""

from __future__ import annotations

from typing import IO

from errlint.finding import Finding, Severity
from errlint.reporters import ReporterOptions, RunResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(value: str) -> str:
    """Escape a command's message (actions/toolkit `escapeData`)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property value (actions/toolkit `escapeProperty`)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(finding: Finding) -> str:
    properties = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.column),
        "endLine": str(finding.end_line),
        "endColumn": str(finding.end_column),
        "title": f"{finding.code} {finding.name}",
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    critical = "(critical) " if finding.critical else ""
    return f"::{COMMANDS[finding.severity]} {props}::{escape_data(critical + finding.message)}"


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    for finding in result.findings:
        out.write(format_command(finding) + "\n")

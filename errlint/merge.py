"""`errlint merge REPORT...`: one report from the reports of `errlint check --shard K/N` jobs.

Each shard job writes its findings as JSON (`--format json`) or SARIF (`--format sarif`); `merge`
reads them back (`errlint.reporters.read`), takes their union and writes it in any format
`check` writes, exactly as one unsharded run would have: the same bytes for JSON and SARIF
(tests/test_merge.py checks it). Nothing is recomputed: the findings are the ones the shards
reported, with their fingerprints and fixes.

- The same finding in two reports (a report given twice, or overlapping runs) is kept once.
- Exit codes are those of `check`: 0 when no findings remain, 1 when some do (0 with
  `--exit-zero`), 2 when a report cannot be read (one line naming the file) or records a rule
  crash (SARIF keeps crashes; a JSON report has no place for them, and its shard job already
  exited 2).
- Versions: SARIF records the errlint version that wrote it; a SARIF report written by another
  version than the merging errlint is an error (rules, messages and fingerprints may differ, so
  the union would mix two runs). JSON records no version: merge reports of one pipeline, made by
  one pinned errlint with one configuration. The configuration is not recorded anywhere: shards
  of one run share it by construction.
- The text summary cannot say how many files the shards checked (the reports do not record it):
  it says how many reports were merged instead.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import click

from errlint import __version__
from errlint.errors import UsageError
from errlint.finding import Finding, RuleCrash
from errlint.reporters import REPORTERS, ReporterOptions, RunResult, get_reporter

if TYPE_CHECKING:
    from errlint.reporters.read import ReadReport

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _key(finding: Finding) -> str:
    return json.dumps([finding.to_dict(), finding.fingerprint], sort_keys=True)


def merge_reports(reports: list[tuple[str, ReadReport]]) -> RunResult:
    """The union of `reports` ((name, report) pairs, in order) as one run's result."""
    seen: set[str] = set()
    findings: list[Finding] = []
    suppressed: list[tuple[Finding, list[dict[str, Any]]]] = []
    crashes: list[RuleCrash] = []
    descriptors: dict[str, dict[str, Any]] = {}
    for _, report in reports:
        for finding in report.findings:
            if _key(finding) not in seen:
                seen.add(_key(finding))
                findings.append(finding)
        for finding, suppressions in report.suppressed:
            if _key(finding) not in seen:
                seen.add(_key(finding))
                suppressed.append((finding, suppressions))
        crashes.extend(c for c in report.crashes if c not in crashes)
        for code, descriptor in report.descriptors.items():
            descriptors.setdefault(code, descriptor)
    return RunResult(
        findings=sorted(findings, key=lambda f: f.sort_key),
        crashes=crashes,
        suppressed=sorted(suppressed, key=lambda item: item[0].sort_key),
        rule_descriptors=descriptors,
        merged_reports=len(reports),
    )


def load(paths: tuple[Path, ...]) -> list[tuple[str, ReadReport]]:
    """Read every report; the first unreadable one is a `UsageError` naming it."""
    from errlint.reporters.read import InvalidReport, read_report

    out = []
    for path in paths:
        try:
            report = read_report(path)
        except InvalidReport as err:
            raise UsageError(f"{path}: {err}") from None
        if report.version is not None and report.version != __version__:
            raise UsageError(
                f"{path}: written by errlint {report.version}, merging with errlint {__version__}: "
                "merge the reports with the errlint version that wrote them"
            )
        out.append((str(path), report))
    return out


@click.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--statistics", is_flag=True, help="One row per rule (count, severity, fixable) instead of the listing.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--quiet", "-q", is_flag=True, help="Findings only, no summary.")
@click.option("--no-color", is_flag=True, help="Never colour the output.")
def merge(
    reports: tuple[Path, ...],
    output_format: str,
    output_file: Optional[str],
    statistics: bool,
    exit_zero: bool,
    quiet: bool,
    no_color: bool,
) -> None:
    """Merge the JSON or SARIF reports of `check --shard K/N` jobs into one report (any --format)."""
    result = merge_reports(load(reports))
    result.statistics = statistics
    options = ReporterOptions(color=False if no_color or output_file else None, quiet=quiet, statistics=statistics)
    reporter = get_reporter(output_format)
    if statistics:
        from errlint.reporters import statistics as stats

        reporter = stats.report_json if output_format == "json" else stats.report_table
    if output_file:
        buffer = io.StringIO()
        reporter(result, buffer, options)
        try:
            Path(output_file).write_text(buffer.getvalue(), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--output-file: {output_file}: {err.strerror or err}") from None
    else:
        reporter(result, sys.stdout, options)
    for crash in result.crashes:
        what = "errlint crashed" if crash.rule == "engine" else f"rule {crash.rule} crashed"
        click.echo(f"errlint: error: {what} on {crash.path}: {crash.error} (recorded in a merged report)", err=True)
    if result.crashes:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN)

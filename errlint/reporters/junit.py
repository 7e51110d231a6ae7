"""`--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure, CircleCI).

One `<testcase>` per file with findings (`name` and `file` are the path): a `<failure>` lists every
finding of the file, one `path:line:col: CODE [severity] message` line each, and a rule crash on the
file is an `<error>`. A run without findings or crashes has one passing test case, `errlint`, so
the report is never empty. The run's file count is a `<property>` of the suite (`errlint merge`
writes how many reports it merged instead).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import IO

from errlint.finding import Finding, RuleCrash
from errlint.reporters import ReporterOptions, RunResult
from errlint.reporters.text import format_line

# Characters XML 1.0 cannot carry at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _testcase(path: str, findings: list[Finding], crashes: list[RuleCrash]) -> ET.Element:
    case = ET.Element("testcase", {"name": _clean(path), "classname": "errlint", "file": _clean(path)})
    if findings:
        codes = ", ".join(dict.fromkeys(f.code for f in findings))
        noun = "finding" if len(findings) == 1 else "findings"
        failure = ET.SubElement(case, "failure", {"type": "errlint", "message": f"{len(findings)} {noun}: {codes}"})
        failure.text = _clean("\n".join(format_line(f, markup=False) for f in findings))
    for crash in crashes:
        what = "errlint crashed" if crash.rule == "engine" else f"rule {crash.rule} crashed"
        error = ET.SubElement(case, "error", {"type": crash.rule, "message": _clean(f"{what}: {crash.error}")})
        error.text = _clean(f"{what} on {crash.path}: {crash.error}")
    return case


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    by_path: dict[str, tuple[list[Finding], list[RuleCrash]]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, ([], []))[0].append(finding)
    for crash in result.crashes:
        by_path.setdefault(crash.path, ([], []))[1].append(crash)
    cases = [_testcase(path, *by_path[path]) for path in sorted(by_path)]
    if not cases:
        cases = [ET.Element("testcase", {"name": "errlint", "classname": "errlint"})]
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None and c.find("failure") is None)
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors)}
    suites = ET.Element("testsuites", {"name": "errlint", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "errlint", **counts, "skipped": "0"})
    properties = ET.SubElement(suite, "properties")
    if result.merged_reports:  # `errlint merge`: the reports do not record how many files were checked
        ET.SubElement(properties, "property", {"name": "merged-reports", "value": str(result.merged_reports)})
    else:
        ET.SubElement(properties, "property", {"name": "files", "value": str(result.files)})
    suite.extend(cases)
    ET.indent(suites, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(suites, encoding="unicode"))
    out.write("\n")

"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run with `tool.driver.rules` for the rules that have results (id, name, short and full
description, help, `helpUri` to the rule's page, default level, tags), and one result per finding:
`ruleId`/`ruleIndex`, `level`, `message`, a region with 1-based lines and columns (`columnKind` is
`unicodeCodePoints`, as errlint counts columns; `endColumn` is exclusive, as in SARIF),
`partialFingerprints` that survive line shifts (`Finding.fingerprint`), and `fixes` when the finding
has one. Relative paths are relative to `%SRCROOT%`, the directory errlint ran in: run it from the
repository root for GitHub. Rule crashes become `toolExecutionNotifications`.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import IO, TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from errlint import __version__
from errlint.finding import DOCS_URL, Edit, Finding, Fix, Severity
from errlint.fingerprints import VERSION as FINGERPRINT_KEY
from errlint.fingerprints import of as fingerprint_of
from errlint.reporters import ReporterOptions, RunResult

if TYPE_CHECKING:
    from errlint.rule import LintRule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://errlint.readthedocs.io/"
SRCROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub code scanning's own severity scale (`problem.severity`).
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    json.dump(sarif_log(result), out, indent=2, ensure_ascii=False)
    out.write("\n")


def sarif_log(result: RunResult) -> dict[str, Any]:
    """The whole SARIF log as a JSON-ready dict."""
    # `errlint merge` carries suppressed results (as read back) beside the remaining findings.
    entries = [(f, None) for f in result.findings] + [(f, s) for f, s in result.suppressed]
    if result.suppressed:
        entries.sort(key=lambda entry: entry[0].sort_key)
    codes = sorted({f.code for f, _ in entries})
    index = {code: i for i, code in enumerate(codes)}
    samples: dict[str, Finding] = {}
    for finding, _ in entries:
        samples.setdefault(finding.code, finding)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "errlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [result.rule_descriptors.get(code) or _descriptor(code, samples[code]) for code in codes],
            }
        },
        "invocations": [_invocation(result)],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index[f.code], s) for f, s in entries],
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _descriptor(code: str, sample: Finding) -> dict[str, Any]:
    """`reportingDescriptor` from the rule's metadata (or, for codes without a rule, the finding).

    errlint's own rules' descriptors are in the generated rule index (`errlint.catalog`): a report
    of cached results imports neither the rules nor libcst.
    """
    from errlint import catalog

    indexed = catalog.indexed_descriptor(code)
    if indexed is not None:
        return indexed
    from errlint.rule import rule_by_code

    rule = rule_by_code(code)
    if rule is None:
        return {
            "id": code,
            "name": sample.name,
            "shortDescription": {"text": sample.name},
            "helpUri": sample.url,
            "defaultConfiguration": {"level": LEVELS[sample.severity]},
        }
    return descriptor_of(rule)


def descriptor_of(rule: type[LintRule]) -> dict[str, Any]:
    """The `reportingDescriptor` of `rule`."""
    return descriptor_from(*descriptor_facts(rule))


DescriptorFacts = tuple[str, str, str, str, str, bool, str, str, str]


def descriptor_facts(rule: type[LintRule]) -> DescriptorFacts:
    """What a descriptor is made of (the rule index keeps these, `descriptor_from` builds it)."""
    summary = short_description(rule)
    full = "\n\n".join(t for t in (_section(rule, "What it does"), _section(rule, "Why is this bad?")) if t)
    return (rule.CODE, rule.NAME, summary, full, rule.SEVERITY.value, rule.PREVIEW, rule.family(), rule.IMPACT.value, rule.FIX.value)


def descriptor_from(
    code: str, name: str, summary: str, full: str, severity: str, preview: bool, family: str, impact: str, fix: str
) -> dict[str, Any]:
    url = DOCS_URL.format(code=code)
    level = Severity(severity)
    tags = list(dict.fromkeys(["errlint", family, impact] + (["preview"] if preview else [])))
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _plain(full) or summary, "markdown": full or summary},
        "help": {"text": f"{_plain(full) or summary}\n\nSee {url}", "markdown": f"{full or summary}\n\n[Documentation]({url})"},
        "helpUri": url,
        "defaultConfiguration": {"level": LEVELS[level], "enabled": not preview},
        "properties": {
            "tags": tags,
            "problem.severity": _PROBLEM_SEVERITY[level],
            "impact": impact,
            "fix": fix,
        },
    }


def _section(rule: type[LintRule], heading: str) -> str:
    from errlint.docs import section

    return section(rule, heading)


def short_description(rule: type[LintRule]) -> str:
    from errlint.docs import short_description

    return short_description(rule)


def _plain(markdown: str) -> str:
    """Markdown prose as plain paragraphs (no backticks, link text only), for `text` fields."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", markdown).replace("`", "")
    return "\n\n".join(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())


def _result(finding: Finding, rule_index: int, suppressions: Optional[list[dict[str, Any]]] = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": artifact_location(finding.path),
                    "region": _region(finding.line, finding.column, finding.end_line, finding.end_column),
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint_of(finding)},
        "properties": {
            "severity": finding.severity.value,
            "impact": finding.impact.value,
            "critical": finding.critical,
        },
    }
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix, finding.path)]
    if suppressions:
        result["suppressions"] = suppressions
    return result


def artifact_location(path: str) -> dict[str, str]:
    """A relative path as a URI reference under `%SRCROOT%`; an absolute one as a `file:` URI."""
    pure: PurePath = PureWindowsPath(path) if "\\" in path or re.match(r"^[A-Za-z]:", path) else PurePosixPath(path)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    return {"uri": quote(pure.as_posix()), "uriBaseId": SRCROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fix(fix: Fix, path: str) -> dict[str, Any]:
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {
                "artifactLocation": artifact_location(path),
                "replacements": [_replacement(edit) for edit in fix.edits],
            }
        ],
        "properties": {"safety": fix.safety.value},
    }


def _replacement(edit: Edit) -> dict[str, Any]:
    return {
        "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
        "insertedContent": {"text": edit.content},
    }


def _invocation(result: RunResult) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not result.crashes}
    notifications = []
    for crash in result.crashes:
        notification: dict[str, Any] = {
            "level": "error",
            "message": {"text": f"{'errlint' if crash.rule == 'engine' else 'rule ' + crash.rule} crashed: {crash.error}"},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_location(crash.path)}}],
        }
        if crash.rule != "engine":
            notification["associatedRule"] = {"id": crash.rule}
        notifications.append(notification)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation

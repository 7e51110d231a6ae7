"""`--write-baseline` / `--baseline` with a real git repository: entries survive line shifts,
unrelated edits and a `git mv`; new findings are reported, fixed entries reported and pruned."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SERVICE = '''\
import logging

log = logging.getLogger(__name__)


def load():
    try:
        connect()
    except:
        retry()
    try:
        connect()
    except:
        retry()


class Client:
    def send(self):
        try:
            post()
        except:
            pass
'''


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "XH101", "--format", "concise", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "service.py").write_text(SERVICE)
    return tmp_path


def test_baseline_survives_shifts_edits_and_git_mv(repo: Path) -> None:
    assert run("--write-baseline", "errlint-baseline.json", ".")[0] == 0
    data = json.loads((repo / "errlint-baseline.json").read_text())
    assert data["format"] == "errlint-baseline" and data["version"] == 1
    assert [(e["path"], e["line"], e["scope"]) for e in data["entries"]] == [
        ("app/service.py", 9, "load"),
        ("app/service.py", 13, "load"),
        ("app/service.py", 21, "Client.send"),
    ]
    assert len({e["key"] for e in data["entries"]}) == 3  # identical clauses: occurrence index
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    assert run("--baseline", "errlint-baseline.json", ".") == (0, "", "")

    # Move the file, push everything down, re-indent a comment, edit unrelated lines.
    git(repo, "mv", "app/service.py", "app/payments.py")
    moved = SERVICE.replace("import logging\n", "import logging\nimport os\n\nTIMEOUT = 3\n")
    moved = moved.replace("    except:\n        retry()\n    try:", "    except :  # legacy\n        retry()\n    try:", 1)
    moved = moved.replace("post()", "post(timeout=TIMEOUT)")
    (repo / "app" / "payments.py").write_text(moved)
    git(repo, "commit", "-qam", "rename and edit")
    assert "R" in git(repo, "show", "--name-status", "--format=", "HEAD")  # git saw a rename
    assert run("--baseline", "errlint-baseline.json", ".") == (0, "", "")

    # A new bare except in the same function is reported, and only it.
    grown = moved.replace("class Client:", "def extra():\n    try:\n        go()\n    except:\n        pass\n\n\nclass Client:")
    (repo / "app" / "payments.py").write_text(grown)
    code, out, _ = run("--baseline", "errlint-baseline.json", ".")
    line = grown.splitlines().index("    except:", grown.splitlines().index("def extra():")) + 1
    assert code == 1
    assert line == 23
    assert len(out.splitlines()) == 1 and out.startswith("app/payments.py:23:5: XH101 [warning] Bare `except:`")


def test_baseline_works_from_any_directory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "pyproject.toml").write_text('[tool.errlint]\ncritical-functions = ["app.service.load"]\n')
    assert run("--write-baseline", "baseline.json", ".")[0] == 0
    monkeypatch.chdir(repo / "app")
    assert run("--baseline", "../baseline.json", ".") == (0, "", "")
    assert run("--baseline", "../baseline.json", str(repo / "app" / "service.py")) == (0, "", "")


def test_critical_functions_match_from_a_sub_folder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Module names come from the configuration's folder, not the working directory."""
    (repo / "pyproject.toml").write_text('[tool.errlint]\ncritical-functions = ["app.service.load"]\n')
    monkeypatch.chdir(repo / "app")
    out = run(".")[1]
    assert [line.split(" ", 3)[:3] for line in out.splitlines()] == [
        ["service.py:9:5:", "XH101", "[error]"],
        ["service.py:13:5:", "XH101", "[error]"],
        ["service.py:21:9:", "XH101", "[warning]"],
    ]


def test_fixed_entries_are_reported_and_pruned(repo: Path) -> None:
    assert run("--write-baseline", "baseline.json", ".")[0] == 0
    fixed = SERVICE.replace("        except:\n            pass", "        except OSError:\n            pass")
    (repo / "app" / "service.py").write_text(fixed)
    code, out, err = run("--baseline", "baseline.json", ".")
    assert (code, out) == (0, "")
    assert err == (
        "errlint: 1 baseline entry matches nothing any more (fixed); remove it with "
        "--baseline baseline.json --prune-baseline\n"
    )
    code, _, err = run("--baseline", "baseline.json", "--prune-baseline", ".")
    assert code == 0 and err == "errlint: removed 1 fixed entry from the baseline baseline.json\n"
    entries = json.loads((repo / "baseline.json").read_text())["entries"]
    assert [e["scope"] for e in entries] == ["load", "load"]
    assert run("--baseline", "baseline.json", ".") == (0, "", "")


def test_entries_of_files_not_linted_are_kept(repo: Path) -> None:
    (repo / "other.py").write_text("try:\n    a()\nexcept:\n    pass\n")
    assert run("--write-baseline", "baseline.json", ".")[0] == 0
    # Lint one file only (as pre-commit does): the other file's entries are not "fixed".
    assert run("--baseline", "baseline.json", "--prune-baseline", "other.py") == (0, "", "")
    assert len(json.loads((repo / "baseline.json").read_text())["entries"]) == 4
    (repo / "other.py").unlink()  # a deleted file's entries are fixed
    code, _, err = run("--baseline", "baseline.json", ".")
    assert code == 0 and "1 baseline entry matches nothing any more" in err


def test_text_summary_counts_hidden_findings(repo: Path) -> None:
    assert run("--write-baseline", "b.json", ".")[0] == 0
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "XH101", "--baseline", "b.json", "--no-color", "."])
    assert result.exit_code == 0
    assert "3 findings in the baseline not shown." in result.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baseline", "missing.json"], "--baseline: missing.json: no such file (create it with --write-baseline missing.json)"),
        (["--baseline", "app/service.py"], "--baseline: app/service.py: not a JSON baseline"),
        (["--prune-baseline"], "--prune-baseline needs --baseline FILE"),
        (["--write-baseline", "b.json", "--add-noqa"], "--write-baseline cannot be combined with --add-noqa"),
    ],
)
def test_baseline_errors_are_one_line(repo: Path, args: list[str], message: str) -> None:
    code, out, err = run(*args, ".")
    assert (code, out) == (2, "")
    assert err.startswith(f"errlint: error: {message}") and len(err.splitlines()) == 1

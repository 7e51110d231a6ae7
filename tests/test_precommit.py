"""The pre-commit hooks, run by the real `pre-commit try-repo` against this repository's HEAD.

try-repo clones the repository at the given commit and installs it into a fresh virtualenv (from
PyPI), so the hooks are tested as users get them: commit `.pre-commit-hooks.yaml` changes before
running this. Each run installs errlint once (~20 s), so there are only two runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BARE_MSG = "Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"

pytestmark = pytest.mark.slow


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def head() -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout (try-repo needs one)")
    if subprocess.run(["git", "cat-file", "-e", "HEAD:.pre-commit-hooks.yaml"], cwd=REPO).returncode != 0:
        pytest.fail(".pre-commit-hooks.yaml is not committed: try-repo only sees committed files")
    return _git("rev-parse", "HEAD", cwd=REPO)


def _throwaway_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    _git("init", "-q", cwd=path)
    for name, text in files.items():
        (path / name).write_text(text)
    _git("add", *files, cwd=path)  # --all-files lints what git tracks (staged is enough)
    return path


def try_repo(project: Path, ref: str, *hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), *hook, "--ref", ref, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_errlint_hook_fails_on_findings_and_shows_them(tmp_path: Path, head: str) -> None:
    bad = "def load():\n    try:\n        connect()\n    except:\n        retry()\n"
    # XH101 is a preview rule (docs/precision.md): the project turns the preview rules on.
    files = {"service.py": bad, "README.txt": "not python\n", "errlint.toml": "preview = true\n"}
    project = _throwaway_repo(tmp_path / "project", files)
    proc = try_repo(project, head, "errlint", home=tmp_path / "pre-commit-home")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "errlint..." in out and "Failed" in out
    assert f"service.py:4:5: XH101 [warning] {BARE_MSG} [~]" in out
    assert (project / "service.py").read_text() == bad  # the check hook never edits


def test_both_hooks_pass_on_clean_code(tmp_path: Path, head: str) -> None:
    clean = (
        "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
        "def read_settings(path):\n"
        "    try:\n"
        "        with open(path) as fh:\n"
        "            return fh.read()\n"
        "    except FileNotFoundError:\n"
        '        log.warning("settings file %s is missing; using defaults", path)\n'
        '        return ""\n'
    )
    project = _throwaway_repo(tmp_path / "project", {"service.py": clean, "types.pyi": "def f() -> int: ...\n"})
    proc = try_repo(project, head, home=tmp_path / "pre-commit-home")  # no hook id: every hook in the manifest
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    passed = [line for line in out.splitlines() if line.endswith("Passed")]
    assert [line.split(".")[0] for line in passed] == ["errlint", "errlint (fix)"], out
    assert (project / "service.py").read_text() == clean

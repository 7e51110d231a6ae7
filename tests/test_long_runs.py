"""Long runs and large trees: `--statistics` instead of the listing (every format), `NO_COLOR` and
the progress bar on a real terminal (a pty), help without arguments, and notices instead of silence
for a tree without Python files or an empty selection."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

BARE = "try:\n    connect()\nexcept:\n    retry()\n"
USELESS = "try:\n    connect()\nexcept ConnectionError:\n    raise\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    (tmp_path / "a.py").write_text(BARE + BARE)
    (tmp_path / "b.py").write_text(USELESS)
    (tmp_path / "ok.py").write_text("x = 1\n")
    return tmp_path


COMMON = ("check", "--isolated", "--no-cache", "--select", "XH101,XH105", "--no-color")


def test_statistics_replace_the_listing(project: Path) -> None:
    code, out, _ = run(*COMMON, "--statistics")
    assert code == 1
    assert out.splitlines() == [
        "     2  XH101  [warning]      bare-except",
        "     1  XH105  [info]     [*] useless-reraise",
        "Found 3 findings (2 warnings, 1 info) in 2 files; 3 files checked.",
        "[*] 1 fixable with `--fix`.",
        "[~] 2 more fixable with `--fix --unsafe-fixes` (review the changes).",
    ]
    assert run(*COMMON, "--statistics", "-q")[1].splitlines() == out.splitlines()[:2]


def test_statistics_in_json_and_every_other_format(project: Path) -> None:
    code, out, _ = run(*COMMON, "--statistics", "--format", "json")
    assert code == 1
    assert json.loads(out) == [
        {"code": "XH101", "name": "bare-except", "severity": "warning", "count": 2, "fixable": 0},
        {"code": "XH105", "name": "useless-reraise", "severity": "info", "count": 1, "fixable": 1},
    ]
    for fmt in ("concise", "sarif", "github", "gitlab", "junit"):
        code, out, _ = run(*COMMON, "--statistics", "--format", fmt, "-q")
        assert (code, out.splitlines()[0]) == (1, "     2  XH101  [warning]      bare-except"), fmt


def test_no_arguments_prints_help_and_exits_0() -> None:
    code, out, err = run()
    assert (code, err) == (0, "")
    assert out.startswith("Usage: ") and " [OPTIONS] COMMAND [ARGS]...\n" in out
    assert "errlint: find error handling" in out and "\n  check " in out
    proc = subprocess.run([sys.executable, "-m", "errlint"], capture_output=True, text=True)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("Usage: errlint [OPTIONS] COMMAND [ARGS]...")


def test_tree_without_python_files_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# hi\n")
    code, out, err = run("check", "--isolated", "--no-cache", "--no-color", "docs")
    assert (code, out) == (0, "All checks passed (0 files checked).\n")
    assert err == "errlint: no Python files found in docs: nothing to check\n"


def test_empty_selection_says_so(project: Path) -> None:
    code, out, err = run("check", "--isolated", "--no-cache", "--no-color", "--select", "XH6", "--ignore", "XH6")
    assert (code, out) == (0, "All checks passed (0 files checked).\n")
    assert err == "errlint: no rules selected (see select/ignore on the command line): nothing to check\n"


def _run_on_terminal(args: list[str], cwd: Path, env: dict[str, str], tty_stdout: bool) -> tuple[bytes, bytes]:
    """Run errlint with stderr (and optionally stdout) on a pseudo-terminal; return (stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "errlint", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave if tty_stdout else subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    terminal = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        terminal += chunk
    stdout = proc.stdout.read() if proc.stdout is not None else b""
    proc.wait(timeout=60)
    os.close(master)
    return stdout, terminal


@pytest.fixture
def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    clean["TERM"] = "xterm-256color"
    return clean


def test_no_color_means_no_escape_codes_on_a_terminal(project: Path, env: dict[str, str]) -> None:
    args = ["check", "--isolated", "--no-cache", "--select", "XH101", "a.py"]
    _, coloured = _run_on_terminal(args, project, env, tty_stdout=True)
    assert b"\x1b[" in coloured  # the test can fail: on a terminal there is colour
    _, plain = _run_on_terminal(args, project, {**env, "NO_COLOR": "1"}, tty_stdout=True)
    assert b"\x1b" not in plain
    assert b"a.py:3:1: XH101 [warning]" in plain


def test_progress_bar_on_a_terminal_stderr_only(tmp_path: Path, env: dict[str, str]) -> None:
    for index in range(59):
        (tmp_path / f"m{index:02}.py").write_text(BARE)
    (tmp_path / "z.py").write_text("def charge():  # errlint: critical\n" + "".join("    " + l + "\n" for l in BARE.splitlines()))
    args = ["check", "--isolated", "--no-cache", "--select", "XH101", "--format", "concise", "-j", "1", "."]
    stdout, terminal = _run_on_terminal(args, tmp_path, env, tty_stdout=False)
    assert b"files, " in terminal and b" findings" in terminal and b"/60" in terminal
    assert b"\x1b" not in stdout and stdout.count(b"XH101") == 60
    # Not a terminal: no bar at all, and the listing is sorted at the end (critical first) instead
    # of streamed in file order as files finish.
    proc = subprocess.run([sys.executable, "-m", "errlint", *args], cwd=tmp_path, env=env, capture_output=True)
    assert proc.stderr == b""
    streamed, sorted_ = stdout.decode().splitlines(), proc.stdout.decode().splitlines()
    assert sorted(streamed) == sorted(sorted_)
    assert streamed[-1].startswith("z.py:4:5: XH101 [error] (critical)")  # file order
    assert sorted_[0].startswith("z.py:4:5: XH101 [error] (critical)")  # critical first

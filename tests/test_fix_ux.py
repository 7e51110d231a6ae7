"""`--diff`, `--show-fixes`, `--exit-non-zero-on-fix`, `--fix -`, `--unsafe-fixes` alone, and the
`[*]`/`[~]` marks: exact output and exit codes, and files untouched when nothing may be written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

SOURCE = """\
def g():
    try:
        connect()
    except ConnectionError:
        raise
    try:
        connect()
    except:
        retry()
"""
SAFE_FIXED = """\
def g():
    connect()
    try:
        connect()
    except:
        retry()
"""
XH105 = "XH105 [info] Useless `except ConnectionError:`: the handler only re-raises the exception"
XH101 = "XH101 [warning] Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    # XH101 and XH105 are preview rules (docs/precision.md): selecting them by code enables them.
    preview = () if "--select" in args else ("--select", "XH101,XH105")
    result = CliRunner().invoke(main, ["check", "--isolated", "--no-cache", "--no-color", *preview, *args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(SOURCE)
    return tmp_path / "bad.py"


def test_marks_safe_and_unsafe_fixes_differently(bad: Path) -> None:
    code, out, _ = run("bad.py")
    assert code == 1
    assert out.splitlines() == [
        f"bad.py:4:5: {XH105} [*]",
        f"bad.py:8:5: {XH101} [~]",
        "",
        "Found 2 findings (1 warning, 1 info) in 1 file; 1 file checked.",
        "[*] 1 fixable with `--fix`.",
        "[~] 1 more fixable with `--fix --unsafe-fixes` (review the changes).",
    ]


def test_diff_prints_a_unified_diff_and_writes_nothing(bad: Path) -> None:
    code, out, err = run("--diff", "bad.py")
    assert code == 1
    assert out == (
        "--- bad.py\n+++ bad.py\n@@ -1,8 +1,5 @@\n def g():\n-    try:\n-        connect()\n"
        "-    except ConnectionError:\n-        raise\n+    connect()\n     try:\n         connect()\n     except:\n"
    )
    assert err == "Would fix 1 finding (1 more with --unsafe-fixes).\n"
    assert bad.read_text() == SOURCE


def test_diff_with_unsafe_fixes_and_without_anything_to_fix(bad: Path) -> None:
    code, out, err = run("--diff", "--unsafe-fixes", "bad.py")
    assert code == 1 and err == "Would fix 2 findings.\n"
    assert "-    except:\n+    except Exception:\n" in out
    bad.write_text("x = 1\n")
    assert run("--diff", "bad.py") == (0, "", "No fixes available.\n")


def test_show_fixes_and_exit_non_zero_on_fix(bad: Path) -> None:
    code, out, _ = run("--fix", "--show-fixes", "--select", "XH105", "bad.py")
    assert code == 0  # nothing left
    assert out.splitlines() == [
        "All checks passed (1 file checked).",
        "Fixed 1 finding.",
        "- bad.py:",
        "    1 × XH105 (useless-reraise)",
    ]
    assert bad.read_text() == SAFE_FIXED
    bad.write_text(SOURCE)
    code, _, _ = run("--fix", "--exit-non-zero-on-fix", "--select", "XH105", "bad.py")
    assert code == 1
    code, _, _ = run("--fix", "--exit-non-zero-on-fix", "--select", "XH105", "bad.py")
    assert code == 0  # nothing fixed the second time


def test_fix_on_standard_input_prints_the_fixed_source(bad: Path) -> None:
    code, out, err = run("--fix", "-", "--stdin-filename", "bad.py", input=SOURCE)
    assert out == SAFE_FIXED
    assert code == 1  # XH101 remains (its fix is unsafe)
    assert err.splitlines()[0] == f"bad.py:5:5: {XH101} [~]"
    assert bad.read_text() == SOURCE  # standard input never writes the file
    code, out, err = run("--fix", "--unsafe-fixes", "--format", "concise", "-", input=SOURCE)
    assert (code, err) == (0, "")
    assert "    except Exception:\n" in out and "    connect()\n    try:" in out


def test_diff_on_standard_input(bad: Path) -> None:
    code, out, err = run("--diff", "-", "--stdin-filename", "bad.py", input=SOURCE)
    assert code == 1 and out.startswith("--- bad.py\n+++ bad.py\n@@ -1,8 +1,5 @@\n")
    assert err == "Would fix 1 finding (1 more with --unsafe-fixes).\n"


def test_unsafe_fixes_alone_says_what_it_does(bad: Path) -> None:
    code, _, err = run("--unsafe-fixes", "bad.py")
    assert code == 1
    assert err == (
        "errlint: note: --unsafe-fixes alone changes nothing: add --fix to apply safe and unsafe fixes, "
        "or --diff to see them\n"
    )
    assert bad.read_text() == SOURCE


def test_fix_and_diff_together_is_a_usage_error(bad: Path) -> None:
    code, out, err = run("--fix", "--diff", "bad.py")
    assert (code, out) == (2, "")
    assert err == "errlint: error: --fix and --diff cannot be combined: --diff shows the fixes without applying them\n"

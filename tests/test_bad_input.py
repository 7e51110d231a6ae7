"""Bad input through the command line: every case gives exact codes, positions, messages and exit
codes, and nothing is ever skipped silently. Each test runs `errlint check` in-process (CliRunner)
on files written to a temporary directory, with `--isolated --no-cache -j 1`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from click.testing import CliRunner

from errlint.cli import main

BARE = "XH101 [warning] Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect [~]"
BARE_SOURCE = "try:\n    pass\nexcept:\n    retry()\n"


def run(tmp_path: Path, *args: str, select: str = "XH101") -> tuple[int, str, str]:
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(
            main,
            ["check", "--isolated", "--no-cache", "-j", "1", "--format", "concise", "-q", "--select", select, *args],
            catch_exceptions=False,
        )
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_bytes(data.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"def f(:\n    pass\n", "bad.py:1:7: XH000 [error] SyntaxError: invalid syntax"),
        (b'print "hello"\n', "bad.py:1:1: XH000 [error] SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?"),
        (b"x = 1\x00\n", "bad.py:1:6: XH000 [error] source contains a NUL byte (binary file?)"),
        (b"x = 1\ry = 2\rz = \x00\r", "bad.py:3:5: XH000 [error] source contains a NUL byte (binary file?)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "bad.py:3:1: XH000 [error] source contains a NUL byte (binary file?)"),
        (b'x = 1\ny = "\xff"\n', "bad.py:2:6: XH000 [error] cannot decode as utf-8: invalid start byte (byte 0xff)"),
        (b'x = "\xff"\n', "bad.py:1:6: XH000 [error] cannot decode as utf-8: invalid start byte (byte 0xff)"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "bad.py:1:1: XH000 [error] invalid encoding declaration: unknown encoding: klingon"),
        (b"#!/usr/bin/env python\n# coding: ascii\nx = '\xc3\xa9'\n", "bad.py:3:6: XH000 [error] cannot decode as ascii: ordinal not in range(128) (byte 0xc3)"),
        (b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "bad.py:1:205: XH000 [error] SyntaxError: too many nested parentheses"),
        (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "bad.py:1:205: XH000 [error] SyntaxError: too many nested parentheses"),
        (b"x = " + b"-" * 50000 + b"1\n", "bad.py:1:1: XH000 [error] the code is nested too deeply to parse (MemoryError in Python's parser)"),
    ],
    ids=["syntax", "python2", "nul", "nul-cr-lines", "binary", "undecodable", "undecodable-line-1", "unknown-coding", "wrong-coding", "nested-parens", "nested-brackets-segfault-guard", "unary-chain"],
)
def test_unreadable_or_unparsable_file_is_one_xh000(tmp_path: Path, data: bytes, expected: str) -> None:
    write(tmp_path, "bad.py", data)
    code, out, err = run(tmp_path, "bad.py")
    assert (code, out, err) == (1, expected + "\n", "")


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"\xef\xbb\xbf" + BARE_SOURCE.encode(), 3, 1),
        (BARE_SOURCE.replace("\n", "\r\n").encode(), 3, 1),
        (BARE_SOURCE.replace("\n", "\r").encode(), 3, 1),
        (b"x = 1\n\x0c\n" + BARE_SOURCE.encode(), 5, 1),
        (b"def f():\n\ttry:\n\t\tpass\n\texcept:\n\t\tretry()\n", 4, 2),
        (b"# coding: latin-1\ns = '\xe9t\xe9'\n" + BARE_SOURCE.encode(), 5, 1),
        ("s = 'ünïcödé ✓'\n".encode() + b"if s:\n    " + BARE_SOURCE.replace("\n", "\n    ").rstrip(" ").encode(), 5, 5),
    ],
    ids=["bom", "crlf", "cr", "form-feed", "tabs", "latin-1", "non-ascii"],
)
def test_odd_but_valid_files_are_linted_with_exact_positions(tmp_path: Path, data: bytes, line: int, column: int) -> None:
    write(tmp_path, "odd.py", data)
    code, out, err = run(tmp_path, "odd.py")
    assert (code, out, err) == (1, f"odd.py:{line}:{column}: {BARE}\n", "")


def test_unparsable_file_is_not_silenced_by_noqa(tmp_path: Path) -> None:
    write(tmp_path, "bad.py", b"x = 1\n1syntax_error  # NOQA\n")
    assert run(tmp_path, "bad.py") == (1, "bad.py:2:1: XH000 [error] SyntaxError: invalid decimal literal\n", "")


def test_empty_file_is_clean(tmp_path: Path) -> None:
    write(tmp_path, "empty.py", b"")
    assert run(tmp_path, "empty.py") == (0, "", "")


def test_large_generated_file(tmp_path: Path) -> None:
    body = "".join(f"value_{i} = {i}\n" for i in range(99_995))
    write(tmp_path, "big.py", body + BARE_SOURCE)
    assert run(tmp_path, "big.py") == (1, f"big.py:99998:1: {BARE}\n", "")


def test_long_operator_chain_is_reported_at_the_statement(tmp_path: Path) -> None:
    """libcst's codegen recurses per operand: the finding stays, at the handler's line, without a fix."""
    write(tmp_path, "chain.py", "try:\n    x = " + "+".join(["a"] * 2500) + "\nexcept:\n    retry()\n")
    code, out, err = run(tmp_path, "chain.py")
    assert (code, err) == (1, "")
    assert out == f"chain.py:3:1: {BARE}\n"


def test_directory_named_like_a_module_is_walked_not_read(tmp_path: Path) -> None:
    (tmp_path / "pkg.py").mkdir()
    write(tmp_path, "pkg.py/inner.py", BARE_SOURCE)
    assert run(tmp_path, "pkg.py") == (1, f"pkg.py/inner.py:3:1: {BARE}\n", "")
    assert run(tmp_path, ".") == (1, f"pkg.py/inner.py:3:1: {BARE}\n", "")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_reported_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    assert run(tmp_path, "pipe.py") == (1, "pipe.py:1:1: XH000 [error] cannot read file: not a regular file (a FIFO)\n", "")


def test_broken_symlink_and_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "broken.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    code, out, err = run(tmp_path, "broken.py", "loop.py")
    assert (code, err) == (1, "")
    assert out == (
        "broken.py:1:1: XH000 [error] cannot read file: No such file or directory\n"
        "loop.py:1:1: XH000 [error] cannot read file: Too many levels of symbolic links\n"
    )


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads mode-000 files, so the denial is simulated where errlint reads."""
    write(tmp_path, "secret.py", BARE_SOURCE)
    write(tmp_path, "ok.py", BARE_SOURCE)
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, out, err = run(tmp_path, ".")
    assert (code, err) == (1, "")
    assert out == f"ok.py:3:1: {BARE}\nsecret.py:1:1: XH000 [error] cannot read file: Permission denied\n"


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert run(tmp_path, "nowhere.py") == (2, "", "errlint: error: nowhere.py: no such file or directory\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jobs", "0"], "errlint: error: Invalid value for '--jobs' / '-j': 0 is not in the range x>=1. (see '"),
        (["--format", "yaml"], None),
        (["--min-severity", "loud"], None),
    ],
)
def test_invalid_option_value_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: Any) -> None:
    write(tmp_path, "ok.py", "x = 1\n")
    code, out, err = run(tmp_path, "ok.py", *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("errlint: error: Invalid value for '")
    if message is not None:
        assert err.startswith(message) and err.endswith(" check --help')\n")


def test_rule_crash_is_reported_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from errlint.rule import rule_by_code

    rule = rule_by_code("XH101")
    assert rule is not None
    original = rule.visit_ExceptHandler  # type: ignore[attr-defined]

    def visit(self: Any, node: cst.ExceptHandler) -> None:
        if self.context.path == "boom.py":
            raise ValueError("cannot handle this file")
        original(self, node)

    monkeypatch.setattr(rule, "visit_ExceptHandler", visit)
    write(tmp_path, "boom.py", BARE_SOURCE)
    write(tmp_path, "fine.py", BARE_SOURCE)
    code, out, err = run(tmp_path, ".")
    assert (code, out) == (2, f"fine.py:3:1: {BARE}\n")
    assert err == (
        "errlint: error: rule XH101 crashed on boom.py: ValueError: cannot handle this file\n"
        "errlint: re-run with --debug for tracebacks, and please report the crash.\n"
    )
    code, out, err = run(tmp_path, ".", "--debug")
    assert code == 2
    assert err.startswith("errlint: error: rule XH101 crashed on boom.py: ValueError: cannot handle this file\nTraceback (most recent call last):\n")
    assert 'raise ValueError("cannot handle this file")' in err and "re-run with --debug" not in err


def test_standard_input_with_bad_bytes(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["check", "--isolated", "--format", "concise", "-q", "-", "--stdin-filename", "in.py"], input=b"x = \xff\n")
    assert (result.exit_code, result.stdout) == (1, "in.py:1:5: XH000 [error] cannot decode as utf-8: invalid start byte (byte 0xff)\n")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_many_bad_files_in_one_run_lose_nothing(tmp_path: Path) -> None:
    """Every bad file is a finding of its own, in a parallel run too; good files still count."""
    for index in range(12):
        write(tmp_path, f"good{index:02}.py", BARE_SOURCE)
    write(tmp_path, "zz_syntax.py", b"def f(:\n")
    write(tmp_path, "zz_nul.py", b"\x00")
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(main, ["check", "--isolated", "--no-cache", "-j", "2", "--format", "concise", "-q", "--select", "XH101", "."])
    finally:
        os.chdir(old)
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert len(lines) == 14
    assert lines[-2:] == [
        "zz_nul.py:1:1: XH000 [error] source contains a NUL byte (binary file?)",
        "zz_syntax.py:1:7: XH000 [error] SyntaxError: invalid syntax",
    ]


def test_recursion_error_inside_libcst_is_xh000(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code CPython accepts but libcst's parser cannot finish: one XH000, the run goes on."""
    real = cst.parse_module

    def parse_module(source: str) -> cst.Module:
        if "nested_too_deep" in source:
            raise RecursionError("maximum recursion depth exceeded")
        return real(source)

    monkeypatch.setattr(cst, "parse_module", parse_module)
    # A `try` a rule can report in: a file no rule's hint matches is not parsed with libcst at all.
    write(tmp_path, "deep.py", "try:\n    nested_too_deep = ((((1))))\nexcept:  # noqa: E722\n    cleanup()\n")
    write(tmp_path, "fine.py", BARE_SOURCE)
    code, out, err = run(tmp_path, ".")
    assert (code, err) == (1, "")
    assert out == (
        "deep.py:1:1: XH000 [error] the code is nested too deeply to parse (RecursionError)\n"
        f"fine.py:3:1: {BARE}\n"
    )

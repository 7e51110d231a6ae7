"""Valid Python that libcst refuses is not called a syntax error: one XH000 that says "valid Python
that errlint's parser cannot read", at the place it concerns."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

VALID = "XH000 [error] valid Python that errlint's parser cannot read: "


# A `try` a default rule can report in (XH105: a handler that only re-raises): a file no rule can
# fire in is not parsed with libcst at all.
HEAD = b"try:\n    import x\nexcept ImportError:\n    raise\n"


def run(tmp_path: Path, name: str, data: bytes) -> tuple[int, str, str]:
    (tmp_path / name).write_bytes(data)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(
            main, ["check", "--isolated", "--no-cache", "-j", "1", "--format", "concise", "-q", name],
            catch_exceptions=False,
        )  # fmt: skip
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (HEAD + b"x = 1\r\n\\\r\n", "6:1: " + VALID + "tokenizer error: unexpected end of file after a line continuation"),
        (HEAD + b"x = 1\r\ny = 2 \\\r\n", "6:7: " + VALID + "tokenizer error: unexpected end of file after a line continuation"),
        (
            HEAD + b"import os\n\nx = (\n" + b"".join(b"    'a%d'\n" % i for i in range(10_000)) + b")\n",
            "7:1: " + VALID + "parser error: error at 10008:1: expected one of STRING, f\", t\"",
        ),
    ],
    ids=["backslash-crlf-at-eof", "continued-line-crlf-at-eof", "10000-implicit-strings"],
)
def test_valid_code_libcst_refuses(tmp_path: Path, data: bytes, expected: str) -> None:
    ast.parse(data)  # valid for CPython: before, these were "SyntaxError: ..." at 1:1 or at the closing bracket
    assert run(tmp_path, "valid.py", data) == (1, f"valid.py:{expected}\n", "")


def test_a_real_syntax_error_stays_a_syntax_error(tmp_path: Path) -> None:
    assert run(tmp_path, "bad.py", b"x = 1\n\\\n") == (1, "bad.py:2:2: XH000 [error] SyntaxError: unexpected EOF while parsing\n", "")


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="template strings are valid from Python 3.14")
def test_template_strings_before_314_are_cpythons_syntax_error_at_its_place(tmp_path: Path) -> None:
    """Before: "libcst cannot parse this file: CSTLogicError: Logic error!" at 1:1."""
    assert run(tmp_path, "t.py", b"x = 1\ny = 2\nz = t'a' t'b'\n") == (
        1, "t.py:3:6: XH000 [error] SyntaxError: invalid syntax\n", ""
    )  # fmt: skip


@pytest.mark.skipif(sys.version_info < (3, 14), reason="template strings are valid from Python 3.14")
def test_implicitly_concatenated_template_strings_are_reported_where_they_are(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "t.py", b"x = 1\ny = 2\nz = t'a' t'b'\n")
    assert (code, err) == (1, "")
    assert out.startswith("t.py:3:5: " + VALID)

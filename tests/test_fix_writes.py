"""`--fix` writes: atomic, in the file's own encoding, BOM and newlines, never over a newer edit,
and one failing file is one line on stderr (exit 2) while the other files are still fixed."""

from __future__ import annotations

import dataclasses
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import errlint.writeback
from errlint.cli import main
from errlint.config import Config
from errlint.engine import lint_text
from errlint.finding import Edit, Fix, FixSafety
from errlint.fixes import apply_fixes
from errlint.rule import rule_by_code
from errlint.writeback import fix_file

BARE = "try:\n    pass\nexcept:\n    retry()\n"
FIXED = "try:\n    pass\nexcept Exception:\n    retry()\n"


def run(cwd: Path, *args: str) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            main,
            ["check", "--isolated", "--no-cache", "-j", "1", "-q", "--format", "concise",
             "--select", "XH101", "--fix", "--unsafe-fixes", *args],
            catch_exceptions=False,
        )  # fmt: skip
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".errlint-tmp"))


@pytest.mark.parametrize(
    ("encoding", "literal"),
    [("latin-1", "été"), ("koi8-r", "привет"), ("cp1252", "€ – “quoted”"), ("shift_jis", "日本語のテキスト")],
)
def test_fix_writes_back_in_the_declared_encoding(tmp_path: Path, encoding: str, literal: str) -> None:
    source = f"# -*- coding: {encoding} -*-\ns = '{literal}'\n" + BARE
    path = tmp_path / "enc.py"
    path.write_bytes(source.encode(encoding))
    assert run(tmp_path, "enc.py") == (0, "", "")
    expected = source.replace("except:", "except Exception:").encode(encoding)
    assert path.read_bytes() == expected
    compile(path.read_bytes(), "enc.py", "exec")  # still compiles, literal unchanged


def test_fix_keeps_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbfs = '\xc3\xa9'\n" + BARE.encode())
    assert run(tmp_path, "bom.py")[0] == 0
    assert path.read_bytes() == b"\xef\xbb\xbfs = '\xc3\xa9'\n" + FIXED.encode()


@pytest.mark.parametrize(
    "newlines",
    [["\r\n"] * 4, ["\r"] * 4, ["\n", "\r\n", "\n", "\r\n"], ["\r\n", "\n", "\r\n", "\n"]],
    ids=["crlf", "cr", "mixed-lf-first", "mixed-crlf-first"],
)
def test_fix_keeps_every_line_break_byte(tmp_path: Path, newlines: list[str]) -> None:
    lines = BARE.splitlines()
    path = tmp_path / "nl.py"
    path.write_bytes("".join(l + n for l, n in zip(lines, newlines)).encode())
    assert run(tmp_path, "nl.py")[0] == 0
    expected = "".join(l + n for l, n in zip(FIXED.splitlines(), newlines)).encode()
    assert path.read_bytes() == expected


def test_multi_line_fix_text_takes_the_line_break_of_its_line() -> None:
    text = "a = 1\r\nb = 2\nc = 3\r\n"
    fixes = [
        Fix("t", FixSafety.SAFE, (Edit(1, 1, 1, 6, "x = 1\ny = 1"),)),
        Fix("t", FixSafety.SAFE, (Edit(2, 1, 2, 6, "p = 2\r\nq = 2"),)),
    ]
    assert apply_fixes(text, fixes) == ("x = 1\r\ny = 1\r\np = 2\nq = 2\nc = 3\r\n", 2)


def test_fix_keeps_mode_and_owner_and_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(BARE)
    os.chmod(real, 0o640)
    if os.geteuid() == 0:
        os.chown(real, 65534, 65534)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    assert run(tmp_path, "link.py")[0] == 0
    assert link.is_symlink() and real.read_text() == FIXED
    info = real.stat()
    assert oct(info.st_mode & 0o7777) == oct(0o640)
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (65534, 65534)
    assert leftovers(tmp_path) == []


def test_read_only_file_is_one_line_and_the_others_are_fixed(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BARE)
    locked = tmp_path / "b.py"
    locked.write_text(BARE)
    os.chmod(locked, 0o444)
    (tmp_path / "c.py").write_text(BARE)
    code, out, err = run(tmp_path, "a.py", "b.py", "c.py")
    assert code == 2
    assert err == "errlint: error: b.py: not fixed, the file is unchanged: the file is read-only\n"
    assert out == "b.py:3:1: XH101 [warning] Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect [~]\n"
    assert locked.read_text() == BARE
    assert (tmp_path / "a.py").read_text() == FIXED and (tmp_path / "c.py").read_text() == FIXED
    assert leftovers(tmp_path) == []


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_failed_write_leaves_the_original_untouched(tmp_path: Path) -> None:
    """A write that fails half-way (here: a file-size limit, as a full disk would) changes nothing."""
    big = tmp_path / "big.py"
    big_source = "x = 1\n" * 400 + BARE  # 2.4 kB: the temporary copy cannot be written
    big.write_text(big_source)
    (tmp_path / "small.py").write_text(BARE)
    proc = subprocess.run(
        [sys.executable, "-m", "errlint", "check", "--isolated", "--no-cache", "-j", "1", "-q", "--format",
         "concise", "--select", "XH101", "--fix", "--unsafe-fixes", "big.py", "small.py"],
        cwd=tmp_path, capture_output=True, text=True, preexec_fn=_limit_file_size, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "errlint: error: big.py: not fixed, the file is unchanged: File too large\n"
    assert big.read_text() == big_source
    assert (tmp_path / "small.py").read_text() == FIXED
    assert leftovers(tmp_path) == []


def test_edit_made_while_fixing_is_never_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "busy.py"
    path.write_text(BARE)
    edited = BARE + "# the user's edit\n"
    real_fix_text = errlint.writeback.fix_text

    def fix_then_user_saves(*args: Any, **kwargs: Any) -> Any:
        outcome = real_fix_text(*args, **kwargs)
        path.write_text(edited)  # the editor saves after errlint read the file
        return outcome

    monkeypatch.setattr(errlint.writeback, "fix_text", fix_then_user_saves)
    code, _, err = run(tmp_path, "busy.py")
    assert code == 2
    assert err == (
        "errlint: error: busy.py: not fixed, the file is unchanged: "
        "it changed on disk after errlint read it; run errlint again\n"
    )
    assert path.read_text() == edited
    assert leftovers(tmp_path) == []


def test_fix_that_cannot_be_encoded_is_skipped_and_said(tmp_path: Path) -> None:
    rule = rule_by_code("XH101")
    assert rule is not None
    path = tmp_path / "latin.py"
    source = "# coding: latin-1\n" + BARE
    path.write_bytes(source.encode("latin-1"))
    result = lint_text(source, "latin.py", Config(), [rule], keep_source=True)
    (finding,) = result.findings
    assert finding.fix is not None
    arrow = dataclasses.replace(finding.fix, edits=(dataclasses.replace(finding.fix.edits[0], content="except Exception:  # →"),))
    result.findings = [dataclasses.replace(finding, fix=arrow)]
    outcome = fix_file(path, result, lambda text: lint_text(text, "latin.py", Config(), [rule]), unsafe=True)
    assert (outcome.applied, outcome.error) == (0, None)
    assert outcome.notes == ["4:1: XH101 fix not applied: its text cannot be encoded as iso8859-1"]
    assert path.read_bytes() == source.encode("latin-1")

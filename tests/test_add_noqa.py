"""`--add-noqa`: comments merged with existing ones, never inside strings, lines kept reasonable,
and the findings really silenced afterwards (by errlint and by flake8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main
from errlint.finding import Finding, Impact, Severity
from errlint.noqa_writer import add_noqa


def at(line: int, code: str = "XH101", end_line: int = 0) -> Finding:
    return Finding(code, "n", "m", Severity.WARNING, Impact.CRASH, "a.py", line, 1, end_line or line, 2)


@pytest.mark.parametrize(
    ("source", "findings", "expected"),
    [
        ("x = 1\n", [at(1)], "x = 1  # noqa: XH101\n"),
        ("x = 1  # noqa: E722\n", [at(1)], "x = 1  # noqa: E722, XH101\n"),
        ("x = 1  # noqa:XH302 - why\n", [at(1)], "x = 1  # noqa: XH101, XH302 - why\n"),
        ("x = 1  # noqa: XH101\n", [at(1)], "x = 1  # noqa: XH101\n"),  # already there
        ("x = 1  # noqa\n", [at(1)], "x = 1  # noqa\n"),  # blanket: left alone
        ("x = 1  # keep me\n", [at(1)], "x = 1  # keep me  # noqa: XH101\n"),
        ("x = 1\r\n", [at(1, "XH302"), at(1, "XH101")], "x = 1  # noqa: XH101, XH302\r\n"),
        # "# noqa" inside a string is not a comment: a real one is added.
        ('x = "# noqa: E1"\n', [at(1)], 'x = "# noqa: E1"  # noqa: XH101\n'),
        # The flagged line ends inside a multi-line string: the comment goes on the statement's last line.
        ('log.error("""a\nb""", x)\n', [at(1, end_line=2)], 'log.error("""a\nb""", x)  # noqa: XH101\n'),
        # A backslash continuation cannot take a comment.
        ("y = 1 + \\\n    2\n", [at(1)], "y = 1 + \\\n    2  # noqa: XH101\n"),
        # XH000 cannot be silenced.
        ("x = 1\n", [at(1, "XH000")], "x = 1\n"),
    ],
)
def test_add_noqa_text(source: str, findings: list[Finding], expected: str) -> None:
    new, changed = add_noqa(source, findings)
    assert new == expected
    assert changed == (0 if new == source else 1)


def test_reason_and_long_lines_move_to_a_shorter_line_of_the_statement() -> None:
    long_call = "    result = client.post(" + "'x' * 30, " * 6 + "\n"
    source = long_call + "        timeout=3,\n    )\n"
    new, changed = add_noqa(source, [at(1)], reason="legacy", max_length=100)
    assert changed == 1
    assert new.splitlines()[0] == long_call.rstrip("\n")  # untouched: already over the limit
    assert new.splitlines()[1] == "        timeout=3,  # noqa: XH101 - legacy"


BAD = '''\
import logging

log = logging.getLogger(__name__)


def f(order):
    try:
        charge(order)
    except:  # why not
        log.error("""charge failed
        for an order""")
'''


def test_cli_add_noqa_silences_every_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(BAD)
    before = CliRunner().invoke(main, ["check", "--no-cache", "--isolated", "--preview", "--format", "concise", "bad.py"])
    assert before.exit_code == 1
    codes = sorted({line.split()[1] for line in before.stdout.splitlines()})
    assert codes == ["XH101", "XH302"]
    added = CliRunner().invoke(main, ["check", "--no-cache", "--isolated", "--preview", "--add-noqa", "--reason", "legacy", "bad.py"])
    assert (added.exit_code, added.stdout, added.stderr) == (0, "", "errlint: added 2 noqa directives\n")
    text = (tmp_path / "bad.py").read_text()
    assert "    except:  # why not  # noqa: XH101 - legacy\n" in text
    assert '        for an order""")  # noqa: XH302 - legacy\n' in text
    after = CliRunner().invoke(main, ["check", "--no-cache", "--isolated", "--preview", "bad.py", "-q"])
    assert (after.exit_code, after.stdout) == (0, "")
    again = CliRunner().invoke(main, ["check", "--no-cache", "--isolated", "--preview", "--add-noqa", "bad.py"])
    assert again.stderr == "errlint: added 0 noqa directives\n"


@pytest.mark.slow
def test_flake8_honours_the_added_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(BAD)
    CliRunner().invoke(main, ["check", "--no-cache", "--isolated", "--preview", "--add-noqa", "bad.py"])
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "XH", "bad.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stderr

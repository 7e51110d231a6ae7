"""The `errlint check` command line, in-process with click's CliRunner: exit codes 0/1/2,
formats, selection, noqa, fixes and one-line user errors."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

BARE = "try:\n    connect()\nexcept:\n    retry()\n"
BARE_MSG = "Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    if args[:1] == ("check",) and "--select" not in args:
        args = (*args, "--preview")  # the rules these tests trip are preview rules (docs/precision.md)
    result = CliRunner().invoke(main, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_clean_file_exits_0(project: Path) -> None:
    (project / "ok.py").write_text("def f():\n    return 1\n")
    code, out, err = run("check", "ok.py")
    assert (code, err) == (0, "")
    assert out == "All checks passed (1 file checked).\n"


def test_findings_exit_1_with_exact_line(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    code, out, _ = run("check", "bad.py", "--no-color")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"bad.py:3:1: XH101 [warning] {BARE_MSG} [~]"
    assert "Found 1 finding (1 warning) in 1 file; 1 file checked." in lines


def test_default_path_is_current_directory(project: Path) -> None:
    (project / "pkg").mkdir()
    (project / "pkg" / "bad.py").write_text(BARE)
    code, out, _ = run("check", "--format", "concise")
    assert code == 1
    assert out == f"pkg/bad.py:3:1: XH101 [warning] {BARE_MSG} [~]\n"


def test_exit_zero(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    assert run("check", "bad.py", "--exit-zero", "-q")[0] == 0


def test_json_output_has_the_finding_shape(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    code, out, _ = run("check", "bad.py", "--format", "json")
    assert code == 1
    report = json.loads(out)
    # The line-stable identity (errlint.fingerprints), so `errlint merge` can write SARIF from JSON.
    assert re.fullmatch("[0-9a-f]{32}", report[0].pop("fingerprint"))
    assert report == [
        {
            "code": "XH101",
            "name": "bare-except",
            "message": BARE_MSG,
            "severity": "warning",
            "impact": "silent-failure",
            "critical": False,
            "path": "bad.py",
            "line": 3,
            "column": 1,
            "end_line": 3,
            "end_column": 7,
            "fix": {
                "safety": "unsafe",
                "title": "Replace `except:` with `except Exception:`",
                "edits": [{"line": 3, "column": 7, "end_line": 3, "end_column": 7, "content": " Exception"}],
            },
            "url": "https://errlint.readthedocs.io/en/latest/rules/XH101/",
        }
    ]


def test_missing_path_is_one_line_exit_2(project: Path) -> None:
    code, out, err = run("check", "nope.py")
    assert (code, out) == (2, "")
    assert err == "errlint: error: nope.py: no such file or directory\n"


def test_invalid_option_value_is_one_line_exit_2(project: Path) -> None:
    code, _, err = run("check", "--min-severity", "loud")
    assert code == 2
    assert len(err.splitlines()) == 1
    assert err.startswith("errlint: error: Invalid value for '--min-severity': 'loud' is not one of")


def test_unknown_code_on_command_line(project: Path) -> None:
    code, _, err = run("check", "--select", "XH1O1")
    assert code == 2
    assert err == "errlint: error: command line: --select: unknown rule code 'XH1O1' (did you mean 'XH101'?)\n"


def test_stdin_with_stdin_filename(project: Path) -> None:
    code, out, _ = run("check", "-", "--stdin-filename", "app/jobs.py", "--format", "concise", input=BARE)
    assert code == 1
    assert out == f"app/jobs.py:3:1: XH101 [warning] {BARE_MSG} [~]\n"


def test_output_file(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    code, out, _ = run("check", "bad.py", "--format", "json", "--output-file", "report.json")
    assert (code, out) == (1, "")
    assert json.loads((project / "report.json").read_text())[0]["code"] == "XH101"


def test_ignore_and_select(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    assert run("check", "bad.py", "--ignore", "XH1", "-q")[0] == 0
    assert run("check", "bad.py", "--select", "XH0", "-q")[0] == 0
    assert run("check", "bad.py", "--select", "XH0", "--extend-select", "XH101", "-q")[0] == 1
    # the more specific selector wins
    assert run("check", "bad.py", "--select", "XH101", "--ignore", "XH1", "-q")[0] == 1


def test_noqa_blanket_specific_and_other_codes(project: Path) -> None:
    (project / "a.py").write_text("try:\n    x()\nexcept:  # noqa\n    pass\n")
    (project / "b.py").write_text("try:\n    x()\nexcept:  # noqa: XH101\n    pass\n")
    (project / "c.py").write_text("try:\n    x()\nexcept:  # noqa: XH999, E501\n    pass\n")
    (project / "d.py").write_text("try:\n    x()\nexcept:  # NOQA:XH1\n    pass\n")
    code, out, _ = run("check", ".", "--select", "XH101", "--format", "concise")
    assert code == 1
    assert out == f"c.py:3:1: XH101 [warning] {BARE_MSG} [~]\n"


def test_skip_file(project: Path) -> None:
    (project / "gen.py").write_text("# errlint: skip-file\n" + BARE)
    assert run("check", "gen.py")[0] == 0


def test_fix_applies_only_safe_fixes_unless_asked(project: Path) -> None:
    path = project / "bad.py"
    path.write_text(BARE)
    code, out, _ = run("check", "bad.py", "--fix", "-q", "--format", "concise")
    assert code == 1 and path.read_text() == BARE  # XH101's fix is unsafe
    code, out, _ = run("check", "bad.py", "--fix", "--unsafe-fixes", "--select", "XH101")
    assert code == 0
    assert path.read_text() == "try:\n    connect()\nexcept Exception:\n    retry()\n"
    assert "Fixed 1 finding." in out


def test_fix_keeps_crlf_line_endings(project: Path) -> None:
    path = project / "win.py"
    path.write_bytes(BARE.replace("\n", "\r\n").encode())
    assert run("check", "win.py", "--fix", "--unsafe-fixes", "--select", "XH101", "-q")[0] == 0
    assert path.read_bytes() == b"try:\r\n    connect()\r\nexcept Exception:\r\n    retry()\r\n"


def test_markup_in_paths_and_messages_is_escaped(project: Path) -> None:
    (project / "[red]x.py").write_text(BARE)
    code, out, _ = run("check", "[red]x.py", "--no-color")
    assert code == 1
    assert out.splitlines()[0].startswith("[red]x.py:3:1: XH101 [warning]")


def test_no_ansi_codes_when_not_a_terminal(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    out = run("check", "bad.py")[1]
    assert "\x1b[" not in out


def test_unreadable_directory_via_scandir_failure(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    (project / "locked").mkdir()
    (project / "locked" / "m.py").write_text(BARE)
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, _ = run("check", ".", "--format", "concise", "--select", "XH101", "-j", "1")
    assert code == 1
    assert out == "locked:1:1: XH000 [error] cannot read directory: Permission denied\n"


def test_min_severity_and_statistics(project: Path) -> None:
    (project / "bad.py").write_text(BARE)
    assert run("check", "bad.py", "--min-severity", "error", "-q")[0] == 0
    out = run("check", "bad.py", "--statistics", "--no-color")[1]
    assert "     1  XH101  [warning]      bare-except\nFound 1 finding (1 warning) in 1 file; 1 file checked.\n" in out


def test_critical_comment_raises_severity_and_lists_first(project: Path) -> None:
    (project / "a.py").write_text(BARE)
    (project / "b.py").write_text(
        textwrap.dedent(
            """\
            def charge(card):  # errlint: critical
                try:
                    gateway.charge(card)
                except:
                    pass
            """
        )
    )
    code, out, _ = run("check", ".", "--select", "XH101", "--format", "concise")
    assert code == 1
    assert out.splitlines() == [
        f"b.py:4:5: XH101 [error] (critical) {BARE_MSG} [~]",
        f"a.py:3:1: XH101 [warning] {BARE_MSG} [~]",
    ]
    out = run("check", ".", "--select", "XH101", "--format", "concise", "--critical-only")[1]
    assert out.splitlines() == [f"b.py:4:5: XH101 [error] (critical) {BARE_MSG} [~]"]


def test_rules_and_explain(project: Path) -> None:
    code, out, _ = run("rules", "--format", "json")
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows["XH101"]["name"] == "bare-except"
    assert rows["XH101"]["fix"] == "unsafe"
    code, out, _ = run("explain", "bare-except")
    assert code == 0 and out.startswith("# XH101 bare-except\n")
    code, _, err = run("explain", "bare-excep")
    assert code == 2 and err == "errlint: error: unknown rule 'bare-excep' (did you mean 'bare-except'?)\n"


def test_version() -> None:
    from errlint import __version__

    code, out, _ = run("--version")
    assert (code, out) == (0, f"errlint {__version__}\n")


def test_python_dash_m_errlint(project: Path) -> None:
    import subprocess
    import sys

    (project / "bad.py").write_text(BARE)
    proc = subprocess.run(
        [sys.executable, "-m", "errlint", "check", "bad.py", "--format", "concise", "--preview"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == f"bad.py:3:1: XH101 [warning] {BARE_MSG} [~]\n"


@pytest.mark.parametrize(("raised", "code", "said"), [(None, 0, ""), (0, 0, ""), (1, 1, ""), (2, 2, ""), ("boom", 2, "boom\n")])
def test_the_command_exits_with_mains_code_after_flushing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], raised: object, code: int, said: str
) -> None:
    """`errlint` (the console script and `python -m errlint`) ends with `os._exit` after `main`:
    the same exit code, the streams flushed, `sys.exit("...")`'s message on stderr."""
    import errlint.cli as cli

    class Exited(Exception):
        pass

    def fake_main(**kwargs: object) -> None:
        print("output")
        raise SystemExit(raised)

    def fake_exit(value: int) -> None:
        raise Exited(value)

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    with pytest.raises(Exited) as exited:
        cli.entry()
    assert exited.value.args == (code,)
    out, err = capsys.readouterr()
    assert out == "output\n" and err == said

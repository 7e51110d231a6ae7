"""The flake8 adapter, run by the real flake8 in a subprocess (and once in-process).

errlint's configuration applies first (select/ignore/per-file-ignores, severities, critical paths,
vocabularies, options, preview); flake8's select/ignore/per-file-ignores/noqa then filter. A bad
`[tool.errlint]` is one XH000 diagnostic per file, never a flake8 failure.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest

from errlint.finding import Impact
from errlint.flake8_plugin import Plugin
from errlint.rule import LintRule

XH101 = "XH101 [warning] Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"

# Clean for pyflakes and pycodestyle apart from E722 on the bare excepts.
SOURCE = '''\
import logging

log = logging.getLogger(__name__)


def connect():
    return 1


def load():
    try:
        connect()
    except:
        connect_later()
        return None


async def handle(job):
    try:
        await job.run()
    except ValueError:
        raise
    except:  # last resort
        await job.fail()
        return None
'''


def flake8(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lines_of(proc: subprocess.CompletedProcess[str], code: str = "XH101") -> list[str]:
    return [line for line in proc.stdout.splitlines() if f": {code} " in line]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(SOURCE)
    # The rules SOURCE trips (XH101, ...) are preview rules (docs/precision.md).
    (tmp_path / "pyproject.toml").write_text("[tool.errlint]\npreview = true\n")
    return tmp_path


# -- in-process -----------------------------------------------------------------------------


def test_adapter_yields_flake8_tuples_with_zero_based_columns(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    Plugin.parse_options(_options(None))
    lines = SOURCE.splitlines(keepends=True)
    results = [r for r in Plugin(ast.parse(SOURCE), lines, "app.py").run() if r[2].startswith("XH101")]
    assert results == [(13, 4, XH101, Plugin), (23, 4, XH101, Plugin)]


class _PreviewRule(LintRule):
    """A preview rule for selection tests (never registered)."""

    CODE: ClassVar[str] = "XH999"
    MESSAGE: ClassVar[str] = "preview"
    IMPACT: ClassVar[Impact] = Impact.CRASH
    PREVIEW: ClassVar[bool] = True

    def visit_Module(self, node: cst.Module) -> None:
        self.report(node)


@pytest.mark.parametrize(
    ("settings", "enabled"),
    [
        ("", False),
        ("preview = true", True),
        ('extend-select = ["XH999"]', True),
        ('select = ["XH9"]', False),  # a prefix does not enable a preview rule
        ('ignore = ["XH999"]\npreview = true', False),  # errlint's ignore applies under flake8 too
    ],
)
def test_preview_rules_follow_errlint_config(
    settings: str, enabled: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("errlint.rule._RULES", (_PreviewRule,))  # the rules errlint knows (errlint.catalog)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(f"[tool.errlint]\n{settings}\n")
    Plugin.parse_options(_options(None))
    results = list(Plugin(ast.parse(""), ["x = 1\n"], str(tmp_path / "x.py")).run())
    assert [message for _, _, message, _ in results] == (["XH999 [warning] preview"] if enabled else [])


def _options(config_file: str | None) -> object:
    import argparse

    return argparse.Namespace(errlint_config=config_file)


# -- the real flake8 ------------------------------------------------------------------------


@pytest.mark.slow
def test_plugin_is_registered(tmp_path: Path) -> None:
    proc = flake8("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "errlint: " in proc.stdout


@pytest.mark.slow
def test_select_xh_shows_findings(project: Path) -> None:
    proc = flake8("--select", "XH", "app.py", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert lines_of(proc) == [f"app.py:13:5: {XH101}", f"app.py:23:5: {XH101}"]
    assert all(": XH" in line for line in proc.stdout.splitlines())


@pytest.mark.slow
def test_findings_survive_extend_ignore_e_w(project: Path) -> None:
    # No --select: flake8 enables every installed plugin's prefix by default.
    proc = flake8("--extend-ignore", "E,W", "app.py", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert lines_of(proc) == [f"app.py:13:5: {XH101}", f"app.py:23:5: {XH101}"]
    assert "E722" not in proc.stdout
    default = flake8("app.py", cwd=project)
    assert len(lines_of(default)) == 2 and len(lines_of(default, "E722")) == 2


@pytest.mark.slow
def test_explicit_select_hides_xh_until_extended(project: Path) -> None:
    """The docs once claimed `select = E,F,W,C90` keeps XH codes: flake8 hides them all."""
    (project / ".flake8").write_text("[flake8]\nselect = E,F,W,C90\n")
    hidden = flake8("app.py", cwd=project)
    assert lines_of(hidden) == [] and len(lines_of(hidden, "E722")) == 2
    (project / ".flake8").write_text("[flake8]\nselect = E,F,W,C90\nextend-select = XH\n")
    shown = flake8("app.py", cwd=project)
    assert lines_of(shown) == [f"app.py:13:5: {XH101}", f"app.py:23:5: {XH101}"]


@pytest.mark.slow
def test_noqa_is_flake8s(project: Path) -> None:
    source = SOURCE.replace("    except:\n        connect_later", "    except:  # noqa: XH101\n        connect_later")
    source = source.replace("except:  # last resort", "except:  # noqa: F401 - last resort")
    (project / "app.py").write_text(source)
    proc = flake8("--select", "XH,E722", "app.py", cwd=project)
    # `# noqa: XH101` silences XH101 only (E722 stays); `# noqa: F401` does not silence XH101.
    # (`# noqa: E722` would: XH101 itself does not report a bare except silenced as E722.)
    assert lines_of(proc) == [f"app.py:23:5: {XH101}"]
    assert [line.split(": ", 1)[0] for line in lines_of(proc, "E722")] == ["app.py:13:5", "app.py:23:5"]
    (project / "app.py").write_text(SOURCE.replace("except:  # last resort", "except:  # noqa"))
    assert lines_of(flake8("--select", "XH", "app.py", cwd=project)) == [f"app.py:13:5: {XH101}"]


@pytest.mark.slow
def test_parallel_jobs(project: Path) -> None:
    names = [f"mod{i}.py" for i in range(6)]
    for name in names:
        (project / name).write_text(SOURCE)
    proc = flake8("-j", "2", "--select", "XH101", *names, cwd=project)
    assert proc.returncode == 1, proc.stderr
    expected = [f"{name}:{line}:5: {XH101}" for name in names for line in (13, 23)]
    assert sorted(proc.stdout.splitlines()) == sorted(expected)


@pytest.mark.slow
def test_flake8_per_file_ignores_and_errlint_config(project: Path) -> None:
    (project / "billing").mkdir()
    (project / "billing" / "charge.py").write_text(SOURCE)
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_text(SOURCE)
    (project / "lib.py").write_text(SOURCE)
    # errlint's config applies (critical paths, per-file-ignores); flake8's then filters too.
    (project / "pyproject.toml").write_text(
        '[tool.errlint]\npreview = true\ncritical-paths = ["billing/*"]\nper-file-ignores = { "lib.py" = ["XH1"] }\n'
    )
    proc = flake8("--select", "XH101", "--per-file-ignores", "tests/*:XH101", ".", cwd=project)
    assert proc.returncode == 1, proc.stderr
    out = sorted(proc.stdout.splitlines())
    critical = XH101.replace("XH101 [warning] ", "XH101 [error] (critical) ")
    assert out == sorted(
        [
            f"./app.py:13:5: {XH101}",
            f"./app.py:23:5: {XH101}",
            f"./billing/charge.py:13:5: {critical}",
            f"./billing/charge.py:23:5: {critical}",
        ]
    )
    # errlint's ignore hides the code everywhere, as on the command line.
    (project / "pyproject.toml").write_text('[tool.errlint]\npreview = true\nignore = ["XH101"]\n')
    assert flake8("--select", "XH101", ".", cwd=project).stdout == ""


@pytest.mark.slow
def test_errlint_config_option_and_stdin(project: Path) -> None:
    (project / "errlint.toml").write_text('preview = true\ncritical-paths = ["billing/*"]\n')
    proc = flake8(
        "--select", "XH101", "--errlint-config", "errlint.toml", "--stdin-display-name", "billing/pay.py", "-",
        cwd=project, stdin=SOURCE,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    critical = XH101.replace("XH101 [warning] ", "XH101 [error] (critical) ")
    assert proc.stdout.splitlines() == [f"billing/pay.py:13:5: {critical}", f"billing/pay.py:23:5: {critical}"]


@pytest.mark.slow
def test_bad_errlint_config_is_one_diagnostic_not_a_failure(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.errlint]\npreview = true\nselectt = ["XH1"]\n')
    proc = flake8("app.py", cwd=project)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    xh = [line for line in proc.stdout.splitlines() if ": XH" in line]
    assert xh == [
        f"app.py:1:1: XH000 [error] errlint configuration error: {project / 'pyproject.toml'}: "
        "selectt: unknown key 'selectt' (did you mean 'select'?)"
    ]
    assert len(lines_of(proc, "E722")) == 2  # the other linters still report


@pytest.mark.slow
def test_errlint_vocabulary_applies_under_flake8(tmp_path: Path) -> None:
    # `audit` is a logger only because [tool.errlint] says so; XH502 then sees the generic message.
    (tmp_path / "sync.py").write_text(
        "def sync(order):\n    try:\n        push(order)\n    except ConnectionError:\n"
        '        audit.error("failed", exc_info=True)\n        raise\n'
    )
    assert lines_of(flake8("--select", "XH502", "sync.py", cwd=tmp_path), "XH502") == []
    (tmp_path / "pyproject.toml").write_text('[tool.errlint]\npreview = true\nlogger-names = ["audit"]\n')
    found = lines_of(flake8("--select", "XH502", "sync.py", cwd=tmp_path), "XH502")
    assert [line.split(" XH502 ")[0] for line in found] == ["sync.py:5:21:"]

"""Configuration found from the files (ruff's model): the closest configuration to each file, paths
relative to its folder, `extend`, `--show-settings`, `--show-files` and `-v`; errors stay one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

BARE = "try:\n    connect()\nexcept:\n    retry()\n"
MSG = "Bare `except:` also catches `KeyboardInterrupt` and `SystemExit`; name the exceptions you expect"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("NO_COLOR", raising=False)
    root = tmp_path / "proj"
    for rel in ("app/billing/pay.py", "app/tests/test_t.py", "app/generated/g.py", "app/other.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(BARE)
    (root / "pyproject.toml").write_text(
        '[tool.errlint]\nselect = ["XH101"]\ncritical-paths = ["app/billing"]\nexclude = ["app/generated"]\n'
        '[tool.errlint.per-file-ignores]\n"app/tests/*" = ["XH101"]\n'
    )
    return root


EXPECTED = [
    f"{{p}}billing/pay.py:3:1: XH101 [error] (critical) {MSG}",
    f"{{p}}other.py:3:1: XH101 [warning] {MSG}",
]


def concise(out: str) -> list[str]:
    """The lines without the fix marker (XH101's fix is unsafe)."""
    return [line.rsplit(" [", 1)[0] if line.endswith("]") else line for line in out.splitlines()]


def test_paths_are_relative_to_the_config_not_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "app")
    code, out, _ = run("check", "--no-cache", "--format", "concise")
    assert code == 1
    assert concise(out) == [e.format(p="") for e in EXPECTED]


def test_absolute_path_from_elsewhere_applies_the_project_config(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run("check", "--no-cache", "--format", "concise", str(project / "app"))
    assert code == 1
    prefix = str(project / "app") + "/"  # outside the working directory: shown absolute
    assert concise(out) == [e.format(p=prefix) for e in EXPECTED]


def test_closest_config_wins_and_extend_inherits(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # app/billing gets its own configuration that extends the project's and drops criticality.
    (project / "app" / "billing" / "errlint.toml").write_text(
        'extend = "../../pyproject.toml"\ncritical-paths = []\nextend-select = ["XH103"]\n'
    )
    (project / "app" / "billing" / "broad.py").write_text("try:\n    pay()\nexcept Exception:\n    pass\n")
    monkeypatch.chdir(project)
    code, out, err = run("check", "--no-cache", "--format", "concise", "-v", "app")
    assert code == 1
    lines = [line.split(" ", 3)[:3] for line in out.splitlines()]
    assert lines == [
        ["app/billing/broad.py:3:1:", "XH103", "[error]"],
        ["app/billing/pay.py:3:1:", "XH101", "[warning]"],  # inherited select, not critical here
        ["app/other.py:3:1:", "XH101", "[warning]"],
    ]
    assert err.splitlines() == [
        f"errlint: configuration {project / 'app/billing/errlint.toml'} (extends {project / 'pyproject.toml'}) for 2 files",
        f"errlint: configuration {project / 'pyproject.toml'} for 2 files",
    ]


def test_inherited_paths_stay_relative_to_the_file_that_wrote_them(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "app" / "tests" / "errlint.toml").write_text('extend = "../../pyproject.toml"\n')
    monkeypatch.chdir(project / "app" / "tests")
    # "app/tests/*" from ../../pyproject.toml still matches this folder's files.
    assert run("check", "--no-cache", "-q", ".")[0] == 0
    code, out, _ = run("check", "--show-settings", "test_t.py")
    assert code == 0
    assert "Ignored for this file (per-file-ignores): XH101" in out.splitlines()
    assert 'per-file-ignores = [["*", ["XH101"]]]' in out.splitlines()  # app/tests/* seen from app/tests


def test_show_files_and_exclude_relative_to_config(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "app")
    code, out, _ = run("check", "--show-files")
    assert (code, out) == (0, "billing/pay.py\nother.py\ntests/test_t.py\n")
    # Named explicitly, an excluded file is linted (as in ruff and flake8).
    assert run("check", "--no-cache", "--format", "concise", "generated/g.py")[0] == 1


def test_show_settings(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "app")
    code, out, _ = run("check", "--show-settings", "billing/pay.py")
    assert code == 0
    lines = out.splitlines()
    assert lines[:6] == [
        f"Settings file: {project / 'pyproject.toml'}",
        f"Paths relative to: {project}",
        "File: billing/pay.py",
        "Enabled rules: XH101",
        "Ignored for this file (per-file-ignores): (none)",
        "Critical path: yes",
    ]
    assert 'critical-paths = ["app/billing"]' in lines


def test_errlint_toml_beats_pyproject_in_one_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "errlint.toml").write_text('select = ["XH102"]\n')
    monkeypatch.chdir(project)
    assert run("check", "--no-cache", "-q", "app")[0] == 0  # XH102 only: no broad excepts here


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('extend = "missing.toml"\n', "errlint.toml: extend: 'missing.toml': no such file"),
        ('extend = "errlint.toml"\n', "errlint.toml: extend: 'errlint.toml' extends itself (a cycle)"),
        ("extend = 3\n", "errlint.toml: extend: expected a non-empty string, got an integer (3)"),
    ],
)
def test_extend_errors_are_one_line(project: Path, monkeypatch: pytest.MonkeyPatch, body: str, message: str) -> None:
    (project / "app" / "errlint.toml").write_text(body)
    monkeypatch.chdir(project / "app")
    code, out, err = run("check", "other.py")
    assert (code, out) == (2, "")
    assert err == f"errlint: error: {project / 'app' / message}\n"


def test_extend_cycle_between_two_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "app" / "errlint.toml").write_text('extend = "billing/errlint.toml"\n')
    (project / "app" / "billing" / "errlint.toml").write_text('extend = "../errlint.toml"\n')
    monkeypatch.chdir(project / "app")
    code, _, err = run("check", "other.py")
    assert code == 2 and len(err.splitlines()) == 1 and "(a cycle)" in err

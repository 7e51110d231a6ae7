"""`[tool.errlint]`: discovery, validation (one line naming file and key), overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cli import main

BARE = "try:\n    connect()\nexcept:\n    retry()\n"


def write_config(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(textwrap.dedent(body))
    return path


def run(*args: str) -> tuple[int, str, str]:
    if args[:1] == ("check",) and "--select" not in args:
        args = (*args, "--preview")  # the rules these tests trip are preview rules (docs/precision.md)
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(BARE)
    return tmp_path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[tool.errlint]\nselct = ['XH1']\n", "pyproject.toml: selct: unknown key 'selct' (did you mean 'select'?)"),
        ("[tool.errlint]\nselect = 'XH1'\n", "pyproject.toml: select: expected a list of strings, got a string ('XH1')"),
        ("[tool.errlint]\nignore = ['XH1O1']\n", "pyproject.toml: ignore: unknown rule code 'XH1O1' (did you mean 'XH101'?)"),
        ("[tool.errlint]\npreview = 'yes'\n", "pyproject.toml: preview: expected true or false, got a string ('yes')"),
        (
            "[tool.errlint.per-file-ignores]\n'tests/*' = ['XH9']\n",
            "pyproject.toml: per-file-ignores.\"tests/*\": unknown rule code 'XH9'",
        ),
        ("[tool.errlint.pii]\nallow = ['x']\n", "pyproject.toml: pii.allow: unknown key 'allow' (did you mean 'allow-names'?)"),
        (
            "[tool.errlint.pii.severity]\ncontact = 'loud'\n",
            "pyproject.toml: pii.severity.contact: expected 'info', 'warning' or 'error', got a string ('loud')",
        ),
        ("[tool.errlint.rules.bare-except]\nx = 1\n", "pyproject.toml: rules.bare-except: this rule has no options"),
        ("[tool.errlint\n", "pyproject.toml: invalid TOML: "),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(project: Path, body: str, expected: str) -> None:
    write_config(project, body)
    code, out, err = run("check", "bad.py")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"errlint: error: {project / expected.split(':', 1)[0]}:{expected.split(':', 1)[1]}")


def test_nearest_config_walking_up_wins(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(project, "[tool.errlint]\nignore = ['XH101']\n")
    sub = project / "pkg" / "inner"
    sub.mkdir(parents=True)
    (sub / "bad.py").write_text(BARE)
    monkeypatch.chdir(sub)
    assert run("check", "bad.py", "-q")[0] == 0
    # a nearer pyproject.toml without [tool.errlint] does not stop the search
    (project / "pkg" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert run("check", "bad.py", "-q")[0] == 0
    # --isolated ignores it
    assert run("check", "bad.py", "-q", "--isolated")[0] == 1


def test_explicit_config_file(project: Path) -> None:
    (project / "errlint.toml").write_text("ignore = ['XH101']\n")
    assert run("check", "bad.py", "-q", "--config", "errlint.toml")[0] == 0
    code, _, err = run("check", "bad.py", "--config", "missing.toml")
    assert code == 2 and err == "errlint: error: --config: missing.toml: no such file\n"


def test_cli_overrides_config(project: Path) -> None:
    write_config(project, "[tool.errlint]\nselect = ['XH0']\n")
    assert run("check", "bad.py", "-q")[0] == 0
    assert run("check", "bad.py", "-q", "--select", "XH101")[0] == 1


def test_per_file_ignores_and_excludes(project: Path) -> None:
    write_config(
        project,
        """\
        [tool.errlint]
        extend-exclude = ["generated"]
        [tool.errlint.per-file-ignores]
        "tests/*" = ["XH1"]
        """,
    )
    for directory in ("tests", "generated", "app"):
        (project / directory).mkdir()
        (project / directory / "m.py").write_text(BARE)
    code, out, _ = run("check", "--format", "concise")
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines()] == ["app/m.py", "bad.py"]
    # an excluded file named explicitly is still linted
    assert run("check", "generated/m.py", "-q")[0] == 1


def test_gitignore_and_default_excludes(project: Path) -> None:
    (project / ".gitignore").write_text("ignored/\n*_pb2.py\n")
    for rel in ("ignored/m.py", "x_pb2.py", ".venv/lib/m.py", "build/m.py", "node_modules/m.py", "env/m.py"):
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(BARE)
    (project / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    code, out, _ = run("check", "--format", "concise")
    assert [line.split(":")[0] for line in out.splitlines()] == ["bad.py"]
    write_config(project, "[tool.errlint]\nrespect-gitignore = false\n")
    out = run("check", "--format", "concise")[1]
    assert [line.split(":")[0] for line in out.splitlines()] == ["bad.py", "ignored/m.py", "x_pb2.py"]


def test_critical_functions_paths_and_decorators(project: Path) -> None:
    write_config(
        project,
        """\
        [tool.errlint]
        critical-paths = ["payments/"]
        critical-functions = ["*.Billing.charge"]
        critical-decorators = ["critical_path"]
        """,
    )
    (project / "payments").mkdir()
    (project / "payments" / "gateway.py").write_text(BARE)
    (project / "billing.py").write_text(
        textwrap.dedent(
            """\
            class Billing:
                def charge(self):
                    try:
                        pay()
                    except:
                        pass

                def report(self):
                    try:
                        pay()
                    except:
                        pass


            @critical_path
            def refund():
                try:
                    pay()
                except:
                    pass
            """
        )
    )
    out = run("check", ".", "--select", "XH101", "--format", "concise")[1]
    flagged = [(line.split(":")[0], line.split(":")[1], "(critical)" in line) for line in out.splitlines()]
    assert flagged == [
        ("billing.py", "5", True),
        ("billing.py", "19", True),
        ("payments/gateway.py", "3", True),
        ("bad.py", "3", False),
        ("billing.py", "11", False),
    ]

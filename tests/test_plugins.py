"""Rules from outside: `local-rules` folders, the `errlint.rules` entry-point group (a real installed
distribution, in a subprocess), `errlint test-rules PATH`, and broken plugins as one line each."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

import errlint.rule as rule_module
from errlint import plugins
from errlint.cli import main

RULE = '''\
"""A project rule: `os._exit()` in a handler skips every cleanup."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
import libcst.matchers as m

from errlint.finding import Impact, Severity
from errlint.rule import Invalid, LintRule, Valid


class HardExitInHandler(LintRule):
    """
    ## What it does
    Checks for `os._exit()` calls.

    ## Why is this bad?
    `os._exit()` ends the process at once: no `finally`, no log flush.

    ## Example
    ```python
    os._exit(1)
    ```

    Use instead:
    ```python
    sys.exit(1)
    ```

    ## References
    - [os._exit](https://docs.python.org/3/library/os.html#os._exit)
    """

    CODE: ClassVar[str] = "XH901"
    NAME: ClassVar[str] = "hard-exit"
    MESSAGE: ClassVar[str] = "`os._exit()` skips cleanup"
    SEVERITY: ClassVar[Severity] = Severity.ERROR
    IMPACT: ClassVar[Impact] = Impact.CRASH
    VALID: ClassVar[tuple[Valid, ...]] = (Valid("sys.exit(1)\\n"), Valid("os.exit = 1\\n"))
    INVALID: ClassVar[tuple[Invalid, ...]] = (
        Invalid("os._exit(1)\\n", expected_message=MESSAGE, line=1, column=1),
        Invalid("x = 1\\nos._exit(2)\\n", expected_message=MESSAGE, line=2, column=1),
    )

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node.func, m.Attribute(value=m.Name("os"), attr=m.Name("_exit"))):
            self.report(node)
'''


@pytest.fixture(autouse=True)
def restore_rules() -> Iterator[None]:
    """Loading rules changes process-wide state: put errlint's own rule set back afterwards."""
    saved = (rule_module._RULES, dict(plugins._EXTRA), list(plugins._PROBLEMS), set(plugins._LOADED))
    yield
    rule_module._RULES = saved[0]
    plugins._EXTRA.clear()
    plugins._EXTRA.update(saved[1])
    plugins._PROBLEMS[:] = saved[2]
    plugins._LOADED.clear()
    plugins._LOADED.update(saved[3])


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tools" / "lint_rules").mkdir(parents=True)
    (tmp_path / "tools" / "lint_rules" / "hard_exit.py").write_text(RULE)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("import os\n\n\ndef stop():\n    os._exit(3)\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.errlint]\nlocal-rules = ["tools/lint_rules"]\nextend-select = ["XH901"]\n'
    )
    return tmp_path


def test_local_rules_run_and_have_docs(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "app")  # paths in config are relative to its folder
    code, out, err = run("check", "--no-cache", "--format", "concise", "main.py")
    assert (code, err) == (1, "")
    assert out == "main.py:5:5: XH901 [error] `os._exit()` skips cleanup\n"
    code, out, _ = run("explain", "XH901")
    assert code == 0 and out.startswith("# XH901 hard-exit")


def test_flake8_plugin_runs_local_rules(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin resolves the configuration as `errlint check` does, `local-rules` included
    (it used to reject `extend-select = ["XH901"]` as an unknown code: one XH000 per file)."""
    import argparse
    import ast

    from errlint.flake8_plugin import Plugin

    monkeypatch.chdir(project / "app")
    Plugin.parse_options(argparse.Namespace(errlint_config=None))
    lines = (project / "app" / "main.py").read_text().splitlines(keepends=True)
    results = list(Plugin(ast.parse("".join(lines)), lines, "main.py").run())
    assert results == [(5, 4, "XH901 [error] `os._exit()` skips cleanup", Plugin)]


def test_test_rules_passes_and_fails(project: Path) -> None:
    code, out, _ = run("test-rules", "tools/lint_rules")
    assert (code, out) == (0, "1 rule (XH901), 4 cases: all passed.\n")
    broken = RULE.replace('Valid("os.exit = 1\\n")', 'Valid("os._exit(0)\\n")')
    (project / "tools" / "bad_rule.py").write_text(broken.replace('"XH901"', '"XH902"').replace('"hard-exit"', '"hard-exit-2"'))
    code, out, _ = run("test-rules", "tools/bad_rule.py")
    assert code == 1
    assert out.splitlines() == [
        "XH902 valid-2: fired on a VALID case: `os._exit()` skips cleanup",
        "1 rule (XH902), 4 cases: 1 problem.",
    ]


def test_a_broken_local_rule_is_one_line_and_the_run_goes_on(project: Path) -> None:
    (project / "tools" / "lint_rules" / "broken.py").write_text("import does_not_exist_anywhere\n")
    (project / "tools" / "lint_rules" / "badcode.py").write_text(RULE.replace('"XH901"', '"XH101"'))
    (project / "app" / "bare.py").write_text("try:\n    a()\nexcept:\n    pass\n")
    code, out, err = run("check", "--no-cache", "--format", "concise", "--select", "XH101,XH901", "app")
    assert code == 2
    assert out.splitlines()[0].startswith("app/bare.py:3:1: XH101 ")
    assert "app/main.py:5:5: XH901 [error] `os._exit()` skips cleanup" in out.splitlines()
    badcode = project / "tools" / "lint_rules" / "badcode.py"
    broken = project / "tools" / "lint_rules" / "broken.py"
    assert err.splitlines() == [
        f"errlint: error: local-rules {badcode}: rule HardExitInHandler has code 'XH101'; external rules use XH700-XH999",
        f"errlint: error: local-rules {broken} cannot be loaded: ModuleNotFoundError: No module named 'does_not_exist_anywhere'",
    ]


def test_duplicate_external_code_is_left_out(project: Path) -> None:
    (project / "tools" / "lint_rules" / "again.py").write_text(RULE.replace("HardExitInHandler", "AgainRule"))
    code, out, err = run("check", "--no-cache", "--format", "concise", "app")
    assert code == 2
    assert out == "app/main.py:5:5: XH901 [error] `os._exit()` skips cleanup\n"
    folder = project / "tools" / "lint_rules"  # modules load in name order: again.py first
    assert err == (
        f"errlint: error: local-rules {folder / 'hard_exit.py'}: rule code XH901 is already used by "
        f"local-rules {folder / 'again.py'}; HardExitInHandler is left out\n"
    )


def test_isolated_loads_no_local_rules(project: Path) -> None:
    # --isolated reads no configuration: no local rules are loaded, nothing reports XH901.
    assert run("check", "--no-cache", "--isolated", "app") == (0, "All checks passed (1 file checked).\n", "")


@pytest.mark.slow
def test_entry_point_plugins_and_a_broken_one(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_rules.py").write_text(RULE)
    dist = site / "acme_rules-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [errlint.rules]
            acme = acme_rules
            broken = acme_missing_module
            """
        )
    )
    (tmp_path / "main.py").write_text("import os\nos._exit(1)\n")
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "errlint", "check", "--isolated", "--no-cache", "--select", "XH901", "--format", "concise", "main.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.stdout == "main.py:2:1: XH901 [error] `os._exit()` skips cleanup\n"
    assert proc.stderr == (
        "errlint: error: plugin broken (acme_missing_module) cannot be loaded: "
        "ModuleNotFoundError: No module named 'acme_missing_module'\n"
    )
    assert proc.returncode == 2
    rules = subprocess.run(
        [sys.executable, "-m", "errlint", "rules"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert any(line.startswith("XH901  hard-exit") for line in rules.stdout.splitlines())

"""`errlint.api`: the one orchestration the CLI, the flake8 plugin and `errlint review` share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

import pytest

from errlint.api import Linter, LintRun, configure
from errlint.config import Config
from errlint.errors import ConfigError, UsageError

BARE_SOURCE = "try:\n    connect()\nexcept:\n    retry()\n"
RERAISE_SOURCE = "def load(path):\n    try:\n        return open(path)\n    except OSError:\n        raise\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.errlint]\nselect = ["XH1"]\nignore = ["XH103"]\n', encoding="utf-8")
    (tmp_path / "a.py").write_text(BARE_SOURCE, encoding="utf-8")
    (tmp_path / "b.py").write_text(RERAISE_SOURCE, encoding="utf-8")
    return tmp_path


def test_configure_applies_overrides_like_the_command_line(project: Path) -> None:
    config = configure(cwd=project)
    assert config.select == ("XH1",) and config.ignore == ("XH103",)
    config = configure(cwd=project, select="XH101, XH105", ignore=["XH105"])
    assert config.select == ("XH101", "XH105") and config.ignore == ("XH103", "XH105")
    assert [r.CODE for r in Linter.from_config(config).rules] == ["XH101"]
    assert configure(cwd=project, isolated=True) == Config()
    with pytest.raises(ConfigError):
        configure(cwd=project, select="XH999")
    with pytest.raises(UsageError):
        configure("missing.toml", cwd=project)


def test_lint_paths_gives_one_result_per_file_and_fix_writes(project: Path) -> None:
    linter = Linter.from_config(configure(cwd=project, select="XH101,XH105"))
    run = linter.lint_paths(["."], cwd=project, jobs=1, use_cache=False, keep_source=True)
    assert (run.files, [r.path for r in run.results]) == (2, ["a.py", "b.py"])
    assert [(f.path, f.code, f.line) for f in run.findings] == [("a.py", "XH101", 3), ("b.py", "XH105", 4)]
    assert linter.fix(run, unsafe=False) == 1  # XH105's fix is safe, XH101's is not
    assert (project / "b.py").read_text(encoding="utf-8") == "def load(path):\n    return open(path)\n"
    assert (project / "a.py").read_text(encoding="utf-8") == BARE_SOURCE
    assert [(f.path, f.code) for f in run.findings] == [("a.py", "XH101")] and run.fixed == 1


def test_lint_paths_takes_another_runner(project: Path) -> None:
    """Room for crash-isolating workers: any callable with lint_files' signature."""
    from errlint.engine import FileResult, lint_files

    seen: list[tuple[str, ...]] = []

    def runner(files: Sequence[tuple[Path, str]], config: Config, rules: Sequence[type], **kwargs: object) -> list[FileResult]:
        seen.append(tuple(display for _, display in files))
        return lint_files(files, config, rules, **kwargs)  # type: ignore[arg-type]

    linter = Linter.from_config(configure(cwd=project, preview=True))  # XH101/XH105 are preview rules
    run: LintRun = linter.lint_paths(["."], cwd=project, use_cache=False, runner=runner)
    assert seen == [("a.py", "b.py")]
    assert [f.code for f in run.findings] == ["XH101", "XH105"]


def _imported_after(statement: str, cwd: Optional[Path] = None) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return set(out.stdout.split())


def test_no_import_cycle_between_cli_and_review() -> None:
    assert "errlint.cli" not in _imported_after("import errlint.review.cli")
    assert "errlint.cli" not in _imported_after("import errlint.api")


def test_rule_reports_live_beside_findings() -> None:
    """`context` needs `Report`/`FixSpec` from `finding`, not from `rule` (no context <-> rule cycle)."""
    import errlint.finding
    import errlint.rule

    assert errlint.rule.Report is errlint.finding.Report and errlint.rule.FixSpec is errlint.finding.FixSpec
    assert "errlint.rule" not in _imported_after("import errlint.context")

"""`errlint.api`: the one orchestration the CLI, the flake8 plugin and `errlint review` share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

import pytest

from errlint.api import CheckObserver, CheckRequest, Linter, check, configure, discover, settings_text
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
        configure(cwd=project, select="XH099")
    # XH700-XH999 are external rules' codes, which a project's local-rules may load: accepted.
    assert configure(cwd=project, select="xh701").select == ("XH701",)
    with pytest.raises(UsageError):
        configure("missing.toml", cwd=project)


def test_check_gives_one_result_per_file_and_fix_writes(project: Path) -> None:
    result = check(CheckRequest(paths=["."], cwd=project, select="XH101,XH105", jobs=1, use_cache=False))
    assert (result.files, [r.path for r in result.results]) == (2, ["a.py", "b.py"])
    assert [(f.path, f.code, f.line) for f in result.findings] == [("a.py", "XH101", 3), ("b.py", "XH105", 4)]
    assert result.unsafe_left == 1  # XH101's fix is unsafe
    fixed = check(CheckRequest(paths=["."], cwd=project, select="XH101,XH105", jobs=1, use_cache=False, fix=True))
    assert fixed.fixed == 1  # XH105's fix is safe, XH101's is not
    assert fixed.fixed_codes == {("b.py", "XH105", "useless-reraise"): 1}
    assert (project / "b.py").read_text(encoding="utf-8") == "def load(path):\n    return open(path)\n"
    assert (project / "a.py").read_text(encoding="utf-8") == BARE_SOURCE
    assert [(f.path, f.code) for f in fixed.findings] == [("a.py", "XH101")]


def test_check_diff_writes_nothing_and_stdin_fix_returns_the_text(project: Path) -> None:
    diff = check(CheckRequest(paths=["b.py"], cwd=project, select="XH105", use_cache=False, diff=True))
    assert diff.would_fix == 1 and diff.fixed == 0
    assert diff.diffs == [
        "--- b.py\n+++ b.py\n@@ -1,5 +1,2 @@\n def load(path):\n-    try:\n-        return open(path)\n"
        "-    except OSError:\n-        raise\n+    return open(path)\n"
    ]
    assert (project / "b.py").read_text(encoding="utf-8") == RERAISE_SOURCE
    piped = check(
        CheckRequest(paths=["-"], cwd=project, select="XH105", stdin=RERAISE_SOURCE.encode(), stdin_filename="b.py", fix=True)
    )
    assert piped.fixed_source == "def load(path):\n    return open(path)\n"
    assert (piped.fixed, piped.findings, piped.stdin) == (1, [], ("b.py", RERAISE_SOURCE.encode()))


def test_check_takes_another_runner_and_reports_progress(project: Path) -> None:
    """Room for crash-isolating workers: any callable with lint_files' signature."""
    from errlint.engine import FileResult, lint_files

    seen: list[tuple[str, ...]] = []

    def runner(files: Sequence[tuple[Path, str]], config: Config, rules: Sequence[type], **kwargs: object) -> list[FileResult]:
        seen.append(tuple(display for _, display in files))
        return lint_files(files, config, rules, **kwargs)  # type: ignore[arg-type]

    events: list[object] = []

    class Observer(CheckObserver):
        def configured(self, config: Config, files: int) -> None:
            events.append(("configured", config.path is not None, files))

        def started(self, total: int) -> int:
            events.append(("started", total))
            return 1  # one file per batch

        def advanced(self, files: int, results: Sequence[FileResult]) -> None:
            events.append(("advanced", files, [f.code for r in results for f in r.findings]))

        def finished(self) -> None:
            events.append("finished")

    result = check(CheckRequest(cwd=project, preview=True, use_cache=False, runner=runner), Observer())
    assert seen == [("a.py",), ("b.py",)]  # XH101/XH105 are preview rules
    assert [f.code for f in result.findings] == ["XH101", "XH105"]
    assert events == [
        ("started", 2),
        ("configured", True, 2),
        ("advanced", 1, ["XH101"]),
        ("advanced", 1, ["XH105"]),
        "finished",
    ]


def test_check_lints_only_the_files_of_its_shard(project: Path) -> None:
    from errlint.shard import Shard, shard_of

    for name in "cdefgh":
        (project / f"{name}.py").write_text(BARE_SOURCE, encoding="utf-8")
    everything = [r.path for r in check(CheckRequest(cwd=project, preview=True, use_cache=False)).results]
    assert len(everything) == 8
    for k in (1, 2, 3):
        request = CheckRequest(cwd=project, preview=True, use_cache=False, shard=Shard(k, 3))
        owned = [p for p in everything if shard_of(p, 3) == k]
        assert [r.path for r in check(request).results] == owned
        assert [t.display for t, _ in discover(request)] == owned


def _imported_after(statement: str, cwd: Optional[Path] = None) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return set(out.stdout.split())


def test_no_import_cycle_between_cli_and_review() -> None:
    assert "errlint.cli" not in _imported_after("import errlint.review.cli")
    imported = _imported_after("import errlint.api")
    assert "errlint.cli" not in imported
    assert not {"libcst", "rich", "anthropic"} & imported  # the api is cheap to import


def _module_level_imports(path: Path) -> set[str]:
    """The `errlint…` modules a module imports when it is imported (not inside functions, not
    under `if TYPE_CHECKING:`)."""
    import ast

    found: set[str] = set()
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.dump(statement.test):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("errlint")}


def test_errlint_modules_import_each_other_without_cycles() -> None:
    package = Path(__file__).resolve().parent.parent / "errlint"
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: _module_level_imports(path) & set(modules) for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"import cycle: {' -> '.join(trail[trail.index(name):] + (name,))}"
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, trail + (name,))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_rule_reports_live_beside_findings() -> None:
    """`context` needs `Report`/`FixSpec` from `finding`, not from `rule` (no context <-> rule cycle)."""
    import errlint.finding
    import errlint.rule

    assert errlint.rule.Report is errlint.finding.Report and errlint.rule.FixSpec is errlint.finding.FixSpec
    assert "errlint.rule" not in _imported_after("import errlint.context")


def test_findings_of_the_whole_run_are_chosen_like_the_others(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`_finish` (where project-level rules judge) sees every file result; what it adds to
    `run_findings` goes through the same severity filter and sorting as the files' findings."""
    import errlint.api
    from errlint.engine import unparsable

    seen: list[list[str]] = []

    def finish(request: CheckRequest, session: object, discovered: list, out: errlint.api.CheckResult, observer: object) -> None:
        seen.append([t.display for t, _ in discovered])
        seen.append([r.path for r in out.results])
        out.run_findings.append(unparsable("a.py", "a project-level finding", line=1))  # an error

    monkeypatch.setattr(errlint.api, "_finish", finish)
    result = check(CheckRequest(cwd=project, preview=True, use_cache=False))
    assert seen == [["a.py", "b.py"], ["a.py", "b.py"]]
    assert [(f.path, f.code, f.line) for f in result.findings] == [("a.py", "XH000", 1), ("a.py", "XH101", 3), ("b.py", "XH105", 4)]
    errors = check(CheckRequest(cwd=project, preview=True, use_cache=False, min_severity="error"))
    assert [f.code for f in errors.findings] == ["XH000"]
    seen.clear()
    check(CheckRequest(paths=["-"], cwd=project, stdin=b"x = 1\n", stdin_filename="c.py"))
    assert seen == [["c.py"], ["c.py"]]  # standard input is the run's one target
    with pytest.raises(UsageError, match="--min-severity: unknown severity 'loud'"):
        check(CheckRequest(cwd=project, min_severity="loud"))


def test_relative_paths_start_at_the_requests_cwd(project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text('[tool.errlint]\npreview = true\nignore = ["XH105"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # no configuration: no preview rule here
    result = check(CheckRequest(paths=["."], cwd=project, use_cache=False))
    assert [(f.path, f.code) for f in result.findings] == [("a.py", "XH101")]
    piped = check(CheckRequest(paths=["-"], cwd=project, stdin=BARE_SOURCE.encode(), stdin_filename="a.py"))
    assert [(f.path, f.code) for f in piped.findings] == [("a.py", "XH101")]
    assert "Settings file: " + str(project / "pyproject.toml") in settings_text(CheckRequest(cwd=project), "a.py")

"""The CI recipes of docs/shards.md: valid YAML, and their errlint commands, run as written (with
the matrix or `parallel:` variables filled in) on a project, merge into the unsharded run."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from errlint import __version__
from test_cli import run
from test_shard import PROJECT

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "shards.md"
SHARDS = 4


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)


def recipes() -> dict[str, Any]:
    found = {}
    for block in blocks("yaml"):
        data = yaml.safe_load(block)
        found["github" if "jobs" in data else "gitlab"] = data
    return found


def errlint_commands(lines: list[str]) -> Iterator[str]:
    for line in lines:
        for part in line.split("&&"):
            part = part.strip()
            part = part.removeprefix(".venv/bin/")
            if part.startswith("errlint "):
                yield part


def argv(command: str, shard: int) -> list[str]:
    filled = (
        command.replace("${{ matrix.shard }}", str(shard))
        .replace("$CI_NODE_INDEX", str(shard))
        .replace("$CI_NODE_TOTAL", str(SHARDS))
    )
    assert "$" not in filled, filled
    words = shlex.split(filled)[1:]
    return [w for pattern in words for w in (sorted(glob.glob(pattern)) if "*" in pattern else [pattern])]


def test_page_is_in_the_site_and_linked_from_ci() -> None:
    assert "shards.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "(shards.md)" in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def test_recipes_are_yaml_of_the_documented_shape() -> None:
    found = recipes()
    github, gitlab = found["github"], found["gitlab"]
    assert github["jobs"]["shard"]["strategy"]["matrix"]["shard"] == list(range(1, SHARDS + 1))
    assert github["jobs"]["merge"]["needs"] == "shard"
    assert github["env"]["ERRLINT_VERSION"] == gitlab["variables"]["ERRLINT_VERSION"] == __version__
    assert gitlab["errlint-shard"]["parallel"] == SHARDS
    assert gitlab["errlint"]["needs"] == ["errlint-shard"]
    assert gitlab["errlint"]["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"


def _shard_and_merge(ci: str) -> tuple[list[str], list[str]]:
    data = recipes()[ci]
    if ci == "github":
        steps = [s.get("run", "") for job in ("shard", "merge") for s in data["jobs"][job]["steps"]]
        commands = list(errlint_commands(steps))
    else:
        commands = list(errlint_commands(data["errlint-shard"]["script"] + data["errlint"]["script"]))
    shard = [c for c in commands if c.startswith("errlint check")]
    merge = [c for c in commands if c.startswith("errlint merge")]
    assert len(shard) == 1 and merge
    return shard, merge


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_recipe_commands_run_and_merge_into_the_unsharded_run(project: Path, ci: str) -> None:
    shard_commands, merge_commands = _shard_and_merge(ci)
    for k in range(1, SHARDS + 1):
        for command in shard_commands:
            code, out, err = run(*argv(command, k), "--no-cache")
            assert (code, out, err) == (0, "", ""), command  # --exit-zero: findings do not fail the job
    assert len(glob.glob("errlint-*.json")) == SHARDS
    for command in merge_commands:
        args = argv(command, 0)
        code, out, err = run(*args)
        assert (code, out, err) == ((0 if "--exit-zero" in args else 1), "", ""), command
        fmt = args[args.index("--format") + 1]
        output = args[args.index("-o") + 1]
        assert (project / output).read_text(encoding="utf-8") == run("check", "--no-cache", "--format", fmt)[1]


def test_console_examples_parse() -> None:
    """The commands shown in console blocks use only options that exist (parsed, not run)."""
    from errlint.cli import main

    commands = [line[2:] for block in blocks("console") for line in block.splitlines() if line.startswith("$ ")]
    assert len(commands) >= 4
    for command in commands:
        words = shlex.split(command.split("#")[0])
        assert words[0] == "errlint"
        sub = main.get_command(None, words[1])  # type: ignore[arg-type]
        assert sub is not None, command
        args = [w.replace("*", "1") for w in words[2:]]
        sub.make_context(words[1], args)  # raises on an unknown option or a bad value

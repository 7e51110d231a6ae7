"""Excludes are compiled once and mean what the fnmatch-per-pattern loop meant."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from errlint.config import Config
from errlint.discovery import _Excludes, discover, display_path

PATTERNS = ["build", "*.pyc", "docs/_build/", "./vendor/lib", "migrations", "test_*.py", "[ab]*.py"]
PATHS = [
    ("build", "build"), ("build", "src/build"), ("x.pyc", "src/x.pyc"), ("_build", "docs/_build"),
    ("conf.py", "docs/_build/conf.py"), ("lib", "vendor/lib"), ("m.py", "vendor/lib/m.py"),
    ("migrations", "app/migrations"), ("test_a.py", "tests/test_a.py"), ("a.py", "src/a.py"),
    ("c.py", "src/c.py"), ("Build", "Build"), ("vendor", "vendor"), ("libx", "vendor/libx"),
]  # fmt: skip


def _old(name: str, rel: str) -> bool:
    """The loop this replaced (errlint 0.1.0)."""
    for pattern in PATTERNS:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(rel, pattern):
            return True
        if "/" in pattern and (rel + "/").startswith(pattern.lstrip("./") + "/"):
            return True
    return False


@pytest.mark.parametrize(("name", "rel"), PATHS)
def test_compiled_excludes_match_the_old_loop(name: str, rel: str) -> None:
    assert _Excludes(PATTERNS)(name, rel) == _old(name, rel)


def test_discover_applies_excludes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for rel in ("src/a.py", "src/c.py", "build/x.py", "docs/_build/conf.py", "tests/test_a.py", "tests/ok.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    found = [t.display for t in discover(["."], Config(exclude=tuple(PATTERNS)), tmp_path)]
    assert found == ["src/c.py", "tests/ok.py"]


def _old_folders(rel: str) -> bool:
    """errlint.project.excluded_by's loop over every folder of a file (errlint 0.1.0)."""
    parts = rel.split("/")
    return any(_Excludes(PATTERNS)(parts[i], "/".join(parts[: i + 1])) for i in range(len(parts)))


@pytest.mark.parametrize("rel", [r for _, r in PATHS] + ["src/build/x.py", "a/b/c/d.py", "docs/_build/sub/x.py", "x.py"])
def test_folders_are_matched_once_with_the_old_meaning(rel: str) -> None:
    excluded = _Excludes(PATTERNS)
    folder, _, name = rel.rpartition("/")
    assert (excluded.folders(folder) or excluded(name, rel)) == _old_folders(rel)


TREE = {
    ".gitignore": "*.py\n",  # above the repository (.git): never read
    "repo/.git/HEAD": "",
    "repo/.gitignore": "build/\n/app/local.py\n*.gen.py\n!keep.gen.py\n",
    "repo/app/local.py": "", "repo/app/x.gen.py": "", "repo/app/keep.gen.py": "", "repo/app/ok.py": "",
    "repo/app/sub/.gitignore": "*.py\n!wanted.py\n", "repo/app/sub/a.py": "", "repo/app/sub/wanted.py": "",
    "repo/app/sub/local.py": "", "repo/build/b.py": "", "repo/lib/build/c.py": "", "repo/lib/..odd.py": "",
    "repo/venv/pyvenv.cfg": "", "repo/venv/v.py": "", "repo/top_only.py": "", "repo/t.pyi": "",
}  # fmt: skip


@pytest.mark.parametrize(
    ("cwd", "paths", "expected"),
    [
        (
            "repo", ["."],
            ["app/keep.gen.py", "app/ok.py", "app/sub/wanted.py", "lib/..odd.py", "t.pyi", "top_only.py"],
        ),
        ("repo/app", ["sub", "../lib"], ["../lib/..odd.py", "sub/wanted.py"]),
        ("repo/app/sub", ["."], ["wanted.py"]),
        ("repo/lib", ["."], ["..odd.py"]),
    ],
)  # fmt: skip
def test_walk_builds_paths_as_relpath_and_gitignore_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, paths: list[str], expected: list[str]
) -> None:
    """Display paths, .gitignore folders (above the walked folder, nested, negated, anchored) and
    excludes are built from each folder's paths instead of per entry: the same files as before."""
    for rel, text in TREE.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path / cwd)
    found = discover(paths, Config(exclude=("lib/build",)), tmp_path / cwd)
    assert [t.display for t in found] == expected
    assert all(t.path.is_file() and t.error is None for t in found)
    outside = discover([str(tmp_path / "repo" / "app" / "sub")], Config(), tmp_path / "repo" / "lib")
    assert [t.display for t in outside] == [str(tmp_path / "repo" / "app" / "sub" / "wanted.py")]
    # A folder given by its absolute path, the working directory inside it: the entries outside
    # the working directory are shown absolute, those in it relative, as `display_path` says.
    inside = tmp_path / "repo" / "app"
    around = discover([str(tmp_path / "repo")], Config(exclude=("lib/build",)), inside)
    assert [t.display for t in around] == sorted(
        [str(tmp_path / "repo" / "lib" / "..odd.py"), str(tmp_path / "repo" / "t.pyi"), str(tmp_path / "repo" / "top_only.py"),
         "keep.gen.py", "ok.py", "sub/wanted.py"]
    )  # fmt: skip
    assert all(t.display == display_path(t.path, inside) for t in around)


GITIGNORE_LINES = [
    "__pycache__/", "*.py[cod]", "*$py.class", "build/", "/site", "docs/_build/", "!keep.pyc", "**/gen/**",
    "a/**/b.py", "*.egg-info/", "\\#literal.py", "\\!bang.py", "(?P<x>).py", "dir with space/", "[!a-c]x.py",
    "logs/*.log", "!logs/keep.log", "**/node_modules", "/top.py", "sub/", "*.so", "venv", ".env", "?.tmp",
    "nested/deep/", "trailing\\ ", "# comment", "", "ünï.py", "*.PY",
]  # fmt: skip
GITIGNORE_PATHS = [
    "x.pyc", "src/x.pyc", "keep.pyc", "src/keep.pyc", "__pycache__/", "a/__pycache__/", "__pycache__",
    "build/", "build", "src/build/", "site", "site/", "src/site", "docs/_build/", "docs/_build/x.py",
    "gen/x.py", "a/gen/b/c.py", "a/b.py", "a/x/y/b.py", "pkg.egg-info/", "#literal.py", "!bang.py",
    "(?P<x>).py", "dir with space/", "dx.py", "ax.py", "logs/a.log", "logs/keep.log", "node_modules/",
    "web/node_modules", "top.py", "src/top.py", "sub/", "sub", "a.so", "venv/", ".env", "a.tmp", "ab.tmp",
    "nested/deep/", "trailing ", "ünï.py", "X.PY", "x.py", "src/app/views.py", "ok.py",
]  # fmt: skip


@pytest.mark.parametrize("lines", [GITIGNORE_LINES, *([line] for line in GITIGNORE_LINES), ["# only", ""]])
def test_gitignore_prefilter_answers_exactly_as_pathspec(lines: list[str]) -> None:
    import pathspec

    from errlint.discovery import GitIgnore

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    fast = GitIgnore(spec)
    assert fast.any is not GitIgnore._EXACT  # the combined expression is really used
    assert [p for p in GITIGNORE_PATHS if fast.match_file(p)] == [p for p in GITIGNORE_PATHS if spec.match_file(p)]

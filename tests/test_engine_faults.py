"""Faults in the engine's own inputs end as findings or misses, never as tracebacks.

- An unreadable (unsearchable) sub-folder is one XH000 finding on the folder; the rest is linted.
- A damaged result-cache index or entry (truncated, hand-edited, nested deep enough to exhaust the
  recursion limit, numbers too large for an int, a wrong checksum) is a miss: the file is linted
  again and the entry rewritten.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from errlint.cache import INDEX_NAME, ResultCache
from errlint.cli import main
from errlint.config import Config

BARE_SOURCE = "try:\n    connect()\nexcept:\n    retry()\n"
BARE = "XH101 [warning] Bare `except:`"  # the message's start (the precision engineers own the rest)


def run(*args: str) -> tuple[int, str, str]:
    if args[:1] == ("check",) and "--select" not in args:
        args = (*args, "--preview")  # the rules these files trip are preview rules (docs/precision.md)
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(BARE_SOURCE, encoding="utf-8")
    (tmp_path / "pkg" / "locked").mkdir()
    (tmp_path / "pkg" / "locked" / "b.py").write_text(BARE_SOURCE, encoding="utf-8")
    return tmp_path


def _deny_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a folder without search permission does for a non-root user (root is never denied):
    listing it fails, and so does looking at anything inside it."""
    real_stat, real_lstat, real_scandir = os.stat, os.lstat, os.scandir

    def denied(path: object) -> bool:
        parts = Path(os.fspath(path)).parts  # type: ignore[arg-type]
        return "locked" in parts[:-1]

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    def lstat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    def scandir(path: object) -> object:
        if Path(os.fspath(path)).name == "locked":  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setattr(os, "scandir", scandir)


def test_unsearchable_sub_folder_is_one_xh000(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _deny_locked(monkeypatch)
    code, out, err = run("check", "pkg", "--isolated", "--no-cache", "--format", "concise", "-q", "-j", "1")
    assert (code, err) == (1, "")
    first, second = out.splitlines()
    assert first.startswith(f"pkg/a.py:3:1: {BARE}")
    assert second == "pkg/locked:1:1: XH000 [error] cannot read directory: Permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root is never denied")
def test_unsearchable_sub_folder_for_real(project: Path) -> None:
    locked = project / "pkg" / "locked"
    locked.chmod(0)
    try:
        code, out, err = run("check", "pkg", "--isolated", "--no-cache", "--format", "concise", "-q", "-j", "1")
    finally:
        locked.chmod(0o755)
    assert (code, err) == (1, "")
    first, second = out.splitlines()
    assert first.startswith(f"pkg/a.py:3:1: {BARE}")
    assert second == "pkg/locked:1:1: XH000 [error] cannot read directory: Permission denied"


def test_file_named_inside_an_unsearchable_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _deny_locked(monkeypatch)
    code, out, err = run("check", "pkg/locked/b.py", "--isolated", "--no-cache", "--format", "concise", "-q")
    assert (code, err) == (1, "")
    assert out == "pkg/locked/b.py:1:1: XH000 [error] cannot read file: Permission denied\n"


# --- the result cache ---------------------------------------------------------------------


def _check(project: Path) -> tuple[int, str, str]:
    (project / "pkg" / "locked" / "b.py").unlink()
    return run("check", "pkg", "--isolated", "--format", "concise", "-q", "-j", "1", "--cache-dir", str(project / "cache"))


def _index(project: Path) -> Path:
    (found,) = (project / "cache").glob(f"*/{INDEX_NAME}")
    return found


def test_one_index_file_holds_every_entry(project: Path) -> None:
    (project / "pkg" / "c.py").write_text("x = 1\n", encoding="utf-8")
    first = _check(project)
    assert first[0] == 1
    # (project-facts/ is the facts store of the project-level rules, errlint.projectlevel)
    assert [p.name for p in (project / "cache").glob("*/*") if p.parent.name != "project-facts"] == [INDEX_NAME]
    data = json.loads(_index(project).read_text(encoding="utf-8"))
    # the two files, and the project-level rules' judgement of the run (errlint.projectcache)
    assert data["format"] == "2" and len(data["entries"]) == 3


DAMAGE = {
    "deep-nesting": lambda entry: dict(entry, findings=json.loads("[" * 100_000 + "]" * 100_000)),
    "huge-number": lambda entry: dict(entry, findings=[dict(entry["findings"][0], line=10**400)]),
    "float-infinity": lambda entry: dict(entry, findings=[dict(entry["findings"][0], line=1e400)]),
    "wrong-type": lambda entry: dict(entry, findings=[dict(entry["findings"][0], code=101)]),
    "bad-checksum": lambda entry: dict(entry, sum="0" * 64),
    "edited-message": lambda entry: dict(entry, findings=[dict(entry["findings"][0], message="edited")]),
    "not-an-object": lambda entry: [entry],
}


def _raw_damage(path: Path, name: str) -> None:
    """Rewrite the index with one entry damaged (deep nesting is written as text: json.dumps
    itself would exhaust the recursion limit)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    key = next(k for k, v in data["entries"].items() if v["findings"])
    if name == "deep-nesting":
        data["entries"][key] = "@@"
        text = json.dumps(data).replace('"@@"', '{"sum": "x", "day": 1, "findings": ' + "[" * 100_000 + "]" * 100_000 + "}")
    elif name in ("huge-number", "float-infinity"):
        data["entries"][key]["findings"][0]["line"] = "@@"
        text = json.dumps(data).replace('"@@"', "1" + "0" * 400 if name == "huge-number" else "1e400")
    else:
        data["entries"][key] = DAMAGE[name](data["entries"][key])
        text = json.dumps(data)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_damaged_entry_is_a_miss_and_is_rewritten(project: Path, name: str) -> None:
    first = _check(project)
    assert first[0] == 1 and "pkg/a.py:3:1: XH101" in first[1]
    index = _index(project)
    good = json.loads(index.read_text(encoding="utf-8"))
    _raw_damage(index, name)
    assert run("check", "pkg", "--isolated", "--format", "concise", "-q", "-j", "1", "--cache-dir", str(project / "cache")) == first
    assert json.loads(index.read_text(encoding="utf-8")) == good  # rewritten as it was


@pytest.mark.parametrize("junk", [b"", b"{not json", b"[" * 100_000, b'{"format": "2", "entries": []}', b"\xff\xfe"])
def test_damaged_index_is_a_miss_for_every_file(project: Path, junk: bytes) -> None:
    first = _check(project)
    index = _index(project)
    good = index.read_bytes()
    index.write_bytes(junk)
    assert run("check", "pkg", "--isolated", "--format", "concise", "-q", "-j", "1", "--cache-dir", str(project / "cache")) == first
    assert json.loads(index.read_bytes()) == json.loads(good)


def test_cache_get_never_raises_on_any_entry_shape(tmp_path: Path) -> None:
    cache = ResultCache.open(tmp_path, Config(), [])
    cache.index.parent.mkdir(parents=True)
    shapes: list[object] = [None, 1, "x", [], {}, {"sum": 1}, {"sum": "x", "findings": 3}, {"findings": [{}]}]
    cache.index.write_text(json.dumps({"format": "2", "entries": {str(i): s for i, s in enumerate(shapes)}}), encoding="utf-8")
    assert [cache.get(str(i)) for i in range(len(shapes))] == [None] * len(shapes)

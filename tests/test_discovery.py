"""Excludes are compiled once and mean what the fnmatch-per-pattern loop meant."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from errlint.config import Config
from errlint.discovery import _Excludes, discover

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

"""The cache's key for errlint's own code: its files' contents, not their modification times."""

import os
from pathlib import Path

from errlint.cache import code_fingerprint, fingerprint_of


def _package(root: Path, files: dict[str, str], mtime: int) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, ns=(mtime, mtime))
    return root


FILES = {"__init__.py": "", "engine.py": "X = 1\n", "rules/a.py": "A = 2\n", "__pycache__/engine.pyc": "junk"}


def test_the_same_code_installed_again_keeps_the_key(tmp_path: Path) -> None:
    # A fresh `pip install` of the same errlint gives new modification times (every CI job).
    first = _package(tmp_path / "one", FILES, 1_000_000_000_000_000_000)
    second = _package(tmp_path / "two", FILES, 1_700_000_000_000_000_000)
    assert fingerprint_of([first]) == fingerprint_of([second])


def test_a_changed_or_moved_module_changes_the_key(tmp_path: Path) -> None:
    base = fingerprint_of([_package(tmp_path / "base", FILES, 0)])
    changed = fingerprint_of([_package(tmp_path / "changed", {**FILES, "rules/a.py": "A = 3\n"}, 0)])
    moved = {k: v for k, v in FILES.items() if k != "rules/a.py"} | {"rules/b.py": "A = 2\n"}
    assert len({base, changed, fingerprint_of([_package(tmp_path / "moved", moved, 0)])}) == 3
    bytecode = fingerprint_of([_package(tmp_path / "pyc", {**FILES, "__pycache__/engine.pyc": "other"}, 0)])
    assert bytecode == base  # compiled files are not errlint's source


def test_errlint_fingerprint_is_its_own_sources() -> None:
    import errlint
    import errlint.rules

    folders = [Path(errlint.__file__).parent, *(Path(p) for p in errlint.rules.__path__)]
    assert code_fingerprint() == fingerprint_of(folders)

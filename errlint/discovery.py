"""Find the Python files to lint: walk directories honouring `.gitignore` and excludes.

Files named explicitly are always linted (even when excluded or not ending in `.py`), as in ruff
and flake8. Directories are walked without following symlinks to directories (no loops); a
`.gitignore` applies to its directory and below; any directory holding `pyvenv.cfg` is a
virtualenv and skipped.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import pathspec

from errlint.config import Config
from errlint.errors import UsageError

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Target:
    path: Path  # where to read it
    display: str  # how to show it: relative to the working directory when possible
    error: Optional[str] = None  # set when a directory or .gitignore could not be read


def display_path(path: Path, cwd: Path) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path)


class _Excludes:
    """`exclude`/`extend-exclude` compiled once: a glob matches the entry's name or its path
    relative to the working directory (fnmatch semantics, case-sensitive), and a pattern with a `/`
    also excludes everything under it. One regular expression instead of fnmatch per pattern per
    path (not pathspec: its gitignore globs mean something else, `*` stops at `/`), and each folder
    matched once (`folders`)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        cleaned = [p.rstrip("/") for p in patterns]
        self.regex = re.compile("|".join(fnmatch.translate(p) for p in cleaned)) if cleaned else None
        self.prefixes = tuple(p.lstrip("./") + "/" for p in cleaned if "/" in p)
        self._folders: dict[str, bool] = {}

    def __call__(self, name: str, rel: str) -> bool:
        regex = self.regex
        if regex is not None and (regex.match(name) or regex.match(rel)):
            return True
        return bool(self.prefixes) and (rel + "/").startswith(self.prefixes)

    def folders(self, rel_dir: str) -> bool:
        """Whether a folder on the `/`-separated relative path `rel_dir` ("" for none) is
        excluded: each folder is matched once per matcher, not once per file below it."""
        if not rel_dir:
            return False
        known = self._folders.get(rel_dir)
        if known is None:
            parent, _, name = rel_dir.rpartition("/")
            known = self._folders[rel_dir] = self.folders(parent) or self(name, rel_dir)
        return known


@functools.lru_cache(maxsize=64)
def compiled_excludes(patterns: tuple[str, ...]) -> _Excludes:
    """The matcher of `patterns`, compiled once per distinct list (one per configuration)."""
    return _Excludes(patterns)


def discover(paths: Sequence[str], config: Config, cwd: Optional[Path] = None) -> list[Target]:
    """Return the files to lint, sorted and de-duplicated. A missing path is a `UsageError`."""
    cwd = cwd or Path.cwd()
    excludes = tuple(config.exclude) + tuple(config.extend_exclude)
    seen: set[str] = set()
    targets: list[Target] = []
    for raw in paths:
        path = Path(raw)
        try:
            os.lstat(path)
        except FileNotFoundError:
            raise UsageError(f"{raw}: no such file or directory") from None
        except OSError as err:
            # It may exist, but cannot be looked at (a folder above it is not searchable).
            targets.append(Target(path, display_path(path, cwd), f"cannot read file: {err.strerror or err}"))
            continue
        if os.path.isdir(path):
            walked = _walk(path, excludes, config.respect_gitignore, cwd)
            if len(paths) == 1:
                targets.extend(walked)  # one walk never yields a file twice
                continue
            for target in walked:
                key = os.path.normcase(os.path.abspath(target.path))
                if key not in seen:
                    seen.add(key)
                    targets.append(target)
        else:
            key = os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                targets.append(Target(path, display_path(path, cwd)))
    return sorted(targets, key=lambda t: t.display)


class _Unreadable(Exception):
    """A directory or `.gitignore` that exists but cannot be read."""

    def __init__(self, path: Path, err: OSError) -> None:
        super().__init__(f"cannot read {'directory' if os.path.isdir(path) else 'file'}: {err.strerror or err}")
        self.path = path


_ANY_FOLDER = "^(?:.+/)?"


class GitIgnore:
    """A `.gitignore` (pathspec's `GitIgnoreSpec`) with its patterns also compiled into one
    regular expression: most paths match none of the patterns and are answered by one search
    instead of one match per pattern (a Python-template `.gitignore` has ~80); a path that matches
    some pattern is decided by pathspec itself (the last matching pattern wins, `!` re-includes).
    """

    _EXACT = re.compile("")  # matches everything: always ask pathspec

    def __init__(self, spec: pathspec.PathSpec[Any]) -> None:
        self.spec = spec
        regexes = [
            p.regex for p in spec.patterns if getattr(p, "include", None) is not None and getattr(p, "regex", None)
        ]
        self.any: Optional[re.Pattern[str]] = None
        if not regexes:
            return  # only comments and blank lines: nothing is ignored
        if any(r.flags != re.UNICODE or not isinstance(r.pattern, str) or not r.pattern.startswith("^") for r in regexes):
            self.any = self._EXACT
            return
        # Named groups (pathspec's `ps_d`) would clash once joined; they do not change what matches.
        # Patterns that may match in any folder (`^(?:.+/)?name...`) share that prefix, so the
        # folders of a path are tried once for all of them, not once per pattern.
        anywhere, anchored = [], []
        for regex in regexes:
            text = re.sub(r"\(\?P<[^>]+>", "(?:", regex.pattern)
            if text.startswith(_ANY_FOLDER):
                anywhere.append(text[len(_ANY_FOLDER) :])
            else:
                anchored.append(text[1:])
        joined = [f"{prefix}(?:{'|'.join(parts)})" for prefix, parts in ((_ANY_FOLDER, anywhere), ("^", anchored)) if parts]
        try:
            self.any = re.compile("|".join(joined))
        except re.error:
            self.any = self._EXACT

    def match_file(self, path: str) -> bool:
        """Whether the `/`-separated `path` (relative to the `.gitignore`'s folder, with a trailing
        `/` for a folder) is ignored: exactly `GitIgnoreSpec.match_file`."""
        if self.any is None or self.any.match(path) is None:
            return False
        return bool(self.spec.match_file(path))


def _gitignore_specs(start: Path) -> list[tuple[Path, GitIgnore]]:
    """`.gitignore` files in the directories above `start`, up to the repository root."""
    specs: list[tuple[Path, GitIgnore]] = []
    for directory in (start.resolve(), *start.resolve().parents):
        try:
            spec = _load_gitignore(directory)
        except _Unreadable:
            spec = None  # above the tree being linted: reported only inside it
        if spec is not None:
            specs.append((directory, spec))
        if os.path.lexists(directory / ".git"):
            break
    return specs


def _load_gitignore(directory: Path) -> Optional[GitIgnore]:
    """The `.gitignore` of `directory`, None when it has none; `_Unreadable` when unreadable."""
    file = directory / ".gitignore"
    if not os.path.isfile(file):  # os.path: False, not an error, when it cannot be looked at
        return None
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise _Unreadable(file, err) from err
    return GitIgnore(pathspec.GitIgnoreSpec.from_lines(lines))


# A `.gitignore` spec with the path of the directory being walked relative to the spec's folder,
# as a prefix ("" in the folder itself, "sub/dir/" below it): an entry's path for the spec is then
# `prefix + name`, exactly `real_path.relative_to(spec_folder).as_posix()` without building paths.
_Spec = tuple[GitIgnore, str]


def _ignored(name: str, is_dir: bool, specs: Sequence[_Spec]) -> bool:
    suffix = "/" if is_dir else ""
    return any(spec.match_file(prefix + name + suffix) for spec, prefix in specs)


def _child_display(parent: str, name: str, path: str, cwd: Path) -> str:
    """`display_path(Path(path), cwd)` for the entry `name` of a folder displayed as `parent`,
    without a `relpath` per entry: folders are walked from their display path downwards.

    A folder shown as it was given (absolute, or `../x`: it is not inside the working directory)
    has its entries shown the same way, except the one entry that may be the working directory
    itself (same name), which `display_path` decides."""
    if parent == ".":
        display = name
    elif os.path.isabs(parent) or parent.startswith(".."):
        if name == cwd.name:
            return display_path(Path(path), cwd)
        return parent + os.sep + name if not parent.endswith(os.sep) else parent + name
    else:
        display = parent + os.sep + name
    return display if not display.startswith("..") else display_path(Path(path), cwd)


def _walk(root: Path, patterns: Sequence[str], gitignore: bool, cwd: Path) -> Iterator[Target]:
    """The Python files under `root`. Each entry's display path, exclude path and `.gitignore`
    paths are built from its folder's (sub-folders are never symlinks: they are not followed), so
    the walk does no `relpath`, `resolve` or `Path` work per entry."""
    excluded = compiled_excludes(tuple(patterns))
    specs: list[_Spec] = []
    if gitignore:
        real_root = root.resolve()
        for base, spec in _gitignore_specs(root):
            prefix = real_root.relative_to(base).as_posix()
            specs.append((spec, "" if prefix == "." else prefix + "/"))
    stack: list[tuple[Path, str, list[_Spec]]] = [(root, display_path(root, cwd), specs)]
    while stack:
        directory, shown, dir_specs = stack.pop()
        try:
            if gitignore and directory != root:
                local = _load_gitignore(directory)
                if local is not None:
                    dir_specs = dir_specs + [(local, "")]
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except _Unreadable as err:
            yield Target(err.path, display_path(err.path, cwd), str(err))
            continue
        except OSError as err:
            # Reported as a finding on the directory; the rest of the tree is still linted.
            yield Target(directory, shown, f"cannot read directory: {err.strerror or err}")
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            display = _child_display(shown, name, entry.path, cwd)
            rel = display.replace(os.sep, "/") if os.sep != "/" else display
            if excluded(name, rel):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if dir_specs and _ignored(name, is_dir, dir_specs):
                continue
            if is_dir:
                # os.path.isfile is False for a folder that cannot be searched: scandir then
                # reports the folder as unreadable (an XH000), never a traceback.
                if os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
                    continue
                below = [(spec, prefix + name + "/") for spec, prefix in dir_specs]
                subdirs.append((Path(entry.path), display, below))
            elif name.endswith(PYTHON_SUFFIXES):
                path = Path(entry.path)
                if entry.is_symlink() and os.path.isdir(path):
                    continue  # a link to a directory: never followed
                yield Target(path, display)
        stack.extend(reversed(subdirs))

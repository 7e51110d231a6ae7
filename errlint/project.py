"""Which configuration applies to which file, as ruff does it: the closest one to the file.

`ConfigResolver.for_path(file)` walks up from the file's folder to the closest configuration
(`errlint.config.find_config_file`), loads it once per folder and applies the command-line
overrides. `discover_files` finds the files to lint for the path arguments, each directory walked
with the configuration that applies to it, and drops the walked files that the `exclude` of their
own configuration (relative to its folder) excludes. Files named explicitly are always linted.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Callable, Optional, Sequence

from errlint.config import Config, find_config_file, load_config
from errlint.discovery import Target, compiled_excludes, discover
from errlint.errors import UsageError

Override = Callable[[Config], Config]


def load_file(path: Optional[Path]) -> Config:
    """Load and validate one configuration file (None: the defaults), after loading its
    `local-rules` (errlint.plugins), whose codes `select` and `ignore` may name."""
    if path is not None:
        from errlint import plugins
        from errlint.config import raw_local_rules

        local = raw_local_rules(path)
        if local:
            plugins.load_paths([path.resolve().parent / item for item in local])
    from errlint import catalog  # the rules' codes and names without importing them

    return load_config(
        path,
        known_codes=catalog.known_codes(),
        rule_options=catalog.option_parsers(),
        names_to_codes=catalog.names_to_codes(),
    )


class ConfigResolver:
    """The configuration of every file of a run, loaded once per configuration file."""

    def __init__(
        self,
        config_file: Optional[str] = None,
        isolated: bool = False,
        override: Optional[Override] = None,
    ) -> None:
        self._override = override or (lambda c: c)
        self._by_file: dict[Optional[str], Config] = {}
        self._by_dir: dict[str, Optional[str]] = {}
        self._fixed: Optional[Config] = None
        if isolated:
            self._fixed = self._override(Config())
        elif config_file is not None:
            path = Path(config_file)
            if not path.is_file():
                raise UsageError(f"--config: {config_file}: no such file")
            self._fixed = self._override(load_file(path))

    def for_dir(self, directory: Path) -> Config:
        """The configuration for files in `directory`."""
        if self._fixed is not None:
            return self._fixed
        key = os.path.abspath(directory)
        if key not in self._by_dir:
            found = find_config_file(Path(key))
            self._by_dir[key] = str(found) if found is not None else None
        file = self._by_dir[key]
        if file not in self._by_file:
            self._by_file[file] = self._override(load_file(Path(file) if file else None))
        return self._by_file[file]

    def for_path(self, path: Path) -> Config:
        """The configuration for the file (or folder) `path`."""
        return self.for_dir(path if os.path.isdir(path) else path.parent)  # isdir never raises

    def configs(self) -> list[Config]:
        """Every configuration loaded so far."""
        if self._fixed is not None:
            return [self._fixed]
        return list(self._by_file.values())


def _walk_config(config: Config) -> Config:
    """`config` with only the excludes that do not depend on a folder (name globs), for the walk."""
    names = tuple(p for p in config.exclude if "/" not in p.rstrip("/"))
    extend = tuple(p for p in config.extend_exclude if "/" not in p.rstrip("/"))
    return dataclasses.replace(config, exclude=names, extend_exclude=extend)


def excluded_by(config: Config, file: Path, walk_root: Path, cwd: Path) -> bool:
    """True when `exclude`/`extend-exclude` of `config` exclude the file or one of its folders.

    Patterns are relative to the configuration's folder (to the working directory without a
    configuration file); folders above the walked path never count.
    """
    patterns = tuple(config.exclude) + tuple(config.extend_exclude)
    if not patterns:
        return False
    directory, name = os.path.split(os.path.abspath(file))
    bases = (os.path.abspath(config.root if config.root != "." else cwd), os.path.abspath(walk_root))
    folder = _relative_folder(directory, *bases)
    if folder is None:
        return False
    excluded = compiled_excludes(patterns)
    return excluded.folders(folder) or excluded(name, folder + "/" + name if folder else name)


@functools.lru_cache(maxsize=4096)
def _relative_folder(directory: str, *bases: str) -> Optional[str]:
    """The absolute `directory` relative to the first of the absolute `bases` it is in
    (`/`-separated, "" for the base itself), None when it is in none: once per folder, not per file."""
    for base in bases:
        candidate = os.path.relpath(directory, base)
        if not candidate.startswith(".."):
            return "" if candidate == "." else candidate.replace(os.sep, "/")
    return None


def _looked_at_denied(path: Path) -> bool:
    """The path may exist but cannot be looked at (a folder above it is not searchable):
    `discover` reports it as an XH000 rather than as missing."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return False


def discover_files(paths: Sequence[str], resolver: ConfigResolver, cwd: Path) -> list[tuple[Target, Config]]:
    """The files to lint with the configuration of each, sorted by display path."""
    seen: set[str] = set()
    out: list[tuple[Target, Config]] = []
    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path) and not _looked_at_denied(path):
            raise UsageError(f"{raw}: no such file or directory")
        explicit = not os.path.isdir(path)  # never raises: a path that cannot be looked at is a file
        for target in discover([raw], _walk_config(resolver.for_path(path)), cwd):
            if len(paths) > 1:  # one path's walk never yields a file twice
                key = os.path.normcase(os.path.abspath(target.path))
                if key in seen:
                    continue
                seen.add(key)
            config = resolver.for_path(target.path)
            if not explicit and target.error is None and excluded_by(config, target.path, path, cwd):
                continue
            out.append((target, config))
    return sorted(out, key=lambda item: item[0].display)


def grouped(pairs: Sequence[tuple[Target, Config]]) -> list[tuple[Config, list[Target]]]:
    """The targets grouped by configuration, in the order configurations first appear."""
    groups: dict[int, tuple[Config, list[Target]]] = {}
    for target, config in pairs:
        groups.setdefault(id(config), (config, []))[1].append(target)
    return list(groups.values())


def describe_settings(config: Config, file: Optional[str] = None) -> str:
    """`--show-settings`: where the configuration of `file` comes from and every resolved value."""
    from errlint.engine import ignored_for_path, select_rules

    lines = [f"Settings file: {config.path or '(none: defaults)'}"]
    lines.extend(f"Extends: {base}" for base in config.extends)
    lines.append(f"Paths relative to: {config.root if config.root != '.' else Path.cwd()}")
    if file is not None:
        lines.append(f"File: {file}")
    lines.append("Enabled rules: " + (", ".join(r.CODE for r in select_rules(config)) or "(none)"))
    if file is not None:
        ignored = ignored_for_path(config, file)
        lines.append("Ignored for this file (per-file-ignores): " + (", ".join(ignored) or "(none)"))
        lines.append(f"Critical path: {'yes' if config.is_critical_path(file) else 'no'}")
    lines.append("")
    for item in dataclasses.fields(config):
        if item.name in ("path", "root", "extends"):
            continue
        lines.append(f"{item.name.replace('_', '-')} = {_show(getattr(config, item.name))}")
    return "\n".join(lines)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)

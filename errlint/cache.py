"""A result cache: a file whose bytes, path and settings were linted before is not linted again.

Layout: `<cache dir>/<settings key>/<entry key>.json`, where

- the settings key hashes everything that can change a result besides the file: errlint's
  version and the size and modification time of every module of errlint and its rules (an edited
  rule invalidates the cache, also in an editable install), the Python and libcst versions, the
  whole configuration (`Config` is a frozen dataclass: its repr is its value) and the codes of the
  selected rules;
- the entry key hashes the displayed path (it decides `per-file-ignores`, critical paths and the
  module name) and the file's bytes.

An entry is written by whichever process linted the file, to a temporary file in the same
directory and moved into place with `os.replace`, so parallel workers and concurrent runs never
see half an entry. An entry that cannot be read or decoded is treated as a miss; results with a
rule crash are never stored, so the crash is reported again. A cache that cannot be written (a
read-only checkout) only costs speed. Remove the directory to clear it; `--no-cache` bypasses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from errlint import __version__
from errlint.finding import Finding

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.rule import LintRule

CACHE_DIR_NAME = ".errlint_cache"
FORMAT = "1"  # bump when the entry format changes
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by errlint.\n"


def default_cache_dir(config: Config, cwd: Path) -> Path:
    """`$ERRLINT_CACHE_DIR`, else `.errlint_cache` beside the configuration file, else in `cwd`."""
    env = os.environ.get("ERRLINT_CACHE_DIR")
    if env:
        return Path(env)
    if config.path is not None:
        return Path(config.path).resolve().parent / CACHE_DIR_NAME
    return cwd / CACHE_DIR_NAME


_CODE_FINGERPRINT: list[str] = []


def code_fingerprint() -> str:
    """Size and mtime of every module of errlint and errlint.rules (cheap: one stat each).

    Taken once per process, when this module is imported: the engine imports it, after the CLI
    has imported the rules, so the stat follows the loading of the code by milliseconds instead of
    by the whole file discovery (a rule edited meanwhile would otherwise give a key that does not
    match the code that ran). Worker processes inherit it.
    """
    if not _CODE_FINGERPRINT:
        _CODE_FINGERPRINT.append(_stat_modules())
    return _CODE_FINGERPRINT[0]


def _stat_modules() -> str:
    import errlint
    import errlint.rules

    parts: list[str] = []
    folders = [Path(errlint.__file__).parent, *(Path(p) for p in errlint.rules.__path__)]
    for folder in folders:
        for current, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    stat = os.stat(os.path.join(current, name))
                    parts.append(f"{os.path.relpath(os.path.join(current, name), folder)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


code_fingerprint()  # now: see the docstring


def _libcst_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:
        return "unknown"  # vendored libcst: the key is only less specific


def settings_key(config: Config, rules: Sequence[type[LintRule]]) -> str:
    """The part of every key that depends on errlint, its environment and the configuration."""
    data = "\0".join(
        [
            FORMAT,
            __version__,
            code_fingerprint(),
            sys.version,
            _libcst_version(),
            repr(config),
            ",".join(sorted(r.CODE for r in rules)),
        ]
    )
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:24]


@dataclass(frozen=True)
class ResultCache:
    """The entries for one settings key under `directory` (picklable: sent to worker processes)."""

    directory: Path
    settings: str

    @classmethod
    def open(cls, directory: Path, config: Config, rules: Sequence[type[LintRule]]) -> ResultCache:
        return cls(Path(directory), settings_key(config, rules))

    @property
    def folder(self) -> Path:
        return self.directory / self.settings

    def key(self, display: str, data: bytes) -> str:
        digest = hashlib.sha256(display.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str) -> Optional[list[Finding]]:
        """The findings stored under `key`, or None (absent, unreadable or corrupt)."""
        try:
            with open(self.folder / f"{key}.json", "rb") as fh:
                entry = json.loads(fh.read())
            if not isinstance(entry, dict) or entry.get("format") != FORMAT:
                return None
            return [_finding(item) for item in entry["findings"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # a missing or damaged entry is a miss: the file is linted again

    def put(self, key: str, findings: Sequence[Finding]) -> None:
        """Store `findings` under `key` atomically; a cache that cannot be written is skipped."""
        entry = {"format": FORMAT, "findings": [_entry(f) for f in findings]}
        data = json.dumps(entry, separators=(",", ":")).encode("utf-8", "surrogatepass")
        folder = self.folder
        try:
            if not folder.is_dir():
                self._create(folder)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, folder / f"{key}.json")
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return  # read-only or full disk: the run is only slower next time

    def _create(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        root = self.directory
        for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Created by errlint.\n*\n")):
            path = root / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")


def _entry(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    data["scope"] = finding.scope
    data["fingerprint"] = finding.fingerprint
    return data


def _finding(data: Any) -> Finding:
    if not isinstance(data, dict):
        raise TypeError("entry is not an object")
    return Finding.from_dict(data)

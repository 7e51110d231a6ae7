"""A result cache: a file whose bytes, path and settings were linted before is not linted again.

Layout: `<cache dir>/<settings key>/index.json`, one file holding every entry, where

- the settings key hashes everything that can change a result besides the file: errlint's
  version and the size and modification time of every module of errlint and its rules (an edited
  rule invalidates the cache, also in an editable install), the Python and libcst versions, the
  whole configuration (`Config` is a frozen dataclass: its repr is its value) and the codes of the
  selected rules;
- the entry key hashes the displayed path (it decides `per-file-ignores`, critical paths and the
  module name) and the file's bytes.

The index is read once per run (a warm run opens one file, not one per source file) and written
once at the end by the process that started the run (workers only return their results), to a
temporary file in the same directory moved into place with `os.replace`: a concurrent run never
sees half an index; when two runs end together the last one's index wins (the other's new entries
are linted again next time, nothing is lost but time). Entries not used for `KEEP_DAYS` are
dropped when the index is written.

Every entry is validated before use: its checksum (SHA-256 over the entry key and the canonical
JSON of its findings) and its schema (types, ranges and enum values of every field). Anything
else - truncated or hand-edited JSON, nesting deep enough to exhaust the recursion limit, numbers
too large for an int - is a miss: the file is linted again and its entry rewritten. Results with a
rule crash are never stored, so the crash is reported again. A cache that cannot be written (a
read-only checkout) only costs speed. Remove the directory to clear it; `--no-cache` bypasses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from errlint import __version__
from errlint.finding import Edit, Finding, Fix, FixSafety, Impact, Severity
from errlint.catalog import rule_codes

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.rule import LintRule

CACHE_DIR_NAME = ".errlint_cache"
FORMAT = "2"  # bump when the entry format changes
KEEP_DAYS = 30
INDEX_NAME = "index.json"
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
    """A digest of the source of every module of errlint and errlint.rules.

    Taken from the files' contents, not their modification times, so that the same errlint
    installed again (every CI job does) keeps its cache; about 2 MB read and hashed once per
    process, when this module is imported (with the engine, before the file discovery; the rules
    themselves are imported only when a file is linted, `errlint.catalog`). Worker processes
    inherit it.
    """
    if not _CODE_FINGERPRINT:
        import errlint
        import errlint.rules

        folders = [Path(errlint.__file__).parent, *(Path(p) for p in errlint.rules.__path__)]
        _CODE_FINGERPRINT.append(fingerprint_of(folders))
    return _CODE_FINGERPRINT[0]


def fingerprint_of(folders: Sequence[Path]) -> str:
    """A digest of the relative path and bytes of every `.py` file under `folders`."""
    digest = hashlib.sha256()
    for folder in folders:
        for current, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(current, name)
                    with open(path, "rb") as handle:
                        data = handle.read()
                    digest.update(f"{os.path.relpath(path, folder)}\0{len(data)}\0".encode("utf-8", "surrogatepass"))
                    digest.update(data)
    return digest.hexdigest()


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
            ",".join(sorted(rule_codes(rules))),
        ]
    )
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def entry_key(display: str, data: bytes) -> str:
    """The entry key of a file shown as `display` with the bytes `data`."""
    digest = hashlib.sha256(display.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def _checksum(key: str, findings: Any) -> str:
    text = json.dumps(findings, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{key}\0{text}".encode("ascii")).hexdigest()


def _today() -> int:
    return int(time.time() // 86400)


class ResultCache:
    """The entries for one settings key under `directory`: read once, written once per run."""

    def __init__(self, directory: Path, settings: str) -> None:
        self.directory = Path(directory)
        self.settings = settings
        self._entries: Optional[dict[str, Any]] = None  # raw entries as read from the index
        self._changed: dict[str, Any] = {}  # entries to write: new, rewritten or refreshed
        self._bad: set[str] = set()  # entries that failed validation (dropped when writing)

    @classmethod
    def open(cls, directory: Path, config: Config, rules: Sequence[type[LintRule]]) -> ResultCache:
        return cls(Path(directory), settings_key(config, rules))

    @property
    def folder(self) -> Path:
        return self.directory / self.settings

    @property
    def index(self) -> Path:
        return self.folder / INDEX_NAME

    def key(self, display: str, data: bytes) -> str:
        return entry_key(display, data)

    def _read(self) -> dict[str, Any]:
        """The entries of the index on disk; an unreadable or damaged index has none."""
        try:
            with open(self.index, "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError, RecursionError, MemoryError):
            return {}  # no index yet, or a damaged one: every lookup is a miss, rewritten at `save`
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
            return {}
        entries: dict[str, Any] = data["entries"]
        return entries

    def get(self, key: str) -> Optional[list[Finding]]:
        """The findings stored under `key`, or None (absent, or failing validation: a miss)."""
        if self._entries is None:
            self._entries = self._read()
        raw = self._entries.get(key)
        if raw is None:
            return None
        try:
            if not isinstance(raw, dict) or raw.get("sum") != _checksum(key, raw["findings"]):
                raise ValueError("checksum mismatch")
            findings = [_finding(item) for item in raw["findings"]]
            day = raw.get("day")
            if type(day) is not int:
                raise ValueError("no day")
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError, AttributeError):
            self._bad.add(key)  # a damaged entry is a miss; dropped (or rewritten) at `save`
            return None
        if _today() - day >= 1:
            self._changed[key] = dict(raw, day=_today())  # keep it from expiring
        return findings

    def put(self, key: str, findings: Sequence[Finding]) -> None:
        """Remember `findings` under `key`; written by `save`."""
        items = [_entry(f) for f in findings]
        self._changed[key] = {"sum": _checksum(key, items), "day": _today(), "findings": items}
        self._bad.discard(key)

    def save(self) -> None:
        """Write the index once (merged with what is on disk now); skipped when nothing changed.

        A cache that cannot be written (read-only, full disk) is skipped: the run is only slower
        next time.
        """
        if not self._changed and not self._bad:
            return
        entries = self._read()  # another run may have written since this one read it
        for key in self._bad:
            entries.pop(key, None)
        entries.update(self._changed)
        oldest = _today() - KEEP_DAYS
        kept = {k: v for k, v in entries.items() if isinstance(v, dict) and type(v.get("day")) is int and v["day"] >= oldest}
        data = json.dumps({"format": FORMAT, "entries": kept}, separators=(",", ":")).encode("utf-8", "surrogatepass")
        folder = self.folder
        try:
            if not folder.is_dir():
                self._create(folder)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.index)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return  # read-only or full disk: the run is only slower next time
        self._entries = kept
        self._changed.clear()
        self._bad.clear()

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


_MAX = 1 << 40  # no real position is this large; anything beyond is a damaged entry


def _str(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if type(value) is not str:
        raise TypeError(f"{name} is not a string")
    return value


def _int(data: dict[str, Any], name: str) -> int:
    value = data[name]
    if type(value) is not int or not 0 <= value < _MAX:
        raise ValueError(f"{name} is not a position")
    return value


def _finding(data: Any) -> Finding:
    """A `Finding` from a stored entry, every field checked (TypeError/ValueError when wrong)."""
    if not isinstance(data, dict):
        raise TypeError("entry is not an object")
    fix = data.get("fix")
    if fix is not None:
        if not isinstance(fix, dict) or not isinstance(fix.get("edits"), list):
            raise TypeError("fix is not an object")
        edits = []
        for item in fix["edits"]:
            if not isinstance(item, dict):
                raise TypeError("edit is not an object")
            edits.append(
                Edit(_int(item, "line"), _int(item, "column"), _int(item, "end_line"), _int(item, "end_column"), _str(item, "content"))
            )
        fix = Fix(_str(fix, "title"), FixSafety(_str(fix, "safety")), tuple(edits))
    critical = data.get("critical", False)
    if type(critical) is not bool:
        raise TypeError("critical is not a boolean")
    return Finding(
        code=_str(data, "code"),
        name=_str(data, "name"),
        message=_str(data, "message"),
        severity=Severity(_str(data, "severity")),
        impact=Impact(_str(data, "impact")),
        path=_str(data, "path"),
        line=_int(data, "line"),
        column=_int(data, "column"),
        end_line=_int(data, "end_line"),
        end_column=_int(data, "end_column"),
        critical=critical,
        fix=fix,
        scope=_str(data, "scope"),
        fingerprint=_str(data, "fingerprint"),
    )

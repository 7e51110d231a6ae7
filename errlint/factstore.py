"""The facts store of project-level rules: each file's facts, by absolute path, in one JSON file.

`<cache dir>/project-facts/<key>.json`, beside the result cache (errlint.cache). `key` hashes
errlint's version and code and the Python version: facts depend on nothing else (no
configuration), so runs with different selections share them. Each entry holds a file's facts,
the result-cache key of the bytes they came from (display path + content), the file's size and
modification time (single-file runs trust an entry while they match), a checksum and the day it
was last used. A damaged entry or file is a miss; entries unused for `KEEP_DAYS` are dropped. The
store is read once and written once per run, atomically (a temporary file moved into place), and
a store that cannot be written only costs speed. See errlint.projectlevel for how it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

STORE_FORMAT = "1"
STORE_DIR = "project-facts"
KEEP_DAYS = 30


def _store_key() -> str:
    from errlint import __version__
    from errlint.cache import code_fingerprint

    data = "\0".join([STORE_FORMAT, __version__, code_fingerprint(), sys.version])
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def _checksum(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k not in ("sum", "day")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _valid(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("key"), str)
        and type(entry.get("size")) is int
        and type(entry.get("mtime")) is int
        and isinstance(entry.get("facts"), dict)
        and type(entry.get("day")) is int
        and entry.get("sum") == _checksum(entry)
    )


_READ: dict[str, tuple[tuple[int, int, int], dict[str, Any]]] = {}  # path -> (signature, entries)


class FactsStore:
    """Facts by absolute path, in one JSON file: read once, written once (see the module doc)."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / STORE_DIR / f"{_store_key()}.json"
        self._entries: Optional[dict[str, Any]] = None
        self._changed: dict[str, Any] = {}
        self._bad: set[str] = set()

    def _read(self) -> dict[str, Any]:
        """The entries on disk now (a new dict each time). A process that judges one file at a
        time (the flake8 plugin, the editor server) reads the store once, not once per file: the
        parsed entries are kept while the file's size, mtime and inode stay the same (it is only
        ever replaced, never written in place)."""
        try:
            st = os.stat(self.path)
            signature = (st.st_size, st.st_mtime_ns, st.st_ino)
            where = os.path.abspath(self.path)
            known = _READ.get(where)
            if known is not None and known[0] == signature:
                return dict(known[1])
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError, MemoryError):
            return {}
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT or not isinstance(data.get("files"), dict):
            return {}
        files: dict[str, Any] = data["files"]
        _READ.clear()  # one store per process is the rule; never keep more than the last one
        _READ[where] = (signature, files)
        return dict(files)

    @property
    def entries(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def get(self, abspath: str, key: str, codes: Sequence[str]) -> Optional[dict[str, Any]]:
        """The stored facts of the file at `abspath` with result-cache key `key`, or None."""
        entry = self.entries.get(abspath)
        if entry is None:
            return None
        if not _valid(entry):
            self._bad.add(abspath)
            return None
        if entry["key"] != key or not all(c in entry["facts"] for c in codes):
            return None
        facts: dict[str, Any] = entry["facts"]
        return facts

    def current(self, abspath: str, codes: Sequence[str]) -> Optional[dict[str, Any]]:
        """The stored facts of `abspath` if the file still has the stored size and mtime."""
        entry = self.entries.get(abspath)
        if entry is None or not _valid(entry) or not all(c in entry["facts"] for c in codes):
            return None
        try:
            st = os.stat(abspath)
        except OSError:
            return None
        if st.st_size != entry["size"] or st.st_mtime_ns != entry["mtime"]:
            return None
        facts: dict[str, Any] = entry["facts"]
        return facts

    def put(self, abspath: str, key: str, size: int, mtime: int, facts: Mapping[str, Any]) -> None:
        old = self.entries.get(abspath)
        merged = dict(facts)
        if isinstance(old, dict) and old.get("key") == key and _valid(old):
            merged = {**old["facts"], **facts}  # other rules' facts of the same bytes stay
            if merged == old["facts"] and old["size"] == size and old["mtime"] == mtime and old["day"] == _today():
                return
        entry: dict[str, Any] = {"key": key, "size": size, "mtime": mtime, "facts": merged, "day": _today()}
        entry["sum"] = _checksum(entry)
        self.entries[abspath] = entry
        self._changed[abspath] = entry
        self._bad.discard(abspath)

    def save(self) -> None:
        """Merge with what is on disk now and replace the file atomically; never raises."""
        if not self._changed and not self._bad:
            return
        entries = self._read()
        for path in self._bad:
            entries.pop(path, None)
        entries.update(self._changed)
        oldest = _today() - KEEP_DAYS
        kept = {k: v for k, v in entries.items() if isinstance(v, dict) and type(v.get("day")) is int and v["day"] >= oldest}
        data = json.dumps({"format": STORE_FORMAT, "files": kept}, separators=(",", ":")).encode("utf-8", "surrogatepass")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return  # read-only or full disk: only slower next time
        self._changed.clear()
        self._bad.clear()


def _today() -> int:
    return int(time.time() // 86400)

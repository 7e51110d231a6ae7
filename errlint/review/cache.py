"""Answers cached on disk by a hash of the exact request, so a rerun on unchanged code sends nothing.

The key is the SHA-256 of the model, the prompt version and the redacted request body (with the
per-run nonce normalised). Only validated answers are stored, as the model wrote them: they refer
to placeholders, never to the redacted values, so no secret reaches the disk. Writes are atomic
(a temporary file, then `os.replace`); an unreadable or corrupt entry is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

CACHE_SCHEMA = 1


def cache_key(model: str, prompt_version: str, normalised_body: str) -> str:
    material = json.dumps(
        {"schema": CACHE_SCHEMA, "model": model, "prompt_version": prompt_version, "body": normalised_body},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


class ReviewCache:
    """One JSON file per key under `<dir>/v1/<2 hex>/<key>.json`."""

    def __init__(self, directory: Path, *, read: bool = True, write: bool = True) -> None:
        self.directory = directory
        self.read = read
        self.write = write

    def _path(self, key: str) -> Path:
        return self.directory / f"v{CACHE_SCHEMA}" / key[:2] / f"{key}.json"

    def get(self, key: str) -> Optional[dict[str, Any]]:
        """The stored record for `key`, or None (missing, unreadable or corrupt)."""
        if not self.read:
            return None
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing or corrupt: a cache miss, and the entry is rewritten
        if not isinstance(data, dict) or data.get("key") != key or not isinstance(data.get("answer"), dict):
            return None
        return data

    def contains(self, key: str) -> bool:
        return self.get(key) is not None

    def put(self, key: str, record: dict[str, Any]) -> Optional[str]:
        """Store `record` under `key`; return a one-line problem instead of raising."""
        if not self.write:
            return None
        path = self._path(key)
        payload = {"key": key, "created": int(time.time()), **record}
        try:
            self._ensure_root()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(payload, fh, ensure_ascii=False, sort_keys=True)
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as err:
            return f"cannot write the review cache in {self.directory}: {err.strerror or err}"
        return None

    def _ensure_root(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by errlint review: cached answers, never commit.\n*\n", encoding="utf-8")

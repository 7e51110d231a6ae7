"""Persisted dismissals: a human agreed that a finding is a false positive, with a reason.

`errlint review --dismiss ID --reason TEXT` records it in `.errlint-dismissals.json` beside the
configuration (commit it: it is reviewed like a `# noqa`). A dismissed finding is not sent again
(`dismissed`, with the reason), never matches a `--fail-on` gate, and appears in SARIF with a
suppression (`accepted`, the reason as justification). Dismissals are keyed by the finding's
line-independent fingerprint, so they survive edits elsewhere in the file; a changed flagged
line asks again.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from errlint.errors import UsageError
from errlint.finding import Finding
from errlint.fingerprints import of as fingerprint_of

FILENAME = ".errlint-dismissals.json"
SCHEMA = 1


@dataclass(frozen=True)
class Dismissal:
    code: str
    path: str
    reason: str
    fingerprint: str
    date: str = ""


class Dismissals:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Dismissal] = {}
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise UsageError(f"{path}: cannot read the dismissals: {getattr(err, 'strerror', None) or err}") from None
            for entry in data.get("dismissals", []) if isinstance(data, dict) else []:
                if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
                    self.entries[entry["fingerprint"]] = Dismissal(
                        str(entry.get("code", "")), str(entry.get("path", "")), str(entry.get("reason", "")),
                        entry["fingerprint"], str(entry.get("date", "")),
                    )  # fmt: skip

    def get(self, finding: Finding) -> Optional[Dismissal]:
        return self.entries.get(fingerprint_of(finding))

    def add(self, finding: Finding, reason: str) -> Dismissal:
        reason = " ".join(reason.split())
        if not reason:
            raise UsageError("--dismiss needs --reason: say why the finding is a false positive")
        entry = Dismissal(finding.code, finding.path.replace("\\", "/"), reason, fingerprint_of(finding),
                          datetime.date.today().isoformat())  # fmt: skip
        self.entries[entry.fingerprint] = entry
        self._write()
        return entry

    def _write(self) -> None:
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "dismissals": [vars(e) for e in sorted(self.entries.values(), key=lambda e: (e.path, e.code, e.fingerprint))],
        }
        fd, tmp = tempfile.mkstemp(prefix=".errlint-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

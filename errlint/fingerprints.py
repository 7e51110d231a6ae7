"""Stable identities for findings, for SARIF `partialFingerprints` and GitLab `fingerprint`.

A fingerprint must survive edits elsewhere in the file (a finding that merely moved down ten lines
is the same finding), so it never includes a line or column number. It hashes the rule code, the
path, the text of the flagged line(s) with all whitespace removed, and the finding's occurrence
index among findings of the same file with the same code and the same text (two identical
`except:` lines in one file stay distinct). The engine computes it while the source is at hand;
reporters only read `Finding.fingerprint`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Sequence

from errlint.finding import Finding

VERSION = "errlint/v1"  # the SARIF partialFingerprints key; bump when the recipe changes


def normalized_text(lines: Sequence[str], line: int, end_line: int) -> str:
    """The flagged lines (1-based, inclusive) joined with all whitespace removed."""
    start = max(line, 1) - 1
    stop = max(end_line, line)
    return "".join("".join(text.split()) for text in lines[start:stop])


def compute(code: str, path: str, text: str, occurrence: int) -> str:
    """The fingerprint of one finding, as 32 hex digits."""
    data = "\0".join((VERSION, code, path.replace("\\", "/"), text, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def assign(findings: Sequence[Finding], lines: Sequence[str]) -> list[Finding]:
    """Return `findings` (one file, in position order) with `fingerprint` set from `lines`."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for finding in findings:
        text = normalized_text(lines, finding.line, finding.end_line)
        occurrence = seen.get((finding.code, text), 0)
        seen[(finding.code, text)] = occurrence + 1
        out.append(dataclasses.replace(finding, fingerprint=compute(finding.code, finding.path, text, occurrence)))
    return out


def of(finding: Finding) -> str:
    """`finding.fingerprint`, or (for findings made outside the engine) one from its message."""
    return finding.fingerprint or compute(finding.code, finding.path, "message:" + finding.message, 0)

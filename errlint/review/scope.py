"""Review only what is new: `--since REF` (findings on lines changed since a git ref) and
`--baseline FILE` (findings not already in an earlier report).

Both give the runner a filter that returns why a finding is not selected ("" to keep it); the
findings they leave out are still listed (`not_selected`, with that reason).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Callable, Optional

from errlint.errors import UsageError
from errlint.finding import Finding

Filter = Callable[[Finding], str]
_HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def changed_lines(ref: str, cwd: Path) -> dict[str, set[int]]:
    """Lines added or changed since `ref` (committed or not), by path relative to `cwd`."""
    if ref.startswith("-"):
        raise UsageError(f"--since: {ref!r} is not a git ref")
    try:
        done = subprocess.run(
            ["git", "diff", "--unified=0", "--no-color", "--no-ext-diff", "--relative", ref, "--", "."],
            cwd=cwd, capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError as err:
        raise UsageError(f"--since: cannot run git: {err.strerror or err}") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git diff failed"])[0]
        raise UsageError(f"--since {ref}: {reason}")
    changed: dict[str, set[int]] = {}
    for chunk in done.stdout.split("\ndiff --git "):
        match = re.search(r"^\+\+\+ b/(.+)$", chunk, re.MULTILINE)
        if match is None:
            continue
        lines = changed.setdefault(match.group(1), set())
        for hunk in _HUNK_RE.finditer(chunk):
            start, count = int(hunk.group(1)), int(hunk.group(2) or "1")
            lines.update(range(start, start + count))
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"], cwd=cwd, capture_output=True, text=True, check=False
    )
    for path in untracked.stdout.splitlines():  # new files not added yet: every line is new
        changed[path] = ALL_LINES
    return changed


class _AllLines(set):  # type: ignore[type-arg]
    def __contains__(self, item: object) -> bool:
        return True


ALL_LINES: set[int] = _AllLines()


def since_filter(ref: str, cwd: Path) -> Filter:
    changed = changed_lines(ref, cwd)

    def reason(finding: Finding) -> str:
        lines = changed.get(finding.path.replace("\\", "/").removeprefix("./"), set())
        if any(line in lines for line in range(finding.line, max(finding.line, finding.end_line) + 1)):
            return ""
        return f"not on a line changed since {ref} (--since)"

    return reason


def _key(data: dict[str, object]) -> tuple[str, str, str]:
    return (str(data.get("path", "")).replace("\\", "/"), str(data.get("code", "")), str(data.get("message", "")))


def baseline_filter(path: Path) -> Filter:
    """Findings of `errlint check --format json` or `errlint review --format json` in `path`
    (matched by path, code and message, as many times as they occur there)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"--baseline: {path}: {getattr(err, 'strerror', None) or err}") from None
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        entries = [f.get("finding", f) for f in data["findings"] if isinstance(f, dict)]
    elif isinstance(data, list):
        entries = data
    else:
        raise UsageError(f"--baseline: {path}: expected the JSON report of `errlint check` or `errlint review`")
    known: Counter[tuple[str, str, str]] = Counter(_key(e) for e in entries if isinstance(e, dict))

    def reason(finding: Finding) -> str:
        key = _key(finding.to_dict())
        if known[key] > 0:
            known[key] -= 1
            return f"in the baseline {path.name} (--baseline)"
        return ""

    return reason


def combine(*filters: Optional[Filter]) -> Optional[Filter]:
    active = [f for f in filters if f is not None]
    if not active:
        return None

    def reason(finding: Finding) -> str:
        for check in active:
            why = check(finding)
            if why:
                return why
        return ""

    return reason

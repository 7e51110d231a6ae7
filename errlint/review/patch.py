"""Write validated fixes as a unified diff (`--patch-out`) or apply them (`--apply`).

Only fixes that passed every check in `errlint.review.fixcheck` are used, and only those whose
hunk holds no redacted value (the patch would otherwise write that value to disk). Two fixes that
overlap in one file: the first (in report order) wins. Paths are relative to the working
directory with `a/` and `b/` prefixes, so `git apply` accepts the file from the repository root.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from errlint.review.fixcheck import apply_real_patch
from errlint.review.model import ReviewItem
from errlint.source import split_lines


@dataclass
class PatchSet:
    files: dict[str, str] = field(default_factory=dict)  # path -> patched real text
    originals: dict[str, str] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # finding ids
    skipped: list[str] = field(default_factory=list)  # "id: reason"


def collect(items: Sequence[ReviewItem], texts: dict[str, str]) -> PatchSet:
    """Group the exportable validated fixes by file and patch the real texts in memory."""
    patches = PatchSet()
    by_file: dict[str, list[tuple[ReviewItem, tuple[int, int, list[str]]]]] = {}
    for item in items:
        check = item.fix_check
        if check is None or not check.validated:
            continue
        if check.real_patch is None:
            patches.skipped.append(f"{item.id}: touches a redacted value")
            continue
        chosen = by_file.setdefault(item.finding.path, [])
        start, end, _ = check.real_patch
        if any(not (end < s or start > e) for _, (s, e, _n) in chosen):
            patches.skipped.append(f"{item.id}: overlaps another fix in the same file")
            continue
        chosen.append((item, check.real_patch))
    for path, entries in by_file.items():
        original = texts[path]
        patched = apply_real_patch(original, [p for _, p in entries])
        if patched is None:  # cannot happen: overlaps were dropped above
            patches.skipped.extend(f"{item.id}: overlaps another fix" for item, _ in entries)
            continue
        patches.originals[path] = original
        patches.files[path] = patched
        patches.applied.extend(item.id for item, _ in entries)
    return patches


def _lines(text: str) -> list[str]:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = [line + newline for line in split_lines(text)]
    if lines and not text.endswith(("\n", "\r")):
        lines[-1] = lines[-1][: -len(newline)]
    return lines


def unified_diff(patches: PatchSet) -> str:
    """One `git apply`-compatible diff for every patched file."""
    chunks = []
    for path in sorted(patches.files):
        rel = path.replace(os.sep, "/")
        diff = difflib.unified_diff(
            _lines(patches.originals[path]), _lines(patches.files[path]), f"a/{rel}", f"b/{rel}", n=3
        )
        for line in diff:
            if line.endswith("\n"):
                chunks.append(line)
            else:
                chunks.append(line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def write_patch(patches: PatchSet, destination: Path) -> None:
    destination.write_text(unified_diff(patches), encoding="utf-8", newline="")


def apply(patches: PatchSet, root: Path) -> list[str]:
    """Write the patched files through `errlint.writeback` (atomic, in the file's own encoding and
    BOM, keeping its mode); refuse files changed since they were linted."""
    from errlint.source import UnreadableSource, decode_with_format
    from errlint.writeback import WriteError, digest, replace_file

    problems = []
    for path, patched in sorted(patches.files.items()):
        target = root / path
        try:
            data = target.read_bytes()
            current, fmt = decode_with_format(data)
        except (OSError, UnreadableSource) as err:
            problems.append(f"{path}: cannot read it again ({err}); not changed")
            continue
        if current != patches.originals[path]:
            problems.append(f"{path}: changed since it was reviewed; not changed")
            continue
        try:
            replace_file(target, digest(data), fmt.encode(patched))
        except (WriteError, UnicodeEncodeError) as err:
            problems.append(f"{path}: cannot write it ({err}); not changed")
    return problems


def github_review(items: Sequence[ReviewItem]) -> dict[str, object]:
    """A GitHub pull-request review (the body of `POST /repos/{owner}/{repo}/pulls/{n}/reviews`)
    with one inline suggestion per validated fix that holds no redacted value. Nothing the model
    wrote besides the validated code goes into it."""
    comments: list[dict[str, object]] = []
    for item in items:
        check = item.fix_check
        if check is None or not check.validated or check.real_patch is None:
            continue
        start, end, new = check.real_patch
        code = "\n".join(new)
        ticks = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", code)), default=0))
        body = (
            f"errlint review: validated fix for {item.finding.code} ({item.finding.name}); it parses and "
            f"the finding is gone on re-lint.\n\n{ticks}suggestion\n{code}\n{ticks}"
        )
        path = item.finding.path.replace(os.sep, "/")
        comment: dict[str, object] = {"path": path, "line": end, "side": "RIGHT", "body": body}
        if end > start:
            comment.update(start_line=start, start_side="RIGHT")
        comments.append(comment)
    summary = f"errlint review: {len(comments)} validated fix(es) as suggestions."
    return {"event": "COMMENT", "body": summary, "comments": comments}

"""Baselines: adopt errlint on existing code by recording today's findings and reporting only new ones.

`errlint check --write-baseline FILE` records every finding; `errlint check --baseline FILE` hides
the findings the file records and reports the rest. An entry identifies a finding without its line
or path, so it survives code moving up or down, unrelated edits and file renames:

    code + the flagged statement (whitespace and trailing comment removed)
         + the enclosing scope (qualified function name) + the occurrence index

The occurrence index counts findings with the same code, statement and scope earlier in the same
file, so two identical `except:` clauses in one function stay two entries. The path is stored too
(relative to the baseline file's folder) but used only to prefer the entry of the same file when a
key appears in several files; an entry matches a finding of any file, so a moved file keeps its
entries. Entries that match nothing in a linted file are *fixed*: they are reported, and
`--prune-baseline` removes them (entries of files this run did not lint are kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from errlint.errors import UsageError
from errlint.finding import Finding

FORMAT = "errlint-baseline"
VERSION = 1
_TRAILING_COMMENT_RE = re.compile(r"#[^'\"]*$")


def statement_text(lines: Sequence[str], line: int, end_line: int) -> str:
    """The flagged lines (1-based, inclusive), trailing comments and all whitespace removed."""
    start = max(line, 1) - 1
    stop = max(end_line, line)
    return "".join("".join(_TRAILING_COMMENT_RE.sub("", text).split()) for text in lines[start:stop])


def key_of(code: str, statement: str, scope: str, occurrence: int) -> str:
    data = "\0".join(("baseline/v1", code, statement, scope, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:20]


@dataclass(frozen=True)
class Entry:
    key: str
    code: str
    path: str  # relative to the baseline file's folder, `/` separators
    scope: str
    line: int  # where it was when recorded: for people reading the file, never matched on
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "code": self.code,
            "path": self.path,
            "scope": self.scope,
            "line": self.line,
            "message": self.message,
        }


def local_scope(finding: Finding) -> str:
    """The enclosing scope without the module name (`app.billing.Invoice.pay` -> `Invoice.pay`),
    so a moved file keeps its keys. The engine names modules from the configuration's folder, so
    the module part is found by the path's own dotted name, wherever errlint runs."""
    from errlint.engine import module_name_for

    parts = module_name_for(finding.path.lstrip("/")).split(".")
    scope = finding.scope
    for start in range(len(parts)):  # the longest dotted tail of the path that names the module
        module = ".".join(parts[start:])
        if not module:
            break
        if scope == module or scope.endswith("." + module):
            return ""
        index = scope.find(module + ".")
        while index > 0 and scope[index - 1] != ".":
            index = scope.find(module + ".", index + 1)
        if index >= 0:
            return scope[index + len(module) + 1 :]
    return scope


def keyed(findings: Sequence[Finding], lines: Sequence[str]) -> list[tuple[str, Finding]]:
    """Each finding of one file (any order) with its baseline key."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for finding in sorted(findings, key=lambda f: (f.line, f.column, f.code)):
        statement = statement_text(lines, finding.line, finding.end_line)
        group = (finding.code, statement, local_scope(finding))
        occurrence = seen.get(group, 0)
        seen[group] = occurrence + 1
        out.append((key_of(finding.code, statement, group[2], occurrence), finding))
    return out


def _rel(display: str, folder: Path) -> str:
    absolute = os.path.abspath(display)
    rel = os.path.relpath(absolute, folder)
    return (absolute if rel.startswith("..") and os.path.isabs(display) else rel).replace(os.sep, "/")


def _display(path: str, folder: Path) -> str:
    return os.path.normpath(os.path.join(folder, path))


@dataclass
class Comparison:
    """The outcome of checking a run against a baseline."""

    new: list[Finding] = field(default_factory=list)
    known: int = 0
    fixed: list[Entry] = field(default_factory=list)
    kept: list[Entry] = field(default_factory=list)  # entries still matched, or of files not linted


class Baseline:
    def __init__(self, path: Path, entries: Iterable[Entry] = ()) -> None:
        self.path = path
        self.entries = list(entries)

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read a baseline; a missing or malformed file is one line, exit 2."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"--baseline: {path}: no such file (create it with --write-baseline {path})") from None
        except OSError as err:
            raise UsageError(f"--baseline: {path}: {err.strerror or err}") from None
        except ValueError as err:
            raise UsageError(f"--baseline: {path}: not a JSON baseline ({err})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
            raise UsageError(f"--baseline: {path}: not an errlint baseline (no \"format\": \"{FORMAT}\")")
        if data.get("version") != VERSION:
            raise UsageError(f"--baseline: {path}: baseline version {data.get('version')!r}, expected {VERSION}")
        entries = []
        for index, item in enumerate(data["entries"]):
            try:
                entries.append(
                    Entry(str(item["key"]), str(item["code"]), str(item["path"]), str(item.get("scope", "")),
                          int(item.get("line", 0)), str(item.get("message", "")))  # fmt: skip
                )
            except (KeyError, TypeError, ValueError):
                raise UsageError(f"--baseline: {path}: entry {index} is malformed") from None
        return cls(path, entries)

    @classmethod
    def record(cls, path: Path, findings: Sequence[tuple[str, Finding]]) -> Baseline:
        """A baseline of `findings` (each with its key) to be written at `path`."""
        folder = path.resolve().parent
        entries = [
            Entry(key, f.code, _rel(f.path, folder), local_scope(f), f.line, f.message) for key, f in findings
        ]
        return cls(path, entries)

    def write(self) -> None:
        entries = sorted(self.entries, key=lambda e: (e.path, e.line, e.code, e.key))
        data = {"format": FORMAT, "version": VERSION, "entries": [e.to_dict() for e in entries]}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        try:
            self.path.write_text(text, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"{self.path}: cannot write the baseline: {err.strerror or err}") from None

    def compare(self, findings: Sequence[tuple[str, Finding]], linted: Iterable[str]) -> Comparison:
        """Split the run's keyed findings into new and known; find the fixed entries.

        `linted` are the display paths of every file this run linted: an unmatched entry is fixed
        when its file was linted or no longer exists, and kept otherwise.
        """
        folder = self.folder
        pool: dict[str, list[Entry]] = {}
        for entry in self.entries:
            pool.setdefault(entry.key, []).append(entry)
        out = Comparison()
        used: set[int] = set()
        # Same file first, so a key present in several files matches its own file's entry.
        leftovers: list[tuple[str, Finding]] = []
        for key, finding in findings:
            rel = _rel(finding.path, folder)
            match = next((e for e in pool.get(key, ()) if id(e) not in used and e.path == rel), None)
            if match is None:
                leftovers.append((key, finding))
                continue
            used.add(id(match))
            out.kept.append(match)
            out.known += 1
        for key, finding in leftovers:
            match = next((e for e in pool.get(key, ()) if id(e) not in used), None)
            if match is None:
                out.new.append(finding)
                continue
            used.add(id(match))
            out.kept.append(match)
            out.known += 1
        linted_rel = {_rel(p, folder) for p in linted}
        for entry in self.entries:
            if id(entry) in used:
                continue
            gone = not os.path.exists(_display(entry.path, folder))
            if entry.path in linted_rel or gone:
                out.fixed.append(entry)
            else:
                out.kept.append(entry)
        return out


def keyed_run(findings: Sequence[Finding], read_lines: Any) -> list[tuple[str, Finding]]:
    """Key every finding of a run; `read_lines(path)` gives a file's lines (None: unreadable)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    out: list[tuple[str, Finding]] = []
    for path, group in by_path.items():
        lines: Optional[Sequence[str]] = read_lines(path)
        out.extend(keyed(group, lines or []))
    return out

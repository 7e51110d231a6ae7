"""The adoption options of `errlint check`: `--write-baseline`, `--baseline` (`--prune-baseline`)
and `--add-noqa`. `errlint.api.check` calls these after linting; they work on the findings of the
run and the files' text, and say what they did in one line (`say`: the command line prints it on
standard error as `errlint: …`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

from errlint.baseline import Baseline, keyed_run
from errlint.errors import ErrlintError, UsageError
from errlint.finding import Finding
from errlint.source import UnreadableSource, decode_source, split_lines

ReadText = Callable[[str], Optional[str]]
WriteText = Callable[[Path, str], None]
Say = Callable[[str], None]


def file_reader(stdin: Optional[tuple[str, bytes]] = None) -> ReadText:
    """Read a linted file's text by its display path (`stdin`: the (display, bytes) read from `-`)."""

    def read(display: str) -> Optional[str]:
        try:
            if stdin is not None and display == stdin[0]:
                return decode_source(stdin[1])
            return decode_source(Path(display).read_bytes())
        except (OSError, UnreadableSource):
            # Unreadable now (removed, or not decodable: then it was reported as XH000): no text.
            return None

    return read


def _lines_reader(read: ReadText) -> Callable[[str], Optional[list[str]]]:
    def lines(display: str) -> Optional[list[str]]:
        text = read(display)
        return split_lines(text) if text is not None else None

    return lines


def write_baseline(path: Path, findings: Sequence[Finding], read: ReadText, say: Say) -> None:
    baseline = Baseline.record(path, keyed_run(findings, _lines_reader(read)))
    baseline.write()
    noun = "finding" if len(baseline.entries) == 1 else "findings"
    say(f"wrote {len(baseline.entries)} {noun} to the baseline {path}")


def apply_baseline(
    path: Path, findings: Sequence[Finding], linted: Sequence[str], read: ReadText, prune: bool, say: Say
) -> tuple[list[Finding], int, int]:
    """The findings not in the baseline, how many it hid, and how many of its entries are fixed."""
    baseline = Baseline.load(path)
    comparison = baseline.compare(keyed_run(findings, _lines_reader(read)), linted)
    fixed = len(comparison.fixed)
    if fixed and prune:
        Baseline(path, comparison.kept).write()
        noun = "entry" if fixed == 1 else "entries"
        say(f"removed {fixed} fixed {noun} from the baseline {path}")
    elif fixed:
        noun, them = ("entry matches", "it") if fixed == 1 else ("entries match", "them")
        say(f"{fixed} baseline {noun} nothing any more (fixed); remove {them} with --baseline {path} --prune-baseline")
    return comparison.new, comparison.known, fixed


def add_noqa_to_files(
    findings: Sequence[Finding], reason: Optional[str], read: ReadText, write: WriteText, say: Say
) -> int:
    """Add noqa comments for `findings` to their files; return how many lines changed."""
    from errlint.noqa_writer import add_noqa

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    total = 0
    for display, group in sorted(by_path.items()):
        text = read(display)
        if text is None:
            continue
        new, changed = add_noqa(text, group, reason)
        if changed:
            write(Path(display), new)
            total += changed
    noun = "directive" if total == 1 else "directives"
    say(f"added {total} noqa {noun}")
    return total


def check_options(
    write_baseline: Optional[Path],
    baseline: Optional[Path],
    prune: bool,
    add_noqa: bool,
    reason: Optional[str],
    fix: bool,
) -> None:
    """Reject combinations that cannot mean anything (one line, exit 2)."""
    if prune and baseline is None:
        raise UsageError("--prune-baseline needs --baseline FILE")
    if reason is not None and not add_noqa:
        raise UsageError("--reason only goes with --add-noqa")
    if reason is not None and ("\n" in reason or "\r" in reason):
        raise UsageError("--reason must be one line")
    chosen = [name for name, on in (("--write-baseline", write_baseline), ("--add-noqa", add_noqa), ("--fix", fix)) if on]
    if len(chosen) > 1:
        raise UsageError(f"{chosen[0]} cannot be combined with {chosen[1]}")
    if baseline is not None and (write_baseline is not None or add_noqa):
        other = "--write-baseline" if write_baseline is not None else "--add-noqa"
        raise UsageError(f"--baseline cannot be combined with {other}")


def write_source(path: Path, text: str) -> None:
    """Write edited source text back (`add_noqa`) through errlint.writeback: atomic, in the
    file's own encoding, BOM and newlines. A failure raises `ErrlintError` (one line, exit 2)."""
    from errlint.writeback import WriteError, write_text

    try:
        write_text(path, text)
    except WriteError as err:
        raise ErrlintError(f"{path}: not written, the file is unchanged: {err}") from None

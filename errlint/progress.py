"""A progress bar for long runs, on standard error and only when it is a terminal.

`RunProgress` shows files done / total, the findings so far and the elapsed time (rich's
`Progress`, transient: it disappears when the run ends, leaving the report alone). It is off when
standard error is not a terminal, with `--quiet`, and for runs of fewer than `MIN_FILES` files.
The command line lints in batches while it is on, so the bar moves as files finish.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any, Optional, Sequence, TypeVar

T = TypeVar("T")
MIN_FILES = 50


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def wanted(stream: IO[str], files: int, quiet: bool) -> bool:
    return not quiet and files >= MIN_FILES and _isatty(stream)


def batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items]


class RunProgress:
    """A context manager; `advance(files, findings)` after each batch. Does nothing when off."""

    def __init__(self, total: int, enabled: bool, stream: Optional[IO[str]] = None) -> None:
        self.total = total
        self.enabled = enabled
        self._stream = stream or sys.stderr
        self._progress: Any = None
        self._task: Any = None
        self.findings = 0

    @property
    def batch_size(self) -> int:
        """Files per batch: the bar moves about 50 times, batches stay large enough to parallelise."""
        return max(32, self.total // 50) if self.enabled else max(self.total, 1)

    def __enter__(self) -> RunProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=self._stream, no_color=bool(os.environ.get("NO_COLOR")) or None)
            self._progress = Progress(
                TextColumn("errlint"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files, {task.fields[findings]} findings"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                # Lines printed while the bar is up: above it when standard output is the terminal
                # too; a redirected standard output is left alone (never mixed into the bar's stream).
                redirect_stdout=_isatty(sys.stdout),
                redirect_stderr=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("lint", total=self.total, findings=0)
        return self

    def advance(self, files: int, findings: int) -> None:
        self.findings += findings
        if self._progress is not None:
            self._progress.update(self._task, advance=files, findings=self.findings)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

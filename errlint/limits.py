"""Size and memory limits: a file too large to analyse is an XH000, never an out-of-memory kill.

Parsing needs roughly 500 bytes of memory per byte of source (a 1.9 MB file: 0.9 GB), and a single
very long line much more. The defaults never trigger on real source: files up to 5 MB, lines up to
100,000 bytes, and a worker address space of 6 GiB. `[tool.errlint.limits]` changes them:

    [tool.errlint.limits]
    max-file-bytes = 5_000_000
    max-line-bytes = 100_000
    worker-memory-mb = 6144   # 0: no ceiling
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

DEFAULT_MAX_FILE_BYTES = 5_000_000
DEFAULT_MAX_LINE_BYTES = 100_000
DEFAULT_WORKER_MEMORY_MB = 6144


@dataclass(frozen=True)
class TooLarge:
    """Why a file is not analysed, and where (1-based)."""

    reason: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    worker_memory_mb: int = DEFAULT_WORKER_MEMORY_MB  # 0: no ceiling

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> Limits:
        """From the validated `[tool.errlint.limits]` table (`Config.section("limits")`)."""
        return cls(
            max_file_bytes=int(section.get("max-file-bytes", DEFAULT_MAX_FILE_BYTES)),
            max_line_bytes=int(section.get("max-line-bytes", DEFAULT_MAX_LINE_BYTES)),
            worker_memory_mb=int(section.get("worker-memory-mb", DEFAULT_WORKER_MEMORY_MB)),
        )

    def check(self, data: bytes) -> Optional[TooLarge]:
        """None when `data` may be analysed, else why not."""
        if len(data) > self.max_file_bytes:
            return TooLarge(
                f"file too large to analyse ({len(data):,} bytes; the limit is {self.max_file_bytes:,}, "
                "`limits.max-file-bytes`)"
            )
        if len(data) <= self.max_line_bytes:
            return None
        lines = data.splitlines()  # bytes: splits at \r\n, \r and \n only, as Python does
        longest = max(map(len, lines), default=0)
        if longest <= self.max_line_bytes:
            return None
        number = next(i for i, line in enumerate(lines, start=1) if len(line) > self.max_line_bytes)
        return TooLarge(
            f"line too long to analyse ({longest:,} bytes; the limit is {self.max_line_bytes:,}, "
            "`limits.max-line-bytes`)",
            number,
        )

    def apply_memory_ceiling(self) -> None:
        """Cap this process's address space (in a worker only), where the platform allows it.

        The ceiling is what the worker already has mapped (the interpreter, libcst, its thread
        stack) plus `worker_memory_mb`, so a small setting still lets the worker start.
        """
        if self.worker_memory_mb <= 0:
            return
        try:
            import resource
        except ImportError:  # pragma: no cover - Windows has no RLIMIT_AS
            return
        limit = _address_space() + self.worker_memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ValueError, OSError):
            return  # a platform that refuses the limit runs without it (macOS ignores RLIMIT_AS)
        _CEILING[:] = [self.worker_memory_mb * 1024 * 1024, _status().get("VmRSS", 0)]


_CEILING: list[int] = []  # the memory a worker may add, once its ceiling is set


def start_file() -> None:
    """Reset this process's peak-RSS mark (Linux), so `memory_exhausted` measures one file."""
    if _CEILING:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")
        except OSError:
            _CEILING.clear()  # cannot measure: the engine's own messages stand


def memory_exhausted() -> bool:
    """True when the file just analysed grew this worker by at least half of its memory budget:
    a MemoryError then was the ceiling's (not the parser's nesting limit, which fails small)."""
    if not _CEILING:
        return False
    status = _status()
    peak = status.get("VmHWM", 0)
    return peak - _CEILING[1] >= _CEILING[0] // 2


def _status() -> dict[str, int]:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            rows = [line.split() for line in fh if line.startswith(("VmHWM:", "VmRSS:"))]
    except OSError:
        return {}  # not Linux
    return {row[0].rstrip(":"): int(row[1]) * 1024 for row in rows if len(row) >= 2 and row[1].isdigit()}


def _address_space() -> int:
    """Bytes of address space this process has mapped now (Linux); 0 where unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0  # not Linux: the ceiling is the setting alone
    import resource

    return pages * resource.getpagesize()

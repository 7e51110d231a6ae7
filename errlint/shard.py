"""`--shard K/N`: a stable partition of a run's files, for CI matrix jobs.

A file belongs to shard `K` of `N` (1-based) when the SHA-256 of its display path (the path as
reported, `/`-separated) is `K - 1` modulo `N`. The partition depends only on the path, so every
job of a matrix agrees on it without talking to the others, on any machine and Python version;
the union of the shards is exactly the unsharded run, and no file is in two shards.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from errlint.errors import UsageError

_SHARD_RE = re.compile(r"\A([0-9]+)/([0-9]+)\Z")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as written on the command line
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, display: str) -> bool:
        """Whether the file reported as `display` belongs to this shard."""
        return shard_of(display, self.count) == self.index


def shard_of(display: str, count: int) -> int:
    """The 1-based shard that owns the file reported as `display` among `count` shards."""
    key = display.replace("\\", "/")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(value: str) -> Shard:
    """`K/N` with 1 <= K <= N; anything else is a usage error (one line, exit 2)."""
    match = _SHARD_RE.match(value.strip())
    if match is None:
        raise UsageError(f"--shard expects K/N (for example 2/4), got {value!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {value}: K must be between 1 and N (N >= 1)")
    return Shard(index, count)


def check_options(shard: Shard | None, *, stdin: bool, write_baseline: bool) -> None:
    """What `--shard` cannot be combined with (one line, exit 2).

    Standard input is one file: there is nothing to partition. `--write-baseline` records every
    finding of the project: a shard's baseline would silently lose the other shards' entries, so
    write it in one unsharded run. Everything else works per shard, on the shard's own files:
    `--fix`, `--diff` and `--add-noqa` edit only them, `--baseline` hides their entries (entries of
    other shards' files are kept, as for any file the run did not lint), `--statistics` and
    `--show-files` count and list them.
    """
    if shard is None:
        return
    if stdin:
        raise UsageError("--shard cannot be used with `-` (standard input): there is one file, nothing to partition")
    if write_baseline:
        raise UsageError(
            "--shard cannot be combined with --write-baseline: a shard's baseline would miss the other shards' "
            "findings; write the baseline in one run without --shard"
        )

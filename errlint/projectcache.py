"""The project-level rules' findings of a whole run, remembered by what they were judged from.

Project-level rules (`errlint.projectlevel`) judge every file's facts together. When every file of
a run is a result-cache hit (or was linted with its cache key), the judgement is a function of
those keys, the configurations, the selected rules and errlint's own code (all in the result
cache's settings key), the shard and the working directory: a run with the same key gets the
findings of the last judgement without importing the rules or libcst (a warm run with XH405
enabled). A run that cannot be keyed this way (standard input, a single file, whose judgement
reads the facts store of earlier runs, or a file without a cache key) is judged as always; so is
a run whose judgement crashed, which is never remembered.

This module imports neither libcst nor the rules.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from errlint.cache import ResultCache, default_cache_dir, settings_key

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.discovery import Target
    from errlint.engine import FileResult
    from errlint.finding import Finding
    from errlint.shard import Shard

def run_key(
    discovered: Sequence[tuple[Target, Config]], results: Sequence[FileResult], shard: Optional[Shard], cwd: Path
) -> Optional[str]:
    """The key of the project-level judgement of this run, or None when it cannot be keyed."""
    from errlint.engine import select_rules

    if sum(1 for target, _ in discovered if target.error is None) < 2:
        return None  # a single file is judged with the stored facts of the others: not keyed
    by_display = {r.path: r for r in results}
    settings: dict[int, str] = {}
    parts: list[list[str]] = []
    for target, config in discovered:
        if target.error is not None:
            parts.append(["unreadable", target.display])
            continue
        result = by_display.get(target.display)
        key = getattr(result, "cache_key", None) if result is not None else None
        if key is None:
            return None  # not linted with a key (standard input, a shard's other files): judged as always
        if id(config) not in settings:
            settings[id(config)] = settings_key(config, select_rules(config))
        parts.append([target.display, os.path.abspath(target.path), key, settings[id(config)]])
    parts.sort()
    text = json.dumps([str(shard) if shard is not None else "", str(cwd), parts], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def store(config: Config, cwd: Path, cache_dir: Optional[Path]) -> ResultCache:
    """Where the judgements are remembered: in the result cache of `config` (the first file's), one
    more entry of its index under the run's key (never a file's: those keys hash a path and bytes)."""
    from errlint.engine import select_rules

    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir(config, cwd)
    return ResultCache.open(directory, config, select_rules(config))


def remember(cache: ResultCache, key: str, findings: Sequence[Finding]) -> None:
    cache.put(key, findings)
    cache.save()

"""Shared `ast` code for the exact prefilter hints of XH401, XH403, XH404, XH504, XH601 and XH605.

Several of these rules resolve a bare called name through the module's imports
(`errlint.analysis.ModuleFacts.qualify`: `from requests import get as fetch` makes `fetch(url)`
`requests.get`). A function's region does not show the module's imports, so a hint that depends
on the name of a bare call must know them, or accept any bare call.

`imports_for(region)` gives them: every import outside the functions, in any block (a superset of
what `ModuleFacts` collects), read from the whole file's tree (`region.module`), once per file.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Iterable, Optional

from errlint.regions import Imports, Region, dotted_name


def imports_for(region: Region) -> Optional[Imports]:
    """The imports of the file `region` is in (`Region.imports`)."""
    return region.imports()


def qualified_candidates(name: str, imports: Optional[Imports]) -> Optional[frozenset[str]]:
    """What `ModuleFacts.qualify` may make of the dotted `name` (its first segment resolved
    through the imports); None when the imports are unknown."""
    if imports is None:
        return None
    head, _, rest = name.partition(".")
    return frozenset(f"{t}.{rest}" if rest else t for t in imports.get(head, frozenset()) | {head})


def may_qualify(func: ast.AST, imports: Optional[Imports], wanted: frozenset[str]) -> bool:
    """`qualify(func)` may be one of `wanted`. When the imports are unknown, only the last
    segment of an attribute chain is known, and a bare name may stand for anything."""
    name = dotted_name(func)
    if name is None:
        return False
    found = qualified_candidates(name, imports)
    if found is None:
        return "." not in name or name.rsplit(".", 1)[-1] in last_segments(wanted)
    return not found.isdisjoint(wanted)


@lru_cache(maxsize=None)
def last_segments(qualified: Iterable[str]) -> frozenset[str]:
    """`requests.get` -> `get`: what an attribute call's name must be to qualify to one of them
    (`qualify` resolves only the first segment of a dotted name)."""
    return frozenset(q.rsplit(".", 1)[-1] for q in qualified)

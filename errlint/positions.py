"""Positions for reported nodes only.

libcst nodes carry no positions; `PositionProvider` over a whole module costs twice the parse
(`../shared/PERF.md`). Most files have no finding at all, so positions are resolved after the walk,
and only for the top-level statements that hold a reported node: each such statement is wrapped in
a one-statement module (no copy) and resolved there, then shifted by the number of lines before it.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

_NEWLINES = re.compile(r"\r\n|\r|\n")


class PositionResolver:
    """Resolve 1-based (line, column, end_line, end_column) for nodes of `module`."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._offsets: list[int] = []  # line offset of each top-level statement
        self._ranges: dict[int, dict[cst.CSTNode, CodeRange]] = {}
        self._whole: Optional[dict[cst.CSTNode, CodeRange]] = None

    def _offset(self, index: int) -> int:
        module = self.module
        if not self._offsets:
            self._offsets.append(len(module.header))
        while len(self._offsets) <= index:
            previous = module.body[len(self._offsets) - 1]
            code = module.code_for_node(previous)
            self._offsets.append(self._offsets[-1] + len(_NEWLINES.findall(code)))
        return self._offsets[index]

    def _statement_ranges(self, index: int) -> dict[cst.CSTNode, CodeRange]:
        ranges = self._ranges.get(index)
        if ranges is None:
            module = self.module
            mini = module.with_changes(body=[module.body[index]], header=[], footer=[])
            wrapper = MetadataWrapper(mini, unsafe_skip_copy=True)
            ranges = dict(wrapper.resolve(PositionProvider))
            self._ranges[index] = ranges
        return ranges

    def resolve(self, node: cst.CSTNode, top_index: int) -> tuple[int, int, int, int]:
        """Return the 1-based range of `node`, end column exclusive."""
        if 0 <= top_index < len(self.module.body):
            ranges = self._statement_ranges(top_index)
            found = ranges.get(node)
            if found is not None:
                shift = self._offset(top_index)
                return (
                    found.start.line + shift,
                    found.start.column + 1,
                    found.end.line + shift,
                    found.end.column + 1,
                )
        if self._whole is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._whole = dict(wrapper.resolve(PositionProvider))
        found = self._whole.get(node)
        if found is None:
            return (1, 1, 1, 1)
        return found.start.line, found.start.column + 1, found.end.line, found.end.column + 1

"""Rule selection: select/extend-select/ignore with prefixes and ALL; preview gating."""

from __future__ import annotations

from typing import ClassVar

import pytest

from errlint.config import Config
from errlint.engine import select_rules
from errlint.finding import Impact
from errlint.rule import LintRule


class _Stable(LintRule):
    CODE: ClassVar[str] = "XH801"
    MESSAGE: ClassVar[str] = "stable"
    IMPACT: ClassVar[Impact] = Impact.CRASH


class _Other(LintRule):
    CODE: ClassVar[str] = "XH811"
    MESSAGE: ClassVar[str] = "other"
    IMPACT: ClassVar[Impact] = Impact.CRASH


class _Preview(LintRule):
    CODE: ClassVar[str] = "XH802"
    MESSAGE: ClassVar[str] = "preview"
    IMPACT: ClassVar[Impact] = Impact.CRASH
    PREVIEW: ClassVar[bool] = True


RULES = [_Stable, _Preview, _Other]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (Config(), ["XH801", "XH811"]),
        (Config(preview=True), ["XH801", "XH802", "XH811"]),
        (Config(select=("XH80",)), ["XH801"]),
        (Config(select=("XH80",), preview=True), ["XH801", "XH802"]),
        (Config(select=("XH802",)), ["XH802"]),  # an exact code enables a preview rule
        (Config(select=("ALL",)), ["XH801", "XH811"]),
        (Config(select=("XH801",), extend_select=("XH811",)), ["XH801", "XH811"]),
        (Config(ignore=("XH8",)), []),
        (Config(ignore=("XH81",)), ["XH801"]),
        (Config(select=("XH811",), ignore=("XH8",)), ["XH811"]),  # the more specific wins
        (Config(select=("XH811",), ignore=("XH811",)), []),
    ],
)
def test_select_rules(config: Config, expected: list[str]) -> None:
    assert [r.CODE for r in select_rules(config, RULES)] == expected


def test_name_is_derived_from_class_name() -> None:
    class SwallowedThing(LintRule):
        CODE: ClassVar[str] = "XH899"
        MESSAGE: ClassVar[str] = "x"
        IMPACT: ClassVar[Impact] = Impact.CRASH

    assert SwallowedThing.NAME == "swallowed-thing"
    assert SwallowedThing.family() == "other"

"""The exact hints of the logging rules (XH301-XH307, `rules/_hints_logging.py`): a function where a
rule's pattern matches but the rule cannot report is blanked (a file where none can is not parsed),
and the findings stay those without the prefilter."""

from __future__ import annotations

import textwrap

from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import blank_irrelevant, prefilter_plan
from errlint.rule import LintRule, all_rules

CONFIG = Config(preview=True)


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _same_findings(text: str, rule: type[LintRule]) -> list[tuple[str, int]]:
    on = lint_text(text, "pkg/m.py", CONFIG, [rule]).findings
    off = lint_text(text, "pkg/m.py", CONFIG, [rule], prefilter=False).findings
    assert on == off
    return [(f.code, f.line) for f in on]


def test_xh304_reads_input_calls_in_the_file_as_read_not_as_blanked() -> None:
    """`input()` in a function the prefilter blanks still makes the module interactive (a bug: with
    the prefilter, the `print` in `load`'s handler was reported, without it not)."""
    text = _code(
        """
        import json


        def ask():
            return input("name? ")


        def load(path):
            try:
                return json.load(open(path))
            except ValueError as err:
                print("bad file", err)
                return None
        """
    )
    rule = _rule("XH304")
    pre = blank_irrelevant(text, prefilter_plan([rule], CONFIG))  # type: ignore[arg-type]
    assert pre is not None and pre.blanked == [(5, 5)]  # `ask` holds no print: blanked
    assert _same_findings(text, rule) == []

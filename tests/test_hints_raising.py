"""Exact hints (`may_report`) of XH201, XH202, XH402, XH501, XH502, XH503, XH603: a function
whose source matches the rule's `PREFILTER` but where the hint says the rule cannot report is
blanked (or the file is not parsed), and the findings are those without the prefilter."""

from __future__ import annotations

import textwrap
from typing import Optional

from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import Prefiltered, blank_irrelevant, prefilter_plan
from errlint.rule import LintRule, all_rules

CONFIG = Config(preview=True)


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _blank(code: str, text: str, config: Config = CONFIG) -> Prefiltered:
    rule = _rule(code)
    plan = prefilter_plan([rule], config)
    assert plan is not None and plan.rule_hints[0].check is not None
    assert plan.can_match(text)  # the rule's patterns occur: only the hint can blank
    pre = blank_irrelevant(text, plan)
    assert pre is not None
    return pre


def _findings(code: str, text: str, config: Config = CONFIG, options: Optional[dict[str, object]] = None) -> list[tuple[str, int]]:
    rule = _rule(code)
    with_prefilter = lint_text(text, "m.py", config, [rule], options=options).findings
    without = lint_text(text, "m.py", config, [rule], options=options, prefilter=False).findings
    assert with_prefilter == without
    return [(f.code, f.line) for f in with_prefilter]


# --- XH201 ------------------------------------------------------------------------------------


def test_xh201_module_level_fix_name_ignores_blanked_functions() -> None:
    """The name `from ...` proposes at module level must not be one a function body uses, also
    when the prefilter blanked that function (it used to say `from err` here)."""
    text = _code(
        """
        def helper():
            err = compute()
            return err

        try:
            value = table[key]
        except KeyError:
            raise AttributeError(key)
        """
    )
    rule = _rule("XH201")
    findings = lint_text(text, "m.py", CONFIG, [rule]).findings
    assert findings == lint_text(text, "m.py", CONFIG, [rule], prefilter=False).findings
    assert len(findings) == 1 and "use `from exc`" in findings[0].message

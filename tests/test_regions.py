"""Exact hints on CPython's tree (`LintRule.may_report`, `errlint.regions`) and how the prefilter
uses them: a function no rule's hint keeps is blanked, a file where none holds is not parsed."""

from __future__ import annotations

import ast
import textwrap
from typing import ClassVar, Optional, Sequence

import libcst as cst
import pytest

from errlint.config import Config
from errlint.engine import lint_text
from errlint.prefilter import blank_irrelevant, prefilter_plan
from errlint.regions import Region, statements_in
from errlint.rule import LintRule, all_rules
from errlint.finding import Impact

CONFIG = Config(preview=True)


def _rule(code: str) -> type[LintRule]:
    return next(r for r in all_rules() if r.CODE == code)


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


MODULE = _code(
    """
    import logging

    try:
        import ujson as json
    except ImportError:
        json = None

    class Store:
        retries = 3

        def load(self):
            try:
                return read()
            except OSError:
                raise

        def save(self):
            try:
                write()
            except OSError as err:
                log(err)

    def helper():
        def inner():
            try:
                run()
            except KeyError:
                raise
        return inner
    """
)


def test_the_module_region_leaves_out_every_function_and_keeps_class_bodies() -> None:
    tree = ast.parse(MODULE)
    module = Region(tree)
    kinds = sorted(type(s).__name__ for s in module.statements())
    assert kinds == ["Assign", "Assign", "ClassDef", "Import", "Import", "Try"]
    assert [h.type.id for h in module.handlers() if isinstance(h.type, ast.Name)] == ["ImportError"]
    names = {n.id for n in module.nodes() if isinstance(n, ast.Name)}
    assert names == {"ImportError", "json", "retries"}
    helper = next(s for s in tree.body if isinstance(s, ast.FunctionDef))
    region = Region(helper, tree)
    assert region.module is tree and module.module is tree
    with pytest.raises(TypeError):
        Region(helper)
    assert not region.is_module and module.is_module
    assert [h.type.id for h in region.handlers() if isinstance(h.type, ast.Name)] == ["KeyError"]  # nested function included
    assert len(list(statements_in(helper.body, into_functions=False))) == 1  # `return inner`


def test_xh105_hint_keeps_only_the_function_whose_handler_only_reraises() -> None:
    rule = _rule("XH105")
    plan = prefilter_plan([rule], CONFIG)
    assert plan is not None and plan.rule_hints[0].check is not None
    pre = blank_irrelevant(MODULE, plan)
    assert pre is not None and not pre.nothing
    # `save` has an `except` (the pattern matches) but no handler that only re-raises: blanked;
    # `load` and `helper` (its nested function's handler) are kept.
    assert pre.blanked == [(18, 21)]
    assert "def save(self):\n        pass\n\n\n\n\ndef helper" in pre.text
    findings = lint_text(MODULE, "m.py", CONFIG, [rule]).findings
    assert [(f.code, f.line) for f in findings] == [("XH105", 14), ("XH105", 27)]
    assert findings == lint_text(MODULE, "m.py", CONFIG, [rule], prefilter=False).findings


def test_a_file_where_no_hint_holds_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _code(
        """
        def save():
            try:
                write()
            except OSError as err:
                log(err)
        """
    )
    rule = _rule("XH105")
    plan = prefilter_plan([rule], CONFIG)
    assert plan is not None and plan.can_match(text)  # `except` occurs: the pattern alone keeps it
    pre = blank_irrelevant(text, plan)
    assert pre is not None and pre.nothing
    parsed: list[str] = []
    real = cst.parse_module
    monkeypatch.setattr(cst, "parse_module", lambda source, *a, **k: parsed.append(source) or real(source, *a, **k))
    assert lint_text(text, "m.py", CONFIG, [rule]).findings == []
    assert parsed == []
    assert lint_text(text, "m.py", CONFIG, [rule], prefilter=False).findings == []
    assert parsed == [text]


def test_module_level_code_is_asked_too() -> None:
    text = _code(
        """
        try:
            import ujson as json
        except ImportError:
            raise
        """
    )
    rule = _rule("XH105")
    pre = blank_irrelevant(text, prefilter_plan([rule], CONFIG))  # type: ignore[arg-type]
    assert pre is not None and not pre.nothing
    assert [(f.code, f.line) for f in lint_text(text, "m.py", CONFIG, [rule]).findings] == [("XH105", 3)]


class _Everywhere(LintRule):
    """A rule without an exact hint: its pattern alone decides, as before."""

    CODE: ClassVar[str] = "XH998"
    MESSAGE: ClassVar[str] = "handler"
    IMPACT: ClassVar[Impact] = Impact.OBSERVABILITY
    PREFILTER: ClassVar[Optional[Sequence[str]]] = (r"\bexcept\b",)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.report(node)


def test_a_hint_never_hides_what_another_rule_needs() -> None:
    """With XH105 (hint: no) and a rule without a hint (pattern: yes) enabled together, `save` is
    kept for the second one, and the file is parsed."""
    xh105 = _rule("XH105")
    assert not _Everywhere.has_exact_hint() and xh105.has_exact_hint()
    plan = prefilter_plan([xh105, _Everywhere], CONFIG)
    pre = blank_irrelevant(MODULE, plan)  # type: ignore[arg-type]
    assert pre is not None and not pre.nothing and pre.blanked == []
    findings = lint_text(MODULE, "m.py", CONFIG, [xh105, _Everywhere]).findings
    assert [(f.code, f.line) for f in findings] == [
        ("XH998", 5), ("XH105", 14), ("XH998", 14), ("XH998", 20), ("XH105", 27), ("XH998", 27)
    ]  # fmt: skip


def test_a_file_no_pattern_matches_is_only_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """No rule's pattern occurs: CPython compiles the file (its syntax check) and builds no tree;
    a file CPython rejects takes the usual path, which says why (XH000), and code that `ast`
    accepts but the compiler does not (`return` outside a function) is not an error here either."""
    import errlint.lintfile as lintfile

    rule = _rule("XH105")
    parsed: list[str] = []
    real = lintfile._cpython_parse
    monkeypatch.setattr(lintfile, "_cpython_parse", lambda text: parsed.append(text) or real(text))
    plain = "def total(xs):\n    return sum(xs)\n"
    assert lint_text(plain, "m.py", CONFIG, [rule]).findings == [] and parsed == []
    broken = "def total(xs:\n    return sum(xs)\n"
    [finding] = lint_text(broken, "m.py", CONFIG, [rule]).findings
    assert (finding.code, finding.line) == ("XH000", 1) and parsed == [broken]
    module_return = "return 1\n"
    assert lint_text(module_return, "m.py", CONFIG, [rule]).findings == [] and parsed == [broken, module_return]
    assert lint_text(plain, "m.py", CONFIG, [rule], prefilter=False).findings == [] and parsed[-1] == plain

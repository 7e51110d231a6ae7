"""Run every embedded VALID/INVALID case of every rule (ids like `XH203-invalid-1`)."""

from __future__ import annotations

import pytest

from errlint.config import Config
from errlint.fixes import apply_fixes
from errlint.projectlevel import is_project_rule, judge_texts, split_case
from errlint.rule import Invalid, LintRule, Valid, all_rules

from conftest import lint_snippet


def _cases() -> list[object]:
    params = []
    for rule in all_rules():
        for i, case in enumerate(rule.VALID, start=1):
            params.append(pytest.param(rule, case, id=f"{rule.CODE}-valid-{i}"))
        for i, case in enumerate(rule.INVALID, start=1):
            params.append(pytest.param(rule, case, id=f"{rule.CODE}-invalid-{i}"))
    return params


def _run(rule: type[LintRule], case: Valid | Invalid):  # type: ignore[no-untyped-def]
    # XH000 is emitted by the engine for any rule set; run the rule alone otherwise.
    options = {rule.CODE: dict(case.options)} if case.options else None
    if is_project_rule(rule):  # judged over the case's files (`# file: x.py` lines) as one project
        return judge_texts(split_case(case.code), [rule], Config(preview=True))
    result = lint_snippet(case.code, [rule], options=options)
    assert not result.crashes, result.crashes[0].traceback
    return [f for f in result.findings if f.code == rule.CODE]


@pytest.mark.parametrize(("rule", "case"), _cases())
def test_embedded_case(rule: type[LintRule], case: Valid | Invalid) -> None:
    findings = _run(rule, case)
    if isinstance(case, Valid):
        assert findings == [], f"{rule.CODE} fired on a VALID case: {[f.message for f in findings]}"
        return
    assert len(findings) == case.expected_count, f"expected {case.expected_count} finding(s), got {findings}"
    first = findings[0]
    assert first.message == case.expected_message
    if case.line is not None:
        assert first.line == case.line
    if case.column is not None:
        assert first.column == case.column
    if case.expected_severity is not None:
        assert first.severity == case.expected_severity
    if case.expected_replacement is None:
        assert first.fix is None, "a fix exists: pin it with expected_replacement"
        return
    assert first.fix is not None, "expected a fix"
    assert first.fix.safety == case.expected_safety
    fixed, applied = apply_fixes(case.code, [first.fix])
    assert applied == 1
    assert fixed == case.expected_replacement


def test_every_rule_has_cases() -> None:
    for rule in all_rules():
        assert len(rule.VALID) >= 2, f"{rule.CODE} needs at least two VALID cases"
        assert len(rule.INVALID) >= 2, f"{rule.CODE} needs at least two INVALID cases"
        for case in rule.INVALID:
            if rule.FIX.value in ("safe", "unsafe") and case.expected_replacement is None and rule.CODE != "XH000":
                pytest.fail(f"{rule.CODE}: fixable rule without expected_replacement in an INVALID case")

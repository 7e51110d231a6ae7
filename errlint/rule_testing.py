"""`errlint test-rules PATH`: check rules the way errlint checks its own.

For each rule found in PATH (folders of rule modules or files, as `local-rules`): the docstring
has the sections the rule docs need (`errlint.docs.docstring_problems`), there are at least two
`VALID` and two `INVALID` cases, every `VALID` case is clean, and every `INVALID` case gives the
pinned count, message, position, severity and fix (applied to the case, it must give
`expected_replacement`). Failures are one line each: `XH901 invalid-2: expected 1 finding, got 0`.
"""

from __future__ import annotations

from typing import Union

from errlint.config import Config
from errlint.finding import Finding
from errlint.rule import Invalid, LintRule, Valid


def _lint(rule: type[LintRule], case: Union[Valid, Invalid]) -> tuple[list[Finding], list[str]]:
    from errlint.engine import lint_text

    options: dict[str, object] = {}
    if rule.Options is not None:
        options[rule.CODE] = rule.make_options(dict(case.options))
    from errlint.projectlevel import is_project_rule, judge_texts, split_case

    if is_project_rule(rule):  # judged over the case's files (`# file: x.py` lines) as one project
        return [f for f in judge_texts(split_case(case.code), [rule], Config(preview=True)) if f.code == rule.CODE], []
    result = lint_text(case.code, "case.py", Config(preview=True), [rule], options=options, keep_source=True)
    crashes = [f"crashed: {c.error}" for c in result.crashes]
    return [f for f in result.findings if f.code == rule.CODE], crashes


def _invalid_problems(rule: type[LintRule], case: Invalid) -> list[str]:
    from errlint.fixes import apply_fixes

    findings, crashes = _lint(rule, case)
    if crashes:
        return crashes
    if len(findings) != case.expected_count:
        return [f"expected {case.expected_count} finding(s), got {len(findings)}"]
    first = findings[0]
    problems = []
    if first.message != case.expected_message:
        problems.append(f"message {first.message!r}, expected {case.expected_message!r}")
    if case.line is not None and first.line != case.line:
        problems.append(f"line {first.line}, expected {case.line}")
    if case.column is not None and first.column != case.column:
        problems.append(f"column {first.column}, expected {case.column}")
    if case.expected_severity is not None and first.severity != case.expected_severity:
        problems.append(f"severity {first.severity.value}, expected {case.expected_severity.value}")
    fix = first.fix
    if case.expected_replacement is None:
        if fix is not None:
            problems.append("a fix exists: pin it with expected_replacement")
        return problems
    if fix is None:
        return problems + ["expected a fix, got none"]
    if fix.safety != case.expected_safety:
        problems.append(f"fix safety {fix.safety.value}, expected {getattr(case.expected_safety, 'value', None)}")
    fixed, applied = apply_fixes(case.code, [fix])
    if applied != 1 or fixed != case.expected_replacement:
        problems.append("the fix does not give expected_replacement")
    return problems


def rule_problems(rule: type[LintRule]) -> list[str]:
    """Every problem of one rule, each prefixed with what it is about."""
    from errlint.docs import docstring_problems

    out = [f"{rule.CODE} docs: {p}" for p in docstring_problems(rule)]
    if len(rule.VALID) < 2:
        out.append(f"{rule.CODE}: needs at least two VALID cases, has {len(rule.VALID)}")
    if len(rule.INVALID) < 2:
        out.append(f"{rule.CODE}: needs at least two INVALID cases, has {len(rule.INVALID)}")
    for index, valid in enumerate(rule.VALID, start=1):
        findings, crashes = _lint(rule, valid)
        for crash in crashes:
            out.append(f"{rule.CODE} valid-{index}: {crash}")
        if findings:
            messages = "; ".join(f.message for f in findings)
            out.append(f"{rule.CODE} valid-{index}: fired on a VALID case: {messages}")
    for index, invalid in enumerate(rule.INVALID, start=1):
        out.extend(f"{rule.CODE} invalid-{index}: {p}" for p in _invalid_problems(rule, invalid))
    return out


def case_count(rule: type[LintRule]) -> int:
    return len(rule.VALID) + len(rule.INVALID)

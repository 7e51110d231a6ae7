"""The prefilter never changes what a rule reports: every rule alone, prefilter on and off.

The prefilter blanks the functions no enabled rule can report in (`errlint.prefilter`); what is
kept is derived from the rules' `PREFILTER` hints and the analyses they declare (`ANALYSES`). A
rule that reads something its declarations do not cover would lose findings with `--select` of
that rule alone (issue: `--select XH1` lost XH102/XH106 findings on handlers whose logger is bound
in `__init__`). So every rule runs ALONE - its hint is not helped by any other rule's - on:

- its embedded VALID/INVALID cases, as they are and placed as a method of a class whose
  `__init__` (blanked unless declared) binds a logger and a session (with `-m slow`: the cases of
  every other rule too);
- every fixture file;
- cases written for what a function's findings may depend on outside it (below),

and the findings (code, position, message, severity, fix) must be identical.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

import pytest

from errlint.config import Config
from errlint.engine import lint_text
from errlint.rule import LintRule, all_rules

FIXTURES = Path(__file__).parent / "fixtures"
RULES = [r for r in all_rules() if r.CODE != "XH000" and not getattr(r, "PROJECT", False)]  # project rules: test_projectlevel

# What a finding inside one function may depend on elsewhere in the file.
CROSS_FUNCTION = [
    # a logger bound on `self` in `__init__`, used in a handler of another method
    """
    import logging

    class Billing:
        def __init__(self, name):
            self.audit = logging.getLogger(name)
            self.retries = 3

        def charge(self, card):
            try:
                return card.charge()
            except Exception:
                self.audit.error("charge failed")
                raise

        def refund(self, card):
            try:
                return card.refund()
            except Exception as exc:
                self.audit.error("refund failed: %s", exc)
                return None
    """,
    # a logger returned by a property; a non-logger bound under a logger-like name
    """
    import logging

    class Worker:
        @property
        def log(self):
            return logging.getLogger("worker")

        def setup(self):
            self.logger = []

        def run(self, job):
            try:
                job()
            except Exception as err:
                self.log.warning("job failed: " + str(err))
                self.logger.append(err)
    """,
    # an HTTP session bound in `__init__`, a credential bound in another method
    """
    import requests

    class Client:
        def __init__(self):
            self.http = requests.Session()

        def login(self, password):
            self.password = password

        def fetch(self, url):
            try:
                return self.http.get(url)
            except Exception as exc:
                raise RuntimeError(f"fetch failed for {self.password}") from exc
    """,
    # XH305: a function with its own `try` logs with `.exception()`; a handler in another function
    # (blanked: it mentions neither `exception` nor `exc_info`) calls it, so it runs during handling
    """
    import logging

    log = logging.getLogger(__name__)

    def page_oncall():
        try:
            log.exception("payment failed")
        except KeyError:
            pass

    def pay(card):
        try:
            card.charge()
        except OSError:
            page_oncall()
    """,
    # logging methods bound to other names: at module level, by an import, on `self`
    """
    import logging
    from logging import exception as log_exc

    log = logging.getLogger(__name__)
    oops, note = log.exception, log.info

    def run(job):
        try:
            oops("before the job")
        except KeyError:
            note(f"no job {job}")

    def go():
        try:
            log_exc("failed")
        except KeyError:
            pass

    class Job:
        def __init__(self):
            self.shout = log.error

        def work(self, item):
            try:
                item()
            except Exception as err:
                self.shout("failed: " + str(err))
    """,
    # a module-level helper, an alias imported at module level, a nested function
    """
    from logging import getLogger as make_logger
    from requests import get as fetch

    log = make_logger(__name__)

    def helper():
        return fetch("https://example.com")

    def outer():
        def inner():
            try:
                helper()
            except:
                log.info("failed")
        return inner
    """,
]


def _wrapped(code: str) -> str:
    """`code` as the body of a method of a class whose `__init__` binds attributes."""
    body = textwrap.indent(code, " " * 8)
    return (
        "import logging\n\n"
        "class Wrapper:\n"
        "    def __init__(self):\n"
        "        self.log = logging.getLogger(__name__)\n"
        "        self.session = object()\n\n"
        "    def method(self):\n"
        f"{body if body.strip() else '        pass'}\n"
    )


def _case_samples(rules: list[type[LintRule]], suffix: str = "") -> list[tuple[str, str]]:
    samples: list[tuple[str, str]] = []
    for rule in rules:
        for kind, cases in (("valid", rule.VALID), ("invalid", rule.INVALID)):
            for number, case in enumerate(cases, start=1):
                samples.append((f"{rule.CODE}-{kind}-{number}", case.code))
                samples.append((f"{rule.CODE}-{kind}-{number}-in-method", _wrapped(case.code)))
    return samples


def _samples() -> list[tuple[str, str]]:
    """Shared by every rule: the fixtures and the cross-function cases."""
    samples: list[tuple[str, str]] = []
    for path in sorted(FIXTURES.glob("XH*.py")):
        samples.append((path.name, path.read_text(encoding="utf-8")))
    for number, code in enumerate(CROSS_FUNCTION, start=1):
        samples.append((f"cross-function-{number}", textwrap.dedent(code).lstrip("\n")))
    return samples


SAMPLES = _samples()
CONFIG = Config(preview=True)


def _blanks(text: str, rule: type[LintRule]) -> bool:
    """True when the prefilter changes what is parsed for `rule` alone (else both runs are one)."""
    from errlint.prefilter import blank_irrelevant, prefilter_plan

    plan = prefilter_plan([rule], CONFIG)
    if plan is None:
        return False
    if not plan.can_match(text):
        return True
    pre = blank_irrelevant(text, plan)
    return pre is not None and (pre.nothing or bool(pre.blanked))


def _findings(text: str, rule: type[LintRule], prefilter: bool) -> Optional[list[tuple[object, ...]]]:
    result = lint_text(text, "sample.py", CONFIG, [rule], prefilter=prefilter)
    if result.crashes:
        return None  # a rule crash is another test's business; it must crash the same way
    return [
        (f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.severity, f.critical, f.fix)
        for f in result.findings
    ]


def _differences(rule: type[LintRule], samples: list[tuple[str, str]]) -> list[tuple[object, ...]]:
    differences: list[tuple[object, ...]] = []
    for name, text in samples:
        if not _blanks(text, rule):
            continue  # the same text is parsed either way
        with_prefilter = _findings(text, rule, True)
        without = _findings(text, rule, False)
        if with_prefilter != without:
            differences.append((name, with_prefilter, without))
    return differences


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_rule_alone_reports_the_same_with_and_without_prefilter(rule: type[LintRule]) -> None:
    """Its own cases (as they are and in a method), every fixture, the cross-function cases."""
    differences = _differences(rule, _case_samples([rule]) + SAMPLES)
    assert not differences, differences[:3]


@pytest.mark.slow
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.CODE)
def test_rule_alone_on_every_other_rules_cases(rule: type[LintRule]) -> None:
    differences = _differences(rule, _case_samples([r for r in RULES if r is not rule]))
    assert not differences, differences[:3]


def test_the_samples_exercise_the_prefilter() -> None:
    """Not vacuous: the prefilter blanks something in most samples and every rule finds things."""
    from errlint.prefilter import blank_irrelevant, prefilter_plan

    blanked = 0
    samples = _case_samples(RULES) + SAMPLES
    for _, text in samples:
        plan = prefilter_plan([RULES[0]], CONFIG)
        assert plan is not None
        pre = blank_irrelevant(text, plan)
        blanked += bool(pre is not None and (pre.blanked or pre.nothing))
    assert blanked > len(samples) // 3
    for rule in RULES:
        if rule.CODE == "XH001":
            continue
        assert any(_findings(text, rule, True) for _, text in _case_samples([rule]) + SAMPLES), rule.CODE


def test_logger_bound_in_init_is_seen_by_xh102_alone() -> None:
    """The reported case: `--select XH1`/XH102 alone; the handler logs through `self.audit`."""
    text = textwrap.dedent(CROSS_FUNCTION[0]).lstrip("\n")
    from errlint.prefilter import Plan, blank_irrelevant, prefilter_plan

    for code in ("XH102", "XH106"):
        rule = next(r for r in RULES if r.CODE == code)
        plan = prefilter_plan([rule], CONFIG)
        assert plan is not None and plan.class_attributes  # declared through "handler-facts"
        kept = blank_irrelevant(text, plan)
        assert kept is not None and (5, 6) not in kept.blanked  # `__init__` binds self.audit: kept
        undeclared = blank_irrelevant(text, Plan(plan.pattern, plan.parts, class_attributes=False))
        assert undeclared is not None and (5, 6) in undeclared.blanked  # what went wrong before
        assert _findings(text, rule, True) == _findings(text, rule, False), code


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "lone-cr"])
def test_every_rule_reports_the_same_with_other_line_endings(newline: str) -> None:
    """Blanking keeps every line ending (a lone CR followed by a blanked LF line must not become
    one CRLF break): the fixtures and cross-function cases with CRLF and lone-CR endings, every
    rule enabled, give the same findings with and without the prefilter, and not none."""
    rules = [r for r in RULES if r.CODE != "XH001"]
    compared = found = 0
    for name, text in SAMPLES:
        converted = text.replace("\r\n", "\n").replace("\n", newline)
        with_prefilter = lint_text(converted, "sample.py", CONFIG, rules, prefilter=True)
        without = lint_text(converted, "sample.py", CONFIG, rules, prefilter=False)
        assert not with_prefilter.crashes and not without.crashes, name
        assert with_prefilter.findings == without.findings, name
        compared += 1
        found += len(without.findings)
    assert compared == len(SAMPLES) and found > 100

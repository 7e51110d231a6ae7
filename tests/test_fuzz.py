"""Valid Python never crashes the engine (hypothesmith), and errlint lints its own tree clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from errlint.config import Config
from errlint.engine import lint_text
from errlint.rule import all_rules

hypothesmith = pytest.importorskip("hypothesmith")
ROOT = Path(__file__).resolve().parent.parent
RULES = [r for r in all_rules() if r.CODE != "XH000"]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(hypothesmith.from_grammar())
def test_valid_code_never_crashes_the_engine(source: str) -> None:
    for prefilter in (True, False):
        result = lint_text(source, "fuzz.py", Config(preview=True), RULES, prefilter=prefilter)
        assert not result.crashes, result.crashes[0].traceback
        for finding in result.findings:
            assert finding.line >= 1 and finding.column >= 1


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(hypothesmith.from_node())
def test_valid_module_never_crashes_the_engine(source: str) -> None:
    result = lint_text(source, "fuzz.py", Config(preview=True), RULES)
    assert not result.crashes, result.crashes[0].traceback


@pytest.mark.slow
def test_errlint_lints_its_own_tree_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "errlint", "check", "errlint", "rules", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]

"""Valid Python never crashes the engine (hypothesmith), lint -> fix -> re-lint holds every oracle
on a few hundred generated programs (fixed seed), and errlint lints its own tree clean.

Long runs: `python scripts/fuzz.py programs -n 10000` (same oracles, `check_program`) and
`python scripts/fuzz.py sweep` (the installed site-packages, zero internal errors).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from errlint.config import Config
from errlint.engine import lint_text
from errlint.rule import all_rules

hypothesmith = pytest.importorskip("hypothesmith")
ROOT = Path(__file__).resolve().parent.parent
RULES = [r for r in all_rules() if r.CODE != "XH000"]


def _fuzz_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("errlint_fuzz", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FUZZ = _fuzz_module()


@seed(20261204)
@settings(max_examples=250, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()), st.integers(0, len(FUZZ.TEMPLATES) - 1))
def test_lint_fix_relint_holds_every_oracle(code: str, template: int) -> None:
    """No crash, positions in the file, prefilter-identical; fixes compile, converge, and the
    fixed code lints the same with and without the prefilter (scripts/fuzz.py check_program)."""
    source = FUZZ.wrap(code, template)
    try:
        compile(source, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        source = code
    assert FUZZ.check_program(source) == [], source


def test_the_oracle_catches_a_fix_that_breaks_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property above can fail: a fix that writes invalid code is reported."""
    monkeypatch.setattr(FUZZ, "fix_text", lambda text, *a, **k: _Broken(text + "def (:\n"))
    assert "the fixed code does not compile" in FUZZ.check_program("try:\n    pass\nexcept:\n    pass\n")


class _Broken:
    def __init__(self, text: str) -> None:
        from errlint.engine import FileResult

        self.text = text
        self.result = FileResult("fuzz.py")


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

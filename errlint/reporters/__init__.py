"""Reporters turn a finished `RunResult` into text. They never compute: everything they print is
already on the findings. Each format is a module here registered in `REPORTERS`."""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Optional

from errlint.finding import Finding, RuleCrash


@dataclass
class RunResult:
    """What a whole run produced, in the order reporters should show it."""

    findings: list[Finding] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    files: int = 0
    fixed: int = 0
    statistics: bool = False
    show_fixes: bool = False
    baselined: int = 0  # findings hidden by --baseline
    baseline_fixed: int = 0  # baseline entries that matched nothing
    would_fix: int = 0  # --diff: fixes that would apply
    fixed_codes: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (path, code, name) -> fixed
    fixed_source: Optional[str] = None  # `--fix -`: the fixed standard input
    # `errlint merge`: findings whose SARIF result carried an accepted suppression (written back
    # by the SARIF reporter only), the SARIF rule descriptors as read, and how many reports.
    suppressed: list[tuple[Finding, list[dict[str, Any]]]] = field(default_factory=list)
    rule_descriptors: dict[str, dict[str, Any]] = field(default_factory=dict)
    merged_reports: int = 0


@dataclass(frozen=True)
class ReporterOptions:
    color: Optional[bool] = None  # None: only on a terminal, honouring NO_COLOR
    quiet: bool = False
    statistics: bool = False
    width: Optional[int] = None


Reporter = Callable[[RunResult, IO[str], ReporterOptions], None]

# format name -> "module:function"; modules are imported only when used (start-up time matters).
REPORTERS: dict[str, str] = {
    "text": "errlint.reporters.text:report",
    "concise": "errlint.reporters.text:report_concise",
    "json": "errlint.reporters.json:report",
    "sarif": "errlint.reporters.sarif:report",
    "github": "errlint.reporters.github:report",
    "gitlab": "errlint.reporters.gitlab:report",
    "junit": "errlint.reporters.junit:report",
}


def get_reporter(name: str) -> Reporter:
    module_name, _, func = REPORTERS[name].partition(":")
    module = importlib.import_module(module_name)
    reporter: Reporter = getattr(module, func)
    return reporter

"""Shared test helpers: lint a snippet with chosen rules, apply fixes."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import pytest

from errlint.config import Config
from errlint.engine import FileResult, lint_text
from errlint.finding import Finding
from errlint.rule import LintRule, all_rules


def lint_snippet(
    code: str,
    rules: Optional[Sequence[type[LintRule]]] = None,
    *,
    path: str = "snippet.py",
    config: Optional[Config] = None,
    options: Optional[Mapping[str, Any]] = None,
) -> FileResult:
    """Lint `code` with `rules` (default: all) and the given per-rule option values."""
    rules = list(rules if rules is not None else all_rules())
    config = config or Config(preview=True)
    opts = {}
    for rule in rules:
        if rule.Options is not None:
            values = dict((options or {}).get(rule.CODE, {}))
            opts[rule.CODE] = rule.make_options(values)
    return lint_text(code, path, config, rules, options=opts, keep_source=True)


def codes(findings: Sequence[Finding]) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in findings]


@pytest.fixture
def lint() -> Any:
    return lint_snippet


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        default=False,
        help="Rewrite tests/fixtures/*.expected and *.fixed.py from the current output.",
    )

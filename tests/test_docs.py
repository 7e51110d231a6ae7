"""The documentation: generated rule pages are current, docstrings have every section, the Example
block triggers its rule and the Use instead block does not, `errlint explain` prints the page, and
the hand-written pages cover every configuration key and link to files that exist.

When a generated page is stale, regenerate (from the repository root): python -m errlint.docs
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest
from click.testing import CliRunner

from errlint import docs
from errlint.cli import main
from errlint.config import SECTION_SCHEMAS, TOP_LEVEL_KEYS, Config
from errlint.projectlevel import is_project_rule, judge_texts, split_case
from errlint.engine import UNPARSABLE, lint_text, rule_options, select_rules
from errlint.finding import FixAvailability, Impact
from errlint.rule import Invalid, LintRule, Valid, all_rules

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RULES = all_rules()
HAND_WRITTEN = ("index.md", "configuration.md", "integrations.md", "architecture.md", "ci.md", "guarantees.md")


def _ids(rule: type[LintRule]) -> str:
    return rule.CODE


def run_example(rule: type[LintRule], code: str) -> list[str]:
    """Lint `code` with `rule` selected (preview rules run when selected by exact code)."""
    config = Config(select=(rule.CODE,))
    if rule.CODE != UNPARSABLE:
        assert select_rules(config) == [rule], f"selecting {rule.CODE} does not enable it"
    if is_project_rule(rule):  # a project of the example's files (`# file: x.py` lines)
        return [f.code for f in judge_texts(split_case(code, "example.py"), [rule], config)]
    result = lint_text(code, "example.py", config, [rule], options=rule_options(config, [rule]))
    assert not result.crashes, result.crashes[0].traceback
    return [f.code for f in result.findings]


# -- generated pages ------------------------------------------------------------------------


def test_generated_docs_are_current() -> None:
    stale = [p.relative_to(ROOT).as_posix() for p in docs.stale_files(ROOT)]
    assert not stale, (
        f"generated docs are missing or stale: {', '.join(stale)}. "
        f"Regenerate them from the repository root with `{docs.REGENERATE}` and commit the result."
    )


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_docstring_has_every_section(rule: type[LintRule]) -> None:
    problems = docs.docstring_problems(rule)
    assert not problems, f"{rule.CODE} docstring ({rule.__module__}): " + "; ".join(problems)


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_example_triggers_the_rule(rule: type[LintRule]) -> None:
    flagged, _ = docs.example_blocks(rule)
    assert flagged, f"{rule.CODE}: no ```python block under `## Example`"
    for block in flagged:
        assert rule.CODE in run_example(rule, block), f"{rule.CODE}: the `## Example` block does not trigger it:\n{block}"


@pytest.mark.parametrize("rule", RULES, ids=_ids)
def test_use_instead_does_not_trigger_the_rule(rule: type[LintRule]) -> None:
    _, fine = docs.example_blocks(rule)
    assert fine, f"{rule.CODE}: no ```python block after `Use instead:`"
    for block in fine:
        codes = run_example(rule, block)
        assert UNPARSABLE not in codes, f"{rule.CODE}: the `Use instead:` block does not parse:\n{block}"
        assert rule.CODE not in codes, f"{rule.CODE}: the `Use instead:` block triggers it:\n{block}"


@pytest.mark.parametrize("name", ["XH101", "bare-except", "xh000"])
def test_explain_prints_the_generated_page(name: str) -> None:
    result = CliRunner().invoke(main, ["explain", name])
    assert result.exit_code == 0, result.output
    code = {"bare-except": "XH101", "xh000": "XH000"}.get(name, name)
    page = (DOCS / "rules" / f"{code}.md").read_text(encoding="utf-8")
    assert result.stdout.rstrip("\n") == page.rstrip("\n")


def test_index_lists_every_rule_by_family() -> None:
    index = (DOCS / "rules" / "index.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (XH\d)", index, re.M)
    assert headings == sorted(set(headings)) and "XH1" in headings
    for rule in RULES:
        row = f"| [{rule.CODE}]({rule.CODE}.md) | `{rule.NAME}` |"
        assert row in index
        family_at = index.index(f"## {rule.CODE[:3]}")
        assert index.index(row) > family_at


def test_page_shows_metadata_options_and_first_cases() -> None:
    rule = next(r for r in RULES if r.CODE == "XH101")
    page = docs.render_rule_page(rule)
    assert page.startswith("# XH101 bare-except\n")
    assert "| `XH101` | `bare-except` | catching | warning | silent-failure | preview | unsafe | none |" in page
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix safety", "## Test cases", "## References"):
        assert heading in page
    assert page.index("## Test cases") < page.index("## Configuration") < page.index("## References")
    assert rule.INVALID[0].code.rstrip("\n") in page and rule.VALID[0].code.rstrip("\n") in page
    assert "After the fix (unsafe):" in page and "# noqa: XH101" in page
    with_options = [r for r in RULES if r.Options is not None]
    for rule in with_options:
        page = docs.render_rule_page(rule)
        assert "| option | type | default | allowed values |" in page
        assert f"[tool.errlint.rules.{rule.CODE}]" in page


# -- the checks catch what they must --------------------------------------------------------


class _Opts:
    pass


class _Broken(LintRule):
    """
    ## What it does
    Flags every module.

    ## Example
    ```python
    x = 1
    ```

    ## Options
    - `colour`: nothing.
    """

    CODE: ClassVar[str] = "XH998"
    MESSAGE: ClassVar[str] = "module"
    IMPACT: ClassVar[Impact] = Impact.CRASH
    FIX: ClassVar[FixAvailability] = FixAvailability.SAFE
    VALID = [Valid("x = 1\n")]
    INVALID = [Invalid("y = 2\n", expected_message="module")]

    def visit_Module(self, node: cst.Module) -> None:
        self.report(node)


def test_docstring_problems_are_reported() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Options:
        style: str = "lazy"

    _Broken.Options = Options
    try:
        problems = docs.docstring_problems(_Broken)
    finally:
        _Broken.Options = None
    assert "missing section `## Why is this bad?`" in problems
    assert "missing section `## References`" in problems
    assert "missing section `## Fix safety`" in problems
    assert "`## Example` has no `Use instead:` part" in problems
    assert any("option `style` is not documented" in p for p in problems)
    assert any("documents `colour`, which is not a field" in p for p in problems)
    assert "`## Options` names `colour`, which is neither a rule option nor a [tool.errlint] key" in (
        docs.docstring_problems(_Broken)
    )


def test_check_mode_and_orphans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs" / "rules").mkdir(parents=True)
    shutil.copy(DOCS / "configuration.md", tmp_path / "docs" / "configuration.md")
    (tmp_path / "docs" / "rules" / "XH999.md").write_text("# gone\n")
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "stale: docs/rules/XH101.md" in out and "stale: docs/rules/XH999.md" in out
    assert f"run `{docs.REGENERATE}` from the repository root" in err
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert not (tmp_path / "docs" / "rules" / "XH999.md").exists()
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0
    (tmp_path / "docs" / "configuration.md").write_text("no markers\n")
    assert docs.main(["--check", "--root", str(tmp_path)]) == 2


# -- hand-written pages ---------------------------------------------------------------------


@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_hand_written_page_exists(name: str) -> None:
    text = (DOCS / name).read_text(encoding="utf-8")
    assert text.startswith("# ") and len(text) > 1500


def test_configuration_documents_every_key() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([a-z0-9.-]+)`", text, re.M))
    in_code = set(TOP_LEVEL_KEYS) | {f"{name}.{key}" for name, schema in SECTION_SCHEMAS.items() for key in schema}
    assert not in_code - documented, f"keys missing from docs/configuration.md: {sorted(in_code - documented)}"
    assert not documented - in_code, f"docs/configuration.md documents unknown keys: {sorted(documented - in_code)}"
    for name in SECTION_SCHEMAS:
        assert f"## `[tool.errlint.{name}]`" in text


def test_relative_links_resolve() -> None:
    pages = [*DOCS.glob("*.md"), DOCS / "rules" / "index.md"]
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)}: broken link {target}"

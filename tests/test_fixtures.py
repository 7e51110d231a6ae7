"""Realistic fixture modules under tests/fixtures/ with pylint-style inline annotations.

`tests/fixtures/<CODE>_<name>.py` runs the rule `<CODE>` (plus anything the optional `.toml`
selects). On each line, `# [XH101]` (or `# [XH101, XH103]`, or `# +1: [XH101]` for the next line)
states the codes that start there; a line without an annotation asserts none does. The full
output is pinned in `.expected` (`CODE:line:col:end_line:end_col:message[:fix-safety]`), and when
any finding has a safe fix, the result of applying them is pinned in `.fixed.py`.
Regenerate with `pytest tests/test_fixtures.py --update-fixtures` and review the diff.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from errlint.config import Config, parse_table
from errlint.engine import lint_text, rule_options, select_rules
from errlint.finding import Finding
from errlint.fixes import applicable, apply_fixes
from errlint.rule import all_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures"
ANNOTATION_RE = re.compile(r"#\s*(?:(?P<offset>[+-]\d+):\s*)?\[(?P<codes>XH\d{3}(?:\s*,\s*XH\d{3})*)\]")


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("XH*.py") if not p.name.endswith(".fixed.py"))


def load_config(fixture: Path) -> Config:
    code = fixture.name[:5]
    table: dict[str, object] = {"select": [code], "preview": True}
    toml = fixture.with_suffix(".toml")
    if toml.exists():
        table.update(tomllib.loads(toml.read_text(encoding="utf-8")))
    rules = all_rules()
    return parse_table(
        table,
        str(toml),
        str(FIXTURES),
        known_codes=[r.CODE for r in rules],
        rule_options={r.CODE: r.parse_options for r in rules if r.Options is not None},
        names_to_codes={r.NAME: r.CODE for r in rules},
    )


def expected_annotations(text: str) -> Counter[tuple[str, int]]:
    expected: Counter[tuple[str, int]] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ANNOTATION_RE.finditer(line):
            target = number + int(match.group("offset") or 0)
            for code in match.group("codes").split(","):
                expected[(code.strip(), target)] += 1
    return expected


def render(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        row = f"{f.code}:{f.line}:{f.column}:{f.end_line}:{f.end_column}:{f.message}"
        if f.fix is not None:
            row += f":{f.fix.safety.value}"
        lines.append(row)
    return "\n".join(sorted(lines, key=lambda r: (int(r.split(":")[1]), int(r.split(":")[2]), r))) + ("\n" if lines else "")


@pytest.mark.parametrize("fixture", fixture_files(), ids=lambda p: p.stem)
def test_fixture(fixture: Path, request: pytest.FixtureRequest) -> None:
    text = fixture.read_text(encoding="utf-8")
    config = load_config(fixture)
    rules = select_rules(config)
    result = lint_text(text, fixture.name, config, rules, options=rule_options(config, rules))
    assert not result.crashes, result.crashes[0].traceback
    actual = Counter((f.code, f.line) for f in result.findings)
    assert actual == expected_annotations(text), "findings differ from the inline annotations"

    output = render(result.findings)
    expected_file = fixture.with_suffix(".expected")
    fixed_file = fixture.with_name(fixture.stem + ".fixed.py")
    safe = applicable(result.findings, unsafe=False)
    fixed = apply_fixes(text, safe)[0] if safe else None
    if request.config.getoption("--update-fixtures"):
        expected_file.write_text(output, encoding="utf-8")
        if fixed is not None:
            fixed_file.write_text(fixed, encoding="utf-8")
        elif fixed_file.exists():
            fixed_file.unlink()
        return
    assert expected_file.exists(), f"missing {expected_file.name}: run pytest --update-fixtures"
    assert output == expected_file.read_text(encoding="utf-8")
    if fixed is not None:
        assert fixed_file.exists(), f"missing {fixed_file.name}: run pytest --update-fixtures"
        assert fixed == fixed_file.read_text(encoding="utf-8")
    else:
        assert not fixed_file.exists(), f"{fixed_file.name} is stale: no safe fix applies"

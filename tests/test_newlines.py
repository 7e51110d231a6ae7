"""Positions and fixes are exact for every newline style, with and without the prefilter.

Issue: a lone `\\r` line ending followed by a `\\n` line inside a function body the prefilter
blanks turned into one `\\r\\n` line break in the blanked text, so every later finding was one line
early and a safe `--fix` edited the wrong line (the file stopped compiling). The sources here are
generated: one template, written with every ending style and with seeded random mixes.
"""

from __future__ import annotations

import random

import pytest

from errlint.config import Config
from errlint.engine import lint_text, select_rules
from errlint.fixes import applicable, apply_fixes
from errlint.prefilter import blank_irrelevant, rules_pattern
from errlint.source import split_lines

TEMPLATE = [
    "import json",
    "import logging",
    "",
    "def quiet(a):",  # nothing any rule reports in: blanked by the prefilter
    "    x = a + 1",
    "    y = x * 2",
    "",
    "    return y",
    "",
    "def load(path):",
    "    try:",
    "        return json.loads(path)",
    "    except ValueError:",
    "        raise",
    "",
    "def swallow():",
    "    try:",
    "        quiet(1)",
    "    except:",
    "        pass",
    "",
]
# What the default rules report on TEMPLATE (code, line, column, end_line, end_column).
EXPECTED = [
    ("XH105", 13, 5, 13, 22),
    ("XH101", 19, 5, 19, 11),  # one finding per bare handler: XH101 stands for XH103 there
]


def render(endings: list[str]) -> str:
    return "".join(line + ending for line, ending in zip(TEMPLATE, endings))


def consistent(endings: list[str]) -> list[str]:
    """An empty line ending in LF after a lone CR would be one CRLF: give it a CR instead."""
    out = list(endings)
    for index in range(1, len(out)):
        if out[index - 1] == "\r" and TEMPLATE[index] == "" and out[index] == "\n":
            out[index] = "\r"
    return out


def styles() -> dict[str, list[str]]:
    n = len(TEMPLATE)
    out = {"lf": ["\n"] * n, "crlf": ["\r\n"] * n, "cr": ["\r"] * n}
    # The reported case: a lone CR ends a body line and the next body line ends with LF.
    bug = ["\n"] * n
    bug[3] = bug[4] = "\r"
    out["cr-then-lf-in-blanked-body"] = bug
    last = ["\n"] * n
    last[7] = "\r"  # the blanked body's last line ends with CR, the blank line after with LF
    out["cr-at-end-of-blanked-body"] = last
    rng = random.Random(11)
    for index in range(12):
        out[f"mixed-{index}"] = [rng.choice(["\n", "\r\n", "\r"]) for _ in range(n)]
    return {name: consistent(endings) for name, endings in out.items()}


STYLES = styles()


def positions(text: str, prefilter: bool) -> list[tuple[str, int, int, int, int]]:
    config = Config(preview=True)  # XH101 and XH105 are preview rules (docs/precision.md)
    result = lint_text(text, "m.py", config, select_rules(config), prefilter=prefilter)
    assert not result.crashes
    return [(f.code, f.line, f.column, f.end_line, f.end_column) for f in result.findings]


@pytest.mark.parametrize("name", sorted(STYLES))
def test_blanking_keeps_every_line_where_it_was(name: str) -> None:
    text = render(STYLES[name])
    config = Config(preview=True)  # XH101 and XH105 are preview rules (docs/precision.md)
    pattern = rules_pattern(select_rules(config), config)
    assert pattern is not None
    pre = blank_irrelevant(text, pattern)
    assert pre is not None and pre.blanked == [(5, 8)]
    assert len(split_lines(pre.text)) == len(split_lines(text)) == len(TEMPLATE)
    kept = [i for i in range(len(TEMPLATE)) if not 5 <= i + 1 <= 8]
    assert [split_lines(pre.text)[i] for i in kept] == [TEMPLATE[i] for i in kept]


@pytest.mark.parametrize("prefilter", [True, False], ids=["prefilter", "no-prefilter"])
@pytest.mark.parametrize("name", sorted(STYLES))
def test_findings_are_at_the_same_place_for_every_newline_style(name: str, prefilter: bool) -> None:
    assert positions(render(STYLES[name]), prefilter) == EXPECTED


@pytest.mark.parametrize("prefilter", [True, False], ids=["prefilter", "no-prefilter"])
@pytest.mark.parametrize("name", sorted(STYLES))
def test_safe_fix_edits_the_right_lines_and_compiles(name: str, prefilter: bool) -> None:
    text = render(STYLES[name])
    config = Config(preview=True)  # XH101 and XH105 are preview rules (docs/precision.md)
    result = lint_text(text, "m.py", config, select_rules(config), prefilter=prefilter)
    fixed, applied = apply_fixes(text, applicable(result.findings, unsafe=False))
    assert applied == 1  # XH105: the useless handler goes
    compile(fixed, "m.py", "exec")
    lines = split_lines(fixed)
    assert lines[9:14] == ["def load(path):", "    return json.loads(path)", "", "def swallow():", "    try:"]
    assert lines[:9] == TEMPLATE[:9]

"""`errlint.chunkparse`: a module parsed in parts is the module a whole parse gives (`deep_equals`
and the same generated code), for every newline style, after the prefilter's blanking too; and
a file it cannot cut safely is left to the whole parse."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from errlint import chunkparse
from errlint.config import Config
from errlint.engine import select_rules
from errlint.prefilter import blank_irrelevant, prefilter_plan

ROOT = Path(__file__).resolve().parent.parent


def _sources() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    picked = sorted(stdlib.glob("*.py"))[::60]
    return sorted((ROOT / "errlint").glob("*.py"))[::3] + sorted((ROOT / "tests" / "fixtures").glob("*.py")) + picked


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of fifteen lines, so that every file is cut in many places."""
    monkeypatch.setattr(chunkparse, "PART_LINES", 15)
    monkeypatch.setattr(chunkparse, "MIN_LINES", 30)
    monkeypatch.setattr(chunkparse, "MIN_CHARS", 0)


def _same(text: str, tree: ast.Module) -> bool:
    """True when parsed in parts (None counts as a failure: these files can all be cut)."""
    parts = chunkparse.parse_in_parts(text, tree)
    whole = cst.parse_module(text)
    return parts is not None and parts.deep_equals(whole) and parts.code == whole.code


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_parts_give_the_whole_module(newline: str) -> None:
    checked = 0
    for path in _sources():
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", newline)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue  # a fixture of invalid code
        if len(chunkparse._LINE_RE.findall(text)) < 40 or not chunkparse._cuts(tree.body, chunkparse._LINE_RE.findall(text)):
            continue
        assert _same(text, tree), path.name
        checked += 1
    assert checked > 15


@pytest.mark.usefixtures("small_parts")
def test_parts_of_prefiltered_text_give_the_whole_module() -> None:
    """The prefilter blanks bodies; CPython's tree of the original text tells where to cut."""
    config = Config(preview=True)
    plan = prefilter_plan(select_rules(config), config)
    assert plan is not None
    checked = 0
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        blanked = blank_irrelevant(text, plan, tree, plan.present(text))
        if blanked is None or not blanked.blanked:
            continue
        parts = chunkparse.parse_in_parts(blanked.text, tree)
        if parts is None:
            continue
        whole = cst.parse_module(blanked.text)
        assert parts.deep_equals(whole) and parts.code == whole.code, path.name
        checked += 1
    assert checked > 10


TRICKY = (
    "#!/usr/bin/env python\n# header comment\n\nimport os\n\n\n"
    "def f():\n    if x:\n        return 1\n    # comment at the block's level\n\n# comment before g\n"
    "@decorator\n# between decorator and def\ndef g(): return 2\n"
    "x = 1; y = 2\n"
    "z = (1,\n     2)\n"
    "class C:\n    a = 1\n\n    # trailing, indented\n\n\n"
    "w = 3 \\\n    + 4\n"
    "if True:\n    pass\nelse:\n    pass\n"
    "# the end\n"
)


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_tricky_layouts(monkeypatch: pytest.MonkeyPatch, newline: str) -> None:
    monkeypatch.setattr(chunkparse, "PART_LINES", 1)
    monkeypatch.setattr(chunkparse, "MIN_LINES", 2)
    text = (TRICKY * 3).replace("\n", newline)
    assert _same(text, ast.parse(text))


@pytest.mark.usefixtures("small_parts")
def test_mixed_indentation_or_newlines_are_parsed_whole() -> None:
    """A part that would detect another indentation or newline than the whole file is refused."""
    tabs_then_spaces = "def f():\n\treturn 1\n" + "x = 1\n" * 10 + "def g():\n    return 2\n" + "y = 2\n" * 10
    tree = ast.parse(tabs_then_spaces)
    assert chunkparse.parse_in_parts(tabs_then_spaces, tree) is None
    mixed = "x = 1\n" * 10 + "y = 2\r\n" * 10 + "z = 3\r\n" * 10
    assert chunkparse.parse_in_parts(mixed, ast.parse(mixed)) is None
    # ... and the linter still says the same about such a file as about its whole parse.
    assert cst.parse_module(tabs_then_spaces).code == tabs_then_spaces


def test_small_files_are_parsed_whole() -> None:
    text = "x = 1\n" * 100
    assert chunkparse.parse_in_parts(text, ast.parse(text)) is None


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_a_large_file_has_the_same_findings_parsed_in_parts(monkeypatch: pytest.MonkeyPatch, newline: str) -> None:
    """Every rule on the fixtures joined into one file of thousands of lines: the same findings
    (positions, messages, fixes) whether libcst parses it in parts or whole, prefiltered or not."""
    from errlint.engine import lint_text

    pieces = []
    for path in sorted((ROOT / "tests" / "fixtures").glob("XH*.py")):
        text = path.read_text(encoding="utf-8")
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        pieces.append(text if text.endswith("\n") else text + "\n")
    big = "".join(pieces).replace("\r\n", "\n").replace("\n", newline)
    assert chunkparse.parse_in_parts(big, ast.parse(big)) is not None  # it is really cut
    config = Config(preview=True)
    rules = [r for r in select_rules(config) if r.CODE != "XH001"]
    results = {}
    for mode, min_chars in (("parts", chunkparse.MIN_CHARS), ("whole", 10**12)):
        monkeypatch.setattr(chunkparse, "MIN_CHARS", min_chars)
        for prefilter in (True, False):
            result = lint_text(big, "big.py", config, rules, prefilter=prefilter)
            assert not result.crashes
            results[mode, prefilter] = result.findings
    assert len(results["whole", False]) > 100
    assert all(findings == results["whole", False] for findings in results.values())

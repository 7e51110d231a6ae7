"""Generate the rule documentation from each rule's docstring, metadata and embedded test cases.

`docs/rules/<CODE>.md`, `docs/rules/index.md` and the rule-options block of
`docs/configuration.md` all come from here, and `errlint explain CODE` prints the same
`render_rule_page`, so the site and the terminal never disagree. Regenerate everything with one
command from the repository root:

    python -m errlint.docs            # write
    python -m errlint.docs --check    # exit 1 and list what is stale (tests/test_docs.py does this)

`docstring_problems(rule)` is the contract a rule docstring must meet (ruff's sections, in order;
`## Fix safety` exactly when the rule can fix; `## Options` exactly when it has options, naming
each one).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from errlint.finding import FixAvailability
from errlint import catalog
from errlint.rule import FAMILIES, Invalid, LintRule, Valid, all_rules

REGENERATE = "python -m errlint.docs"
REQUIRED_SECTIONS = ("## What it does", "## Why is this bad?", "## Example")
# Known sections in the order they must appear (others, e.g. `## Known problems`, may sit between).
SECTION_ORDER = ("What it does", "Why is this bad?", "Example", "Fix safety", "Options", "References")
USE_INSTEAD = "Use instead:"
EXAMPLE_CASES = 2  # how many embedded VALID and INVALID cases a page shows (Fixit shows two)
_FIX_WORDS = {
    FixAvailability.NONE: "none",
    FixAvailability.SAFE: "safe",
    FixAvailability.UNSAFE: "unsafe",
    FixAvailability.SOMETIMES: "sometimes",
}
FAMILY_TITLES = {
    "XH0": "The file itself",
    "XH1": "Catching",
    "XH2": "Raising: errors designed with intent",
    "XH3": "Logging: a debugging contract",
    "XH4": "Privacy: no private data in logs, errors or responses",
    "XH5": "Context: what failed, for whom, doing what",
    "XH6": "Resilience: recover without cascading",
}
OPTIONS_BEGIN = "<!-- BEGIN GENERATED: rule options (python -m errlint.docs) -->"
OPTIONS_END = "<!-- END GENERATED: rule options -->"


# --- reading docstrings ---------------------------------------------------------------------


def rule_doc(rule: type[LintRule]) -> str:
    """The rule's docstring, dedented and stripped."""
    return inspect.cleandoc(rule.__doc__ or "")


def sections(rule: type[LintRule]) -> list[tuple[str, str]]:
    """The docstring's `## ` sections as (heading, body) pairs, in order ("" for text before any)."""
    out: list[tuple[str, str]] = []
    heading = ""
    body: list[str] = []
    for line in rule_doc(rule).splitlines():
        match = re.match(r"^## (.+?)\s*$", line)
        if match:
            if heading or "".join(body).strip():
                out.append((heading, "\n".join(body).strip()))
            heading, body = match.group(1), []
        else:
            body.append(line)
    if heading or "".join(body).strip():
        out.append((heading, "\n".join(body).strip()))
    return out


def section(rule: type[LintRule], heading: str) -> str:
    """The text under `## heading` (up to the next `## `), or ""."""
    for name, body in sections(rule):
        if name == heading:
            return body
    return ""


def code_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, re.S)]


def example_blocks(rule: type[LintRule]) -> tuple[list[str], list[str]]:
    """The `## Example` code blocks before `Use instead:` (flagged) and after it (not flagged)."""
    text = section(rule, "Example")
    before, _, after = text.partition(USE_INSTEAD)
    return code_blocks(before), code_blocks(after)


def option_fields(rule: type[LintRule]) -> list[dataclasses.Field[Any]]:
    return list(dataclasses.fields(rule.Options)) if rule.Options is not None else []


def docstring_problems(rule: type[LintRule]) -> list[str]:
    """Everything wrong with the rule's docstring as documentation (empty when it is fine)."""
    problems = []
    found = [name for name, _ in sections(rule)]
    fixable = rule.FIX is not FixAvailability.NONE
    required = ["What it does", "Why is this bad?", "Example", "References"]
    required += ["Fix safety"] if fixable else []
    required += ["Options"] if rule.Options is not None else []
    for name in required:
        if name not in found:
            problems.append(f"missing section `## {name}`")
        elif not section(rule, name):
            problems.append(f"empty section `## {name}`")
    if not fixable and "Fix safety" in found:
        problems.append("`## Fix safety` on a rule without a fix (FIX is none)")
    if rule.Options is None and "Options" in found:
        # Options shared with other rules (e.g. `[tool.errlint.pii]`): each bullet names a real key.
        from errlint.config import SECTION_SCHEMAS, TOP_LEVEL_KEYS

        keys = set(TOP_LEVEL_KEYS).union(*SECTION_SCHEMAS.values())
        for name in re.findall(r"^\s*[-*] `([a-z0-9-]+)", section(rule, "Options"), re.M):
            if name not in keys:
                problems.append(f"`## Options` names `{name}`, which is neither a rule option nor a [tool.errlint] key")
    known = [name for name in found if name in SECTION_ORDER]
    if known != sorted(known, key=SECTION_ORDER.index):
        problems.append(f"sections out of order: {', '.join(known)} (expected the order {', '.join(SECTION_ORDER)})")
    for name in set(found):
        if found.count(name) > 1:
            problems.append(f"section `## {name}` appears {found.count(name)} times")
    if "Example" in found:
        flagged, fine = example_blocks(rule)
        if USE_INSTEAD not in section(rule, "Example"):
            problems.append(f"`## Example` has no `{USE_INSTEAD}` part")
        if not flagged:
            problems.append("`## Example` has no ```python block before `Use instead:`")
        if not fine and USE_INSTEAD in section(rule, "Example"):
            problems.append("`Use instead:` has no ```python block")
    if rule.Options is not None and "Options" in found:
        documented = set(re.findall(r"^\s*[-*] `([a-z0-9-]+)`", section(rule, "Options"), re.M))
        names = {f.name.replace("_", "-") for f in option_fields(rule)}
        for name in sorted(names - documented):
            problems.append(f"option `{name}` is not documented in `## Options` (as a `- \\`{name}\\`` bullet)")
        for name in sorted(documented - names):
            problems.append(f"`## Options` documents `{name}`, which is not a field of {rule.Options.__name__}")
    return problems


# --- rendering ------------------------------------------------------------------------------


def _status(rule: type[LintRule]) -> str:
    return "preview" if rule.PREVIEW else "stable"


def _source_file(rule: type[LintRule]) -> str:
    return "rules/" + rule.__module__.rsplit(".", 1)[-1] + ".py"


def _fence(code: str, lang: str = "python") -> list[str]:
    runs = [len(m.group(0)) for m in re.finditer(r"`{3,}", code)]
    ticks = "`" * max([3] + [n + 1 for n in runs])
    return [f"{ticks}{lang}", code.rstrip("\n"), ticks]


def toml_value(value: Any) -> str:
    """A Python option value written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (tuple, list)):
        return "list of strings"
    return type(value).__name__


def options_table(rule: type[LintRule]) -> list[str]:
    """Markdown rows (with header) for the rule's options: name, type, default, allowed values."""
    if rule.Options is None:
        return []
    defaults = rule.Options()
    choices: dict[str, Sequence[Any]] = getattr(rule.Options, "CHOICES", {})
    lines = ["| option | type | default | allowed values |", "|---|---|---|---|"]
    for field in option_fields(rule):
        value = getattr(defaults, field.name)
        allowed = ", ".join(f"`{toml_value(c)}`" for c in choices.get(field.name, ())) or "any"
        lines.append(f"| `{field.name.replace('_', '-')}` | {_type_name(value)} | `{toml_value(value)}` | {allowed} |")
    return lines


def _options_section(rule: type[LintRule], prose: str) -> list[str]:
    defaults = rule.Options() if rule.Options is not None else None
    lines = ["## Options", "", *([prose, ""] if prose else []), *options_table(rule), "", "Set them in `pyproject.toml`:", ""]
    example = [f"[tool.errlint.rules.{rule.CODE}]  # or [tool.errlint.rules.{rule.NAME}]"]
    example += [f"{f.name.replace('_', '-')} = {toml_value(getattr(defaults, f.name))}" for f in option_fields(rule)]
    return lines + _fence("\n".join(example), "toml")


def _case_lines(rule: type[LintRule], case: Valid | Invalid) -> list[str]:
    lines: list[str] = []
    if case.options:
        opts = ", ".join(f"{k.replace('_', '-')} = {toml_value(v)}" for k, v in case.options.items())
        lines += [f"With `{opts}`:", ""]
    lines += _fence(case.code) if case.code.strip() else ["An empty file."]
    if isinstance(case, Invalid):
        where = f" at line {case.line}" if case.line is not None else ""
        count = f" ({case.expected_count} times)" if case.expected_count != 1 else ""
        lines += ["", f"Reported{where}{count}:", "", *_quote(case.expected_message)]
        if case.expected_replacement is not None:
            safety = case.expected_safety.value if case.expected_safety is not None else "safe"
            lines += ["", f"After the fix ({safety}):", "", *_fence(case.expected_replacement)]
    return lines


def _quote(text: str) -> list[str]:
    return ["> " + line if line else ">" for line in text.splitlines()] or [">"]


def _test_cases_section(rule: type[LintRule]) -> list[str]:
    invalid = list(rule.INVALID[:EXAMPLE_CASES])
    valid = list(rule.VALID[:EXAMPLE_CASES])
    if not invalid and not valid:
        return []
    lines = [
        "## Test cases",
        "",
        f"The first embedded test cases of the rule (`{_source_file(rule)}`); every test run checks them.",
    ]
    if invalid:
        lines += ["", "### Flagged"]
        for case in invalid:
            lines += ["", *_case_lines(rule, case)]
    if valid:
        lines += ["", "### Not flagged"]
        for valid_case in valid:
            lines += ["", *_case_lines(rule, valid_case)]
    return lines


def _configuration_section(rule: type[LintRule]) -> list[str]:
    if rule.CODE == "XH000":
        return [
            "## Configuration",
            "",
            "Always on: `select` and `ignore` do not turn it off, because a file errlint cannot parse is a "
            "file no rule has checked. Exclude the file instead (`extend-exclude`, see "
            "[configuration](../configuration.md)), or silence one report with `# noqa: XH000` on its line.",
        ]
    enable = (
        f"Preview rules run only when selected by their exact code (`extend-select = [\"{rule.CODE}\"]`, "
        f"`--extend-select {rule.CODE}`) or with `preview = true` / `--preview`."
        if rule.PREVIEW
        else f"On by default. Turn it off with `ignore = [\"{rule.CODE}\"]` (or `--ignore {rule.CODE}`)."
    )
    return [
        "## Configuration",
        "",
        enable,
        "",
        f"Silence one finding with `# noqa: {rule.CODE}` on its line (flake8's syntax; under flake8 it is "
        f"flake8's own noqa), and whole files with `per-file-ignores`. See [configuration](../configuration.md).",
    ]


def render_rule_page(rule: type[LintRule]) -> str:
    """Markdown for one rule: title, metadata, docstring sections, test cases, configuration."""
    options = ", ".join(f"`{f.name.replace('_', '-')}`" for f in option_fields(rule))
    if not options:
        options = "see [Options](#options)" if section(rule, "Options") else "none"
    lines = [
        f"# {rule.CODE} {rule.NAME}",
        "",
        "| code | name | family | default severity | impact | status | fix | options |",
        "|---|---|---|---|---|---|---|---|",
        f"| `{rule.CODE}` | `{rule.NAME}` | {rule.family()} | {rule.SEVERITY.value} | {rule.IMPACT.value} "
        f"| {_status(rule)} | {_FIX_WORDS[rule.FIX]} | {options} |",
    ]
    if rule.PREVIEW:
        lines += [
            "",
            "This rule is in **preview**: enable it with `preview = true`, `--preview`, or by selecting "
            f"`{rule.CODE}` explicitly.",
        ]
    references = ""
    for heading, body in sections(rule):
        if heading == "References":
            references = body
            continue
        if heading == "Options" and rule.Options is not None:
            lines += ["", *_options_section(rule, body)]
            continue
        if heading:
            lines += ["", f"## {heading}"]
        if body:
            lines += ["", body]
    cases = _test_cases_section(rule)
    if cases:
        lines += ["", *cases]
    lines += ["", *_configuration_section(rule)]
    if references:
        lines += ["", "## References", "", references]
    return "\n".join(lines) + "\n"


def short_description(rule: type[LintRule]) -> str:
    """The first sentence of `## What it does` (a lead-in ending in ":" becomes a sentence)."""
    text = rule.summary()
    match = re.match(r"(.+?[.!?:])(?:\s+(?=[A-Z`(*])|$)", text, re.S)
    sentence = match.group(1) if match else text
    return sentence[:-1] + "." if sentence.endswith(":") else sentence


def _summary(rule: type[LintRule]) -> str:
    return short_description(rule).replace("|", "\\|")


def render_index(rules: Sequence[type[LintRule]]) -> str:
    """`docs/rules/index.md`: every rule, grouped by family."""
    stable = sum(1 for r in rules if not r.PREVIEW)
    lines = [
        "# Rules",
        "",
        f"errlint has {len(rules)} rules ({stable} stable, {len(rules) - stable} preview). Stable rules run by "
        "default; preview rules run with `preview = true` or when selected by their exact code. "
        "Each page says what the rule flags, why it matters, what to write instead, and how to configure it; "
        "`errlint explain CODE` prints the same page. Generated by `python -m errlint.docs`.",
    ]
    for prefix, family in FAMILIES.items():
        members = [r for r in rules if r.CODE.startswith(prefix)]
        if not members:
            continue
        lines += [
            "",
            f"## {prefix}: {FAMILY_TITLES.get(prefix, family.capitalize())}",
            "",
            "| code | name | what it flags | severity | status | fix |",
            "|---|---|---|---|---|---|",
        ]
        for rule in members:
            lines.append(
                f"| [{rule.CODE}]({rule.CODE}.md) | `{rule.NAME}` | {_summary(rule)} | {rule.SEVERITY.value} "
                f"| {_status(rule)} | {_FIX_WORDS[rule.FIX]} |"
            )
    others = [r for r in rules if r.CODE[:3] not in FAMILIES]
    if others:
        lines += ["", "## Other", "", "| code | name | what it flags | severity | status | fix |", "|---|---|---|---|---|---|"]
        for rule in others:
            lines.append(
                f"| [{rule.CODE}]({rule.CODE}.md) | `{rule.NAME}` | {_summary(rule)} | {rule.SEVERITY.value} "
                f"| {_status(rule)} | {_FIX_WORDS[rule.FIX]} |"
            )
    return "\n".join(lines) + "\n"


def render_options_block(rules: Sequence[type[LintRule]]) -> str:
    """The generated part of `docs/configuration.md`: every rule option, with markers."""
    lines = [OPTIONS_BEGIN, "", "| rule | option | type | default | allowed values |", "|---|---|---|---|---|"]
    count = 0
    for rule in rules:
        for row in options_table(rule)[2:]:
            lines.append(f"| [{rule.CODE}](rules/{rule.CODE}.md) `{rule.NAME}` {row}")
            count += 1
    if not count:
        lines = [OPTIONS_BEGIN, "", "No rule has options yet."]
    return "\n".join(lines + ["", OPTIONS_END])


# --- generating -----------------------------------------------------------------------------


def default_root() -> Path:
    """The checkout errlint runs from (where `docs/` lives), else the working directory."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "docs").is_dir():
        return checkout
    return Path.cwd()


def expected_files(root: Path, rules: Optional[Sequence[type[LintRule]]] = None) -> dict[Path, str]:
    """Every generated file under `root` and the text it must have."""
    rules = list(all_rules() if rules is None else rules)
    out = {root / "docs" / "rules" / f"{rule.CODE}.md": render_rule_page(rule) for rule in rules}
    out[root / "docs" / "rules" / "index.md"] = render_index(rules)
    configuration = root / "docs" / "configuration.md"
    if configuration.is_file():
        out[configuration] = splice_options(configuration.read_text(encoding="utf-8"), render_options_block(rules))
    return out


def splice_options(text: str, block: str) -> str:
    """Replace the generated block of `docs/configuration.md` (which must have both markers)."""
    start, end = text.find(OPTIONS_BEGIN), text.find(OPTIONS_END)
    if start < 0 or end < start:
        raise ValueError(f"docs/configuration.md must contain the lines {OPTIONS_BEGIN!r} and {OPTIONS_END!r}")
    return text[:start] + block + text[end + len(OPTIONS_END) :]


def orphan_pages(root: Path, rules: Sequence[type[LintRule]]) -> list[Path]:
    """`docs/rules/XH*.md` pages for codes that are no rule (a rule was removed or renumbered)."""
    codes = {rule.CODE for rule in rules}
    folder = root / "docs" / "rules"
    return sorted(p for p in folder.glob("XH*.md") if p.stem not in codes) if folder.is_dir() else []


def stale_files(root: Path, rules: Optional[Sequence[type[LintRule]]] = None) -> list[Path]:
    """Generated files that are missing, differ from what would be generated, or are orphans."""
    rules = list(all_rules() if rules is None else rules)
    stale = []
    for path, text in expected_files(root, rules).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
    return stale + orphan_pages(root, rules)


def write(root: Path, rules: Optional[Sequence[type[LintRule]]] = None) -> list[Path]:
    """Write every generated file that changed and delete orphan pages; return what changed."""
    rules = list(all_rules() if rules is None else rules)
    changed = []
    for path, text in expected_files(root, rules).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(path)
    for path in orphan_pages(root, rules):
        path.unlink()
        changed.append(path)
    return changed


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m errlint.docs", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="Write nothing; exit 1 when a file is stale.")
    parser.add_argument("--root", type=Path, help="The repository root (default: the errlint checkout).")
    args = parser.parse_args(argv)
    root = args.root or default_root()
    rules = all_rules()
    problems = [f"{rule.CODE} ({_source_file(rule)}): {p}" for rule in rules for p in docstring_problems(rule)]
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    try:
        if args.check:
            stale = stale_files(root, rules)
            for path in stale:
                print(f"stale: {_rel(path, root)}")
            if not catalog.index_is_fresh():
                stale.append(catalog.index_path())
                print(f"stale: {_rel(catalog.index_path(), root)}")
            if stale:
                print(f"run `{REGENERATE}` from the repository root to regenerate", file=sys.stderr)
            return 1 if stale else 0
        for path in write(root, rules):
            print(f"wrote {_rel(path, root)}" if path.exists() else f"deleted {_rel(path, root)}")
        if catalog.write_index():  # what start-up knows of the rules without importing them
            print(f"wrote {_rel(catalog.index_path(), root)}")
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

"""What errlint knows about its rules without importing them: codes, names, preview, options.

Importing a rule imports libcst and the shared analyses (about 150 ms); a run whose files are all
cache hits, `errlint --version` or the validation of a configuration need only each rule's code,
name, preview flag and whether it takes options. `errlint/rule_index.py` holds these facts for
errlint's own rules, written by `python -m errlint.catalog` (and by `python -m errlint.docs`, which
a new rule needs anyway), together with a digest of the sources they were taken from.

At run time the digest is compared with the sources (every module of `errlint.rules` and
`errlint/rule.py`, read once, about a millisecond). When they differ - a rule edited or added
without regenerating the index - the rules are imported and the facts taken from them: a stale
index costs time, never a wrong answer (`tests/test_catalog.py` checks the committed index is fresh).
Once the rules are imported (or external rules are loaded, `errlint.plugins`), the facts always
come from the classes themselves.

`load(codes)` imports only the modules of the rules asked for.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Optional, Sequence, Union, overload

if TYPE_CHECKING:
    from errlint.rule import LintRule

INDEX_MODULE = "errlint.rule_index"


# An `Options` dataclass as data: (field, default, allowed values or None) per field.
OptionSchema = tuple[tuple[str, Any, Optional[tuple[Any, ...]]], ...]


@dataclass(frozen=True)
class RuleInfo:
    """One rule as the catalog knows it (`module`/`qualname`: where its class is defined)."""

    code: str
    name: str
    preview: bool
    has_options: bool
    module: str
    qualname: str
    options: Optional[OptionSchema] = None  # what its options may be (validated without importing it)
    project: bool = False  # a project-level rule (errlint.projectlevel), judged over every file


def _imported_rules() -> Optional[tuple[type[LintRule], ...]]:
    """The rule classes, when `errlint.rule.all_rules()` has run (also after plugins registered)."""
    module = sys.modules.get("errlint.rule")
    found: Optional[tuple[type[LintRule], ...]] = getattr(module, "_RULES", None) if module is not None else None
    return found


def info_of(rule: type[LintRule]) -> RuleInfo:
    schema = options_schema(rule.Options) if rule.Options is not None else None
    project = bool(getattr(rule, "PROJECT", False))
    return RuleInfo(
        rule.CODE, rule.NAME, bool(rule.PREVIEW), rule.Options is not None, rule.__module__, rule.__qualname__, schema, project
    )


def options_schema(options: type) -> OptionSchema:
    """The fields of an `Options` dataclass with their defaults and `CHOICES`."""
    import dataclasses

    defaults = options()
    choices: Mapping[str, Sequence[Any]] = getattr(options, "CHOICES", {})
    return tuple(
        (f.name, getattr(defaults, f.name), tuple(choices[f.name]) if f.name in choices else None)
        for f in dataclasses.fields(options)
    )


def parse_option_table(schema: OptionSchema, table: Mapping[str, Any], path: str, key: str) -> dict[str, Any]:
    """Validate a configuration table of rule options against `schema`; the plain values by field."""
    from errlint.errors import ConfigError

    fields = {name.replace("_", "-"): (name, default, allowed) for name, default, allowed in schema}
    out: dict[str, Any] = {}
    for name, value in table.items():
        if name not in fields:
            import difflib

            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown option '{name}'{hint}", path, f"{key}.{name}")
        field_name, default, allowed = fields[name]
        if allowed is not None and value not in allowed:
            raise ConfigError(f"expected one of {', '.join(repr(c) for c in allowed)}, got {value!r}", path, f"{key}.{name}")
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"expected a list of strings, got {value!r}", path, f"{key}.{name}")
            value = tuple(value)
        elif type(value) is not type(default) and not (isinstance(default, float) and isinstance(value, int)):
            raise ConfigError(
                f"expected {type(default).__name__}, got {type(value).__name__} ({value!r})", path, f"{key}.{name}"
            )
        out[field_name] = value
    return out


def source_digest() -> str:
    """A digest of what the index is derived from: every module of `errlint.rules` and `rule.py`.

    Line endings are normalised, so a checkout with CRLF line endings keeps the index usable.
    """
    import errlint
    import errlint.rules

    files = [Path(errlint.__file__).parent / "rule.py"]
    for folder in errlint.rules.__path__:
        files.extend(sorted(Path(folder).glob("*.py")))
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode("utf-8", "surrogatepass") + b"\0")
        try:
            digest.update(file.read_bytes().replace(b"\r\n", b"\n"))
        except OSError:
            digest.update(b"\1unreadable")
        digest.update(b"\0")
    return digest.hexdigest()


_INDEXED: list[Optional[tuple[RuleInfo, ...]]] = []


def _index() -> Optional[tuple[RuleInfo, ...]]:
    """The committed index of errlint's own rules, or None when missing or stale (checked once)."""
    if not _INDEXED:
        infos: Optional[tuple[RuleInfo, ...]] = None
        try:
            module = importlib.import_module(INDEX_MODULE)
        except ImportError:
            module = None
        if module is not None and getattr(module, "DIGEST", None) == source_digest():
            infos = tuple(RuleInfo(*row) for row in module.RULES)
        _INDEXED.append(infos)
    return _INDEXED[0]


def indexed_descriptor(code: str) -> Optional[dict[str, Any]]:
    """The SARIF `reportingDescriptor` of one of errlint's own rules from the committed index
    (None when the index is stale or the code is not one of them)."""
    if _index() is None:
        return None
    descriptors: dict[str, Any] = getattr(importlib.import_module(INDEX_MODULE), "DESCRIPTORS", {})
    found = descriptors.get(code)
    if found is None:
        return None
    from errlint.reporters.sarif import descriptor_from

    return descriptor_from(*found)


def infos() -> tuple[RuleInfo, ...]:
    """Every rule errlint knows now (its own, and external ones once loaded), sorted by code."""
    imported = _imported_rules()
    if imported is None:
        indexed = _index()
        if indexed is not None:
            return indexed
        from errlint.rule import all_rules

        imported = all_rules()
    return tuple(info_of(rule) for rule in imported)


def known_codes() -> list[str]:
    return [info.code for info in infos()]


def names_to_codes() -> dict[str, str]:
    return {info.name: info.code for info in infos()}


OptionParser = Callable[[Mapping[str, Any], str, str], dict[str, Any]]


def option_parsers() -> dict[str, OptionParser]:
    """Per code of a rule with options, its option validator (from the index: the rule is not
    imported; without an index, imported when called, only for a configuration that sets them)."""

    def parser(info: RuleInfo) -> OptionParser:
        def parse(table: Mapping[str, Any], path: str, key: str) -> dict[str, Any]:
            if info.options is not None:
                return parse_option_table(info.options, table, path, key)
            return load([info.code])[0].parse_options(table, path, key)

        return parse

    return {info.code: parser(info) for info in infos() if info.has_options}


def load(codes: Sequence[str]) -> list[type[LintRule]]:
    """The rule classes with these codes, in the order given, importing only their modules."""
    imported = _imported_rules()
    if imported is None and _index() is not None:
        where = {info.code: info for info in _index() or ()}
        if all(code in where for code in codes):
            out = []
            for code in codes:
                info = where[code]
                value: Any = importlib.import_module(info.module)
                for part in info.qualname.split("."):
                    value = getattr(value, part)
                out.append(value)
            return out
    if imported is None:
        from errlint.rule import all_rules

        imported = all_rules()
    by_code = {rule.CODE: rule for rule in imported}
    return [by_code[code] for code in codes]


class RuleSelection(Sequence["type[LintRule]"]):
    """The enabled rules, known by code; their classes are imported on first use (`rules`).

    A `Sequence` of rule classes: `len`, truth and `codes` never import anything, so a run whose
    files are all cache hits does not import the rules (nor libcst).
    """

    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = tuple(codes)
        self._rules: Optional[tuple[type[LintRule], ...]] = None

    @property
    def rules(self) -> tuple[type[LintRule], ...]:
        if self._rules is None:
            self._rules = tuple(load(self.codes))
        return self._rules

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, index: int) -> type[LintRule]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[type[LintRule]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[type[LintRule], Sequence[type[LintRule]]]:
        return self.rules[index]

    def __iter__(self) -> Iterator[type[LintRule]]:
        return iter(self.rules)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RuleSelection):
            return self.codes == other.codes
        if isinstance(other, (list, tuple)):
            return list(self.rules) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RuleSelection({list(self.codes)!r})"


def rule_codes(rules: Sequence[type[LintRule]]) -> tuple[str, ...]:
    """The codes of `rules` (without importing a `RuleSelection`'s classes)."""
    if isinstance(rules, RuleSelection):
        return rules.codes
    return tuple(rule.CODE for rule in rules)


# --- the committed index ------------------------------------------------------------------------


def render_index() -> str:
    """The text of `errlint/rule_index.py` for the rules as they are now."""
    from errlint.rule import all_rules

    from errlint.reporters.sarif import descriptor_facts

    own = [rule for rule in all_rules() if rule.__module__.startswith("errlint.rules.")]
    rows = "".join(f"    {tuple(vars(info_of(rule)).values())!r},\n" for rule in own)
    descriptors = "".join(f"    {rule.CODE!r}: {descriptor_facts(rule)!r},\n" for rule in own)
    return (
        '"""Generated by `python -m errlint.catalog` from errlint\'s rules (errlint.catalog): do not edit."""\n\n'
        f"DIGEST = {source_digest()!r}\n\n"
        "# (code, name, preview, has options, module, class, options: (field, default, choices) each, project)\n"
        f"RULES = (\n{rows})\n\n"
        "# what the SARIF reportingDescriptor of each rule is built from (errlint.reporters.sarif.descriptor_facts)\n"
        f"DESCRIPTORS = {{\n{descriptors}}}\n"
    )


def index_path() -> Path:
    import errlint

    return Path(errlint.__file__).parent / "rule_index.py"


def index_is_fresh() -> bool:
    path = index_path()
    return path.is_file() and path.read_text(encoding="utf-8") == render_index()


def write_index() -> bool:
    """Write the index when it is stale; True when written."""
    if index_is_fresh():
        return False
    index_path().write_text(render_index(), encoding="utf-8", newline="\n")
    _INDEXED.clear()
    return True


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--check"]:
        if index_is_fresh():
            return 0
        print("stale: errlint/rule_index.py (run `python -m errlint.catalog`)", file=sys.stderr)
        return 1
    if args:
        print("usage: python -m errlint.catalog [--check]", file=sys.stderr)
        return 2
    print("wrote errlint/rule_index.py" if write_index() else "errlint/rule_index.py is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

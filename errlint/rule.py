"""The rule framework: `LintRule`, embedded `Valid`/`Invalid` cases, fixes, and rule discovery.

A rule is a small libcst `BatchableCSTVisitor` subclass in `rules/<snake_name>.py` with ClassVar
metadata and `visit_*`/`leave_*` methods. It reads shared analyses from `self.context` (never
recomputing them) and reports with `self.report(node, ...)`. The engine batches every enabled rule
into one traversal (`errlint.walker`).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Optional, Sequence

import libcst as cst

from errlint.catalog import options_schema, parse_option_table
from errlint.errors import ConfigError
from errlint.finding import FixAvailability, FixSafety, Impact, Severity
# Reports and fix specs live beside Finding (no context <-> rule cycle); re-exported for rules.
from errlint.finding import FixSpec as FixSpec, Replacement as Replacement, Report as Report

if TYPE_CHECKING:
    from errlint.context import FileContext
    from errlint.regions import Region

FAMILIES: dict[str, str] = {
    "XH0": "file",
    "XH1": "catching",
    "XH2": "raising",
    "XH3": "logging",
    "XH4": "privacy",
    "XH5": "context",
    "XH6": "resilience",
}


@dataclass(frozen=True)
class Valid:
    """Code the rule must not flag."""

    code: str
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _dedent(self.code))


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag exactly once (or `expected_count` times), with pinned details."""

    code: str
    expected_message: str
    expected_replacement: Optional[str] = None
    expected_safety: Optional[FixSafety] = None
    line: Optional[int] = None
    column: Optional[int] = None
    expected_severity: Optional[Severity] = None
    expected_count: int = 1
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _dedent(self.code))
        if self.expected_replacement is not None:
            object.__setattr__(self, "expected_replacement", _dedent(self.expected_replacement))


def _dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class LintRule(cst.BatchableCSTVisitor):
    """Base class of every errlint rule. Subclasses set the ClassVars and visit nodes."""

    CODE: ClassVar[str]
    NAME: ClassVar[str] = ""  # kebab-case; derived from the class name when empty
    MESSAGE: ClassVar[str]
    SEVERITY: ClassVar[Severity] = Severity.WARNING
    IMPACT: ClassVar[Impact]
    PREVIEW: ClassVar[bool] = False
    FIX: ClassVar[FixAvailability] = FixAvailability.NONE
    FIX_TITLE: ClassVar[str] = ""
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    # A frozen dataclass of per-rule options, configured under [tool.errlint.rules.<code|name>].
    Options: ClassVar[Optional[type]] = None
    # Regular expressions, one of which the source of a function (decorators to last line) must
    # match for this rule to report anything inside it, and the file's text for it to report
    # anywhere; a function that matches no enabled rule's patterns is blanked before parsing, a
    # file that matches none is not parsed (errlint.prefilter). None: may report anywhere, which
    # turns the prefilter off. Names imported from a matching qualified name count as matches.
    PREFILTER: ClassVar[Optional[Sequence[str]]] = None
    # The shared analyses the rule reads (names in `errlint.analysis.ANALYSES`): what they need
    # kept is added to the prefilter. A rule that reads an analysis without declaring it may lose
    # findings to the prefilter (tests/test_prefilter_equivalence.py runs every rule alone).
    ANALYSES: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def may_report(cls, region: Region) -> bool:
        """The rule's exact hint, asked where its `PREFILTER` matches: could it report anything in
        `region` (one function, or the module's own code, as CPython's tree: `errlint.regions`)?

        Must be True whenever the rule can report there, under any configuration (a necessary
        condition, not a judgement). The default cannot tell: True.
        """
        return True

    @classmethod
    def has_exact_hint(cls) -> bool:
        return cls.may_report.__func__ is not LintRule.may_report.__func__  # type: ignore[attr-defined]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.NAME:
            cls.NAME = _CAMEL_RE.sub("-", cls.__name__).lower()
        from errlint.analysis import ANALYSES

        unknown = [name for name in cls.ANALYSES if name not in ANALYSES]
        if unknown:
            raise TypeError(f"{cls.__name__}.ANALYSES: unknown analysis {', '.join(unknown)} (see errlint.analysis.ANALYSES)")

    def __init__(self, context: FileContext, options: Any = None) -> None:
        super().__init__()
        self.context = context
        self.options = options if options is not None else (self.Options() if self.Options else None)

    # -- metadata helpers --------------------------------------------------------------

    @classmethod
    def family(cls) -> str:
        return FAMILIES.get(cls.CODE[:3], "other")

    @classmethod
    def summary(cls) -> str:
        """The first sentence of `## What it does`, for listings."""
        doc = cls.__doc__ or ""
        match = re.search(r"## What it does\s*\n(.*?)(?:\n\s*\n|\n\s*##|$)", doc, re.S)
        text = " ".join((match.group(1) if match else doc).split())
        return text

    @classmethod
    def parse_options(cls, table: Mapping[str, Any], path: str, key: str) -> dict[str, Any]:
        """Validate a config table against `Options`; return the plain values."""
        if cls.Options is None:
            raise ConfigError("this rule has no options", path, key)
        return parse_option_table(options_schema(cls.Options), table, path, key)

    @classmethod
    def make_options(cls, values: Mapping[str, Any]) -> Any:
        if cls.Options is None:
            return None
        return cls.Options(**values)

    # -- reporting -----------------------------------------------------------------------

    def report(
        self,
        node: cst.CSTNode,
        *,
        message: Optional[str] = None,
        severity: Optional[Severity] = None,
        fix: Optional[Sequence[tuple[cst.CSTNode, Replacement]]] = None,
        safety: FixSafety = FixSafety.SAFE,
        fix_title: Optional[str] = None,
        end: Optional[cst.CSTNode] = None,
        **message_args: Any,
    ) -> None:
        """Report `node` (up to the end of `end`, when given).

        The message is `MESSAGE.format(**message_args)` unless `message` is given. `fix` is a list
        of (node, replacement) pairs, the replacement a node or text ("" deletes the node).
        """
        text = message if message is not None else self.MESSAGE.format(**message_args)
        spec = None
        if fix:
            title = fix_title if fix_title is not None else self.FIX_TITLE.format(**message_args)
            spec = FixSpec(title, safety, tuple(fix))
        self.context.add_report(self, node, text, severity or self.SEVERITY, spec, end)


# --- discovery ------------------------------------------------------------------------------

_RULES: Optional[tuple[type[LintRule], ...]] = None


def all_rules() -> tuple[type[LintRule], ...]:
    """Import every module of `errlint.rules` once; return their rules sorted by code."""
    global _RULES
    if _RULES is None:
        import errlint.rules as package

        found: dict[str, type[LintRule]] = {}
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"errlint.rules.{info.name}")
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, LintRule)
                    and value is not LintRule
                    and value.__module__ == module.__name__
                    and getattr(value, "CODE", None)
                ):
                    if value.CODE in found and found[value.CODE] is not value:
                        raise RuntimeError(f"duplicate rule code {value.CODE}: {found[value.CODE]} and {value}")
                    found[value.CODE] = value
        _RULES = tuple(sorted(found.values(), key=lambda r: r.CODE))
    return _RULES


def rule_by_code(code_or_name: str) -> Optional[type[LintRule]]:
    key = code_or_name.strip()
    for rule in all_rules():
        if rule.CODE == key.upper() or rule.NAME == key.lower():
            return rule
    return None

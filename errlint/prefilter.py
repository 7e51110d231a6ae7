"""Blank out the functions no enabled rule can report in, before libcst parses the file.

Parsing with libcst is most of errlint's cost, and most functions hold nothing an error-handling
rule looks at (`../shared/PERF.md`: the functions with a `try`, a `raise`, a logging or network
call are about a quarter of the lines of real code). Each rule declares `PREFILTER`, regular
expressions that the source of a function (decorators to last line) must match for the rule to
possibly report anything inside it; `None` (the default) means "anywhere" and turns this off.

A cheap pass with CPython's `ast` finds every function that is not nested in another function
(module level, in classes, under `if`/`try`/`with`...). When its source matches no rule's pattern,
its body is replaced line for line: the first body line becomes `pass` at the same indentation,
the other body lines become empty, every line ending is kept. The `def` line, decorators,
comments and every other line stay as they are, so the program stays valid and every position
outside the blanked bodies is unchanged. Functions nested in a kept function are kept.

Names bound by an import whose qualified name matches a pattern (`from requests import get`)
count as matches too, so rules that resolve calls through imports see the aliased calls.

What a rule's findings depend on beyond the function they are in is declared, not guessed: each
rule names the shared analyses it reads (`LintRule.ANALYSES`), and each analysis says what source it
needs kept (`errlint.analysis.Analysis`): patterns of its own, and `class_attributes` (the logging
analysis resolves `self.audit.error(...)` through `self.audit = logging.getLogger(...)` in
`__init__`): in a class with a kept method, the methods that bind attributes on `self`/`cls` or are
properties are kept too. `prefilter_plan` derives the whole plan from the enabled rules.

Matching is linear: every pattern is reduced (`re._parser`) to literals one of which any match must
contain ("anchors": `except`, `getLogger`, `Error`...); a function none of whose anchors occurs in
its source is blanked without running the regular expression, which otherwise runs once over the
function's source and stops at the first match. A file in which no anchor occurs at all cannot
have a finding (the hints hold for module-level code too), and the engine does not parse it.

Where a rule's patterns match, its exact hint (`LintRule.may_report`, on CPython's tree: see
`errlint.regions`) may still say it cannot report there: the pattern `except` keeps a function for XH105,
whose hint then looks for a handler that only re-raises. A function no rule's hint keeps is blanked;
a file where no rule can report, in any function or in the module's own code, is not parsed.

Anything unusual keeps the text as it is: `ast` cannot parse it (syntax newer than the running
Python, a syntax error, too deep), or a body shares its line with the header (`def f(): pass`).
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Sequence, Union

if sys.version_info >= (3, 11):
    from re import _constants as _sre_constants, _parser as _sre_parser  # type: ignore[attr-defined]
else:  # pragma: no cover - Python 3.9/3.10
    import sre_constants as _sre_constants
    import sre_parse as _sre_parser

from errlint.analysis import analysis_closure
from errlint.regions import Region

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.rule import LintRule

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_NEVER = "(?!)"
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass
class Prefiltered:
    """The text to parse, the body line ranges that were blanked, and the `ast` of the original."""

    text: str
    blanked: list[tuple[int, int]] = field(default_factory=list)  # 1-based, inclusive
    tree: Optional[ast.Module] = None
    nothing: bool = False  # no rule can report anywhere in the file: it need not be parsed

    def covers(self, line: int, end_line: int) -> bool:
        """True when the range from `line` to `end_line` contains a blanked body."""
        return any(line <= start and stop <= end_line for start, stop in self.blanked)


Anchor = tuple[str, bool]  # a literal every match of some pattern contains, and whether case is ignored


Part = tuple[re.Pattern[str], Optional[tuple[Anchor, ...]]]  # one pattern and its anchors (None: unknown)
Check = Callable[[Region], bool]


@dataclass(frozen=True)
class Hint:
    """One rule's hint: the indexes of its patterns in `Plan.parts`, one of which must match where
    it reports (with the configured vocabularies), and its exact hint on CPython's tree, if any."""

    parts: tuple[int, ...]
    check: Optional[Check] = None
    pattern: Optional[re.Pattern[str]] = None  # its patterns in one (for imported names)


@dataclass(frozen=True)
class Plan:
    """What the enabled rules need kept: derived from their hints and their analyses.

    `pattern` is every hint in one expression; `parts` the hints one by one, each with its anchors
    (literals one of which every match contains; None: unknown, it runs everywhere), so a function
    runs only the few hints whose anchors occur in it. `class_attributes`: keep the
    attribute-binding methods and properties of a class that has a kept method.
    """

    pattern: re.Pattern[str]
    parts: tuple[Part, ...] = ()
    class_attributes: bool = False
    # The rules' hints; None: every part is one hint without an exact check. The parts no hint
    # names are the analyses' `keep` patterns: they keep a function, but never make a file parsed.
    hints: Optional[tuple[Hint, ...]] = None

    @classmethod
    def of(cls, pattern: re.Pattern[str]) -> Plan:
        return cls(pattern, ((pattern, None),))

    @property
    def rule_hints(self) -> tuple[Hint, ...]:
        if self.hints is None:
            return (Hint(tuple(range(len(self.parts))), None, self.pattern),)
        return self.hints

    @property
    def anchors(self) -> Optional[tuple[Anchor, ...]]:
        found: set[Anchor] = set()
        for _, anchors in self.parts:
            if anchors is None:
                return None
            found.update(anchors)
        return tuple(sorted(found))

    def present(self, text: str) -> dict[int, Part]:
        """The parts that can match somewhere in `text` (by index), each with the anchors that occur in it.

        Each distinct anchor is looked for once, shortest first, and not at all when a shorter
        anchor it contains is absent (`.error(` after `error`)."""
        lowered: Optional[str] = None
        found: dict[Anchor, bool] = {}
        for anchor, inside in self._anchor_order():
            if any(not found[sub] for sub in inside):
                found[anchor] = False
                continue
            literal, icase = anchor
            if icase:
                lowered = text.lower() if lowered is None else lowered
                found[anchor] = literal in lowered
            else:
                found[anchor] = literal in text
        out: dict[int, Part] = {}
        for index, (pattern, anchors) in enumerate(self.parts):
            if anchors is None:
                out[index] = (pattern, None)
                continue
            here = tuple(anchor for anchor in anchors if found[anchor])
            if here:
                out[index] = (pattern, here)
        return out

    def _anchor_order(self) -> tuple[tuple[Anchor, tuple[Anchor, ...]], ...]:
        """Every distinct anchor, shortest first, with the shorter anchors it contains."""
        order = _ORDERS.get(id(self))
        if order is None or order[0] is not self:
            unique = sorted({a for _, anchors in self.parts for a in anchors or ()}, key=lambda a: (len(a[0]), a))
            pairs = tuple(
                (a, tuple(b for b in unique[:i] if b[1] == a[1] and b[0] in a[0])) for i, a in enumerate(unique)
            )
            order = _ORDERS[id(self)] = (self, pairs)
        return order[1]

    def live(self, present: dict[int, Part]) -> list[Hint]:
        """The rules' hints one of whose patterns may match (`present`: `self.present(text)`)."""
        return [hint for hint in self.rule_hints if any(i in present for i in hint.parts)]

    def can_match(self, text: str) -> bool:
        """False when no rule's pattern can match anywhere in `text` (cheap: substring searches)."""
        return bool(self.live(self.present(text)))


_PLANS: dict[tuple[object, ...], Optional[Plan]] = {}
_ORDERS: dict[int, tuple[Plan, tuple[tuple[Anchor, tuple[Anchor, ...]], ...]]] = {}


def prefilter_plan(rules: Sequence[type[LintRule]], config: Optional[Config] = None) -> Optional[Plan]:
    """The prefilter for `rules`, or None when a rule has no `PREFILTER` (then nothing is blanked).

    The patterns are every rule's `PREFILTER`, the `keep` patterns of the analyses the rules declare
    (and the analyses those use), and the configured vocabularies (`logger-names`,
    `report-functions`): rules read them from the configuration, so a function that uses one is
    kept.
    """
    extra: tuple[str, ...] = ()
    if config is not None:
        names = tuple(config.logger_names) + tuple(config.all_report_functions)
        extra = tuple(sorted({n.rsplit(".", 1)[-1] for n in names if n}))
    key = (tuple(rules), extra)
    if key in _PLANS:
        return _PLANS[key]
    plan: Optional[Plan] = None
    if all(getattr(rule, "PREFILTER", None) is not None for rule in rules):
        analyses = analysis_closure([name for rule in rules for name in getattr(rule, "ANALYSES", ())])
        vocabulary = [re.escape(word) for word in extra]
        sources = [p for rule in rules for p in (rule.PREFILTER or ())]
        sources.extend(p for analysis in analyses for p in analysis.keep)
        sources.extend(vocabulary)
        pattern = re.compile(_union(sources))
        index = {source: i for i, source in enumerate(dict.fromkeys(sources))}
        parts = tuple((re.compile(source), _sorted(pattern_anchors(source))) for source in index)
        hints = []
        for rule in rules:
            own = [*(rule.PREFILTER or ()), *vocabulary]
            check = rule.may_report if rule.has_exact_hint() else None
            hints.append(Hint(tuple(dict.fromkeys(index[p] for p in own)), check, re.compile(_union(own))))
        plan = Plan(pattern, parts, any(a.class_attributes for a in analyses), tuple(hints))
    _PLANS[key] = plan
    return plan


def _union(sources: Sequence[str]) -> str:
    return "|".join(f"(?:{p})" for p in sources) if sources else _NEVER


def rules_pattern(rules: Sequence[type[LintRule]], config: Optional[Config] = None) -> Optional[re.Pattern[str]]:
    """One regular expression for every rule's `PREFILTER` (and their analyses), or None."""
    plan = prefilter_plan(rules, config)
    return plan.pattern if plan is not None else None


# --- anchors: literals every match contains ---------------------------------------------------

_MIN_ANCHOR = 3  # shorter literals select too little to be worth it
_MAX_SET = 256
_IGNORECASE = 2  # re.IGNORECASE in the parser's flag bits


def _sorted(anchors: Optional[set[Anchor]]) -> Optional[tuple[Anchor, ...]]:
    return None if anchors is None else tuple(sorted(anchors))


def pattern_anchors(source: str) -> Optional[set[Anchor]]:
    """Literals one of which every match of `source` contains; None when none can be told."""
    try:
        parsed = _sre_parser.parse(source)
    except (re.error, RecursionError):
        return None
    icase = bool(parsed.state.flags & _IGNORECASE)
    return _required(list(parsed), icase)


def _exact(items: list[tuple[object, object]]) -> Optional[set[str]]:
    """The strings `items` can match, when they are only literals, alternatives and `?`."""
    results = {""}
    for op, av in items:
        if op is _sre_constants.LITERAL:
            options = {chr(av)}  # type: ignore[arg-type]
        elif op is _sre_constants.BRANCH:
            options = set()
            for branch in av[1]:  # type: ignore[index]
                found = _exact(list(branch))
                if found is None:
                    return None
                options |= found
        elif op is _sre_constants.SUBPATTERN and not av[1] and not av[2]:  # type: ignore[index]
            found = _exact(list(av[3]))  # type: ignore[index]
            if found is None:
                return None
            options = found
        elif op is _sre_constants.MAX_REPEAT and av[0] == 0 and av[1] == 1:  # type: ignore[index]
            found = _exact(list(av[2]))  # type: ignore[index]
            if found is None:
                return None
            options = found | {""}
        else:
            return None
        results = {a + b for a in results for b in options}
        if len(results) > _MAX_SET:
            return None
    return results


def _required(items: list[tuple[object, object]], icase: bool) -> Optional[set[Anchor]]:
    """Anchors of a sequence: the most selective of the parts every match must contain."""
    candidates: list[set[Anchor]] = []
    run: list[tuple[object, object]] = []

    def flush() -> None:
        if run:
            strings = _exact(run)
            if strings and min(len(x) for x in strings) >= 1:
                candidates.append({(x.lower() if icase else x, icase) for x in strings})
            run.clear()

    for op, av in items:
        if op is _sre_constants.LITERAL or (op is _sre_constants.BRANCH and _exact([(op, av)]) is not None) or (
            op is _sre_constants.MAX_REPEAT and _exact([(op, av)]) is not None
        ):
            run.append((op, av))
            continue
        if op is _sre_constants.SUBPATTERN:
            flags_on, flags_off, inner = av[1], av[2], list(av[3])  # type: ignore[index]
            inner_icase = (icase or bool(flags_on & _IGNORECASE)) and not flags_off & _IGNORECASE
            if inner_icase == icase and _exact(inner) is not None:
                run.append((op, av))
                continue
            flush()
            found = _required(inner, inner_icase)
            if found is not None:
                candidates.append(found)
            continue
        flush()
        if op is _sre_constants.BRANCH:
            union: set[Anchor] = set()
            for branch in av[1]:  # type: ignore[index]
                found = _required(list(branch), icase)
                if found is None:
                    union = set()
                    break
                union |= found
            if union:
                candidates.append(union)
        elif op in (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT) and av[0] >= 1:  # type: ignore[index]
            found = _required(list(av[2]), icase)  # type: ignore[index]
            if found is not None:
                candidates.append(found)
    flush()
    good = [c for c in candidates if c and min(len(x) for x, _ in c) >= _MIN_ANCHOR]
    if not good:
        return None
    return max(good, key=lambda c: (min(len(x) for x, _ in c), -len(c)))


# --- blanking ---------------------------------------------------------------------------------


@dataclass
class _Function:
    node: FunctionNode
    owner: Optional[ast.ClassDef]  # the innermost class around it (no function in between)
    first: int = 0
    last: int = 0
    keep: bool = False


def blank_irrelevant(
    text: str,
    plan: Union[Plan, re.Pattern[str]],
    tree: Optional[ast.Module] = None,
    present: Optional[dict[int, Part]] = None,
) -> Optional[Prefiltered]:
    """Return `text` with the bodies of irrelevant functions blanked, or None if `ast` fails.

    `plan` is a `Plan` (or just a pattern); `tree` is `ast.parse(text)` and `present`
    `plan.present(text)` when the caller has them. `Prefiltered.nothing` says that no rule can
    report anywhere in the file.
    """
    if isinstance(plan, re.Pattern):
        plan = Plan.of(plan)
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences and the like: not ours to say
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            return None  # libcst parses the text as it is and reports any real problem as XH000
    result = Prefiltered(text, tree=tree)
    if present is None:
        present = plan.present(text)
    live = plan.live(present)
    if not live:
        result.nothing = True
        return result
    functions: list[_Function] = []
    imports: list[Union[ast.Import, ast.ImportFrom]] = []
    _collect(tree.body, functions, imports, None)
    # The module's own code: a rule without an exact hint may report there whenever its patterns
    # occur in the text (as before); the others say so on the module's region.
    module_region = Region(tree)
    needed = any(hint.check is None or hint.check(module_region) for hint in live)
    if not functions:
        result.nothing = not needed
        return result
    lines = _LINE_RE.findall(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    keep_parts = [i for i in present if not any(i in hint.parts for hint in live)]
    aliases = _AliasMatcher(imports, tree)
    owners_kept: set[int] = set()
    for function in functions:
        function.first = _first_line(function.node)
        function.last = min(function.node.end_lineno or function.node.lineno, len(lines))
        begin, end = starts[function.first - 1], starts[function.last]
        matched: dict[int, bool] = {}

        def part_matches(i: int) -> bool:
            found = matched.get(i)
            if found is None:
                found = matched[i] = _matches(text, begin, end, (present[i],))
            return found

        for hint in live:
            if any(part_matches(i) for i in hint.parts if i in present) or aliases.match(hint, text, begin, end):
                if hint.check is None or hint.check(Region(function.node, tree)):
                    function.keep = True
                    break
        if function.keep:
            needed = True  # a rule may report in here
        elif any(part_matches(i) for i in keep_parts):
            function.keep = True  # an analysis reads it
        if function.keep and function.owner is not None:
            owners_kept.add(id(function.owner))
    if not needed:
        result.nothing = True
        return result
    replaced: dict[int, str] = {}
    for function in functions:
        if function.keep:
            continue  # some rule may report in here
        if plan.class_attributes and function.owner is not None and id(function.owner) in owners_kept:
            if _binds_attributes(function.node):
                continue  # a kept method of its class may read what it binds
        body_line = _first_line(function.node.body[0])
        last = function.last
        if body_line <= function.node.lineno or body_line > len(lines):
            continue
        source = lines[body_line - 1]
        indent = len(source) - len(source.lstrip(" \t\f"))
        if indent == 0 or not _starts_line(function.node.body[0], source):
            continue  # the body shares its line with the header (`def f(): return 1`)
        replaced[body_line] = source[:indent] + "pass" + _ending(source)
        for number in range(body_line + 1, last + 1):
            replaced[number] = _ending(lines[number - 1])
        result.blanked.append((body_line, last))
    if replaced:
        result.text = _join(lines, replaced)
    return result


class _AliasMatcher:
    """Names that stand for something a hint's patterns match count as matches, per hint (computed
    when first asked): names bound by imports whose qualified name matches (`from requests import
    get` for a hint on `requests`), and names bound anywhere in the file to an attribute or name
    whose call would match (`oops = log.exception`, `self.warn = logger.warning`: the logging
    analysis resolves such aliases)."""

    def __init__(self, imports: Sequence[Union[ast.Import, ast.ImportFrom]], tree: ast.Module) -> None:
        self._imports = imports
        self._tree = tree
        self._by_hint: dict[int, Optional[re.Pattern[str]]] = {}

    def match(self, hint: Hint, text: str, begin: int, end: int) -> bool:
        if hint.pattern is None:
            return False
        key = id(hint)
        if key not in self._by_hint:
            aliases = _aliases(self._imports, hint.pattern) if self._imports else set()
            aliases.update(
                name
                for name, dotted in Region(self._tree).bindings()
                if hint.pattern.search(dotted + "(") and not hint.pattern.search(name + "(")
            )
            self._by_hint[key] = (
                re.compile(r"\b(?:" + "|".join(re.escape(a) for a in sorted(aliases)) + r")\b") if aliases else None
            )
        alias_re = self._by_hint[key]
        return alias_re is not None and alias_re.search(text, begin, end) is not None


def _join(lines: Sequence[str], replaced: dict[int, str]) -> str:
    """The lines with `replaced` ones swapped in, never joining two lines into one.

    A blanked line is only its line ending. After a line that ends with a lone `\r`, a blanked
    line ending in `\n` would make the two endings a single `\r\n` line break, moving every later
    line up by one: such a line gets a space before its ending (a blank line all the same).
    """
    out: list[str] = []
    previous = ""
    for number, line in enumerate(lines, start=1):
        new = replaced.get(number)
        if new is None:
            new = line
        elif new.startswith("\n") and previous.endswith("\r"):
            new = " " + new
        out.append(new)
        previous = new
    return "".join(out)


def _matches(text: str, begin: int, end: int, parts: Sequence[Part]) -> bool:
    """True when a hint matches the source `text[begin:end]`; only hints whose anchors occur in it run."""
    lowered: Optional[str] = None
    for pattern, anchors in parts:
        if anchors is not None:
            for literal, icase in anchors:
                if icase:
                    lowered = text[begin:end].lower() if lowered is None else lowered
                    if literal in lowered:
                        break
                elif text.find(literal, begin, end) != -1:
                    break
            else:
                continue  # no literal this hint needs: it cannot match here
        if pattern.search(text, begin, end) is not None:
            return True
    return False


_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "lazy_property", "cached"})


def _binds_attributes(function: FunctionNode) -> bool:
    """A property, or a method that assigns to an attribute (`self.x = ...`) anywhere in it."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if name in _PROPERTY_DECORATORS:
            return True
    # Assignments are statements: walking the statements (not every expression) finds them all.
    stack: list[ast.stmt] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Assign):
            if any(_has_attribute(t) for t in node.targets):
                return True
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            if _has_attribute(node.target):
                return True
        else:
            for name in _BLOCKS:
                inner = getattr(node, name, None)
                if inner:
                    stack.extend(inner)
            for clause in getattr(node, "handlers", None) or getattr(node, "cases", None) or ():
                stack.extend(clause.body)
    return False


_BLOCKS = ("body", "orelse", "finalbody")


def _has_attribute(target: ast.expr) -> bool:
    if isinstance(target, ast.Attribute):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_has_attribute(e) for e in target.elts)
    if isinstance(target, ast.Starred):
        return _has_attribute(target.value)
    return False


def _first_line(stmt: ast.stmt) -> int:
    """The first line of `stmt`, decorators included (`lineno` is the `def`/`class` line)."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _starts_line(stmt: ast.stmt, line: str) -> bool:
    """True when `stmt` (or its first decorator) is the first thing on `line` (its first line)."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", None) or []
    first = min(decorators, key=lambda d: (d.lineno, d.col_offset), default=None)
    if first is not None and first.lineno <= stmt.lineno:
        before = line.encode("utf-8", "surrogatepass")[: first.col_offset].strip(b" \t\f")
        return before == b"@"
    return not line.encode("utf-8", "surrogatepass")[: stmt.col_offset].strip(b" \t\f")


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""


def _collect(
    body: Iterable[ast.stmt],
    functions: list[_Function],
    imports: list[Union[ast.Import, ast.ImportFrom]],
    owner: Optional[ast.ClassDef],
) -> None:
    """Functions not nested in a function (with their class), and imports outside functions."""
    for stmt in body:
        if isinstance(stmt, _FUNCTIONS):
            functions.append(_Function(stmt, owner))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imports.append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            _collect(stmt.body, functions, imports, stmt)
        else:
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list):
                    _collect(inner, functions, imports, owner)
            for handler in getattr(stmt, "handlers", ()):
                _collect(handler.body, functions, imports, owner)
            for case in getattr(stmt, "cases", ()):
                _collect(case.body, functions, imports, owner)


def _aliases(imports: Sequence[Union[ast.Import, ast.ImportFrom]], pattern: re.Pattern[str]) -> set[str]:
    """Local names bound by imports whose qualified name matches `pattern`."""
    found: set[str] = set()
    for node in imports:
        module = ""
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            qualified = f"{module}.{alias.name}" if module else alias.name
            local = alias.asname or alias.name.split(".")[0]
            if pattern.search(qualified) and _IDENT_RE.match(local) and not pattern.search(local):
                found.add(local)
    return found

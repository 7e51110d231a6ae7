"""One batched, iterative traversal that dispatches every enabled rule's `visit_*`/`leave_*`.

Why not `MetadataWrapper(module).visit_batched(...)`: the wrapper deep-copies the tree and libcst's
`visit` rebuilds every node's children as it goes; on the benchmark corpus that alone is slower than
pylint (`../shared/PERF.md`). This walker reads node fields directly (skipping whitespace and
punctuation), keeps the ancestor and frame stacks the shared analyses need, and isolates rule
crashes: a rule that raises is disabled for the rest of the file and reported, the others go on.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable, Optional

import libcst as cst

from errlint.analysis import SCOPE_TYPES, iter_children
from errlint.context import FileContext
from errlint.engine import describe as describe  # re-exported: rule crashes are described alike
from errlint.finding import RuleCrash
from errlint.rule import LintRule

_ENTER, _EXIT, _HPUSH, _HPOP, _TOP = range(5)
_HANDLER_SET = frozenset({cst.ExceptHandler, cst.ExceptStarHandler})
_SCOPES = frozenset(SCOPE_TYPES)

Callback = Callable[[cst.CSTNode], Any]


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}
Table = dict[str, tuple[tuple[int, str], ...]]  # node type -> (rule index, method name)
_TABLES: dict[tuple[type, ...], tuple[Table, Table]] = {}


def _visitor_names(cls: type) -> tuple[str, ...]:
    """The `visit_<Node>`/`leave_<Node>` methods a rule class really defines (cached per class).

    Every libcst visitor inherits a no-op `visit_X`/`leave_X` for each of the ~170 node types
    (`CSTTypedVisitorFunctions`); dispatching those costs ~44 calls per node for nothing. Only
    methods defined by `cls` or a base class of its own (not libcst's) count.
    """
    names = _VISITOR_NAMES.get(cls)
    if names is None:
        own = [k for k in cls.__mro__ if not k.__module__.startswith("libcst") and k is not object]
        found: set[str] = set()
        for klass in own:
            for name, value in vars(klass).items():
                if (name.startswith("visit_") or name.startswith("leave_")) and "_" not in name[6:] and callable(value):
                    found.add(name)
        names = tuple(sorted(found))
        _VISITOR_NAMES[cls] = names
    return names


def dispatch_tables(classes: tuple[type, ...]) -> tuple[Table, Table]:
    """Per node type name: (index of the rule in `classes`, method name) to call; built once per rule set.

    Names, not functions: the methods are looked up on each file's rule instances (a handful of
    lookups per file), so a method replaced at run time (a test's monkeypatch) is the one called."""
    tables = _TABLES.get(classes)
    if tables is None:
        visit: dict[str, list[tuple[int, str]]] = {}
        leave: dict[str, list[tuple[int, str]]] = {}
        for index, cls in enumerate(classes):
            for name in _visitor_names(cls):
                kind, _, node_type = name.partition("_")
                (visit if kind == "visit" else leave).setdefault(node_type, []).append((index, name))
        tables = ({k: tuple(v) for k, v in visit.items()}, {k: tuple(v) for k, v in leave.items()})
        _TABLES[classes] = tables
    return tables


class Walker:
    """Run `rules` over `context.module` in one pass."""

    def __init__(self, context: FileContext, rules: list[LintRule]) -> None:
        self.context = context
        self.rules = rules
        self.crashes: list[RuleCrash] = []
        # The ancestors (Module first) at the moment of each report, parallel to context.reports:
        # positions are resolved from the innermost statement among them (errlint.positions).
        self.report_paths: list[tuple[cst.CSTNode, ...]] = []
        self._all = list(rules)
        self._disabled: set[int] = set()
        self.visit: dict[str, list[tuple[LintRule, Callback]]] = {}
        self.leave: dict[str, list[tuple[LintRule, Callback]]] = {}
        self._build_tables()

    def _build_tables(self) -> None:
        # Cleared in place: `run` holds references to these dicts. The class-level tables are
        # shared by every file linted with the same rule set; only binding to instances is per file.
        visit, leave = dispatch_tables(tuple(type(rule) for rule in self._all))
        self.visit.clear()
        self.leave.clear()
        rules = self._all
        disabled = self._disabled
        for source, target in ((visit, self.visit), (leave, self.leave)):
            for node_type, entries in source.items():
                bound = [(rules[i], getattr(rules[i], name)) for i, name in entries if i not in disabled]
                if bound:
                    target[node_type] = bound

    def _note_reports(self) -> None:
        reports, paths = self.context.reports, self.report_paths
        if len(reports) > len(paths):
            snapshot = tuple(self.context.ancestors)
            paths.extend(snapshot for _ in range(len(reports) - len(paths)))

    def _dispatch(self, table: list[tuple[LintRule, Callback]], node: cst.CSTNode) -> None:
        reports = self.context.reports
        for rule, method in table:
            try:
                method(node)
                if len(reports) != len(self.report_paths):
                    self._note_reports()
            except Exception as err:  # noqa: XH102 - isolate one rule's crash, reported as RuleCrash
                self._note_reports()
                self.crashes.append(RuleCrash(self.context.path, rule.CODE, describe(err), traceback.format_exc()))
                self.rules = [r for r in self.rules if r is not rule]
                self._disabled.update(i for i, r in enumerate(self._all) if r is rule)
                self._build_tables()
                return self._dispatch_rest(table, rule, node)

    def _dispatch_rest(self, table: list[tuple[LintRule, Callback]], failed: LintRule, node: cst.CSTNode) -> None:
        seen = False
        rest = []
        for rule, method in table:
            if seen and rule in self.rules:
                rest.append((rule, method))
            if rule is failed:
                seen = True
        if rest:
            self._dispatch(rest, node)

    def run(self) -> None:
        context = self.context
        module = context.module
        ancestors = context.ancestors
        stack: list[tuple[int, Any]] = []
        for index in range(len(module.body) - 1, -1, -1):
            stack.append((_ENTER, module.body[index]))
            stack.append((_TOP, index))
        ancestors.append(module)
        push = stack.append
        visit, leave = self.visit, self.leave
        if "Module" in self.visit:
            self._dispatch(self.visit["Module"], module)
        while stack:
            op, node = stack.pop()
            if op == _ENTER:
                ancestors.append(node)
                cls = type(node)
                table = visit.get(cls.__name__)
                if table:
                    self._dispatch(table, node)
                stack.append((_EXIT, node))
                if cls in _SCOPES:
                    context.push_frame(node)
                if cls in _HANDLER_SET:
                    stack.append((_HPOP, node))
                    stack.append((_ENTER, node.body))
                    stack.append((_HPUSH, node))
                    if node.name is not None:
                        stack.append((_ENTER, node.name))
                    if node.type is not None:
                        stack.append((_ENTER, node.type))
                    continue
                children = list(iter_children(node))
                for child in reversed(children):
                    push((_ENTER, child))
            elif op == _EXIT:
                cls = type(node)
                if cls in _SCOPES:
                    context.pop_frame()
                table = leave.get(cls.__name__)
                if table:
                    self._dispatch(table, node)
                ancestors.pop()
            elif op == _HPUSH:
                context.frame.handlers.append(node)
            elif op == _HPOP:
                context.frame.handlers.pop()
            else:  # _TOP
                context.top_index = node
        if "Module" in self.leave:
            self._dispatch(self.leave["Module"], module)
        ancestors.pop()


def walk(context: FileContext, rule_classes: list[type[LintRule]], options: Optional[dict[str, Any]] = None) -> Walker:
    """Instantiate `rule_classes` for `context`, walk once, return the walker (crashes, report paths)."""
    rules = []
    for cls in rule_classes:
        rules.append(cls(context, (options or {}).get(cls.CODE)))
    walker = Walker(context, rules)
    walker.run()
    return walker


def run_rules(context: FileContext, rule_classes: list[type[LintRule]], options: Optional[dict[str, Any]] = None) -> list[RuleCrash]:
    """Instantiate `rule_classes` for `context`, walk once, return the crashes."""
    return walk(context, rule_classes, options).crashes

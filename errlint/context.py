"""`FileContext`: what a rule may know about the file being linted and where the walk is.

The walker keeps the stacks up to date (ancestors, enclosing function/class frames, enclosing
handlers); the shared analyses are computed lazily, once per node, and kept in one per-file
registry: `context.get(compute, node)` calls `compute(context, node)` the first time and returns
the stored answer afterwards (keyed by the function and the node's identity; the node is held, so
an identity is never reused within a file). `log_call` and `handler_facts` are two such analyses.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional, Sequence, TypeVar

import libcst as cst

from errlint.analysis import Handler, ModuleFacts, dotted_name
from errlint.handlers import HandlerFacts, compute_handler_facts
from errlint.logcalls import LogCall, classify_call
from errlint.config import Config
from errlint.finding import FixSpec, Report, Severity

if TYPE_CHECKING:
    from errlint.rule import LintRule

N = TypeVar("N", bound=cst.CSTNode)
T = TypeVar("T")


@dataclass
class Frame:
    """One function, lambda, class or the module: handlers are only visible inside their frame."""

    node: Optional[cst.CSTNode]
    qualname: str
    critical: bool
    handlers: list[Handler] = field(default_factory=list)


class FileContext:
    """Per-file state shared by every rule in one traversal."""

    def __init__(
        self,
        path: str,
        module: cst.Module,
        lines: Sequence[str],
        config: Config,
        module_facts: ModuleFacts,
        module_name: str = "",
        cpython_tree: Optional[ast.Module] = None,
    ) -> None:
        self.path = path
        # CPython's tree of the whole original text (None when CPython cannot parse it): what a
        # rule reads beyond the functions the prefilter keeps comes from here, never blanked.
        self.cpython_tree = cpython_tree
        self.module = module
        self.lines = lines
        self.config = config
        self.module_facts = module_facts
        self.module_name = module_name
        self.ancestors: list[cst.CSTNode] = []
        self.frames: list[Frame] = [Frame(None, module_name, config.is_critical_path(path))]
        self.top_index = 0
        self.reports: list[Report] = []
        self._results: dict[tuple[object, int], tuple[cst.CSTNode, object]] = {}

    # -- the per-file registry of analysis results ----------------------------------------

    def get(self, compute: Callable[[FileContext, N], T], node: N) -> T:
        """`compute(self, node)`, computed once per file and node."""
        key = (compute, id(node))
        found = self._results.get(key)
        if found is not None and found[0] is node:
            return found[1]  # type: ignore[return-value]
        value = compute(self, node)
        self._results[key] = (node, value)
        return value

    # -- position in the walk -------------------------------------------------------------

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def parent(self) -> Optional[cst.CSTNode]:
        """The parent of the node being visited (valid inside visit_*/leave_*)."""
        return self.ancestors[-2] if len(self.ancestors) >= 2 else None

    def enclosing_handler(self) -> Optional[Handler]:
        """The innermost `except` handler whose body holds the current node, in this frame."""
        handlers = self.frames[-1].handlers
        return handlers[-1] if handlers else None

    def enclosing_handlers(self) -> Sequence[Handler]:
        return tuple(self.frames[-1].handlers)

    def enclosing_function(self) -> Optional[cst.FunctionDef]:
        for frame in reversed(self.frames):
            if isinstance(frame.node, cst.FunctionDef):
                return frame.node
            if isinstance(frame.node, cst.ClassDef):
                return None
        return None

    @property
    def at_module_level(self) -> bool:
        return len(self.frames) == 1

    @property
    def is_cli_module(self) -> bool:
        """A command-line entry point: `if __name__ == "__main__"` or a CLI framework import."""
        return self.module_facts.has_main_guard or self.module_facts.cli_framework

    # -- shared analyses ------------------------------------------------------------------

    def qualify(self, node: Optional[cst.BaseExpression]) -> Optional[str]:
        return self.module_facts.qualify(node)

    def log_call(self, call: cst.Call) -> Optional[LogCall]:
        """Classify `call` as a logging/report call (cached).

        Ask while the walk is at `call` (or in the same function): the enclosing scopes tell which
        names are bound to loggers there.
        """
        return self.get(_log_call, call)

    def handler_facts(self, handler: Handler) -> HandlerFacts:
        """What `handler` catches and does (cached)."""
        return self.get(_handler_facts, handler)

    # -- frames ---------------------------------------------------------------------------

    def push_frame(self, node: cst.CSTNode) -> None:
        parent = self.frames[-1]
        critical = parent.critical
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            qualname = f"{parent.qualname}.{node.name.value}" if parent.qualname else node.name.value
            critical = critical or self._is_critical_def(node, qualname)
        else:
            qualname = f"{parent.qualname}.<lambda>" if parent.qualname else "<lambda>"
        self.frames.append(Frame(node, qualname, critical))

    def pop_frame(self) -> None:
        self.frames.pop()

    def _is_critical_def(self, node: cst.FunctionDef | cst.ClassDef, qualname: str) -> bool:
        config = self.config
        body = node.body
        if isinstance(body, cst.IndentedBlock) and body.header.comment is not None:
            if "errlint: critical" in body.header.comment.value:
                return True
        elif isinstance(body, cst.SimpleStatementSuite) and body.trailing_whitespace.comment is not None:
            if "errlint: critical" in body.trailing_whitespace.comment.value:
                return True
        if config.critical_decorators:
            for decorator in node.decorators:
                expr = decorator.decorator
                if isinstance(expr, cst.Call):
                    expr = expr.func
                name = dotted_name(expr) or ""
                qualified = self.qualify(expr) or ""
                for pattern in config.critical_decorators:
                    if name == pattern or qualified == pattern or name.rsplit(".", 1)[-1] == pattern:
                        return True
        if config.critical_functions:
            parts = qualname.split(".")
            suffixes = [".".join(parts[i:]) for i in range(len(parts))]
            return any(fnmatch.fnmatchcase(s, p) for s in suffixes for p in config.critical_functions)
        return False

    # -- reporting ------------------------------------------------------------------------

    def add_report(
        self,
        rule: LintRule,
        node: cst.CSTNode,
        message: str,
        severity: Severity,
        fix: Optional[FixSpec],
        end: Optional[cst.CSTNode] = None,
    ) -> None:
        frame = self.frames[-1]
        self.reports.append(
            Report(type(rule), node, message, severity, self.top_index, frame.critical, frame.qualname, fix, end)
        )


def _log_call(context: FileContext, call: cst.Call) -> Optional[LogCall]:
    scopes = [context.module, *(f.node for f in context.frames if f.node is not None)]
    return classify_call(call, context.module_facts, context.config, scopes)


def _handler_facts(context: FileContext, handler: Handler) -> HandlerFacts:
    return compute_handler_facts(handler, context.module_facts, context.config, context.log_call)

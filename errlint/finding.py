"""The one shape every result takes: a `Finding`, with an optional `Fix` made of `Edit`s.

Reporters, autofix, caching, baselines and the review pass all derive from this shape; nothing
else carries results. Lines and columns are 1-based; columns count characters (code points), as
ruff and the SARIF default do. `end_column` is exclusive.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    import libcst as cst

    from errlint.rule import LintRule


class Severity(str, enum.Enum):
    """How loudly a finding speaks. Ordered: info < warning < error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def raised(self) -> Severity:
        """Return the next severity up (error stays error)."""
        return {Severity.INFO: Severity.WARNING}.get(self, Severity.ERROR)


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Impact(str, enum.Enum):
    """What goes wrong in production when the finding is left alone."""

    SILENT_FAILURE = "silent-failure"
    LOST_CONTEXT = "lost-context"
    DATA_EXPOSURE = "data-exposure"
    OBSERVABILITY = "observability"
    RESILIENCE = "resilience"
    CRASH = "crash"


class FixSafety(str, enum.Enum):
    """Whether a fix keeps behaviour (safe), may change it (unsafe), or is only shown."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


class FixAvailability(str, enum.Enum):
    """What a rule offers, for docs and `errlint rules`."""

    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"
    SOMETIMES = "sometimes"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based positions (end exclusive) with `content`."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        return cls(
            int(data["line"]),
            int(data["column"]),
            int(data["end_line"]),
            int(data["end_column"]),
            str(data["content"]),
        )


@dataclass(frozen=True)
class Fix:
    """A titled set of non-overlapping edits with one safety level."""

    title: str
    safety: FixSafety
    edits: tuple[Edit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "safety": self.safety.value,
            "title": self.title,
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        return cls(
            str(data["title"]),
            FixSafety(data["safety"]),
            tuple(Edit.from_dict(e) for e in data["edits"]),
        )


DOCS_URL = "https://errlint.readthedocs.io/en/latest/rules/{code}/"


@dataclass(frozen=True)
class Finding:
    """One diagnostic at one range of one file."""

    code: str
    name: str
    message: str
    severity: Severity
    impact: Impact
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    critical: bool = False
    fix: Optional[Fix] = None
    # Not part of the JSON contract: the qualified name of the enclosing function, for
    # `critical-functions` and the review pass.
    scope: str = field(default="", compare=False)
    # Not part of the JSON contract: a line-number-free identity (errlint.fingerprints), for SARIF
    # partialFingerprints and GitLab; set by the engine.
    fingerprint: str = field(default="", compare=False)

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)

    @property
    def sort_key(self) -> tuple[int, str, int, int, str]:
        """Critical findings first, then by place, then by code."""
        return (0 if self.critical else 1, self.path, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "severity": self.severity.value,
            "impact": self.impact.value,
            "critical": self.critical,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": self.fix.to_dict() if self.fix else None,
            "url": self.url,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        fix = data.get("fix")
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            message=str(data["message"]),
            severity=Severity(data["severity"]),
            impact=Impact(data["impact"]),
            path=str(data["path"]),
            line=int(data["line"]),
            column=int(data["column"]),
            end_line=int(data["end_line"]),
            end_column=int(data["end_column"]),
            critical=bool(data.get("critical", False)),
            fix=Fix.from_dict(fix) if fix else None,
            scope=str(data.get("scope", "")),
            fingerprint=str(data.get("fingerprint", "")),
        )


@dataclass(frozen=True)
class RuleCrash:
    """A rule (or the engine) raised on a file: reported, and the run goes on (exit 2)."""

    path: str
    rule: str
    error: str
    traceback: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rule": self.rule, "error": self.error}


# --- what rules report during the walk (before positions are known) --------------------------

Replacement = Union["cst.CSTNode", str]


@dataclass(frozen=True)
class FixSpec:
    """A fix before positions are known: replace each node with a node or text ("" deletes)."""

    title: str
    safety: FixSafety
    changes: tuple[tuple[cst.CSTNode, Replacement], ...]


@dataclass
class Report:
    """What a rule reported during the walk; the engine resolves positions afterwards."""

    rule: type[LintRule]
    node: cst.CSTNode
    message: str
    severity: Severity
    top_index: int
    critical: bool
    scope: str
    fix: Optional[FixSpec] = None
    end_node: Optional[cst.CSTNode] = None  # the range ends where this node ends

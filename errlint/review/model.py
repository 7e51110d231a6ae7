"""The data of one review run: what was asked about each finding, what came back, what errlint made of it.

Everything here is plain data. Texts stored on these objects are the *redacted* ones (secrets
and personal data replaced by placeholders); the only place real source text lives is the
in-memory `FixCheck.real_patch`, which is written solely by `--patch-out`/`--apply`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Optional

from errlint.finding import Finding


class SdkUnavailable(ImportError):
    """The anthropic SDK is missing or too old; the message says what to install."""


class Status(str, enum.Enum):
    """What happened to one static finding in this run."""

    REVIEWED = "reviewed"  # answered by Claude in this run
    CACHED = "cached"  # answered earlier; the answer came from the disk cache
    WOULD_SEND = "would_send"  # --dry-run: this request would be sent
    NOT_SELECTED = "not_selected"  # below the --max-findings cut or outside the critical scopes
    EXCLUDED = "excluded"  # exclude-from-ai glob or `# errlint: no-ai`: never sent
    SKIPPED_BUDGET = "skipped_budget"  # would exceed the token or cost budget
    SKIPPED_NO_KEY = "skipped_no_key"  # no API key: the AI pass did not run
    SKIPPED_UNAVAILABLE = "skipped_unavailable"  # outage, rate limit, spend limit: not sent
    TOO_LARGE = "too_large"  # the context cannot be made small enough
    REJECTED = "rejected"  # the API refused this one request (400/422)
    INVALID_RESPONSE = "invalid_response"  # the answer was malformed; nothing of it is shown
    SKIPPED_DEADLINE = "skipped_deadline"  # the run's --deadline passed before it was sent
    INTERRUPTED = "interrupted"  # Ctrl-C before it was answered
    DISMISSED = "dismissed"  # a human recorded it as a false positive, with a reason: not sent

    @property
    def answered(self) -> bool:
        return self in (Status.REVIEWED, Status.CACHED)

    @property
    def degraded(self) -> bool:
        """Selected and eligible, but not reviewed because something failed."""
        return self in (
            Status.SKIPPED_NO_KEY,
            Status.SKIPPED_UNAVAILABLE,
            Status.REJECTED,
            Status.INVALID_RESPONSE,
            Status.TOO_LARGE,
            Status.SKIPPED_DEADLINE,
            Status.INTERRUPTED,
        )


class Verdict(str, enum.Enum):
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    NEEDS_CONTEXT = "needs_context"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Confidence(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 0, "medium": 1, "high": 2}[self.value]


# errlint's impact classes (RULES.md) plus "none" for a false positive.
IMPACTS: tuple[str, ...] = (
    "silent-failure",
    "lost-context",
    "data-exposure",
    "observability",
    "resilience",
    "crash",
    "none",
)


@dataclass(frozen=True)
class ProposedFix:
    """Replacement text for lines `start_line..end_line` (1-based, inclusive) of the file."""

    start_line: int
    end_line: int
    original: str  # the model's echo of the lines it replaces (must match what was sent)
    replacement: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_line": self.start_line,
            "end_line": self.end_line,
            "original": self.original,
            "replacement": self.replacement,
        }


@dataclass(frozen=True)
class Answer:
    """A tool answer that passed local validation (ids match, enums, types, sizes)."""

    finding_id: str
    verdict: Verdict
    impact: str
    explanation: str
    confidence: Confidence
    fix: Optional[ProposedFix]
    injection_suspected: bool
    reasoning: str = ""  # asked for before the verdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "reasoning": self.reasoning,
            "finding_id": self.finding_id,
            "verdict": self.verdict.value,
            "impact": self.impact,
            "explanation": self.explanation,
            "confidence": self.confidence.value,
            "fix": self.fix.to_dict() if self.fix else None,
            "injection_suspected": self.injection_suspected,
        }


@dataclass
class FixCheck:
    """The outcome of validating a proposed fix (see errlint.review.fixcheck)."""

    validated: bool
    problems: list[str] = field(default_factory=list)  # why it is advice, not a fix
    warnings: list[str] = field(default_factory=list)  # shown with a validated fix
    diff: str = ""  # unified diff on the redacted text: safe to show and store
    # The same change on the real text, for --patch-out/--apply only; None when the change
    # touches a redacted value (the real value must never be written anywhere).
    real_patch: Optional[tuple[int, int, list[str]]] = None  # (start, end, new real lines)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
        }


@dataclass
class ReviewItem:
    """One static finding and everything the review pass did with it."""

    finding: Finding
    id: str
    status: Status = Status.NOT_SELECTED
    reason: str = ""
    answer: Optional[Answer] = None
    fix_check: Optional[FixCheck] = None
    request_id: Optional[str] = None
    usage: Optional[Usage] = None
    estimated_input_tokens: int = 0
    # Redacted values per kind in the context sent (counts only, never values).
    redactions: dict[str, int] = field(default_factory=dict)
    # errlint's own heuristic: the code sent contains text that reads like instructions.
    injection_heuristic: bool = False
    body: Optional[dict[str, Any]] = None  # the exact request body (redacted), for --dry-run
    cache_key: str = ""
    # Selected, but not sent because the reviewed code opted out (`# errlint: no-ai`) or matched
    # `exclude-from-ai`: the static finding stands (a gate treats it as a true positive).
    opted_out: bool = False
    dismissal: str = ""  # the reason a human gave when dismissing it (errlint.review.dismissals)

    @property
    def static_stands(self) -> str:
        """Why the verdict (if any) is not used and the static finding stands; "" when it is used."""
        if self.injection_suspected and self.answer is not None:
            return "injection suspected: the verdict is not used, the static finding stands"
        if self.opted_out:
            return "not sent (" + self.reason + "): the static finding stands"
        return ""

    @property
    def injection_suspected(self) -> bool:
        return self.injection_heuristic or bool(self.answer and self.answer.injection_suspected)


class RunState(str, enum.Enum):
    COMPLETE = "complete"  # every selected finding was answered (or cut by budget)
    PARTIAL = "partial"  # some selected findings could not be reviewed
    SKIPPED = "skipped"  # the AI pass did not run at all (no key)
    DRY_RUN = "dry_run"


@dataclass
class ReviewRun:
    """The whole run, as the renderers see it."""

    model: str
    prompt_version: str
    items: list[ReviewItem] = field(default_factory=list)
    state: RunState = RunState.COMPLETE
    notices: list[str] = field(default_factory=list)  # one-line messages for stderr
    requests: int = 0  # HTTP requests made (attempts)
    usage: Usage = field(default_factory=Usage)
    estimated_cost: Optional[float] = None
    endpoint: str = ""
    fatal: Optional[str] = None  # a bad key or unknown model: exit 2
    files: int = 0
    nonce: str = ""
    interrupted: bool = False  # Ctrl-C: the report is partial (exit 130)

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status is status)

    @property
    def degraded(self) -> bool:
        return self.state in (RunState.PARTIAL, RunState.SKIPPED)


class OutcomeKind(str, enum.Enum):
    """How one HTTP attempt ended, as the runner needs to know it."""

    OK = "ok"
    TRANSIENT = "transient"  # 429, 5xx, 529, connection error: retry, then the breaker
    TIMEOUT = "timeout"  # no answer within the deadline: not retried (a hung gateway stays hung)
    SPEND_LIMIT = "spend_limit"  # spend limit, billing, organisation on hold: stop at once
    AUTH = "auth"  # 401/403: stop at once, exit 2
    MODEL = "model"  # 404: unknown model (or wrong ANTHROPIC_BASE_URL): stop at once, exit 2
    TOO_LARGE = "too_large"  # 413, prompt too long: this finding only
    REJECTED = "rejected"  # other 4xx: this finding only
    INVALID = "invalid"  # a 2xx that is not a usable answer: this finding only


@dataclass
class Outcome:
    kind: OutcomeKind
    message: str = ""
    request_id: Optional[str] = None
    retry_after: Optional[float] = None  # seconds, from retry-after-ms / retry-after
    tool_input: object = None
    usage: Optional[Usage] = None

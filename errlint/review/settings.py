"""The review pass's settings: `[tool.errlint.review]` merged with command-line overrides.

Precedence: command line > `[tool.errlint.review]` > defaults. Values are validated by
`errlint.config.SECTION_SCHEMAS["review"]` when the file is read; command-line values by click.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Optional

from errlint.config import Config

# A model id listed by the installed SDK (anthropic.types.Model); any string is accepted.
DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_MAX_FINDINGS = 20
DEFAULT_MAX_TOKENS = 1500  # per answer
DEFAULT_BUDGET_TOKENS = 200_000  # per run: estimated input + reserved output, reconciled with usage
DEFAULT_TIMEOUT = 60.0  # seconds per request
DEFAULT_CACHE_DIR = ".errlint_cache/review"
# Never sent, whatever the configuration says (extended by `exclude-from-ai`).
DEFAULT_EXCLUDE_FROM_AI: tuple[str, ...] = ("*secret*", "*credential*", "*.env", "*/.env*", "*private_key*")
MAX_ATTEMPTS = 3  # per request: the first try and two retries
BREAKER_THRESHOLD = 3  # consecutive transient failures that open the circuit breaker
TIMEOUT_THRESHOLD = 2  # consecutive requests without an answer in time that open it
UNUSABLE_THRESHOLD = 3  # consecutive unusable answers (malformed, 413, refused) that open it
DEFAULT_DEADLINE_CI = 300.0  # seconds for the whole run when $CI is set
DEFAULT_DEADLINE = 900.0  # seconds for the whole run otherwise
RETRY_AFTER_CAP = 30.0  # seconds: a longer retry-after means "unavailable", not "wait"
BACKOFF_BASE = 1.0
BACKOFF_MAX = 8.0
DEFAULT_CONCURRENCY = 4  # requests in flight at once
MAX_INPUT_TOKENS_PER_REQUEST = 20_000  # the cached prefix (instructions, rule docs) included
CONTEXT_LINES = 80  # the enclosing function is sent whole up to this many lines
WINDOW_LINES = 15  # otherwise the editable region and this many lines either side


@dataclass(frozen=True)
class ReviewSettings:
    model: str = DEFAULT_MODEL
    max_findings: int = DEFAULT_MAX_FINDINGS
    max_tokens: int = DEFAULT_MAX_TOKENS
    budget_tokens: int = DEFAULT_BUDGET_TOKENS
    max_cost: Optional[float] = None  # USD per run; needs both prices
    input_price: Optional[float] = None  # USD per million input tokens
    output_price: Optional[float] = None  # USD per million output tokens
    timeout: float = DEFAULT_TIMEOUT  # per request, wall clock (connection, headers and body)
    deadline: Optional[float] = None  # the whole run; then the static findings stand
    concurrency: int = 1  # requests in flight at once (settings_from_config: DEFAULT_CONCURRENCY)
    exclude_from_ai: tuple[str, ...] = DEFAULT_EXCLUDE_FROM_AI
    cache_dir: Path = Path(DEFAULT_CACHE_DIR)
    root: Path = Path(".")  # the directory config paths are relative to

    @property
    def priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None

    def cost(self, input_tokens: int, output_tokens: int) -> Optional[float]:
        """Estimated USD for these token counts, or None without a price table."""
        if self.input_price is None or self.output_price is None:
            return None
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1_000_000


def settings_from_config(config: Config, cwd: Path, **overrides: Any) -> ReviewSettings:
    """Build the settings from `[tool.errlint.review]`, then apply non-None `overrides`."""
    section = config.section("review")
    root = Path(config.root) if config.path else cwd
    shared = os.environ.get("ERRLINT_CACHE_DIR")  # the lint cache's location: keep answers beside it
    default = str(Path(shared) / "review") if shared else DEFAULT_CACHE_DIR
    cache_dir = Path(section.get("cache-dir", default))
    settings = ReviewSettings(
        model=section.get("model", DEFAULT_MODEL),
        max_findings=section.get("max-findings", DEFAULT_MAX_FINDINGS),
        max_tokens=section.get("max-tokens", DEFAULT_MAX_TOKENS),
        budget_tokens=section.get("budget-tokens", DEFAULT_BUDGET_TOKENS),
        max_cost=section.get("max-cost"),
        input_price=section.get("input-price"),
        output_price=section.get("output-price"),
        timeout=section.get("timeout", DEFAULT_TIMEOUT),
        concurrency=DEFAULT_CONCURRENCY,
        deadline=DEFAULT_DEADLINE_CI if os.environ.get("CI", "").lower() not in ("", "0", "false") else DEFAULT_DEADLINE,
        exclude_from_ai=DEFAULT_EXCLUDE_FROM_AI + tuple(section.get("exclude-from-ai", ())),
        cache_dir=cache_dir if cache_dir.is_absolute() else root / cache_dir,
        root=root,
    )
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "cache_dir" in changes:
        changes["cache_dir"] = Path(os.path.expanduser(str(changes["cache_dir"])))
    return replace(settings, **changes) if changes else settings

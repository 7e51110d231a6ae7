"""The `--trace` branch of `errlint review`: options, configuration, linter and reviewer."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

import click

from errlint.errors import UsageError

# Options of `errlint review` that only make sense for findings.
_FINDINGS_ONLY = {
    "paths": "PATHS", "fail_on": "--fail-on", "patch_out": "--patch-out", "suggestions_out": "--suggestions-out",
    "apply_fixes": "--apply", "since_ref": "--since", "baseline_file": "--baseline", "dismiss": "--dismiss",
    "reason": "--reason", "include_all": "--all", "max_findings": "--max-findings", "jobs": "--jobs",
    "concurrency": "--concurrency",
}  # fmt: skip


def review_trace(trace_file: str, root: Optional[str], options: dict[str, Any]) -> int:
    for name, label in _FINDINGS_ONLY.items():
        if options.get(name):
            raise UsageError(f"{label} cannot be combined with --trace (it applies to the review of findings)")
    from errlint.api import Linter, configure
    from errlint.review.cache import ReviewCache
    from errlint.review.redact import xh4_policy
    from errlint.review.runner import Reviewer, credentials_from_env, endpoint_from_env
    from errlint.review.settings import settings_from_config
    from errlint.review.trace.command import run_trace

    cwd = Path.cwd()
    config = configure(options.get("config_file"), isolated=bool(options.get("isolated")), cwd=cwd,
                       select=options.get("select"), ignore=options.get("ignore"), preview=options.get("preview"))  # fmt: skip
    linter = Linter.from_config(config)
    settings = settings_from_config(
        config, cwd, model=options.get("model"), budget_tokens=options.get("budget_tokens"),
        max_cost=options.get("max_cost"), max_tokens=options.get("max_tokens"), timeout=options.get("timeout"),
        cache_dir=options.get("cache_dir"),
    )  # fmt: skip
    if settings.max_cost is not None and not settings.priced:
        raise UsageError("--max-cost needs a price table: set input-price and output-price (USD per million tokens) "
                         "in [tool.errlint.review]")  # fmt: skip
    if options.get("deadline") is not None:
        settings = replace(settings, deadline=options["deadline"])
    no_cache, refresh = bool(options.get("no_cache")), bool(options.get("refresh_cache"))
    # The findings review's transport, retries, breaker and deadlines (its cache is not used: the
    # trace's answer is cached by errlint.review.trace.command).
    reviewer = Reviewer(settings, lambda text, path: [], ReviewCache(settings.cache_dir, read=False, write=False),
                        credentials=credentials_from_env(os.environ), endpoint=endpoint_from_env(os.environ))  # fmt: skip

    def echo_err(message: str) -> None:
        click.echo(message, err=True)

    return run_trace(
        trace_file,
        root,
        linter=linter,
        policy=xh4_policy(config),
        settings=settings,
        reviewer=reviewer,
        dry_run=bool(options.get("dry_run")),
        output_format=str(options.get("output_format") or "rich"),
        output_file=options.get("output_file"),
        strict=bool(options.get("strict")),
        cache_read=not (no_cache or refresh),
        cache_write=not no_cache,
        write=sys.stdout.write,
        echo_err=echo_err,
    )

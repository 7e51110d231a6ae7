"""`errlint review [PATHS]`: the advisory Claude pass over the findings that matter most.

Exit codes: 0 the review ran, or degraded gracefully (no key, outage, rate or spend limit: one
notice on stderr, the static findings still printed); 1 a `--fail-on` gate matched; 2 a usage or
configuration error, a bad key, an unknown model, or the `review` extra missing; 3 only with
`--strict`, when the review is incomplete (degraded). Nothing here imports the anthropic SDK:
`errlint.review.client` is imported only when a request is really sent.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import click

from errlint.errors import UsageError
from errlint.review.model import Confidence, ReviewRun, RunState, Verdict

EXIT_OK, EXIT_GATE, EXIT_ERROR, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
FORMATS = ("rich", "json", "markdown", "sarif")


def parse_gate(value: str) -> tuple[Verdict, Confidence]:
    """`true-positive`, `true_positive:high`, `needs-context:medium` -> (verdict, minimum confidence)."""
    verdict_text, _, confidence_text = value.strip().lower().replace("-", "_").partition(":")
    try:
        verdict = Verdict(verdict_text)
    except ValueError:
        choices = ", ".join(v.value.replace("_", "-") for v in Verdict)
        raise UsageError(f"--fail-on: unknown verdict {verdict_text!r} (expected {choices}[:low|medium|high])") from None
    try:
        confidence = Confidence(confidence_text or "low")
    except ValueError:
        raise UsageError(f"--fail-on: unknown confidence {confidence_text!r} (expected low, medium or high)") from None
    return verdict, confidence


def gate_matches(run: ReviewRun, gates: Sequence[tuple[Verdict, Confidence]]) -> list[str]:
    """The ids of findings that match a gate. A finding whose static result stands (a suspected
    injection, or an opt-out of the AI review) counts as a confident true positive: reviewed
    code can never turn a gate green, only a verdict errlint trusts can."""
    hits = []
    for item in run.items:
        if item.static_stands:
            if any(v is Verdict.TRUE_POSITIVE for v, _ in gates):
                hits.append(item.id)
            continue
        answer = item.answer
        if answer is None or not item.status.answered:
            continue
        if any(answer.verdict is v and answer.confidence.rank >= c.rank for v, c in gates):
            hits.append(item.id)
    return hits


def incomplete(run: ReviewRun) -> bool:
    """--strict: degraded, or a finding that would have been reviewed opted out in the code."""
    if run.state is RunState.DRY_RUN:
        return False
    return run.degraded or any(item.opted_out for item in run.items)


def _echo_err(message: str) -> None:
    click.echo(f"errlint review: {message}", err=True)


@click.command("review")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--dry-run", is_flag=True, help="Print the exact request bodies; no key, no network.")
@click.option("--model", help="Claude model id (default: [tool.errlint.review] model, else claude-sonnet-5-5).")
@click.option("--max-findings", type=click.IntRange(min=1), help="Review at most this many findings (default 20).")
@click.option("--budget-tokens", type=click.IntRange(min=1), help="Token budget for the run (input + reserved output).")
@click.option("--max-cost", type=click.FloatRange(min=0, min_open=True), help="USD budget (needs input-price/output-price).")
@click.option("--max-tokens", type=click.IntRange(min=1), help="Maximum tokens per answer (default 1500).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds per request, wall clock (default 60).")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True),
              help="Seconds for the whole run; then the static findings stand (default 300 in CI, else 900).")
@click.option("--all", "include_all", is_flag=True, help="Also review findings outside business-critical scopes.")
@click.option("--concurrency", type=click.IntRange(1, 16), help="Requests in flight at once (default 4).")
@click.option("--since", "since_ref", metavar="REF", help="Review only findings on lines changed since this git ref.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Review only findings not in this earlier JSON report (errlint check/review --format json).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="rich", show_default=True)
@click.option("--output", "-o", "output_file", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option("--patch-out", type=click.Path(dir_okay=False), help="Write validated fixes as a unified diff.")
@click.option("--suggestions-out", type=click.Path(dir_okay=False),
              help="Write validated fixes as a GitHub PR review with inline suggestions (JSON).")
@click.option("--apply", "apply_fixes", is_flag=True, help="Write the validated fixes into the files (nothing is changed without this flag).")
@click.option("--fail-on", multiple=True, metavar="VERDICT[:CONFIDENCE]", help="Exit 1 when an answer matches, e.g. true-positive:high.")
@click.option("--strict", is_flag=True, help="Exit 3 when the review is incomplete (no key, outage, limits).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write cached answers.")
@click.option("--refresh-cache", is_flag=True, help="Ask again even when an answer is cached (and cache the new one).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Where answers are cached (default .errlint_cache/review).")
@click.option("--select", help="Comma-separated rule codes or prefixes to run.")
@click.option("--ignore", help="Comma-separated rule codes or prefixes not to run.")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read [tool.errlint] from this file.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes for linting.")
@click.option("--dismiss", metavar="ID", help="Record finding ID (XH101@path:line:col) as a false positive; needs --reason.")
@click.option("--reason", help="Why the finding dismissed with --dismiss is a false positive.")
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@click.option("--trace", "trace_file", type=click.Path(dir_okay=False, path_type=str),
              help="Explain a failing trace (OTLP JSON or Jaeger JSON; - reads standard input) instead of reviewing findings.")
@click.option("--root", "trace_root", type=click.Path(file_okay=False, path_type=str),
              help="With --trace: the repository root stack frames and code.filepath resolve against (default: .).")
def review(
    paths: tuple[str, ...],
    dry_run: bool,
    model: Optional[str],
    max_findings: Optional[int],
    budget_tokens: Optional[int],
    max_cost: Optional[float],
    max_tokens: Optional[int],
    timeout: Optional[float],
    deadline: Optional[float],
    include_all: bool,
    concurrency: Optional[int],
    since_ref: Optional[str],
    baseline_file: Optional[Path],
    output_format: str,
    output_file: Optional[str],
    patch_out: Optional[str],
    suggestions_out: Optional[str],
    apply_fixes: bool,
    fail_on: tuple[str, ...],
    strict: bool,
    no_cache: bool,
    refresh_cache: bool,
    cache_dir: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    preview: Optional[bool],
    config_file: Optional[str],
    isolated: bool,
    jobs: Optional[int],
    dismiss: Optional[str],
    reason: Optional[str],
    no_color: bool,
    trace_file: Optional[str] = None,
    trace_root: Optional[str] = None,
) -> None:
    """Ask Claude about the findings on business-critical paths (else the most severe) in PATHS.

    Shows a verdict, the impact, an explanation and a fix errlint has validated. Secrets and
    personal data are redacted before anything is sent; --dry-run shows exactly what would be.
    """
    from errlint.review.prepare import ReviewOptions
    from errlint.review.runner import credentials_from_env, endpoint_from_env

    gates = [parse_gate(g) for g in fail_on]
    cwd = Path.cwd()
    if trace_file is not None:  # `review --trace`: errlint.review.trace.cli
        from errlint.review.trace.cli import review_trace

        sys.exit(review_trace(trace_file, trace_root, locals()))
    if trace_root is not None:
        raise UsageError("--root is an option of --trace")
    config, rules, relint = _lint_setup(config_file, isolated, cwd, select, ignore, preview)
    settings = _settings(config, cwd, model, max_findings, budget_tokens, max_cost, max_tokens, timeout, cache_dir)
    from dataclasses import replace

    if deadline is not None:
        settings = replace(settings, deadline=deadline)
    if concurrency is not None:
        settings = replace(settings, concurrency=concurrency)
    files, crashes = _lint(paths or (".",), config, rules, cwd, jobs)
    from errlint.review.dismissals import FILENAME, Dismissals

    dismissals = Dismissals(Path(settings.root) / FILENAME)
    if dismiss is not None:
        _dismiss(dismissals, files, dismiss, reason or "")
        sys.exit(EXIT_OK)
    from errlint.review.redact import xh4_policy

    reviewer = make_reviewer(
        settings,
        relint,
        policy=xh4_policy(config),
        cache_read=not (no_cache or refresh_cache),
        cache_write=not no_cache and not dry_run,
        credentials=credentials_from_env(os.environ),
        endpoint=endpoint_from_env(os.environ),
        progress=output_format == "rich" and not dry_run and sys.stderr.isatty(),
        dismissals=dismissals,
    )
    from errlint.review import scope

    skip = scope.combine(
        scope.since_filter(since_ref, cwd) if since_ref else None,
        scope.baseline_filter(baseline_file) if baseline_file else None,
    )
    run = reviewer.run(files, ReviewOptions(dry_run=dry_run, include_all=include_all, skip=skip))
    _emit(run, output_format, output_file, dry_run, no_color)
    for notice in run.notices:
        _echo_err(notice)
    for crash in crashes:
        click.echo(f"errlint: error: rule {crash.rule} crashed on {crash.path}: {crash.error}", err=True)
    if patch_out or apply_fixes:
        _patches(run, files, patch_out, apply_fixes, cwd)
    if suggestions_out:
        _suggestions(run, suggestions_out)
    if run.fatal is not None:
        click.echo(f"errlint: error: {run.fatal}", err=True)
        sys.exit(EXIT_ERROR)
    if run.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if crashes:
        sys.exit(EXIT_ERROR)
    if gate_matches(run, gates):
        sys.exit(EXIT_GATE)
    if strict and incomplete(run):
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(EXIT_OK)


def _dismiss(dismissals: Any, files: Sequence[Any], wanted: str, reason: str) -> None:
    from errlint.review.prompt import finding_id

    for source in files:
        for finding in source.findings:
            if finding_id(finding, finding.path.replace("\\", "/")) == wanted:
                entry = dismissals.add(finding, reason)
                _echo_err(f"dismissed {wanted} in {dismissals.path.name}: {entry.reason}")
                return
    raise UsageError(f"--dismiss: no finding {wanted} in this run (ids look like XH101@app/x.py:12:5)")


def _lint_setup(
    config_file: Optional[str],
    isolated: bool,
    cwd: Path,
    select: Optional[str],
    ignore: Optional[str],
    preview: Optional[bool],
) -> tuple[Any, list[Any], Callable[[str, str], Sequence[Any]]]:
    from errlint.api import load_run_config
    from errlint.config import validate_selector, with_overrides
    from errlint.engine import lint_text, rule_options, select_rules
    from errlint.rule import all_rules

    config = load_run_config(config_file, isolated, cwd)
    known = [r.CODE for r in all_rules()]

    def codes(value: Optional[str], option: str) -> Optional[tuple[str, ...]]:
        if value is None:
            return None
        return tuple(validate_selector(v.strip(), known, "command line", option) for v in value.split(",") if v.strip())

    extra_ignore = codes(ignore, "--ignore")
    config = with_overrides(
        config,
        select=codes(select, "--select"),
        ignore=(config.ignore + extra_ignore) if extra_ignore else None,
        preview=preview,
    )
    rules = list(select_rules(config))
    options = rule_options(config, rules)

    def relint(text: str, path: str) -> Sequence[Any]:
        return lint_text(text, path, config, rules, options=options).findings

    return config, rules, relint


def _settings(
    config: Any,
    cwd: Path,
    model: Optional[str],
    max_findings: Optional[int],
    budget_tokens: Optional[int],
    max_cost: Optional[float],
    max_tokens: Optional[int],
    timeout: Optional[float],
    cache_dir: Optional[str],
) -> Any:
    from errlint.review.settings import settings_from_config

    settings = settings_from_config(
        config,
        cwd,
        model=model,
        max_findings=max_findings,
        budget_tokens=budget_tokens,
        max_cost=max_cost,
        max_tokens=max_tokens,
        timeout=timeout,
        cache_dir=cache_dir,
    )
    if settings.max_cost is not None and not settings.priced:
        raise UsageError(
            "--max-cost needs a price table: set input-price and output-price (USD per million tokens) "
            "in [tool.errlint.review]"
        )
    return settings


def _lint(paths: Sequence[str], config: Any, rules: list[Any], cwd: Path, jobs: Optional[int]) -> tuple[list[Any], list[Any]]:
    from errlint.discovery import discover
    from errlint.engine import lint_files
    from errlint.review.prepare import SourceFile

    if "-" in paths:
        raise UsageError("errlint review reads files, not standard input")
    targets = discover(paths, config, cwd)
    results = lint_files([(t.path, t.display) for t in targets], config, rules, jobs=jobs, keep_source=True)
    files = []
    crashes = []
    for result in results:
        crashes.extend(result.crashes)
        if result.findings and result.source is not None:
            files.append(SourceFile(result.path, result.source, list(result.findings)))
        elif result.findings:
            files.append(SourceFile(result.path, "", list(result.findings)))
    return files, crashes


def make_reviewer(
    settings: Any,
    relint: Callable[[str, str], Sequence[Any]],
    *,
    cache_read: bool,
    cache_write: bool,
    credentials: Any,
    endpoint: str,
    progress: bool,
    **injected: Any,
) -> Any:
    """Build the `Reviewer` (tests inject `transport_factory`, `sleep`, `rand`)."""
    from errlint.review.cache import ReviewCache
    from errlint.review.runner import Reviewer

    reviewer = Reviewer(
        settings,
        relint,
        ReviewCache(settings.cache_dir, read=cache_read, write=cache_write),
        credentials=credentials,
        endpoint=endpoint,
        **injected,
    )
    if progress:
        reviewer.on_progress = _progress_bar()
    return reviewer


def _progress_bar() -> Callable[[int, int, str], None]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("asking Claude"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    )
    task: list[Any] = []

    def update(done: int, total: int, label: str) -> None:
        if not task:
            bar.start()
            task.append(bar.add_task(label, total=total))
        bar.update(task[0], completed=done, description=label)
        if done >= total:
            bar.stop()

    return update


def _emit(run: ReviewRun, output_format: str, output_file: Optional[str], dry_run: bool, no_color: bool) -> None:
    from errlint.review import render

    buffer = io.StringIO()
    if output_format == "json":
        render.render_json(run, buffer, include_requests=dry_run)
    elif output_format == "sarif":
        render.render_sarif(run, buffer)
    elif output_format == "markdown":
        if dry_run:
            inner = io.StringIO()
            render.render_dry_run(run, inner)
            fence = render.fence(inner.getvalue())
            buffer.write(f"{fence}text\n{inner.getvalue()}{fence}\n")
        else:
            render.render_markdown(run, buffer)
    elif dry_run:
        render.render_dry_run(run, buffer)
    elif output_file:
        render.render_rich(run, render.make_console(buffer, False, width=100))
    else:
        render.render_rich(run, render.make_console(sys.stdout, False if no_color else None))
        return
    if output_file:
        try:
            Path(output_file).write_text(buffer.getvalue(), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--output: {output_file}: {err.strerror or err}") from None
    else:
        sys.stdout.write(buffer.getvalue())


def _suggestions(run: ReviewRun, destination: str) -> None:
    import json

    from errlint.review import patch

    review = patch.github_review(run.items)
    try:
        Path(destination).write_text(json.dumps(review, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as err:
        raise UsageError(f"--suggestions-out: {destination}: {err.strerror or err}") from None
    _echo_err(f"wrote {len(review['comments'])} suggestion(s) to {destination}")  # type: ignore[arg-type]


def _patches(run: ReviewRun, files: Sequence[Any], patch_out: Optional[str], apply_fixes: bool, cwd: Path) -> None:
    from errlint.review import patch

    texts = {f.path: f.text for f in files}
    patches = patch.collect(run.items, texts)
    for skipped in patches.skipped:
        _echo_err(f"fix not exported: {skipped}")
    if patch_out:
        try:
            patch.write_patch(patches, Path(patch_out))
        except OSError as err:
            raise UsageError(f"--patch-out: {patch_out}: {err.strerror or err}") from None
        _echo_err(f"wrote {len(patches.applied)} validated fix(es) to {patch_out}")
    if apply_fixes:
        problems = patch.apply(patches, cwd)
        for problem in problems:
            _echo_err(problem)
        _echo_err(f"applied fixes to {len(patches.files) - len(problems)} file(s)")

"""The `errlint` command line: `check`, `rules`, `explain` (and `review`, when installed).

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error. User errors are
one line on stderr naming the file and key, never a traceback.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Optional, Sequence

import click

from errlint import __version__
from errlint.config import Config
from errlint.errors import ErrlintError, UsageError
from errlint.finding import Finding, RuleCrash, Severity
from errlint.reporters import REPORTERS, ReporterOptions, RunResult, get_reporter

if TYPE_CHECKING:
    from errlint.rule import LintRule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def load_run_config(config_file: Optional[str], isolated: bool, cwd: Path) -> Config:
    """Kept for callers of the old location: `errlint.api.load_run_config`."""
    from errlint.api import load_run_config as load

    return load(config_file, isolated, cwd)


class _Group(click.Group):
    def main(  # type: ignore[override]
        self, args: Optional[Sequence[str]] = None, prog_name: Optional[str] = None, **extra: Any
    ) -> Any:
        """Run with errlint's error conventions: one line on stderr and exit code 2."""
        try:
            return super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.Exit as err:
            sys.exit(err.exit_code)
        except click.exceptions.Abort:
            click.echo("errlint: aborted", err=True)
            sys.exit(EXIT_ERROR)
        except ErrlintError as err:
            err.show()
            sys.exit(EXIT_ERROR)
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            click.echo(f"errlint: error: {err.format_message()}{hint}", err=True)
            sys.exit(EXIT_ERROR)
        except click.ClickException as err:
            click.echo(f"errlint: error: {err.format_message()}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("errlint: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="errlint", message="%(prog)s %(version)s")
def main() -> None:
    """errlint: find error handling that hides, loses or leaks failures."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", help="Comma-separated codes or prefixes to enable (replaces config `select`).")
@click.option("--extend-select", help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", help="Codes or prefixes to disable (added to config `ignore`).")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show counts per rule.")
@click.option("--critical-only", is_flag=True, help="Only findings on business-critical paths.")
@click.option(
    "--min-severity", type=click.Choice([s.value for s in Severity]), help="Hide findings below this severity."
)
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, also apply unsafe fixes.")
@click.option("--quiet", "-q", is_flag=True, help="Findings only, no summary.")
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read [tool.errlint] from this file.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--stdin-filename", help="The path to report for code read from `-`.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option("--debug", is_flag=True, help="Show tracebacks of rule crashes.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to keep the result cache (default: $ERRLINT_CACHE_DIR, else .errlint_cache beside the config).",
)
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every function (for checking the prefilter).")
def check(
    paths: tuple[str, ...],
    select: Optional[str],
    extend_select: Optional[str],
    ignore: Optional[str],
    preview: Optional[bool],
    output_format: str,
    output_file: Optional[str],
    exit_zero: bool,
    statistics: bool,
    critical_only: bool,
    min_severity: Optional[str],
    fix: bool,
    unsafe_fixes: bool,
    quiet: bool,
    no_color: bool,
    config_file: Optional[str],
    isolated: bool,
    stdin_filename: Optional[str],
    jobs: Optional[int],
    debug: bool,
    no_cache: bool = False,
    cache_dir: Optional[Path] = None,
    no_prefilter: bool = False,
) -> None:
    """Lint PATHS (default: the current directory; `-` reads standard input)."""
    from errlint.api import Linter, configure

    cwd = Path.cwd()
    config = configure(
        config_file, isolated=isolated, cwd=cwd, select=select, extend_select=extend_select, ignore=ignore, preview=preview
    )
    linter = Linter.from_config(config, prefilter=not no_prefilter)
    paths = paths or (".",)
    result = RunResult(statistics=statistics)
    fix_errors = 0
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("`-` (standard input) cannot be combined with other paths")
        if fix:
            raise UsageError("--fix cannot be used with standard input")
        file_results = [linter.lint_bytes(sys.stdin.buffer.read(), stdin_filename or "-")]
        result.files = 1
    else:
        run = linter.lint_paths(paths, cwd=cwd, jobs=jobs, use_cache=not no_cache, cache_dir=cache_dir, keep_source=fix)
        if fix:
            result.fixed = linter.fix(run, unsafe=unsafe_fixes)
            for note in run.fix_notes:
                click.echo(f"errlint: warning: {note}", err=True)
            for error in run.fix_errors:
                click.echo(f"errlint: error: {error}", err=True)
            fix_errors = len(run.fix_errors)
        file_results = run.results
        result.files = run.files
    findings: list[Finding] = []
    for file_result in file_results:
        findings.extend(file_result.findings)
        result.crashes.extend(file_result.crashes)
    if critical_only:
        findings = [f for f in findings if f.critical]
    if min_severity:
        floor = Severity(min_severity).rank
        findings = [f for f in findings if f.severity.rank >= floor]
    result.findings = sorted(findings, key=lambda f: f.sort_key)
    _emit(result, output_format, output_file, ReporterOptions(color=False if no_color else None, quiet=quiet, statistics=statistics))
    _report_crashes(result.crashes, debug)
    if result.crashes or fix_errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN)


def _emit(result: RunResult, output_format: str, output_file: Optional[str], options: ReporterOptions) -> None:
    reporter = get_reporter(output_format)
    if output_file:
        buffer = io.StringIO()
        reporter(result, buffer, ReporterOptions(color=False, quiet=options.quiet, statistics=options.statistics))
        try:
            Path(output_file).write_text(buffer.getvalue(), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--output-file: {output_file}: {err.strerror or err}") from None
        return
    reporter(result, sys.stdout, options)


def _report_crashes(crashes: Sequence[RuleCrash], debug: bool) -> None:
    for crash in crashes:
        what = "errlint crashed" if crash.rule == "engine" else f"rule {crash.rule} crashed"
        click.echo(f"errlint: error: {what} on {crash.path}: {crash.error}", err=True)
        if debug:
            click.echo(crash.traceback, err=True)
    if crashes and not debug:
        click.echo("errlint: re-run with --debug for tracebacks, and please report the crash.", err=True)


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule with its code, name, family, severity and status."""
    import json

    from errlint.rule import all_rules

    rows = [_rule_row(r) for r in all_rules()]
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        status = "preview" if row["preview"] else "stable"
        fix = f" fix:{row['fix']}" if row["fix"] != "none" else ""
        click.echo(f"{row['code']}  {row['name']:<34} {row['family']:<10} {row['severity']:<7} {status}{fix}")


def _rule_row(rule: type[LintRule]) -> dict[str, Any]:
    return {
        "code": rule.CODE,
        "name": rule.NAME,
        "family": rule.family(),
        "severity": rule.SEVERITY.value,
        "impact": rule.IMPACT.value,
        "preview": rule.PREVIEW,
        "fix": rule.FIX.value,
        "summary": rule.summary(),
    }


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of a rule (by code or name)."""
    from errlint.docs import render_rule_page
    from errlint.rule import all_rules, rule_by_code

    rule = rule_by_code(code)
    if rule is None:
        import difflib

        names = [r.CODE for r in all_rules()] + [r.NAME for r in all_rules()]
        close = difflib.get_close_matches(code, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UsageError(f"unknown rule '{code}'{hint}")
    click.echo(render_rule_page(rule))


def _register_optional_commands() -> None:
    """`errlint review` lives in errlint.review; it imports the SDK only when run."""
    import importlib

    try:
        module = importlib.import_module("errlint.review.cli")
    except ImportError:
        return
    main.add_command(module.review)


_register_optional_commands()


def run(argv: Optional[Sequence[str]] = None, stdout: Optional[IO[str]] = None) -> int:
    """Run the CLI in-process and return the exit code (for tests and `python -m errlint`)."""
    try:
        main.main(args=list(argv) if argv is not None else None, prog_name="errlint")
    except SystemExit as err:
        return int(err.code or 0)
    return 0

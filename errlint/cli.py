"""The `errlint` command line: `check`, `rules`, `explain` (and `review`, when installed).

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error. User errors are
one line on stderr naming the file and key, never a traceback.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Optional, Sequence

import click

from errlint import __version__
from errlint.api import CheckObserver
from errlint.config import Config
from errlint.errors import ErrlintError, UsageError
from errlint.finding import RuleCrash, Severity
from errlint.merge import merge as merge_command
from errlint.reporters import REPORTERS, ReporterOptions, RunResult, get_reporter

if TYPE_CHECKING:
    from errlint.engine import FileResult
    from errlint.progress import RunProgress
    from errlint.rule import LintRule
    from errlint.shard import Shard

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def entry() -> None:
    """The `errlint` command (and `python -m errlint`): `main`, then a prompt exit.

    With libcst loaded, the interpreter's teardown (freeing every module's objects) is 30-40 ms
    of a pre-commit-sized run. Everything errlint writes is closed by the time `main` returns (the
    cache and the fixes are written with `with`, the workers are stopped): the output streams are
    flushed and the process ends with `main`'s exit code. An unexpected exception still ends it
    the usual way, with its traceback.
    """
    try:
        main(prog_name="errlint")
        code = EXIT_CLEAN
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)  # what `sys.exit("...")` does
            code = EXIT_ERROR
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe (`errlint check | head`): nothing more can be said there
    os._exit(code)


def _parse_shard(value: str) -> Shard:
    from errlint.shard import parse_shard

    return parse_shard(value)


class _Group(click.Group):
    def main(  # type: ignore[override]
        self, args: Optional[Sequence[str]] = None, prog_name: Optional[str] = None, **extra: Any
    ) -> Any:
        """Run with errlint's error conventions: one line on stderr and exit code 2."""
        argv = list(args) if args is not None else sys.argv[1:]
        if not argv:
            # `errlint` alone: the help, exit 0 (not a usage error).
            with click.Context(self, info_name=prog_name or "errlint") as ctx:
                click.echo(self.get_help(ctx))
            sys.exit(EXIT_CLEAN)
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
    from errlint import plugins

    plugins.load_entry_points()  # rules from installed packages (errlint.rules entry points)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", help="Comma-separated codes or prefixes to enable (replaces config `select`).")
@click.option("--extend-select", help="Codes or prefixes to enable on top of the selection.")
@click.option("--ignore", help="Codes or prefixes to disable (added to config `ignore`).")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="One row per rule (count, severity, fixable) instead of the listing.")
@click.option("--critical-only", is_flag=True, help="Only findings on business-critical paths.")
@click.option(
    "--min-severity", type=click.Choice([s.value for s in Severity]), help="Hide findings below this severity."
)
@click.option("--fix", is_flag=True, help="Apply safe fixes in place (`-`: print the fixed source).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, also apply unsafe fixes ([~]).")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and write nothing; exit 1 if any.")
@click.option("--show-fixes", is_flag=True, help="With --fix, list what was fixed, per file and rule.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With --fix, exit 1 when something was fixed.")
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
@click.option("--show-settings", "show_settings", metavar="FILE", help="Print the settings that apply to FILE and exit.")
@click.option("--show-files", is_flag=True, help="List the files that would be linted and exit.")
@click.option("--verbose", "-v", is_flag=True, help="Say which configuration applies to which files.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", help="Record every finding in FILE (for --baseline) and exit 0.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", help="Report only findings not recorded in FILE.")
@click.option("--prune-baseline", is_flag=True, help="With --baseline, remove the entries that no longer match (fixed).")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: XH...` comments for every finding, then exit 0.")
@click.option("--reason", help='With --add-noqa, the explanation after the codes ("# noqa: XH101 - REASON").')
@click.option(
    "--shard",
    metavar="K/N",
    callback=lambda ctx, param, value: None if value is None else _parse_shard(value),
    help="Lint only shard K of N (a stable partition by path, for CI matrix jobs; see `errlint merge`).",
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
    show_settings: Optional[str] = None,
    show_files: bool = False,
    verbose: bool = False,
    write_baseline: Optional[Path] = None,
    baseline: Optional[Path] = None,
    prune_baseline: bool = False,
    add_noqa: bool = False,
    reason: Optional[str] = None,
    diff: bool = False,
    show_fixes: bool = False,
    exit_non_zero_on_fix: bool = False,
    shard: Optional[Shard] = None,
) -> None:
    """Lint PATHS (default: the current directory; `-` reads standard input)."""
    from errlint import api

    paths = paths or (".",)
    request = api.CheckRequest(
        paths=paths,
        cwd=Path.cwd(),
        config_file=config_file,
        isolated=isolated,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        preview=preview,
        stdin_filename=stdin_filename,
        jobs=jobs,
        use_cache=not no_cache,
        cache_dir=cache_dir,
        prefilter=not no_prefilter,
        fix=fix,
        diff=diff,
        unsafe_fixes=unsafe_fixes,
        critical_only=critical_only,
        min_severity=min_severity,
        baseline=baseline,
        prune_baseline=prune_baseline,
        write_baseline=write_baseline,
        add_noqa=add_noqa,
        noqa_reason=reason,
        shard=shard,
    )
    request.validate()
    if unsafe_fixes and not (fix or diff):
        click.echo(
            "errlint: note: --unsafe-fixes alone changes nothing: add --fix to apply safe and unsafe fixes, "
            "or --diff to see them",
            err=True,
        )
    if show_settings is not None:
        click.echo(api.settings_text(request, show_settings))
        sys.exit(EXIT_CLEAN)
    if show_files and "-" not in paths:
        for shown, _ in api.discover(request):
            click.echo(shown.display)
        sys.exit(EXIT_CLEAN)
    # On a terminal, concise findings appear as files finish (in file order).
    streamable = output_format == "concise" and output_file is None and not (
        statistics or baseline or write_baseline or add_noqa or diff or fix
    )
    observer = _Observer(verbose, quiet, streamable, critical_only, min_severity, shard)
    run = api.check(request, observer)
    if write_baseline is not None or add_noqa:
        _report_crashes(run.crashes, debug)
        sys.exit(EXIT_ERROR if run.crashes else EXIT_CLEAN)
    result = run.run_result(statistics=statistics, show_fixes=show_fixes)
    if diff:
        sys.stdout.write("".join(run.diffs))
        noun = "finding" if run.would_fix == 1 else "findings"
        more = f" ({run.unsafe_left} more with --unsafe-fixes)" if run.unsafe_left else ""
        click.echo(f"Would fix {run.would_fix} {noun}{more}." if run.would_fix else f"No fixes available{more}.", err=True)
        _report_crashes(run.crashes, debug)
        sys.exit(EXIT_ERROR if run.crashes else EXIT_FINDINGS if run.would_fix else EXIT_CLEAN)
    report_options = ReporterOptions(color=False if no_color else None, quiet=quiet, statistics=statistics)
    if fix and run.stdin is not None:
        # `--fix -`: the fixed source is the output; the report goes to standard error.
        sys.stdout.write(run.fixed_source or "")
        sys.stdout.flush()
        if output_file is None:
            _reporter(output_format, statistics)(result, sys.stderr, report_options)
        else:
            _emit(result, output_format, output_file, report_options)
    elif not observer.streamed:
        _emit(result, output_format, output_file, report_options)
    _report_crashes(run.crashes, debug)
    if run.crashes or _report_plugin_problems() or run.fix_errors:
        sys.exit(EXIT_ERROR)
    if exit_non_zero_on_fix and run.fixed:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_FINDINGS if run.findings and not exit_zero else EXIT_CLEAN)


class _Observer(CheckObserver):
    """What `check` prints while it runs: `-v` lines, fix problems, the progress bar, and
    concise findings as files finish (on a terminal, for long runs)."""

    def __init__(
        self,
        verbose: bool,
        quiet: bool,
        streamable: bool,
        critical_only: bool,
        min_severity: Optional[str],
        shard: Optional[Shard],
    ) -> None:
        self.verbose, self.quiet, self.streamable = verbose, quiet, streamable
        self.critical_only, self.min_severity, self.shard = critical_only, min_severity, shard
        self.progress: Optional[RunProgress] = None
        self.streamed = False

    def configured(self, config: Config, files: int) -> None:
        _say_config(self.verbose, config, files)

    def no_rules(self, config: Config) -> None:
        _say_no_rules(config)

    def no_files(self, paths: Sequence[str], other_shards: bool) -> None:
        in_shard = f" for shard {self.shard} (the other shards have them)" if other_shards else ""
        click.echo(f"errlint: no Python files found in {', '.join(paths)}{in_shard}: nothing to check", err=True)

    def started(self, total: int) -> int:
        from errlint.progress import RunProgress, wanted

        self.progress = RunProgress(total, wanted(sys.stderr, total, self.quiet)).__enter__()
        self.streamed = self.progress.enabled and self.streamable
        return self.progress.batch_size

    def advanced(self, files: int, results: Sequence[FileResult]) -> None:
        if self.progress is not None:
            self.progress.advance(files, sum(len(r.findings) for r in results))
        if self.streamed:
            from errlint.reporters.text import stream_concise

            stream_concise(results, self.critical_only, self.min_severity, sys.stdout)

    def message(self, text: str) -> None:
        click.echo(f"errlint: {text}", err=True)

    def finished(self) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)


def _say_no_rules(config: Config) -> None:
    where = f" and {config.path}" if config.path else ""
    click.echo(
        f"errlint: no rules selected (see select/ignore on the command line{where}): nothing to check", err=True
    )


def _say_config(verbose: bool, config: Config, files: int) -> None:
    """`-v`: which configuration applies (to stderr, so reports stay parseable)."""
    if not verbose:
        return
    noun = "file" if files == 1 else "files"
    if config.path is None:
        click.echo(f"errlint: no configuration file: defaults for {files} {noun}", err=True)
        return
    extends = "".join(f" (extends {base})" for base in config.extends)
    click.echo(f"errlint: configuration {config.path}{extends} for {files} {noun}", err=True)


def _reporter(output_format: str, statistics: bool) -> Any:
    """The format's reporter; with --statistics, the per-rule table (JSON rows for `json`)."""
    if not statistics:
        return get_reporter(output_format)
    from errlint.reporters import statistics as stats

    return stats.report_json if output_format == "json" else stats.report_table


def _emit(result: RunResult, output_format: str, output_file: Optional[str], options: ReporterOptions) -> None:
    reporter = _reporter(output_format, options.statistics)
    if output_file:
        buffer = io.StringIO()
        reporter(result, buffer, ReporterOptions(color=False, quiet=options.quiet, statistics=options.statistics))
        try:
            Path(output_file).write_text(buffer.getvalue(), encoding="utf-8")
        except OSError as err:
            raise UsageError(f"--output-file: {output_file}: {err.strerror or err}") from None
        return
    reporter(result, sys.stdout, options)


def _report_plugin_problems() -> int:
    """Plugins or local rules that could not be used: one line each (the run went on without them)."""
    from errlint import plugins

    for problem in plugins.problems():
        click.echo(f"errlint: error: {problem}", err=True)
    return len(plugins.problems())


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


@main.command("test-rules")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def test_rules(paths: tuple[Path, ...]) -> None:
    """Check the rules in PATHS (folders of rule modules or files): docs and embedded cases."""
    from errlint import plugins
    from errlint.rule_testing import case_count, rule_problems

    rules = plugins.load_paths(list(paths), origin="test-rules")
    broken = _report_plugin_problems()
    if not rules:
        raise UsageError(f"no rules found in {', '.join(str(p) for p in paths)}")
    failures = [line for rule in rules for line in rule_problems(rule)]
    for line in failures:
        click.echo(line)
    cases = sum(case_count(rule) for rule in rules)
    codes = ", ".join(rule.CODE for rule in rules)
    verdict = f"{len(failures)} problem{'s' if len(failures) != 1 else ''}" if failures else "all passed"
    click.echo(f"{len(rules)} rule{'s' if len(rules) != 1 else ''} ({codes}), {cases} cases: {verdict}.")
    sys.exit(EXIT_ERROR if broken else EXIT_FINDINGS if failures else EXIT_CLEAN)


@main.command()
def server() -> None:
    """Run the language server (LSP over standard input/output) for editors."""
    try:
        from errlint.server.lsp import main as serve
    except ImportError as err:
        raise UsageError(f'errlint server needs pygls ({err}): pip install "errlint[server]"') from None
    serve()


def _register_optional_commands() -> None:
    """`errlint review` lives in errlint.review; it imports the SDK only when run."""
    import importlib

    try:
        module = importlib.import_module("errlint.review.cli")
    except ImportError:
        return
    main.add_command(module.review)


_register_optional_commands()
main.add_command(merge_command)


def run(argv: Optional[Sequence[str]] = None, stdout: Optional[IO[str]] = None) -> int:
    """Run the CLI in-process and return the exit code (for tests and `python -m errlint`)."""
    try:
        main.main(args=list(argv) if argv is not None else None, prog_name="errlint")
    except SystemExit as err:
        return int(err.code or 0)
    return 0

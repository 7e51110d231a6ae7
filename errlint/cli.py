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
from errlint.config import Config, validate_selector, with_overrides
from errlint.errors import ErrlintError, UsageError
from errlint.finding import Finding, RuleCrash, Severity
from errlint.merge import merge as merge_command
from errlint.reporters import REPORTERS, ReporterOptions, RunResult, get_reporter

if TYPE_CHECKING:
    from errlint.rule import LintRule
    from errlint.shard import Shard

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parse_shard(value: str) -> Shard:
    from errlint.shard import parse_shard

    return parse_shard(value)


def _codes_option(value: Optional[str], known: Sequence[str], option: str) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    import re

    items = [v for v in (p.strip() for p in value.split(",")) if v]
    # XH700-XH999 belong to external rules, which a project's `local-rules` may load later.
    external = re.compile(r"^XH[7-9][0-9]{0,2}$")
    return tuple(
        v.upper() if external.match(v.upper()) else validate_selector(v, known, "command line", option) for v in items
    )


def load_run_config(config_file: Optional[str], isolated: bool, cwd: Path) -> Config:
    """The configuration for files in `cwd`, found and validated as every subcommand does."""
    from errlint.project import ConfigResolver

    return ConfigResolver(config_file, isolated).for_dir(cwd)


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
    from errlint.engine import lint_bytes, lint_files, rule_options, select_rules, selects_project_rules

    from errlint.adoption import check_options as check_adoption_options
    from errlint.shard import check_options as check_shard_options
    from errlint.fixview import fix_group, fix_stdin
    from errlint.reporters.text import stream_concise
    from errlint.project import ConfigResolver, describe_settings, discover_files, grouped

    cwd = Path.cwd()
    from errlint.catalog import known_codes

    known = known_codes()  # without importing the rules (errlint.catalog)
    cli_select = _codes_option(select, known, "--select")
    cli_extend = _codes_option(extend_select, known, "--extend-select")
    cli_ignore = _codes_option(ignore, known, "--ignore")

    def override(config: Config) -> Config:
        return with_overrides(
            config,
            select=cli_select,
            extend_select=cli_extend,
            ignore=(config.ignore + cli_ignore) if cli_ignore else None,
            preview=preview,
        )

    check_adoption_options(write_baseline, baseline, prune_baseline, add_noqa, reason, fix or diff)
    check_shard_options(shard, stdin="-" in paths, write_baseline=write_baseline is not None)
    if fix and diff:
        raise UsageError("--fix and --diff cannot be combined: --diff shows the fixes without applying them")
    if unsafe_fixes and not (fix or diff):
        click.echo(
            "errlint: note: --unsafe-fixes alone changes nothing: add --fix to apply safe and unsafe fixes, "
            "or --diff to see them",
            err=True,
        )
    resolver = ConfigResolver(config_file, isolated, override)
    if show_settings is not None:
        target = Path(show_settings)
        config = resolver.for_path(target) if target.exists() else resolver.for_dir(target.parent)
        click.echo(describe_settings(config, show_settings.replace("\\", "/")))
        sys.exit(EXIT_CLEAN)
    paths = paths or (".",)
    streamed = False
    result = RunResult(statistics=statistics, show_fixes=show_fixes)
    diffs: list[str] = []
    fix_errors = 0
    stdin_text: Optional[tuple[str, bytes]] = None
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("`-` (standard input) cannot be combined with other paths")
        if add_noqa:
            raise UsageError("--add-noqa cannot be used with standard input")
        display = stdin_filename or "-"
        config = resolver.for_path(Path(stdin_filename)) if stdin_filename else resolver.for_dir(cwd)
        _say_config(verbose, config, 1)
        rules = select_rules(config)
        if not rules:
            _say_no_rules(config)
        data = sys.stdin.buffer.read()
        options = rule_options(config, rules)
        file_result = lint_bytes(data, display, config, rules, options=options, keep_source=fix or diff)
        stdin_text = (display, data)
        if (fix or diff) and file_result.source is not None:
            fix_stdin(file_result, config, rules, options, unsafe_fixes, diff, result, diffs)
        file_results = [file_result]
        unreadable = []
        from errlint.discovery import Target

        found = found_all = [(Target(Path(stdin_filename or "-"), display), config)]
        result.files = 1 if rules else 0
    else:
        from errlint.engine import FileResult, unparsable

        found = discover_files(paths, resolver, cwd)
        found_all, found = found, [(t, c) for t, c in found if shard is None or shard.owns(t.display)]  # --shard K/N
        if show_files:
            for shown, _ in found:
                click.echo(shown.display)
            sys.exit(EXIT_CLEAN)
        # Unreadable directories and .gitignore files are findings, never silently skipped.
        unreadable = [FileResult(t.display, [unparsable(t.display, t.error)]) for t, _ in found if t.error]
        file_results = []
        groups = grouped([(t, c) for t, c in found if t.error is None])
        if not groups and not unreadable:
            in_shard = f" for shard {shard} (the other shards have them)" if shard is not None and found_all else ""
            click.echo(f"errlint: no Python files found in {', '.join(paths)}{in_shard}: nothing to check", err=True)
        from errlint.progress import RunProgress, batches, wanted

        total = sum(len(targets) for _, targets in groups)
        with RunProgress(total, wanted(sys.stderr, total, quiet)) as progress:
            # On a terminal, concise findings appear as files finish (in file order).
            streamed = progress.enabled and output_format == "concise" and output_file is None and not (
                statistics or baseline or write_baseline or add_noqa or diff or fix
            )
            for config, targets in groups:
                _say_config(verbose, config, len(targets))
                rules = select_rules(config)
                if not rules:
                    _say_no_rules(config)
                    progress.advance(len(targets), 0)
                    continue
                result.files += len(targets)
                cache = None
                if not no_cache:
                    from errlint.cache import ResultCache, default_cache_dir

                    cache = ResultCache.open(cache_dir or default_cache_dir(config, cwd), config, rules)
                for batch in batches(targets, progress.batch_size):
                    batch_results = lint_files(
                        [(t.path, t.display) for t in batch],
                        config,
                        rules,
                        jobs=jobs,
                        keep_source=fix or diff,
                        cache=cache,
                        prefilter=not no_prefilter,
                    )
                    if fix or diff:
                        for message in fix_group(batch, batch_results, config, rules, unsafe_fixes, diff, result, diffs):
                            fix_errors += message.startswith("error:")
                            click.echo(f"errlint: {message}", err=True)
                    file_results.extend(batch_results)
                    progress.advance(len(batch), sum(len(r.findings) for r in batch_results))
                    if streamed:
                        stream_concise(batch_results, critical_only, min_severity, sys.stdout)
    findings: list[Finding] = []
    for file_result in [*file_results, *unreadable]:
        findings.extend(file_result.findings)
        result.crashes.extend(file_result.crashes)
    project: list[Finding] = []
    if selects_project_rules(c for _, c in found_all):  # else nothing more is imported (a warm run)
        from errlint import projectlevel  # project-level rules (XH405): judged over every file's facts

        project = projectlevel.judge(
            found_all, file_results, cwd=cwd, use_cache=not no_cache, cache_dir=cache_dir, shard=shard,
            crashes=result.crashes, stdin=stdin_text,
        )  # fmt: skip
        findings += project
        if streamed and project:
            stream_concise([projectlevel.Streamed(project)], critical_only, min_severity, sys.stdout)
    if critical_only:
        findings = [f for f in findings if f.critical]
    if min_severity:
        floor = Severity(min_severity).rank
        findings = [f for f in findings if f.severity.rank >= floor]
    if write_baseline or baseline or add_noqa:
        from errlint import adoption

        read = adoption.file_reader(stdin_text)
        if write_baseline is not None:
            adoption.write_baseline(write_baseline, findings, read)
            _report_crashes(result.crashes, debug)
            sys.exit(EXIT_ERROR if result.crashes else EXIT_CLEAN)
        if add_noqa:
            adoption.add_noqa_to_files(findings, reason, read, _write_source)
            _report_crashes(result.crashes, debug)
            sys.exit(EXIT_ERROR if result.crashes else EXIT_CLEAN)
        if baseline is not None:
            linted = [r.path for r in file_results]
            findings, result.baselined, result.baseline_fixed = adoption.apply_baseline(
                baseline, findings, linted, read, prune_baseline
            )
    result.findings = sorted(findings, key=lambda f: f.sort_key)
    if diff:
        sys.stdout.write("".join(diffs))
        noun = "finding" if result.would_fix == 1 else "findings"
        hidden = 0 if unsafe_fixes else sum(1 for f in findings if f.fix is not None and f.fix.safety.value == "unsafe")
        more = f" ({hidden} more with --unsafe-fixes)" if hidden else ""
        click.echo(f"Would fix {result.would_fix} {noun}{more}." if result.would_fix else f"No fixes available{more}.", err=True)
        _report_crashes(result.crashes, debug)
        sys.exit(EXIT_ERROR if result.crashes else EXIT_FINDINGS if result.would_fix else EXIT_CLEAN)
    report_options = ReporterOptions(color=False if no_color else None, quiet=quiet, statistics=statistics)
    if fix and stdin_text is not None:
        # `--fix -`: the fixed source is the output; the report goes to standard error.
        sys.stdout.write(result.fixed_source or "")
        sys.stdout.flush()
        if output_file is None:
            _reporter(output_format, statistics)(result, sys.stderr, report_options)
        else:
            _emit(result, output_format, output_file, report_options)
    elif not streamed:
        _emit(result, output_format, output_file, report_options)
    _report_crashes(result.crashes, debug)
    if result.crashes or _report_plugin_problems() or fix_errors:
        sys.exit(EXIT_ERROR)
    if exit_non_zero_on_fix and result.fixed:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_FINDINGS if result.findings and not exit_zero else EXIT_CLEAN)


def _write_source(path: Path, text: str) -> None:
    """Write edited source text back (`--add-noqa`) through errlint.writeback: atomic, in the
    file's own encoding, BOM and newlines. A failure raises `ErrlintError` (one line, exit 2)."""
    from errlint.writeback import WriteError, write_text

    try:
        write_text(path, text)
    except WriteError as err:
        raise ErrlintError(f"{path}: not written, the file is unchanged: {err}") from None


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

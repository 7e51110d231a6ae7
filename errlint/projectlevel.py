"""Project-level rules: per-file facts, one judging step over every file of a project.

Most rules see one file. A project-level rule (a `ProjectRule`, e.g. XH405) needs every file of an
application before it can judge: "this route's error payload differs from the one the other 40
routes use". It works in two steps:

1. **facts** (`ProjectRule.facts(tree)`): while a file is linted, the rule reads CPython's `ast`
   of it (already parsed by the engine; libcst is not needed) and returns JSON-serialisable facts.
   They travel back from the worker processes on `FileResult.facts` (`file_facts` is the engine's
   one hook), and are kept in the facts store (below).
2. **judging** (`ProjectRule.judge(project)`): when every file of the run is known, `judge` (one
   call at the end of a run) groups the files into projects and hands each project rule the facts
   of its files; the rule returns `ProjectReport`s (file and exact range, message). They become
   `Finding`s like any other: `per-file-ignores` and `# noqa` on the reported line are honoured,
   fingerprints are computed from the file's text, critical paths raise the severity.

**Which files are one project.** The files of a run under the same configuration and the same
application root: the nearest folder at or above the file holding `pyproject.toml`, `setup.py`,
`setup.cfg` or `.git` (else the configuration's folder). Three applications linted together are
three projects. Files under `test-paths` contribute no facts (test code builds fake responses);
neither do files with `# errlint: skip-file` or that CPython cannot parse. `per-file-ignores` and
`noqa` only hide reports: the file's facts still count (to take code out of the vote, `exclude` it).

**The facts store** (`errlint.factstore`, `<cache dir>/project-facts/`, beside the result cache)
keeps each file's facts by absolute path with the result-cache key of the bytes they came from
(display path + content): a file whose bytes changed gets new facts; a damaged entry is a miss.

**Runs that see part of a project.**

- `--jobs N`: facts are computed in the workers and returned with each result.
- Cache hits (the findings of an unchanged file come from the result cache, no worker runs): the
  facts come from the store; if the store lacks them they are computed here from `ast`.
- `--shard K/N`: facts are collected for *every* discovered file (the other shards' files from
  the store, else parsed here with `ast`, which is cheap), while reports are kept only for the
  files the shard owns. Every shard's report is therefore what the unsharded run reports for those
  files, and `errlint merge` is a plain union.
- Single-file runs (standard input, one explicit file, the flake8 plugin, the editor server): the
  file's own facts plus the stored facts of the other files of its project that are still current
  (same size and modification time). With no such facts the project rules stay silent: a project
  of one file says nothing about the project's convention.

Findings of project rules are recomputed on every run (judging is cheap); only facts are cached.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Optional, Sequence

from errlint.factstore import STORE_DIR as STORE_DIR, FactsStore
from errlint.finding import Finding, RuleCrash
from errlint.rule import LintRule

if TYPE_CHECKING:
    from errlint.config import Config
    from errlint.discovery import Target
    from errlint.engine import FileResult
    from errlint.shard import Shard

APP_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@dataclass(frozen=True)
class ProjectReport:
    """One finding of a project rule: where (`path` as displayed; 1-based line, 0-based UTF-8 byte
    columns as in `ast`, end exclusive) and what."""

    path: str
    line: int
    col_offset: int
    end_line: int
    end_col_offset: int
    message: str


@dataclass
class Project:
    """What a project rule judges: the facts of every file of one project, by display path."""

    files: dict[str, Any]
    config: Config
    options: Any = None
    module_names: dict[str, str] = field(default_factory=dict)  # display path -> dotted module


class ProjectRule(LintRule):
    """A rule that judges a whole project (see the module doc). It never reports per file."""

    PROJECT: ClassVar[bool] = True
    PREFILTER: ClassVar[Optional[Sequence[str]]] = ()  # nothing to find in one file's libcst walk
    FACTS_VERSION: ClassVar[str] = "1"  # bump when the facts change shape

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "NAME" not in cls.__dict__:
            cls.NAME = ""  # derived from the subclass's own name, not inherited from this class
        super().__init_subclass__(**kwargs)

    @classmethod
    def facts(cls, tree: ast.Module) -> Any:
        """JSON-serialisable facts of one file (`tree`: CPython's ast of it)."""
        raise NotImplementedError

    @classmethod
    def judge(cls, project: Project) -> Iterable[ProjectReport]:
        """The reports over every file of `project`."""
        raise NotImplementedError


@dataclass
class Streamed:
    """Findings of project rules, shaped as a file result for `stream_concise`."""

    findings: list[Finding]


def is_project_rule(rule: type[LintRule]) -> bool:
    return bool(getattr(rule, "PROJECT", False))


def file_facts(tree: Optional[ast.Module], rules: Sequence[type[LintRule]]) -> Optional[dict[str, Any]]:
    """The engine's hook: the facts of every project rule among `rules` (None: there is none).

    `tree` is None when CPython could not parse the file: it has no facts (an empty mapping).
    """
    project = [r for r in rules if is_project_rule(r)]
    if not project:
        return None
    if tree is None:
        return {}
    out: dict[str, Any] = {}
    for rule in project:
        assert issubclass(rule, ProjectRule)
        try:
            out[_fact_key(rule)] = rule.facts(tree)
        except (RecursionError, ValueError, TypeError, AttributeError):
            out[_fact_key(rule)] = None  # a file too odd for the rule: it does not take part
    return out


def _fact_key(rule: type[ProjectRule]) -> str:
    return f"{rule.CODE}/{rule.FACTS_VERSION}"


def compute_facts(data: bytes, rules: Sequence[type[LintRule]]) -> dict[str, Any]:
    """Facts from a file's bytes, in this process (files no worker linted in this run)."""
    from errlint.noqa import SKIP_FILE_RE
    from errlint.source import UnreadableSource, decode_source

    try:
        text = decode_source(data)
    except UnreadableSource:
        return {}
    if SKIP_FILE_RE.search(text):
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree: Optional[ast.Module] = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        tree = None
    return file_facts(tree, rules) or {}


# --- judging ----------------------------------------------------------------------------------


_ROOTS: dict[str, str] = {}


def app_root(abspath: str, fallback: str) -> str:
    """The application a file belongs to: the nearest folder with a project marker, else `fallback`."""
    folder = os.path.dirname(abspath)
    seen = []
    found = fallback
    while True:
        if folder in _ROOTS:
            found = _ROOTS[folder]
            break
        seen.append(folder)
        if any(os.path.exists(os.path.join(folder, marker)) for marker in APP_MARKERS):
            found = folder
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for item in seen:
        _ROOTS[item] = found
    return found


@dataclass
class _File:
    display: str
    abspath: str
    config: Config
    facts: Optional[dict[str, Any]] = None
    text: Optional[str] = None  # the source, when it is not read from `abspath` (judge_texts)


def judge(
    files: Sequence[tuple[Target, Config]],
    results: Sequence[FileResult],
    *,
    cwd: Optional[Path] = None,
    use_cache: bool = True,
    cache_dir: Optional[Path] = None,
    shard: Optional[Shard] = None,
    crashes: Optional[list[RuleCrash]] = None,
    stdin: Optional[tuple[str, bytes]] = None,
) -> list[Finding]:
    """The findings of the project rules over every file of a run (see the module doc).

    `files`: every discovered file with its configuration, *before* any `--shard` filter (one
    file, e.g. standard input with its `--stdin-filename`, makes a single-file run). `results`:
    what this run linted (their `facts` are used; a file without them is looked up in the facts
    store, else parsed here). Reports are kept for the files `shard` owns. A rule that crashes
    while judging adds a `RuleCrash` to `crashes` (the run's other findings stand); without
    `crashes` the exception propagates. `stdin`: (display, bytes) of a file read from standard
    input, whose text (not the file on disk) places the reports and holds their `noqa`.
    """
    from errlint.engine import select_rules

    cwd = cwd or Path.cwd()
    chosen: dict[int, list[type[ProjectRule]]] = {}
    for _, config in files:
        if id(config) not in chosen:
            chosen[id(config)] = [r for r in select_rules(config) if isinstance(r, type) and issubclass(r, ProjectRule)]
    if not any(chosen.values()):
        return []
    by_display = {r.path: r for r in results}
    stores: dict[str, Optional[FactsStore]] = {}

    def store_for(config: Config) -> Optional[FactsStore]:
        if not use_cache:
            return None
        from errlint.cache import default_cache_dir

        directory = str(cache_dir or default_cache_dir(config, cwd))
        if directory not in stores:
            stores[directory] = FactsStore(Path(directory))
        return stores[directory]

    single = len([t for t, _ in files if t.error is None]) == 1
    projects: dict[tuple[str, int], list[_File]] = {}
    for target, config in files:
        rules = chosen[id(config)]
        if target.error is not None or not rules:
            continue
        codes = [_fact_key(r) for r in rules]
        item = _File(target.display, os.path.abspath(target.path), config, text=_source(by_display.get(target.display), stdin))
        item.facts = _facts_for(item, target.path, by_display.get(target.display), rules, codes, store_for(config))
        root = app_root(item.abspath, config.root if config.root != "." else str(cwd))
        projects.setdefault((root, id(config)), []).append(item)
    findings: list[Finding] = []
    for (root, _), members in projects.items():
        config = members[0].config
        rules = chosen[id(config)]
        codes = [_fact_key(r) for r in rules]
        reportable = {m.display for m in members}  # the files of this run, never the stored others
        if single:
            others = _stored_others(store_for(config), root, {m.abspath for m in members}, codes, cwd)
            if not others:
                continue  # one file alone says nothing about the project's convention
            members = members + [_File(d, a, config, f) for d, a, f in others if d not in reportable]
        findings.extend(_judge_project(members, reportable, rules, config, shard, root, crashes))
    for store in stores.values():
        if store is not None:
            store.save()
    return findings


def _facts_for(
    item: _File,
    path: Path,
    result: Optional[FileResult],
    rules: Sequence[type[LintRule]],
    codes: Sequence[str],
    store: Optional[FactsStore],
) -> Optional[dict[str, Any]]:
    from errlint.cache import entry_key
    from errlint.engine import read_source

    given = getattr(result, "facts", None) if result is not None else None
    if given is not None and not all(c in given for c in codes):
        given = None
    if given is not None and store is None:
        return dict(given)
    linted = getattr(result, "cache_key", None)  # the key of the bytes this run linted (or found cached)
    if store is not None and linted is not None:
        stored = store.get(item.abspath, linted, codes)
        if stored is not None:  # the facts of those very bytes: the file is not read again
            return dict(given) if given is not None else dict(stored)
    try:
        data = read_source(path)
        st = os.stat(path)
    except OSError:
        return dict(given) if given is not None else None  # standard input without a file, unreadable
    key = entry_key(item.display, data)
    if given is not None:
        # The facts of the text that was linted; stored only when that is the file's text now
        # (standard input with --stdin-filename may be an unsaved buffer).
        if store is not None and getattr(result, "cache_key", None) == key:
            store.put(item.abspath, key, st.st_size, st.st_mtime_ns, given)
        return dict(given)
    facts = store.get(item.abspath, key, codes) if store is not None else None
    if facts is None:
        facts = compute_facts(data, rules)
    if store is not None:
        store.put(item.abspath, key, st.st_size, st.st_mtime_ns, facts)
    return facts


def _source(result: Optional[FileResult], stdin: Optional[tuple[str, bytes]]) -> Optional[str]:
    """The text a result was linted from, when it is not the file on disk (None: read the file)."""
    if result is None:
        return None
    if result.source is not None:
        return result.source
    if stdin is not None and stdin[0] == result.path:
        from errlint.source import UnreadableSource, decode_source

        try:
            return decode_source(stdin[1])
        except UnreadableSource:
            return None
    return None


def judge_one(result: FileResult, path: Optional[Path], config: Config, *, text: Optional[str] = None, cwd: Optional[Path] = None) -> list[Finding]:
    """The project rules' findings for one file linted alone (flake8 plugin, editor server).

    `result` is the file's lint result (`text`: the source it was linted from, when `result` did
    not keep it). The other files of its project come from the facts store (see the module doc);
    nothing is written to it. No store, no findings. A crash while judging propagates.
    """
    from errlint.discovery import Target

    if text is not None and result.source is None:
        result = dataclasses.replace(result, source=text)
    target = Target(path if path is not None else Path("-"), result.path)
    return judge([(target, config)], [result], cwd=cwd)


def judge_texts(texts: Mapping[str, str], rules: Sequence[type[LintRule]], config: Config) -> list[Finding]:
    """The project rules' findings over `texts` (display path -> source) as one project, in memory.

    For rule cases, docs examples and tests: no files, no store. `split_case` makes `texts` from one
    case with `# file: path.py` lines.
    """
    project = [r for r in rules if isinstance(r, type) and issubclass(r, ProjectRule)]
    if not project:
        return []
    members = [
        _File(display, os.path.abspath(display), config, compute_facts(text.encode("utf-8", "surrogatepass"), project), text)
        for display, text in texts.items()
    ]
    return _judge_project(members, set(texts), project, config, None, ".", None)


def split_case(code: str, default: str = "case.py") -> dict[str, str]:
    """`# file: api/views.py` lines start a new file; text before the first one is `default`."""
    files: dict[str, list[str]] = {}
    current = default
    for line in code.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("# file:"):
            current = stripped[len("# file:") :].strip()
            files.setdefault(current, [])
            continue
        files.setdefault(current, []).append(line)
    return {name: "".join(lines) for name, lines in files.items() if "".join(lines).strip() or name != default}


def _stored_others(
    store: Optional[FactsStore], root: str, exclude: set[str], codes: Sequence[str], cwd: Path
) -> list[tuple[str, str, dict[str, Any]]]:
    """The current stored facts of the files of the project at `root`, except `exclude`."""
    if store is None:
        return []
    from errlint.discovery import display_path

    prefix = root.rstrip(os.sep) + os.sep
    out = []
    for abspath in sorted(store.entries):
        if abspath in exclude or not abspath.startswith(prefix):
            continue
        if app_root(abspath, root) != root:
            continue  # another application nested inside this one
        facts = store.current(abspath, codes)
        if facts is not None:
            out.append((display_path(Path(abspath), cwd), abspath, facts))
    return out


def _judge_project(
    members: Sequence[_File],
    reportable: set[str],
    rules: Sequence[type[ProjectRule]],
    config: Config,
    shard: Optional[Shard],
    root: str,
    crashes: Optional[list[RuleCrash]],
) -> list[Finding]:
    from errlint.engine import ignored_for_path, module_name_for, rule_options, _matches

    options = rule_options(config, list(rules))
    by_display = {m.display: m for m in members}
    out: list[Finding] = []
    for rule in rules:
        key = _fact_key(rule)
        facts = {
            m.display: m.facts[key]
            for m in members
            if m.facts is not None and m.facts.get(key) is not None and not config.is_test_path(m.display)
        }
        if not facts:
            continue
        project = Project(facts, config, options.get(rule.CODE), {d: module_name_for(config.relative(d)) for d in facts})
        try:
            reports = sorted(set(rule.judge(project)), key=lambda r: (r.path, r.line, r.col_offset))
        except Exception as err:  # noqa: XH102 - one rule's bug costs its findings, not the run
            if crashes is None:
                raise
            from errlint.walker import describe

            crashes.append(RuleCrash(f"{root} (project)", rule.CODE, describe(err), traceback.format_exc()))
            continue
        for report in reports:
            member = by_display.get(report.path)
            if member is None or report.path not in reportable or (shard is not None and not shard.owns(report.path)):
                continue
            if _matches(rule.CODE, ignored_for_path(config, report.path)):
                continue
            out.append(_finding(rule, report, config))
    return _finalise(out, by_display)


def _finding(rule: type[ProjectRule], report: ProjectReport, config: Config) -> Finding:
    critical = config.is_critical_path(report.path)
    return Finding(
        code=rule.CODE,
        name=rule.NAME,
        message=report.message,
        severity=rule.SEVERITY.raised() if critical else rule.SEVERITY,
        impact=rule.IMPACT,
        path=report.path,
        line=report.line,
        column=report.col_offset,  # bytes for now; characters in _finalise
        end_line=report.end_line,
        end_column=report.end_col_offset,
        critical=critical,
    )


def _finalise(findings: Sequence[Finding], members: Mapping[str, _File]) -> list[Finding]:
    """Character columns, `# noqa` on the reported line, fingerprints: per file, from its text."""
    from errlint.engine import read_source
    from errlint.fingerprints import assign
    from errlint.noqa import NoqaMap
    from errlint.source import UnreadableSource, decode_source, split_lines

    by_file: dict[str, list[Finding]] = {}
    for finding in findings:
        by_file.setdefault(finding.path, []).append(finding)
    out: list[Finding] = []
    for display, items in sorted(by_file.items()):
        text = members[display].text
        if text is None:
            try:
                text = decode_source(read_source(Path(members[display].abspath)))
            except (OSError, UnreadableSource):
                continue  # gone or changed beyond reading since its facts were taken: nothing to show
        lines = split_lines(text)
        placed = []
        for f in items:
            column = _char_column(lines, f.line, f.column)
            end_column = _char_column(lines, f.end_line, f.end_column)
            placed.append(dataclasses.replace(f, column=column + 1, end_column=end_column + 1))
        placed.sort(key=lambda f: (f.line, f.column, f.code))
        placed = assign(placed, lines)
        noqa = NoqaMap(text, lines)
        out.extend(f for f in placed if not (noqa and noqa.suppresses(f.code, f.line)))
    return out


def _char_column(lines: Sequence[str], line: int, byte_offset: int) -> int:
    if not 1 <= line <= len(lines):
        return byte_offset
    return len(lines[line - 1].encode("utf-8", "surrogatepass")[:byte_offset].decode("utf-8", "replace"))

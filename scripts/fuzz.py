#!/usr/bin/env python3
"""Long fuzz runs and corpus sweeps for errlint (the short, fixed-seed run is tests/test_fuzz.py).

    python scripts/fuzz.py programs [-n 10000] [--seed 0] [--out fuzz-failures]
        Generated programs (hypothesmith from_grammar and from_node, bare and wrapped in
        error-handling templates) through `check_program`: lint with and without the prefilter
        (identical findings), no rule or engine crash, positions inside the file, then every fix
        (safe and unsafe) applied pass after pass: the result compiles when the input did, the
        passes converge, and re-linting gives the same findings with and without the prefilter.
        Failing inputs are written to --out, one file each, with the problem as a comment.

    python scripts/fuzz.py sweep [DIR ...] [-j N]
        `errlint check --select ALL --preview` over DIR (default: this interpreter's
        site-packages) in worker processes; fails (exit 1) on any internal error: a rule or
        engine crash, a worker that died, or valid Python errlint's parser cannot read is listed
        separately (a libcst limit, not an errlint bug). Other XH000 (Python 2 files, syntax
        errors in test data) are counted by reason.

Needs the test extras (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

from errlint.config import Config
from errlint.engine import lint_text
from errlint.fixes import applicable, fix_text
from errlint.rule import all_rules
from errlint.source import split_lines

RULES = [r for r in all_rules() if r.CODE != "XH000"]
CONFIG = Config(preview=True)

TEMPLATES: tuple[str, ...] = (
    "{code}",
    "try:\n{body}\nexcept:\n    pass\n",
    "import logging\nlogger = logging.getLogger(__name__)\n\n\ndef handler(request, password):\n    try:\n{body2}\n"
    "    except Exception as e:\n        logger.error('failed ' + str(e) + password)\n        return {{'error': str(e)}}\n",
    "def task(retries):\n    while True:\n        try:\n{body3}\n        except (OSError, ValueError) as exc:\n"
    "            print(f'{{exc}}')\n            continue\n",
)


def wrap(code: str, template: int) -> str:
    def indent(prefix: str) -> str:
        lines = [prefix + line if line.strip() else line for line in code.splitlines()] or [prefix + "pass"]
        return "\n".join(lines) if any(line.strip() for line in lines) else prefix + "pass"

    return TEMPLATES[template].format(code=code, body=indent("    "), body2=indent("        "), body3=indent("            "))


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _shape(result: Any) -> list[dict[str, Any]]:
    return [f.to_dict() for f in result.findings]


def check_program(source: str) -> list[str]:
    """Every oracle on one program; returns the problems found (empty: all held)."""
    problems: list[str] = []
    lint: Callable[..., Any] = lint_text
    with_pre = lint(source, "fuzz.py", CONFIG, RULES, keep_source=True)
    without = lint(source, "fuzz.py", CONFIG, RULES, prefilter=False)
    for result in (with_pre, without):
        problems.extend(f"crash in {c.rule}: {c.error}" for c in result.crashes)
    if _shape(with_pre) != _shape(without):
        problems.append("findings differ with and without the prefilter")
    lines = split_lines(source)
    for finding in with_pre.findings:
        if not (1 <= finding.line <= max(len(lines), 1) and finding.column >= 1):
            problems.append(f"{finding.code} position {finding.line}:{finding.column} outside the file")
    if problems or not applicable(with_pre.findings, unsafe=True):
        return problems

    def relint(text: str) -> Any:
        return lint(text, "fuzz.py", CONFIG, RULES, keep_source=True)

    outcome = fix_text(source, with_pre, relint, unsafe=True)
    problems.extend(f"crash after fixing in {c.rule}: {c.error}" for c in outcome.result.crashes)
    if _compiles(source) and not _compiles(outcome.text):
        problems.append("the fixed code does not compile")
    if applicable(outcome.result.findings, unsafe=True):
        problems.append("fixes did not converge")
    again = lint(outcome.text, "fuzz.py", CONFIG, RULES, prefilter=False)
    if _shape(again) != _shape(outcome.result):
        problems.append("after fixing, findings differ with and without the prefilter")
    return problems


def run_programs(count: int, seed: int, out: Optional[Path]) -> int:
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, seed as hypothesis_seed, settings
    from hypothesis import strategies as st

    failures: list[tuple[str, list[str]]] = []
    seen = [0]
    programs = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())

    @hypothesis_seed(seed)
    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(programs, st.integers(0, len(TEMPLATES) - 1))
    def one(code: str, template: int) -> None:
        source = wrap(code, template)
        seen[0] += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning on generated code is expected
                ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            source = code  # a template that does not fit the program: the program alone
        problems = check_program(source)
        if problems:
            failures.append((source, problems))

    start = time.monotonic()
    one()
    for index, (source, problems) in enumerate(failures):
        print(f"FAIL {index}: {'; '.join(problems)}")
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            header = "".join(f"# {p}\n" for p in problems)
            (out / f"failure-{index:04}.py").write_text(header + source, encoding="utf-8")
    print(f"{seen[0]} programs in {time.monotonic() - start:.0f} s: {len(failures)} failing")
    return 1 if failures else 0


def sweep(paths: list[str], jobs: Optional[int]) -> int:
    targets = paths or [sysconfig.get_paths()["purelib"]]
    # The default `exclude` skips site-packages and virtualenvs: a config without exclusions.
    config = Path(tempfile.mkdtemp(prefix="errlint-sweep-")) / "errlint.toml"
    config.write_text("exclude = []\nrespect-gitignore = false\n", encoding="utf-8")
    command = [sys.executable, "-m", "errlint", "check", *targets, "--config", str(config), "--no-cache",
               "--preview", "--select", "ALL", "--format", "json", "--exit-zero"]  # fmt: skip
    if jobs:
        command += ["-j", str(jobs)]
    start = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    try:
        findings = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
        return 1
    items = findings if isinstance(findings, list) else findings.get("findings", [])
    xh000 = [f for f in items if f.get("code") == "XH000"]
    reasons = collections.Counter(f["message"].split(":")[0][:80] for f in xh000)
    internal = [line for line in proc.stderr.splitlines() if "crashed" in line]
    unreadable = [f for f in xh000 if f["message"].startswith("valid Python that errlint's parser cannot read")]
    print(f"swept {', '.join(targets)} in {elapsed:.0f} s: {len(items)} findings, exit {proc.returncode}")
    for reason, count in reasons.most_common():
        print(f"  XH000 {count:5} x {reason}")
    for finding in unreadable:
        print(f"  libcst limit: {finding['path']}:{finding['line']}: {finding['message']}")
    for line in internal:
        print(f"  INTERNAL: {line}")
    print(f"internal errors: {len(internal)}")
    return 1 if internal or proc.returncode not in (0, 1) else 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    programs = sub.add_parser("programs", help="generated programs through every oracle")
    programs.add_argument("-n", "--count", type=int, default=10_000)
    programs.add_argument("--seed", type=int, default=0)
    programs.add_argument("--out", type=Path, default=None, help="write failing inputs here")
    swept = sub.add_parser("sweep", help="errlint over installed packages: zero internal errors")
    swept.add_argument("paths", nargs="*")
    swept.add_argument("-j", "--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "programs":
        return run_programs(args.count, args.seed, args.out)
    return sweep(args.paths, args.jobs)


if __name__ == "__main__":
    sys.exit(main())

"""Time `errlint check` on one or more corpora, cold and warm, next to the peer tools installed.

    python benchmarks/bench.py CORPUS_DIR [CORPUS_DIR ...] [--jobs 2] [--repeat 1]
        [--tools errlint,ruff,flake8,pylint] [--flake8 PATH] [--json results.json]
        [--errlint-sets default,full]

Each CORPUS_DIR is a folder of Python code (the library corpus and the application corpus of
`../shared/bench/`, or any project); all of them are measured in ONE run, tool after tool, so the
figures share the machine's state. Each tool runs as a whole process from the corpus on `.`, with
the exception/logging selection of `../shared/PERF.md`, its output sent to a file. For each
command: wall seconds (median, min-max of `--repeat` runs), CPU seconds (user + sys of the process
and its workers), the peak RSS of the largest single process, the number of output lines, and the
ratios to ruff (wall) and to flake8 + plugins (CPU).

errlint runs twice over: cold (`--no-cache`, `-j JOBS` processes) and warm (a fresh cache
directory filled by one untimed run, then every file a cache hit), with its default rules and
with every rule (`--preview`; `--errlint-sets` picks). flake8 is taken from `--flake8`
(a separate virtualenv holding flake8, flake8-bugbear, flake8-logging and flake8-logging-format:
errlint's own flake8 plugin must not run inside the figure). Tools that are not installed are
skipped and the script says so; nothing is installed or downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

RUFF_SELECT = "E722,BLE,S110,S112,TRY,G,LOG,B904,B012,RSE,EM"
FLAKE8_SELECT = "E722,B001,B012,B013,B014,B016,B017,B022,B025,B029,B030,B036,B040,B042,B047,B904,B901,B902,G,LOG"
PYLINT_ENABLE = ",".join(
    [
        "bare-except", "broad-exception-caught", "broad-exception-raised", "raise-missing-from",
        "try-except-raise", "duplicate-except", "binary-op-exception", "raising-format-tuple",
        "wrong-exception-operation", "lost-exception", "return-in-finally", "continue-in-finally",
        "break-in-finally", "pointless-exception-statement", "bad-except-order", "misplaced-bare-raise",
        "bad-exception-cause", "raising-bad-type", "raising-non-exception", "notimplemented-raised",
        "catching-non-exception", "logging-unsupported-format", "logging-format-truncated",
        "logging-too-many-args", "logging-too-few-args", "logging-not-lazy",
        "logging-format-interpolation", "logging-fstring-interpolation",
    ]
)  # fmt: skip
TOOLS = ("errlint", "ruff", "flake8", "pylint")


@dataclass
class Timing:
    name: str
    command: list[str]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks_mib: list[float] = field(default_factory=list)
    lines: int = 0
    exit_codes: list[int] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def find_tool(name: str) -> Optional[str]:
    """The tool next to this interpreter (a venv's bin/), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def run_once(command: list[str], cwd: Path, out: Path) -> tuple[float, float, float, int]:
    """Run `command`; return (wall s, cpu s, peak MiB of the largest process, exit code)."""
    with open(out, "wb") as sink:
        start = time.monotonic()
        proc = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode


def measure(timing: Timing, cwd: Path, repeat: int, out_dir: Path) -> Timing:
    out = out_dir / f"{timing.name.replace(' ', '_')}.out"
    for _ in range(repeat):
        wall, cpu, peak, code = run_once(timing.command, cwd, out)
        timing.walls.append(wall)
        timing.cpus.append(cpu)
        timing.peaks_mib.append(peak)
        timing.exit_codes.append(code)
    timing.lines = sum(1 for _ in open(out, "rb"))
    print(f"  {timing.name}: {timing.wall:.3f} s (exit {timing.exit_codes[-1]}, {timing.lines} lines)", file=sys.stderr)
    return timing


def errlint_supports(errlint: str, flag: str) -> bool:
    proc = subprocess.run([errlint, "check", "--help"], capture_output=True, text=True, check=False)
    return flag in proc.stdout


def plan(
    tools: list[str], jobs: int, scratch: Path, flake8_path: Optional[str] = None, sets: tuple[str, ...] = ("default", "full")
) -> tuple[list[tuple[Timing, Optional[list[str]]]], list[str]]:
    """The commands to time, each with an optional untimed warm-up command; and what was skipped."""
    runs: list[tuple[Timing, Optional[list[str]]]] = []
    skipped: list[str] = []
    if "errlint" in tools:
        errlint = find_tool("errlint")
        if errlint is None:
            skipped.append("errlint: not installed")
        else:
            for rule_set in sets:
                # The default rules, and every rule (`--preview`): the default set is small since the
                # precision measurement, so its figure alone would flatter the engine.
                extra, label = ([], "") if rule_set == "default" else (["--preview"], " (every rule)")
                base = [errlint, "check", ".", "--isolated", "-q", "--format", "concise", "-j", str(jobs), *extra]
                if errlint_supports(errlint, "--no-cache"):
                    runs.append((Timing(f"errlint cold{label}", base + ["--no-cache"]), None))
                    cache = ["--cache-dir", str(scratch / f"errlint-cache-{rule_set}")]
                    runs.append((Timing(f"errlint warm{label}", base + cache), base + cache))
                else:
                    runs.append((Timing(f"errlint cold{label}", base), None))
                    skipped.append("errlint warm: this errlint has no result cache")
    if "ruff" in tools:
        ruff = find_tool("ruff")
        if ruff is None:
            skipped.append("ruff: not installed (pip install ruff)")
        else:
            base = [ruff, "check", ".", "--isolated", "--select", RUFF_SELECT, "--output-format", "concise", "--exit-zero"]
            runs.append((Timing("ruff cold", base + ["--no-cache"]), None))
            warm = base + ["--cache-dir", str(scratch / "ruff-cache")]
            runs.append((Timing("ruff warm", warm), warm))
    if "flake8" in tools:
        flake8 = flake8_path or find_tool("flake8")
        if flake8 is None:
            skipped.append("flake8: not installed (pip install flake8 flake8-bugbear)")
        else:
            version = subprocess.run([flake8, "--version"], capture_output=True, text=True, check=False).stdout
            note = " (errlint's flake8 plugin is installed here and runs too)" if "errlint" in version else ""
            if "bugbear" not in version:
                skipped.append("flake8-bugbear: not installed, flake8 runs without it")
            if note:
                skipped.append("flake8" + note + "; use a separate venv for a clean figure")
            # flake8-logging-format 2024.24.12 crashes on this Airflow file and aborts the whole run
            # (../shared/research/perf-baseline.md): excluded for flake8 only.
            command = [flake8, "--isolated", "--extend-exclude", "secrets_masker.py", "--select", FLAKE8_SELECT, "-j", str(jobs), "--exit-zero", "."]
            runs.append((Timing("flake8", command), None))
    if "pylint" in tools:
        pylint = find_tool("pylint")
        if pylint is None:
            skipped.append("pylint: not installed (pip install pylint)")
        else:
            command = [
                pylint, "--rcfile=/dev/null", "--disable=all", f"--enable={PYLINT_ENABLE}", "--recursive=y",
                "--persistent=n", "--score=n", "--exit-zero", "-j", str(jobs), ".",
            ]  # fmt: skip
            runs.append((Timing("pylint", command), None))
    return runs, skipped


def report(corpus: Path, results: list[Timing], repeat: int, jobs: int) -> None:
    by_name = {t.name: t for t in results}
    ruff, flake8 = by_name.get("ruff cold"), by_name.get("flake8")
    files = sum(1 for _ in corpus.rglob("*.py"))
    print(f"\n{corpus.name} ({files} .py files): {repeat} run(s) each, -j {jobs}\n")
    print("| command | wall s, median (min-max) | CPU s | peak MiB | output lines | wall x ruff cold | CPU / flake8 CPU |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for t in results:
        spread = f"{t.wall:.3f} ({min(t.walls):.3f}-{max(t.walls):.3f})" if len(t.walls) > 1 else f"{t.wall:.3f}"
        ratio = f"{t.wall / ruff.wall:.1f}" if ruff is not None else "-"
        cpu_ratio = f"{t.cpu / flake8.cpu:.3f}" if flake8 is not None and flake8.cpu else "-"
        print(f"| {t.name} | {spread} | {t.cpu:.2f} | {max(t.peaks_mib):.0f} | {t.lines} | {ratio} | {cpu_ratio} |")
    pairs = [
        ("errlint cold", "ruff cold"), ("errlint warm", "ruff warm"), ("errlint cold", "flake8"),
        ("errlint cold (every rule)", "flake8"), ("errlint cold", "pylint"),
    ]  # fmt: skip
    print()
    for a, b in pairs:
        if a in by_name and b in by_name:
            print(f"wall {a} / {b}: {by_name[a].wall / by_name[b].wall:.2f}; CPU: {by_name[a].cpu / max(by_name[b].cpu, 1e-9):.2f}")
    if "errlint cold" in by_name and "errlint warm" in by_name:
        print(f"errlint cold / errlint warm (wall): {by_name['errlint cold'].wall / by_name['errlint warm'].wall:.1f}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", type=Path, nargs="+", metavar="CORPUS")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="worker processes for errlint/flake8/pylint")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per command (median reported)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {','.join(TOOLS)}")
    parser.add_argument("--flake8", help="the flake8 executable to time (a venv with only flake8 and its plugins)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument(
        "--errlint-sets", default="default,full",
        help="errlint rule sets to time: default (the default rules), full (every rule, --preview)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    corpora = [c.resolve() for c in args.corpora]
    for corpus in corpora:
        if not corpus.is_dir():
            parser.error(f"{corpus}: not a directory")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)}")

    sets = tuple(s.strip() for s in args.errlint_sets.split(",") if s.strip())
    if set(sets) - {"default", "full"} or not sets:
        parser.error("--errlint-sets: a comma-separated subset of default,full")
    everything: dict[str, list[Timing]] = {}
    with tempfile.TemporaryDirectory(prefix="errlint-bench-") as tmp:
        for corpus in corpora:
            scratch = Path(tmp) / corpus.name
            scratch.mkdir()
            runs, skipped = plan(tools, args.jobs, scratch, args.flake8, sets)
            print(f"{corpus}:", file=sys.stderr)
            for note in skipped:
                print(f"skipped: {note}", file=sys.stderr)
            results = []
            for timing, warmup in runs:
                if warmup is not None:
                    run_once(warmup, corpus, scratch / "warmup.out")
                results.append(measure(timing, corpus, args.repeat, scratch))
            everything[str(corpus)] = results
    for corpus in corpora:
        report(corpus, everything[str(corpus)], args.repeat, args.jobs)
    for note in skipped:
        print(f"skipped: {note}")
    if args.json:
        data = {
            "jobs": args.jobs,
            "skipped": skipped,
            "corpora": {
                name: [
                    {"name": t.name, "command": t.command, "walls": t.walls, "cpus": t.cpus, "peaks_mib": t.peaks_mib,
                     "lines": t.lines, "exit_codes": t.exit_codes}
                    for t in results
                ]
                for name, results in everything.items()
            },
        }  # fmt: skip
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

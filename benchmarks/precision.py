"""Count findings per rule on a corpus and draw a reproducible sample of each to read.

    python benchmarks/precision.py CORPUS_DIR [--select XH1,XH2] [--sample 25] [--seed 2026]
                                   [--samples-out samples.md]

CORPUS_DIR is what `../shared/bench/make-corpus.sh DIR` builds (Django, SQLAlchemy, Airflow,
Celery, Flask, Requests). Prints a Markdown table of findings per rule; with --samples-out,
writes each sampled finding with five lines of context on either side, for a person to judge.
The judgments and the false-positive patterns fixed go into docs/precision.md.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


def run_errlint(corpus: Path, select: str, preview: bool) -> list[dict[str, object]]:
    cmd = [sys.executable, "-m", "errlint", "check", ".", "--isolated", "--format", "json", "--exit-zero"]
    if select:
        cmd += ["--select", select]
    if preview:
        cmd.append("--preview")
    proc = subprocess.run(cmd, cwd=corpus, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 2) or not proc.stdout.strip():
        sys.exit(f"errlint failed ({proc.returncode}):\n{proc.stderr}")
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    findings: list[dict[str, object]] = json.loads(proc.stdout)
    return findings


def context(corpus: Path, path: str, line: int, radius: int = 5) -> str:
    try:
        lines = (corpus / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        return f"(cannot read: {err})"
    start = max(1, line - radius)
    end = min(len(lines), line + radius)
    return "\n".join(f"{'>' if n == line else ' '}{n:5d}  {lines[n - 1]}" for n in range(start, end + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--select", default="")
    parser.add_argument("--preview", action="store_true", help="include preview rules")
    parser.add_argument("--sample", type=int, default=25)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples-out", type=Path)
    args = parser.parse_args()

    findings = run_errlint(args.corpus, args.select, args.preview)
    by_code: dict[str, list[dict[str, object]]] = defaultdict(list)
    for finding in findings:
        by_code[str(finding["code"])].append(finding)

    print("| rule | findings | files |")
    print("|---|---|---|")
    for code in sorted(by_code):
        items = by_code[code]
        print(f"| {code} {items[0]['name']} | {len(items)} | {len({i['path'] for i in items})} |")

    if args.samples_out:
        out = []
        for code in sorted(by_code):
            items = sorted(by_code[code], key=lambda f: (str(f["path"]), int(str(f["line"]))))
            rng = random.Random(f"{args.seed}-{code}")
            sample = items if len(items) <= args.sample else rng.sample(items, args.sample)
            out.append(f"# {code} — {len(sample)} of {len(items)}\n")
            for i, f in enumerate(sample, start=1):
                out.append(f"## {code} sample {i}: {f['path']}:{f['line']}:{f['column']}\n{f['message']}\n")
                out.append("```\n" + context(args.corpus, str(f["path"]), int(str(f["line"]))) + "\n```\n")
        args.samples_out.write_text("\n".join(out), encoding="utf-8")
        print(f"\nsamples written to {args.samples_out}", file=sys.stderr)


if __name__ == "__main__":
    main()

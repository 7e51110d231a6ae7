"""Blind precision measurement: draw stable samples, collect verdicts, generate docs/precision.md.

    python benchmarks/precision.py run    KIND CORPUS_DIR          # lint, store findings + counts
                                   [--select XH402]            # re-run some rules only
    python benchmarks/precision.py sample KIND CORPUS_DIR --out DIR  # packets for judges to read
    python benchmarks/precision.py report                          # write docs/precision.md
    python benchmarks/precision.py sample KIND CORPUS_DIR --out DIR --second 8  # re-judge 8 judged
                                   # findings per rule; verdicts/second/ feeds the agreement table

KIND is `lib` (the library corpus, `make-corpus.sh`), `app` (the application corpus,
`make-app-corpus.sh`), `more` (the larger application corpus, `make-more-corpus.sh`, run only for the
rules that fire too rarely on the other two to be judged) or `otel` (OpenTelemetry-instrumented code,
`make-otel-corpus.sh`, run for the tracing rules: `run otel DIR --select XH504,XH401`). `run` lints the corpus with every rule (preview included) and keeps the
findings in `benchmarks/verdicts/<KIND>-findings.json` (paths relative to the corpus) so that the
report is reproducible from committed files.

Sampling is stable under change: each finding gets a rank `sha256(seed:kind:path:line:code)` and
the sample of a rule is the `--n` (default 30) lowest-ranked findings of that rule. When a rule
change removes false positives, the remaining judged findings keep their verdicts and only the
findings that move into the sample need judging.

Verdicts are committed as `benchmarks/verdicts/<KIND>/<CODE>.tsv`, one line per judged finding:

    path <TAB> line <TAB> code <TAB> verdict <TAB> reason

with `verdict` one of `tp`, `fp`, `unsure` (unsure is reported, never counted). Judges see only
the code and the criterion (`benchmarks/verdicts/CRITERION.md`), never a rule's precision notes.

A rule is on by default only while its combined (all corpora) precision is >= 90% and
the lower bound of its 95% Wilson interval is >= 80%.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VERDICTS = ROOT / "benchmarks" / "verdicts"
DOC = ROOT / "docs" / "precision.md"
KINDS = {"lib": "libraries", "app": "applications", "more": "more applications", "otel": "OpenTelemetry"}
SEED = "2026"
BAR, LOWER_BAR = 0.90, 0.80


def rank(kind: str, finding: dict[str, Any]) -> str:
    key = f"{SEED}:{kind}:{finding['path']}:{finding['line']}:{finding['code']}"
    return hashlib.sha256(key.encode()).hexdigest()


def findings_file(kind: str) -> Path:
    return VERDICTS / f"{kind}-findings.json"


def load_findings(kind: str) -> list[dict[str, Any]]:
    path = findings_file(kind)
    if not path.exists():
        return []
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return list(data["findings"])


def sample_of(kind: str, findings: list[dict[str, Any]], n: int) -> dict[str, list[dict[str, Any]]]:
    by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_code[str(f["code"])].append(f)
    return {code: sorted(items, key=lambda f: rank(kind, f))[:n] for code, items in sorted(by_code.items())}


def cmd_run(args: argparse.Namespace) -> None:
    corpus: Path = args.corpus.resolve()
    cmd = [sys.executable, "-m", "errlint", "check", ".", "--isolated", "--preview", "--format", "json",
           "--exit-zero", "--no-cache"]
    if args.select:
        cmd += ["--select", args.select]  # re-run these rules only; the others' stored findings stay
    proc = subprocess.run(cmd, cwd=corpus, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1, 2) or not proc.stdout.strip():
        sys.exit(f"errlint failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    found: list[dict[str, Any]] = json.loads(proc.stdout)
    keep = ("path", "line", "column", "code", "name", "message")
    slim = [{k: f[k] for k in keep} for f in found]
    if args.select:
        prefixes = tuple(c.strip() for c in args.select.split(","))
        slim += [f for f in load_findings(args.kind) if not str(f["code"]).startswith(prefixes)]
    slim = list({(f["path"], f["line"], f["column"], f["code"], f["message"]): f for f in slim}.values())  # XH000 twice
    slim.sort(key=lambda f: (f["path"], f["line"], f["column"], f["code"]))
    version = subprocess.run([sys.executable, "-m", "errlint", "--version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    VERDICTS.mkdir(parents=True, exist_ok=True)
    payload = {"kind": kind_name(args.kind), "errlint": version, "commit": commit,
               "date": datetime.date.today().isoformat(), "findings": slim}
    covered = codes_run(args.kind, args.select)
    if covered is not None:
        payload["codes"] = covered  # a corpus run for some rules only: the others read "not run"
    findings_file(args.kind).write_text(json.dumps(payload, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    counts: dict[str, int] = defaultdict(int)
    for f in slim:
        counts[f["code"]] += 1
    for code in sorted(counts):
        print(f"{code}\t{counts[code]}")


def codes_run(kind: str, select: str) -> list[str] | None:
    """The codes a findings file covers after a run with `select` (None: every rule)."""
    if not select:
        return None
    path = findings_file(kind)
    before: list[str] | None = []
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8")).get("codes")
    if before is None:
        return None
    return sorted(set(before) | {c.strip() for c in select.split(",") if c.strip()})


def covers(kind: str, code: str) -> bool:
    """Whether the stored run of `kind` ran the rule `code` (a `--select` run covers its codes only)."""
    path = findings_file(kind)
    if not path.exists():
        return True
    codes: list[str] | None = json.loads(path.read_text(encoding="utf-8")).get("codes")
    return codes is None or any(code.startswith(c) for c in codes)


def kind_name(kind: str) -> str:
    return KINDS[kind]


def context(corpus: Path, path: str, line: int, radius: int) -> str:
    try:
        lines = (corpus / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        return f"(cannot read: {err})"
    start, end = max(1, line - radius), min(len(lines), line + radius)
    return "\n".join(f"{'>' if n == line else ' '}{n:5d}  {lines[n - 1]}" for n in range(start, end + 1))


def load_verdicts(kind: str, second: bool = False) -> dict[tuple[str, int, str], tuple[str, str]]:
    """The verdicts on findings of `kind`; `second`: the second judge's (`verdicts/second/`)."""
    out: dict[tuple[str, int, str], tuple[str, str]] = {}
    folder = (VERDICTS / "second" if second else VERDICTS) / kind
    if not folder.is_dir():
        return out
    for tsv in sorted(folder.glob("*.tsv")):
        for raw in tsv.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            parts = raw.split("\t")
            if len(parts) < 4:
                sys.exit(f"{tsv}: malformed line: {raw!r}")
            path, line, code, verdict = parts[:4]
            reason = parts[4] if len(parts) > 4 else ""
            if verdict not in ("tp", "fp", "unsure"):
                sys.exit(f"{tsv}: verdict must be tp, fp or unsure: {raw!r}")
            out[(path, int(line), code)] = (verdict, reason)
    return out


def cmd_sample(args: argparse.Namespace) -> None:
    corpus: Path = args.corpus.resolve()
    findings = load_findings(args.kind)
    if not findings:
        sys.exit(f"no findings stored for {args.kind}: run `precision.py run {args.kind} CORPUS` first")
    judged = load_verdicts(args.kind)
    codes = set(args.codes.split(",")) if args.codes else None
    args.out.mkdir(parents=True, exist_ok=True)
    for code, items in sample_of(args.kind, findings, args.n).items():
        if codes is not None and code not in codes:
            continue
        if args.second:  # a seeded subset of the judged findings, for an independent second judge
            again = load_verdicts(args.kind, second=True)
            todo = [f for f in items if (key := (f["path"], f["line"], f["code"])) in judged and key not in again]
            todo = sorted(todo, key=lambda f: rank("second:" + args.kind, f))[: args.second]
        else:
            todo = [f for f in items if (f["path"], f["line"], f["code"]) not in judged]
        if not todo:
            continue
        lines = [f"# {args.kind} {code}: {len(todo)} finding(s) to judge\n",
                 f"Corpus root: `{corpus}`. Write verdicts to "
                 f"`benchmarks/verdicts/{'second/' if args.second else ''}{args.kind}/{code}.tsv`.\n"]
        for i, f in enumerate(todo, 1):
            lines.append(f"## {i}. `{f['path']}:{f['line']}:{f['column']}` {f['code']}\n")
            lines.append(f"Message: {f['message']}\n")
            lines.append("```python\n" + context(corpus, f["path"], int(f["line"]), args.radius) + "\n```\n")
            lines.append(f"TSV key: `{f['path']}\t{f['line']}\t{f['code']}`\n")
        (args.out / f"{args.kind}-{code}.md").write_text("\n".join(lines), encoding="utf-8")
        print(f"{args.kind}-{code}.md\t{len(todo)}")


def wilson(tp: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 0.0)
    p = tp / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def cell(tp: int, fp: int, unsure: int, missing: int, total: int) -> str:
    n = tp + fp
    if total == 0:
        return "no finding"
    text = f"{tp}/{n}" if n else "0 judged"
    if n:
        lo, hi = wilson(tp, n)
        text += f" = {pct(tp / n)} [{pct(lo)}–{pct(hi)}]"
    extra = []
    if unsure:
        extra.append(f"{unsure} unsure")
    if missing:
        extra.append(f"{missing} unjudged")
    if extra:
        text += " (" + ", ".join(extra) + ")"
    return f"{text}; {total} found"


def measure(n: int) -> dict[str, dict[str, Any]]:
    """Per code: per kind tp/fp/unsure/missing/total and the false-positive reasons."""
    table: dict[str, dict[str, Any]] = defaultdict(lambda: {"fp_reasons": []})
    for kind in KINDS:
        findings = load_findings(kind)
        totals: dict[str, int] = defaultdict(int)
        for f in findings:
            totals[str(f["code"])] += 1
        verdicts = load_verdicts(kind)
        for code, items in sample_of(kind, findings, n).items():
            row = {"tp": 0, "fp": 0, "unsure": 0, "missing": 0, "total": totals[code]}
            for f in items:
                v = verdicts.get((f["path"], f["line"], f["code"]))
                if v is None:
                    row["missing"] += 1
                    continue
                row[v[0]] += 1
                if v[0] == "fp" and v[1]:
                    table[code]["fp_reasons"].append(f"{kind}: {v[1]}")
            table[code][kind] = row
    return table


def status_for(code: str, row: dict[str, Any]) -> tuple[str, str]:
    tp = sum(row.get(k, {}).get("tp", 0) for k in KINDS)
    fp = sum(row.get(k, {}).get("fp", 0) for k in KINDS)
    n = tp + fp
    if n == 0:
        return ("—", "no judged finding")
    lo, _ = wilson(tp, n)
    ok = tp / n >= BAR and lo >= LOWER_BAR
    return (f"{tp}/{n} = {pct(tp / n)} [{pct(lo)}–{pct(wilson(tp, n)[1])}]", "meets the bar" if ok else "below the bar")


def rule_status() -> dict[str, str]:
    from errlint.rule import all_rules  # noqa: PLC0415 - only for the report

    return {r.CODE: ("preview" if r.PREVIEW else "default") for r in all_rules()}


def agreement() -> list[str]:
    """Lines comparing the second judge's verdicts (`verdicts/second/`) with the first ones."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for kind in KINDS:
        first, second = load_verdicts(kind), load_verdicts(kind, second=True)
        for key, (verdict, _) in second.items():
            if key in first:
                pairs.setdefault(key[2], []).append((first[key][0], verdict))
    if not pairs:
        return []
    both = [p for ps in pairs.values() for p in ps if "unsure" not in p]
    agree = sum(a == b for a, b in both)
    p_tp = (sum(a == "tp" for a, _ in both) / len(both), sum(b == "tp" for _, b in both) / len(both))
    chance = p_tp[0] * p_tp[1] + (1 - p_tp[0]) * (1 - p_tp[1])
    kappa = (agree / len(both) - chance) / (1 - chance) if chance < 1 else 1.0
    out = ["", "## Agreement between judges", "",
           "A second judge, who saw neither the first verdicts nor the rules, re-judged a seeded subset of the",
           "judged findings (`benchmarks/verdicts/second/`). Pairs with an `unsure` on either side are left out.",
           "",
           f"Overall: the judges agree on {agree} of {len(both)} findings ({pct(agree / len(both))}), "
           f"Cohen's kappa {kappa:.2f}.",
           "",
           "| rule | judged twice | agree | first tp, second fp | first fp, second tp |",
           "|---|---:|---:|---:|---:|"]
    for code in sorted(pairs):
        ps = [p for p in pairs[code] if "unsure" not in p]
        out.append(f"| {code} | {len(ps)} | {sum(a == b for a, b in ps)} | "
                   f"{sum(p == ('tp', 'fp') for p in ps)} | {sum(p == ('fp', 'tp') for p in ps)} |")
    return out


def cmd_report(args: argparse.Namespace) -> None:
    table = measure(args.n)
    try:
        statuses = rule_status()
    except Exception as err:  # noqa: XH102 - the report still lists the measurement without status
        print(f"warning: cannot load rules for their status: {err}", file=sys.stderr)
        statuses = {}
    meta = []
    for kind, name in KINDS.items():
        path = findings_file(kind)
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            meta.append(f"{name}: errlint {data['errlint'].split()[-1]} at commit `{data['commit']}`, {data['date']}, "
                        f"{len(data['findings'])} findings (preview rules included)")
    out = [
        "# Precision on real code",
        "",
        "<!-- generated by `python benchmarks/precision.py report` from benchmarks/verdicts/; do not edit -->",
        "",
        "Every rule runs on two pinned corpora: **libraries** (`make-corpus.sh`: Django, SQLAlchemy, Airflow,",
        "Celery, Flask, Requests; 4,819 files) and **applications** (`make-app-corpus.sh`: Superset, pretix,",
        "privacyIDEA; 2,860 files). Rules that fire too rarely there, and those closest to the bar, also run on **more",
        "applications** (`make-more-corpus.sh`: Weblate, Indico, MLflow, CKAN, Synapse, Pulp, Label Studio,",
        "Mailman, changedetection.io, OctoPrint, Lemur, Calibre-Web, JupyterHub, Radicale, Flower, without",
        "their tests; 5,830 files). The tracing rules also run on **OpenTelemetry**-instrumented code",
        "(`make-otel-corpus.sh`: the opentelemetry-python-contrib instrumentations, OpenLLMetry, OpenLIT,",
        "Logfire, the SDK, and frameworks that start their own spans such as Prefect, CrewAI, Google ADK,",
        "Pydantic AI, Langfuse, MLflow, Arize Phoenix and Open WebUI; 83 packages, 9,576 files). Per rule",
        "and corpus, a stable seeded sample of up to "
        f"{args.n} findings (all when fewer) is judged **blind** by engineers who did not write the rule, given",
        "only the code and this criterion:",
        "",
        "> A finding is a **true positive** when a maintainer of that code would accept it as worth fixing, or",
        "> as worth an explicit `noqa` with a written reason, **and** its message says something true about this",
        "> code. It is a **false positive** when it is wrong, or noise the team would silence wholesale. Unsure is",
        "> recorded and reported, not counted either way.",
        "",
        "A rule is on by default only while its combined precision is at least 90% and the lower bound of its",
        "95% Wilson interval is at least 80%; otherwise it is a preview rule (`--preview` or `extend-select`).",
        "Cells read `true positives/judged = precision [95% interval]; findings on the corpus`.",
        "",
        "Measured: " + "; ".join(meta) + "." if meta else "Not measured yet.",
        "",
        "Reproduce: build the corpora, then `python benchmarks/precision.py run lib DIR`, `… run app DIR`,",
        "`… run more DIR --select XH104,XH105,XH202,XH203,XH303,XH304,XH305,XH306,XH404,XH501`,",
        "`… run otel DIR --select XH504,XH401`,",
        "`… sample KIND DIR --out packets/` (only findings without a verdict), judge, `… report`.",
        "",
        "| rule | status | " + " | ".join(KINDS.values()) + " | combined | measurement |",
        "|---|---|" + "---|" * len(KINDS) + "---|---|",
    ]
    codes = sorted(set(table) | set(statuses))
    for code in codes:
        if code in ("XH000",):
            continue
        row = table.get(code, {})
        cells = []
        for kind in KINDS:
            r = row.get(kind)
            if r:
                cells.append(cell(r["tp"], r["fp"], r["unsure"], r["missing"], r["total"]))
            else:
                cells.append("no finding" if covers(kind, code) else "not run")
        combined, verdict = status_for(code, row) if row else ("—", "no finding on any corpus")
        out.append(f"| {code} | {statuses.get(code, '?')} | " + " | ".join(cells) + f" | {combined} | {verdict} |")
    out += ["", "## False positives the judges found", ""]
    for code in codes:
        reasons = table.get(code, {}).get("fp_reasons", [])
        if reasons:
            out.append(f"- **{code}**: " + "; ".join(sorted(set(reasons))))
    out += agreement()
    DOC.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("kind", choices=list(KINDS))
    p.add_argument("corpus", type=Path)
    p.add_argument("--select", default="", help="re-run only these codes/prefixes, keep the other stored findings")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("sample")
    p.add_argument("kind", choices=list(KINDS))
    p.add_argument("corpus", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--radius", type=int, default=12)
    p.add_argument("--codes", default="")
    p.add_argument("--second", type=int, default=0, metavar="N",
                   help="up to N already judged findings per rule, for a second judge (verdicts/second/)")
    p.set_defaults(func=cmd_sample)
    p = sub.add_parser("report")
    p.add_argument("--n", type=int, default=30)
    p.set_defaults(func=cmd_report)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

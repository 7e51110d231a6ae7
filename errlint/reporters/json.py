"""`--format json`: a JSON array of findings in the shape documented under "Findings" in the docs
(`docs/index.md`), each with its `fingerprint` (`errlint.fingerprints.of`, as in SARIF and GitLab), so that `errlint merge` can
turn shard reports into SARIF or GitLab reports with the same line-stable identities."""

from __future__ import annotations

import json
from typing import IO

from errlint.fingerprints import of as fingerprint_of
from errlint.reporters import ReporterOptions, RunResult


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    json.dump([{**f.to_dict(), "fingerprint": fingerprint_of(f)} for f in result.findings], out, indent=2, ensure_ascii=False)
    out.write("\n")

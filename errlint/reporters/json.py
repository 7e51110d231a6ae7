"""`--format json`: a JSON array of findings in the shape documented under "Findings" in the docs (`docs/index.md`)."""

from __future__ import annotations

import json
from typing import IO

from errlint.reporters import ReporterOptions, RunResult


def report(result: RunResult, out: IO[str], options: ReporterOptions) -> None:
    json.dump([f.to_dict() for f in result.findings], out, indent=2, ensure_ascii=False)
    out.write("\n")

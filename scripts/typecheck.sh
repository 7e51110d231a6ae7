#!/usr/bin/env bash
# mypy --strict on errlint as installed (rules/ only exists as errlint.rules after installation;
# static analysers do not follow the editable finder). Usage: scripts/typecheck.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python3}
target=$(mktemp -d)
"$PY" -m pip install -q --no-deps --target "$target" . >/dev/null
(cd "$target" && "$PY" -m mypy --strict -p errlint)
rm -rf "$target"

#!/usr/bin/env bash
# Build the third precision corpus ("more"): pinned wheels of fifteen real applications and services
# from PyPI, larger than the application corpus, so that rules that fire rarely (a handful of
# findings on the library and application corpora) collect enough findings to be judged.
#
#   weblate 5.14.3            Django localization server: VCS pushes, webhooks, Celery tasks, e-mail
#   indico 3.2.9              Flask conference server: registrations, payments, Celery tasks
#   mlflow 3.18.0             ML tracking server and client: REST handlers, artifact stores, gateways
#   ckan 2.12.0               Flask open-data portal: API actions, datastore, background jobs
#   matrix-synapse 1.163.2    Twisted Matrix homeserver: federation, HTTP clients, replication
#   pulpcore 3.123.1          Django content repository: REST API, download workers, tasking
#   label-studio 1.23.2       Django annotation server: cloud storages, ML backends, webhooks
#   mailman 3.3.10            Mailing-list server: SMTP/LMTP runners, REST API, bounce handling
#   changedetection-io 0.60.10  Flask monitoring service: fetchers, notifications, workers
#   octoprint 1.11.8          Flask/Tornado 3D-printer server: serial connection, plugins, REST API
#   lemur 1.9.3               Flask certificate service: ACME, Vault and cloud plugins, Celery tasks
#   calibreweb 0.6.27         Flask e-book server: uploads, metadata fetchers, Kobo sync
#   jupyterhub 6.1.1          Tornado multi-user server: spawners, OAuth, REST API, proxies
#   radicale 3.9.0            CalDAV/CardDAV server: storage, authentication, HTTP handlers
#   flower 2.2.0              Tornado Celery monitor: broker API, worker control, auth
#
# Only the application's own Python code is kept: test suites and test helpers, demo and example
# packages and vendored third-party code are left out (see SKIP_DIRS / SKIP_FILES below), so that
# findings are about code the application's maintainers run in production.
#
# Usage:  bash benchmarks/make-more-corpus.sh [DEST]
#   DEST        where the projects are unpacked (default: ${TMPDIR:-/tmp}/errlint-bench/more)
#   DIST_DIR    where the downloads are kept (default: DEST/../more-dists)
#   PYTHON      interpreter whose pip is used (default: python3)
# The downloads are checked against pinned sha256 hashes, the unpacked .py files against one
# digest, so every rebuild is byte-identical. Only PyPI is needed.
set -euo pipefail

DEST=${1:-${TMPDIR:-/tmp}/errlint-bench/more}
DEST=${DEST%/}
DIST_DIR=${DIST_DIR:-$(dirname "$DEST")/more-dists}
PYTHON=${PYTHON:-python3}

# name  version  wheel  sha256
PINS=(
  "weblate|5.14.3|weblate-5.14.3-py3-none-any.whl|0bc2c5a49ebc496758e89f08d5ec9d1b226e8aba2cff7744a18ab9f235dca816"
  "indico|3.2.9|indico-3.2.9-py3-none-any.whl|194d2e31ccaabd2b9af7809e67d60d942faee35a6b4de36f0c2c280a32ed84c3"
  "mlflow|3.18.0|mlflow-3.18.0-py3-none-any.whl|be7d84ba0d0b12392f5b53260cdb3e6d7b7ef4b80c29da90a89b5a1f6db7102f"
  "ckan|2.12.0|ckan-2.12.0-py3-none-any.whl|3b41cb4860286813fbcd18c57341e96edba266e2e492aeea92c4e03ce9e2934e"
  "matrix-synapse|1.163.2|matrix_synapse-1.163.2-cp310-abi3-manylinux_2_28_x86_64.whl|6cecae98b6e1b55dd68e689329cf1677cba103d4160c320f04b26bd081ff1558"
  "pulpcore|3.123.1|pulpcore-3.123.1-py3-none-any.whl|93652191c82e1543a3ed2f62ee9e58eec892a0e79138461bffb8ce8905b9cfea"
  "label-studio|1.23.2|label_studio-1.23.2-py3-none-any.whl|c575b2552d0b271554224c5e56ab2ce9449c6e62a0b4851bc8c706d8fe651137"
  "mailman|3.3.10|mailman-3.3.10-py3-none-any.whl|0f63ed38efa938357074e993d6a9b2d81bedaab92f5b3ecdd519890259893f37"
  "changedetection-io|0.60.10|changedetection_io-0.60.10-py3-none-any.whl|a99794de52220a398ef4002ac66f6bf07e579ef9269254828e6b59bd3fb2cd13"
  "octoprint|1.11.8|octoprint-1.11.8-py3-none-any.whl|21fef2f84f9b730dab905c3d22c0476f4877cadf6c129c8a75be8e5b5546241e"
  "lemur|1.9.3|lemur-1.9.3-py3-none-any.whl|22d5d8723b4b8617dd4d648a483fc352bbc34e90e7546b2d9ad8b40d753a8f7b"
  "calibreweb|0.6.27|calibreweb-0.6.27-py3-none-any.whl|c6d4173d31a4495e09c615857f30f0d03d9f7eabc7bb50558164f67083d4f72d"
  "jupyterhub|6.1.1|jupyterhub-6.1.1-py3-none-any.whl|ae20ed7b3d7cef1dd5d51e28723fd53853d69f732e7a9e84a73136acab454248"
  "radicale|3.9.0|radicale-3.9.0-py3-none-any.whl|7bf5f81e7d9e3f116be741c57448f42835eb1f5104a1620eb8489a9b962fe17e"
  "flower|2.2.0|flower-2.2.0-py2.py3-none-any.whl|374cbdd92282576ffab66b0da3c3038a2ba1ec34b343b8197dca2e85ce4209f1"
)
EXPECTED_PY_DIGEST=644beb688f852b2e5c361ffd2316cdb8c4fb38660f60a7093c07e2c9a1fbbf62

mkdir -p "$DEST" "$DIST_DIR"
for p in "${PINS[@]}"; do
  IFS='|' read -r name ver file sha <<<"$p"
  if ! echo "$sha  $DIST_DIR/$file" | sha256sum -c --status 2>/dev/null; then
    # The platform is given so that the one binary wheel (synapse) is the same on every machine.
    "$PYTHON" -m pip download -q --no-deps --only-binary :all: --platform manylinux_2_28_x86_64 \
      --python-version 3.12 "$name==$ver" -d "$DIST_DIR"
  fi
  echo "$sha  $DIST_DIR/$file" | sha256sum -c --quiet
  out="$DEST/$name-$ver"
  rm -rf "$out"
  mkdir -p "$out"
  # Unpack the .py files only, leaving out tests, demos, examples and vendored code.
  "$PYTHON" - "$DIST_DIR/$file" "$out" <<'EOF'
import re
import sys
import zipfile
from pathlib import Path

SKIP_DIRS = re.compile(r"^(tests?|testing|pytest|demo|examples?|example_.*|vendor|vendored|_vendor|third_party)$")
SKIP_FILES = re.compile(r"^(test_.*|.*_tests?|conftest)\.py$")
wheel, out = sys.argv[1], Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        parts = name.split("/")
        if not name.endswith(".py") or ".dist-info" in parts[0] or ".data" in parts[0]:
            continue
        if any(SKIP_DIRS.match(p) for p in parts[:-1]) or SKIP_FILES.match(parts[-1]):
            continue
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(z.read(name))
EOF
done

printf '%-30s %7s %9s\n' project files lines
tf=0; tl=0
for p in "${PINS[@]}"; do
  IFS='|' read -r name ver file sha <<<"$p"
  d="$DEST/$name-$ver"
  f=$(find "$d" -type f -name '*.py' | wc -l)
  l=$(find "$d" -type f -name '*.py' -print0 | xargs -0 cat | wc -l)
  printf '%-30s %7d %9d\n' "$name-$ver" "$f" "$l"
  tf=$((tf + f)); tl=$((tl + l))
done
printf '%-30s %7d %9d\n' total "$tf" "$tl"

digest=$(cd "$DEST" && find . -type f -name '*.py' -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$digest" = "$EXPECTED_PY_DIGEST" ]; then
  echo "more corpus digest OK: $digest"
else
  echo "more corpus digest MISMATCH: got $digest, expected $EXPECTED_PY_DIGEST" >&2
  exit 1
fi

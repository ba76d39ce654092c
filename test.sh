#!/usr/bin/env bash
# Run the whole test suite (sets up .venv with the dev extra on first run).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/scripts/bootstrap.sh" dev
cd "$here"
export QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest -q "$@"

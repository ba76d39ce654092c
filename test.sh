#!/usr/bin/env bash
# Run the whole test suite (sets up .venv with the dev extra on first run).
#   ./test.sh [PYTEST ARGS]            the tests only (e.g. ./test.sh tests/io -x)
#   ./test.sh --checks [PYTEST ARGS]   first scripts/check.sh (ruff, import contracts, mypy),
#                                      then the tests: what CI runs (.ci/run)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/scripts/bootstrap.sh" dev
cd "$here"
if [ "${1:-}" = "--checks" ]; then
  shift
  "$here/scripts/check.sh"
fi
export QT_QPA_PLATFORM=offscreen OMP_WAIT_POLICY=PASSIVE PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest -q "$@"

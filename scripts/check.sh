#!/usr/bin/env bash
# The checks CI runs before the tests (also the pre-commit hooks): ruff lint, ruff format,
# the import contracts (layering: Qt only in ui, torch only in models) and mypy on core,
# algorithms, io and models (settings in pyproject.toml). Every check runs; the script fails
# if any failed. Uses .venv (made by scripts/bootstrap.sh dev when missing or stale).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
"$here/scripts/bootstrap.sh" dev || exit 1
bin="$here/.venv/bin"
failed=()
run() {
  local name="$1"
  shift
  echo "== $name: $*" >&2
  if ! "$@"; then
    failed+=("$name")
  fi
}
run "ruff check" "$bin/ruff" check .
run "ruff format" "$bin/ruff" format --check .
run "import contracts" "$bin/lint-imports" --no-cache
run "mypy" "$bin/mypy"
if [ ${#failed[@]} -gt 0 ]; then
  echo "checks failed: ${failed[*]}" >&2
  exit 1
fi
echo "checks passed: ruff check, ruff format, import contracts, mypy" >&2

#!/usr/bin/env bash
# Start labeldesk (on the bundled sample when no path is given). Sets itself up on first run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/scripts/bootstrap.sh"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
exec "$here/.venv/bin/python" -m labeldesk "$@"

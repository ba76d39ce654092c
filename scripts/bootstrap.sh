#!/usr/bin/env bash
# Create .venv (Python >= 3.11) and install labeldesk into it, once; re-run when pyproject
# changes. Used by ./run.sh and ./test.sh so that both work on a fresh machine.
#   LABELDESK_TORCH  the torch requirement (default torch==2.13.0, the CPU build here;
#                    set LABELDESK_TORCH=torch on a CUDA machine to get the GPU build)
#   PYTHON           the interpreter to build the venv with (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
torch_req="${LABELDESK_TORCH:-torch==2.13.0}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "labeldesk needs Python 3.11 or newer")'
  "$py" -m venv .venv
fi
stamp=".venv/.labeldesk-installed${extras:+-$extras}"
want="$(cat pyproject.toml setup.py | sha256sum | cut -c1-16) $torch_req"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "labeldesk: installing into .venv (first run, or dependencies changed)..." >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
  if ! .venv/bin/python -m pip install --quiet "$torch_req" -e ".${extras:+[$extras]}" > .venv/install.log 2>&1; then
    grep -v -E "^WARNING: (Location|Skipping)" .venv/install.log >&2 || true
  fi
  .venv/bin/python -c "import labeldesk, PySide6, torch, cv2" || { echo "labeldesk: install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Build the double-click app: a one-folder PyInstaller bundle in dist/labeldesk/, plus the
# Linux desktop entry and icon installed for the current user with --install.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh packaging
.venv/bin/python -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/labeldesk.spec
echo "built: dist/labeldesk/labeldesk ($(du -sh dist/labeldesk | cut -f1))"
if [ "${1:-}" = "--install" ]; then
  apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
  icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
  mkdir -p "$apps" "$icons"
  sed "s|^Exec=.*|Exec=$PWD/dist/labeldesk/labeldesk %f|" packaging/labeldesk.desktop > "$apps/labeldesk.desktop"
  cp resources/icons/labeldesk.png "$icons/labeldesk.png"
  echo "installed desktop entry: $apps/labeldesk.desktop"
fi

#!/usr/bin/env bash
# Per-user install of an unpacked Riddlewire bundle: a launcher in the applications menu and a
# `riddlewire` command in ~/.local/bin. Run it from inside the unpacked folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps
mkdir -p "$apps" "$icons" "$HOME/.local/bin"
ln -sf "$here/riddlewire" "$HOME/.local/bin/riddlewire"
[ -f "$here/riddlewire.png" ] && cp "$here/riddlewire.png" "$icons/riddlewire.png"
sed "s|^Exec=.*|Exec=$here/riddlewire|" "$here/riddlewire.desktop" > "$apps/riddlewire.desktop"
echo "Installed: open Riddlewire from your applications menu, or run 'riddlewire'."

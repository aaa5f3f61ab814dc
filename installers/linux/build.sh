#!/usr/bin/env bash
# Build the Linux bundle (PyInstaller one-folder + tar.gz with a .desktop launcher), then run the
# BUNDLED executable's --self-test with no virtualenv on PATH. Usage: installers/linux/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bootstrap.sh
.venv/bin/python -m pip install -q "pyinstaller>=6.10,<7"
version=$(.venv/bin/python -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
out=build/installer
rm -rf "$out/dist/riddlewire"
SECONDS=0
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath "$out/dist" --workpath "$out/work" installers/riddlewire.spec
echo "pyinstaller: ${SECONDS}s"
bundle=$out/dist/riddlewire
install -m 644 resources/riddlewire.desktop "$bundle/riddlewire.desktop" 2>/dev/null || true
install -m 644 resources/icons/riddlewire-256.png "$bundle/riddlewire.png" 2>/dev/null || true
install -m 755 installers/linux/install.sh "$bundle/install.sh"
tarball=$out/riddlewire-$version-linux-x86_64.tar.gz
tar -C "$out/dist" -czf "$tarball" riddlewire
echo "bundle: $(du -sh "$bundle" | cut -f1), tarball: $(du -sh "$tarball" | cut -f1) ($tarball)"

# Smoke test: a clean environment, a fresh HOME, no venv, nothing from this checkout on the path.
home=$(mktemp -d)
SECONDS=0
env -i HOME="$home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen "$bundle/riddlewire" --self-test
echo "self-test: ${SECONDS}s"
# Cold start of the bundled app to its window (the app prints it and quits), three times.
for run in 1 2 3; do
  env -i HOME="$home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen RIDDLEWIRE_STARTUP_PROBE=1 "$bundle/riddlewire" \
    2>/dev/null | grep "window shown"
done
rm -rf "$home"

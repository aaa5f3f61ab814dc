#!/usr/bin/env bash
# Build Riddlewire.app and a dmg on macOS. Apple Silicon builds llama.cpp with Metal (its default);
# Intel Macs get the portable CPU flags. Needs Xcode command line tools and CMake.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(uname -m)" = "arm64" ]; then
  export RIDDLEWIRE_CMAKE_ARGS=${RIDDLEWIRE_CMAKE_ARGS:--DGGML_METAL=on -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF}
else
  export RIDDLEWIRE_CMAKE_ARGS=${RIDDLEWIRE_CMAKE_ARGS:--DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF}
fi
scripts/bootstrap.sh
.venv/bin/python -m pip install -q "pyinstaller>=6.10,<7"
.venv/bin/pyinstaller --noconfirm --distpath build/installer/dist --workpath build/installer/work installers/riddlewire.spec
app=build/installer/dist/Riddlewire.app
codesign --force --deep --sign - "$app"   # ad-hoc signature; use a Developer ID and notarize to distribute
"$app/Contents/MacOS/riddlewire" --self-test
installers/macos/make-dmg.sh "$app"

#!/usr/bin/env bash
# Create or refresh the project-local virtualenv (.venv) with everything the app and tests need.
# Idempotent and quick when nothing changed: a stamp records what was installed.
# EXTRAS selects optional extras (default: test).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
extras=${EXTRAS:-test,tune}
venv=.venv

if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv" >&2
  "$python" -m venv "$venv"
fi
want=$(cat pyproject.toml scripts/bootstrap.sh scripts/llama-wheel.sh | sha256sum | cut -c1-16)-$extras
stamp=$venv/.riddlewire-installed
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
"$venv/bin/python" -m pip install -q --upgrade pip
# llama-cpp-python from our own wheelhouse only (built without AMX; see scripts/llama-wheel.sh).
wheel=$(PYTHON="$venv/bin/python" scripts/llama-wheel.sh)
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$wheel"
"$venv/bin/python" -m pip install -q "$wheel"  # its dependencies (numpy, jinja2, diskcache)
# The project itself, editable; pip sees llama-cpp-python==0.3.36 already satisfied and keeps ours.
"$venv/bin/python" -m pip install -q -e ".[$extras]"
# The build holds one CPU library per instruction-set level; check one loads and runs here.
"$venv/bin/python" - <<'PY'
from engine.inference import backends
import llama_cpp
kernels = backends.ensure_loaded()
info = llama_cpp.llama_print_system_info().decode()
assert "AMX_INT8 = 1" not in info, "AMX kernels were loaded; see engine/inference/backends.py: " + info
print(kernels.describe())
PY
echo "$want" > "$stamp"

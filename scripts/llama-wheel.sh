#!/usr/bin/env bash
# Build (once) and print the path of a llama-cpp-python wheel compiled with exactly our flags.
#
# Why: PyPI ships llama-cpp-python as source only, and the default build uses -march=native, which on
# these Xeons enables AMX tiles the kernel forbids -> SIGILL on the first generation. pip's own wheel
# cache does not key on CMAKE_ARGS, so a wheel built with other flags could be picked up silently.
# We therefore keep our own wheelhouse whose folder name is a hash of (version, flags) and always
# install from it with --no-index, never from pip's cache.
set -euo pipefail
version=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
flags=${RIDDLEWIRE_CMAKE_ARGS:--DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF}
python=${PYTHON:-python3}
key=$(printf '%s|%s|%s' "$version" "$flags" "$($python -c 'import sys;print(sys.version_info[:2])')" | sha256sum | cut -c1-16)
house=${RIDDLEWIRE_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/riddlewire/wheels}/llama-$key
if ! ls "$house"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $version with: $flags (about 5 minutes on 2 cores)" >&2
  tmp=$(mktemp -d)
  CMAKE_ARGS="$flags" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    $python -m pip wheel --no-cache-dir --no-deps -w "$tmp" "llama-cpp-python==$version" >&2
  mkdir -p "$house" && printf '%s\n' "$flags" > "$house/FLAGS" && mv "$tmp"/llama_cpp_python-*.whl "$house"/
fi
ls "$house"/llama_cpp_python-"$version"-*.whl | head -1

# Build the Windows installer: llama.cpp with runtime CPU dispatch (one backend per instruction-set level,
# the best loaded at run time), PyInstaller bundle, Inno Setup.
# Needs: Python 3.11+, Visual Studio Build Tools (C++), CMake, Inno Setup 6 (ISCC.exe on PATH).
# For an NVIDIA build set $env:RIDDLEWIRE_CMAKE_ARGS = "-DGGML_CUDA=on" before running.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
if (-not (Test-Path .venv)) { python -m venv .venv }
$py = ".venv\Scripts\python.exe"
& $py -m pip install --upgrade pip
$flags = $env:RIDDLEWIRE_CMAKE_ARGS
if (-not $flags) { $flags = "-DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TOOLS=OFF" }
$env:CMAKE_ARGS = $flags
& $py -m pip install --no-cache-dir --force-reinstall "llama-cpp-python==0.3.36"
& $py -m pip install -e ".[installer]"
& .venv\Scripts\pyinstaller.exe --noconfirm --distpath build\installer\dist --workpath build\installer\work installers\riddlewire.spec
$version = & $py -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])"
& build\installer\dist\riddlewire\riddlewire.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "The bundled self-test failed; see the log folder." }
ISCC.exe "/DAppVersion=$version" installers\windows\riddlewire.iss

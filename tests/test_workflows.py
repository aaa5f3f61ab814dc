"""The Windows and macOS release workflow cannot run here (no such runners); actionlint checks it."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_release_workflow_passes_actionlint():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert actionlint, "actionlint is missing from the venv (pyproject's test extra installs it)"
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    done = subprocess.run([actionlint, *workflows], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_build_script_uses_the_dispatch_flags():
    for script in ("scripts/llama-wheel.sh", "installers/windows/build.ps1", "installers/macos/build.sh"):
        text = (ROOT / script).read_text()
        assert "-DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF" in text, script
        assert "GGML_AVX512=ON" not in text, script

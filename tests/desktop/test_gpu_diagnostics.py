"""Help → Diagnostics after a GPU load failed and the model fell back to the CPU: the "Runs on" line
gives the reason. This machine has no GPU, so the refusal comes from the wrapper described in
tests/engine/test_gpu_fallback.py (llama.cpp's CUDA out-of-memory lines and error); the worker, the
CPU load, the riddle and the dialog are real."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop.diagnostics_dialog import DiagnosticsDialog
from tests.engine.test_gpu_fallback import use_refusing_gpu_worker


def test_diagnostics_give_the_reason_the_gpu_was_not_used(
    make_window, qtbot, scripted_gguf: Path, tmp_path: Path, monkeypatch
):
    gpu_tries = use_refusing_gpu_worker(tmp_path, monkeypatch)
    window = make_window(model=scripted_gguf)
    window.context.local_settings = replace(window.context.local_settings, n_gpu_layers=99)
    window.context.riddler().backend.load()  # a real worker, as the first riddle would
    assert gpu_tries() == 1
    dialog = DiagnosticsDialog(window.context, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.diagnostics is not None, timeout=30_000)
    assert dialog.facts["device"].text() == (
        "Processor. The GPU could not load this model (cudaMalloc failed: "
        "out of memory), so it runs on the CPU."
    )
    report = dialog.report.toPlainText()
    assert "CPU only (2 layers)" in report and "Fallback: The GPU could not load this model" in report

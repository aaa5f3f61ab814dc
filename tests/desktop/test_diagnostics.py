"""Help → Diagnostics over a real history, a real worker process with a real (random-weight) model,
and a real log file; and the About box's licences."""

from __future__ import annotations

import logging

import llama_cpp
import pytest
from PySide6.QtGui import QGuiApplication

from desktop.about import AboutDialog
from desktop.diagnostics_dialog import DiagnosticsDialog
from engine.logs import start_logging, stop_logging
from engine.samples import sample_articles
from tests.desktop.conftest import seed_history


@pytest.fixture
def logged(riddlewire_home):
    from engine.paths import app_paths

    start_logging(app_paths().ensure().logs, "info", console=False)
    yield
    stop_logging()
    logging.getLogger().setLevel(logging.WARNING)


def _open(window, qtbot) -> DiagnosticsDialog:
    dialog = DiagnosticsDialog(window.context, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.diagnostics is not None, timeout=30_000)
    return dialog


def test_diagnostics_show_the_build_the_model_that_ran_the_history_and_errors(
    make_window, qtbot, random_gguf, logged
):
    seed_history(4)
    window = make_window(model=random_gguf)
    window.context.riddler().backend.load()  # a real worker loads the model, as a riddle would
    logging.getLogger("engine.riddling").error(
        "the model gave nothing usable for '%s'", sample_articles()[0].title
    )
    dialog = _open(window, qtbot)
    report = dialog.report.toPlainText()
    assert (
        f"Version: {llama_cpp.__version__}" in report
        and "Features in use: CPU :" in report
        and "CPU kernels: " in report
    )
    assert "Qt: 6." in report and "Python: " in report
    assert f"Loaded: {random_gguf.name}" in report and "processor only" in report
    assert "integrity ok" in report and "4 riddles" in report
    assert "ERROR engine.riddling: the model gave nothing usable for '…'" in report
    assert sample_articles()[0].title not in report, "no feed contents in a bug report"
    assert dialog.facts["database"].text() == "4 riddles, healthy"
    assert dialog.facts["errors"].text().startswith("1 in the log, the last at 20")
    assert (
        dialog.facts["device"].text().startswith("Processor")
    )  # the test's settings keep every layer on the CPU
    assert dialog.facts["model"].text().startswith(f"{random_gguf.name} (loaded in ")


def test_copy_report_puts_the_report_on_the_clipboard(make_window, qtbot):
    window = make_window()
    dialog = _open(window, qtbot)
    QGuiApplication.clipboard().setText("before")
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.report.toPlainText()
    assert QGuiApplication.clipboard().text().startswith("Riddlewire diagnostics")
    assert "Copied" in dialog.copied.text()


def test_a_damaged_history_is_reported_in_words(make_window, qtbot):
    window = make_window()
    window.context.store.close()
    window.context.paths.database.write_bytes(b"not sqlite at all" * 64)
    from desktop.database import StoreProxy

    window.context.store = StoreProxy(window.context.paths.database)
    dialog = _open(window, qtbot)
    assert "cannot be opened" in dialog.facts["database"].text()


def test_about_lists_riddlewire_the_gemma_terms_and_bundled_packages(make_window, qtbot):
    window = make_window()
    about = AboutDialog(window)
    qtbot.addWidget(about)
    qtbot.waitUntil(lambda: about.list.count() > 20, timeout=10_000)
    names = [lic.name for lic in about.licences]
    assert names[:2] == ["Riddlewire", "Gemma 3 270M (bundled model)"]
    for package in ("PySide6", "llama_cpp_python", "feedparser", "sqlite-utils", "httpx", "huggingface_hub"):
        assert any(n.lower().replace("-", "_") == package.lower().replace("-", "_") for n in names), package
    about.list.setCurrentRow(1)
    assert "Gemma Terms of Use" in about.text.toPlainText()
    about.list.setCurrentRow(names.index("feedparser"))
    assert "BSD" in about.text.toPlainText() and "Copyright" in about.text.toPlainText()

"""BackgroundOp: work off the UI thread, results back on it, and nothing delivered to a widget that
was deleted while the work ran (a window closed mid-generation)."""

import threading

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QLabel

from desktop.ops import BackgroundOp
from engine.errors import EngineError


def test_results_and_failures_arrive_on_the_ui_thread(qtbot):
    seen = {}

    def work(_cancel, report):
        seen["worker"] = threading.current_thread() is not threading.main_thread()
        report("half way")
        return 42

    op = BackgroundOp(
        work,
        on_success=lambda r: seen.update(
            result=r, ui=QThread.currentThread() is QApplication.instance().thread()
        ),
        on_progress=lambda p: seen.setdefault("progress", p),
    ).start()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert seen == {"worker": True, "progress": "half way", "result": 42, "ui": True}

    def fail(_cancel, _report):
        raise EngineError("The feed is gone.")

    failures = []
    op = BackgroundOp(fail, on_failure=failures.append).start()
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert [str(f) for f in failures] == ["The feed is gone."]


def test_a_widget_deleted_while_the_op_ran_is_not_called_back(qtbot):
    release = threading.Event()

    class Status(QLabel):
        def show_failure(self, error: BaseException) -> None:
            self.setText(str(error))

    label = Status()

    def slow_failure(_cancel, _report):
        release.wait(5)
        raise EngineError("Too late to show.")

    op = BackgroundOp(slow_failure, on_failure=lambda e: None).start()  # a live callback for contrast
    late = BackgroundOp(slow_failure, on_failure=label.show_failure).start()
    label.deleteLater()
    qtbot.waitUntil(lambda: not _alive(label), timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: op.done and late.done, timeout=5000)  # no "already deleted" error raised


def _alive(widget) -> bool:
    from shiboken6 import isValid

    return isValid(widget)

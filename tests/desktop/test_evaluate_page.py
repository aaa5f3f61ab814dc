"""The Evaluate page over a real history database: table, QtCharts, recommendation and a real run."""

import shutil

from PySide6.QtCore import Qt

from engine.evaluate import runs
from engine.evaluate.articleset import freeze
from engine.evaluate.candidates import Candidate, ResolvedModel
from engine.paths import app_paths
from engine.samples import sample_articles
from engine.store import Store

FAST, GOOD = "fast.gguf", "good.gguf"


def _seed_run(tmp_path) -> None:
    """Two candidates, stored the way the harness stores them: FAST makes many riddles nobody can solve,
    GOOD fewer riddles that the solver traces to their headline."""
    store = Store(app_paths().ensure().database)
    articles = freeze(sample_articles(), 4, seed=1)
    run_id = runs.create_run(store, articles, 1, "/models/solver.gguf", "", "{}")
    for name, solved, seconds in ((FAST, False, 1.0), (GOOD, True, 6.0)):
        path = tmp_path / name
        path.write_bytes(b"GGUF" + bytes(2**20))
        cid = runs.add_candidate(
            store, run_id, Candidate(str(path), "few-shot"), ResolvedModel(path, "", "custom")
        )
        for a in articles:
            runs.save_row(
                store,
                cid,
                runs.EvalRow(
                    a.position,
                    True,
                    "",
                    "I hide.",
                    "thing",
                    ("a", "b"),
                    False,
                    True,
                    1.0,
                    solved,
                    a.answer_index if solved else (a.answer_index + 1) % 4,
                    7,
                    2,
                    90.0,
                    100,
                    30,
                    0.2,
                    40.0,
                    seconds,
                    "",
                ),
            )
        runs.finish_candidate(store, cid, 0.5, 300 * 2**20, None, complete=True)
    runs.set_run_status(store, run_id, "done")
    store.close()


def test_the_page_shows_the_latest_run_with_charts_and_a_recommendation(make_window, qtbot, tmp_path):
    _seed_run(tmp_path)
    page = make_window().page("evaluate")
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    assert [page.table.item(r, 0).text() for r in range(2)] == ["fast · few-shot", "good · few-shot"]
    headers = [page.table.horizontalHeaderItem(c).text() for c in range(page.table.columnCount())]
    assert page.table.item(1, headers.index("solved")).text() == "100%"
    assert page.table.item(0, headers.index("riddles/min")).text() == "60.0"
    assert page.table.item(1, headers.index("peak RSS MB")).text() == "300"
    assert len(page.scatter.chart().series()) == 3  # one point per candidate, and the chance line
    bar_sets = page.bars.chart().series()[0].barSets()
    assert [b.label() for b in bar_sets] == ["fast · few-shot", "good · few-shot"]
    assert bar_sets[1].at(3) == 1.0 and bar_sets[0].at(3) == 0.0  # solvability
    assert (
        "is good · few-shot" in page.recommendation.text()
        and "above the 25% chance" in page.recommendation.text()
    )
    page.budget.setValue(20)  # good makes 10 riddles/min: out of budget
    assert "is fast · few-shot" in page.recommendation.text()
    page.budget.setValue(100)
    assert page.recommendation.text().startswith("No candidate makes 100.0 riddles per minute")
    assert "Run 1" in page.provenance.text() and "solver.gguf" in page.provenance.text()


def test_evaluate_runs_the_installed_models_in_the_background(make_window, qtbot, scripted_gguf):
    models = app_paths().ensure().models
    shutil.copyfile(scripted_gguf, models / "scripted.gguf")  # also the largest installed: the solver
    page = make_window().page("evaluate")
    qtbot.waitUntil(lambda: page.op is None or page.op.done, timeout=10_000)
    page.articles.setValue(4)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert not page.run_button.isEnabled() and page.cancel_button.isVisibleTo(page)
    qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=120_000)
    assert page.status.text() == "Evaluation finished.", page.status.text()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    assert page.table.item(0, 0).text() == "scripted · few-shot"
    assert page.table.item(0, 1).text() == "100%"  # the scripted model always writes a valid riddle
    assert not page.cancel_button.isVisibleTo(page)


def test_evaluate_runs_in_the_app_as_launched_without_fixed_engine_settings(qtbot, scripted_gguf):
    """The context the way desktop/app.py builds it: no fixed `local_settings`, so the run takes the
    reader's engine settings from the user's settings (this once failed on `local_settings.n_ctx`)."""
    from desktop.context import AppContext
    from desktop.database import StoreProxy
    from desktop.main_window import MainWindow
    from engine.active_model import ModelChoice
    from engine.settings import Settings

    paths = app_paths().ensure()
    # The scripted model's byte-sized tokens need a longer context than the 2048 default, set as a
    # person would set it in Settings.
    settings = Settings().with_value("inference.context_length", 8192)
    context = AppContext(paths=paths, store=StoreProxy(paths.database), settings=settings)
    assert context.local_settings is None
    models = paths.models
    shutil.copyfile(scripted_gguf, models / "scripted.gguf")
    context.use_model(ModelChoice(models / "scripted.gguf", "", "scripted.gguf", "tiny", "base"))
    window = MainWindow(context)
    qtbot.addWidget(window)
    try:
        page = window.page("evaluate")
        qtbot.waitUntil(lambda: page.op is None or page.op.done, timeout=10_000)
        page.articles.setValue(4)
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=120_000)
        assert page.status.text() == "Evaluation finished.", page.status.text()
        qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
        assert page.table.item(0, 0).text() == "scripted · few-shot"
        assert page.table.item(0, 1).text() == "100%"
        store = Store(paths.database)
        try:
            rows = store.db.execute("SELECT valid, reason FROM eval_rows").fetchall()
        finally:
            store.close()
        assert len(rows) == 4 and all(valid for valid, _ in rows), rows
    finally:
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)
        context.close()

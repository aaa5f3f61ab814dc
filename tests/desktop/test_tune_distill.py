"""Distillation from the Train page on a real window: a teacher typed as a service (llama-cpp-python's
own server on 127.0.0.1 serving the scripted GGUF), run in the background with progress, the kept
and rejected counts shown with reasons and the kept riddles joining the training data; and a cancel
that stops it. The solver is the real starter model (the strongest installed one)."""

from dataclasses import replace

from engine.paths import app_paths
from engine.samples import sample_articles
from engine.store import Store
from engine.tuning.distill import distilled_examples
from tests.desktop.conftest import seed_history
from tests.desktop.test_tune_page import tune_page
from tests.support.llama_server import llama_server

# The scripted teacher always answers "lantern", and a riddle whose answer is not in its story is
# refused (engine.quality): two stories of the user's news are about lanterns, so riddles can be kept.
LANTERN_NEWS = (
    ("Lantern festival lights up the old harbour", "Thousands of paper lanterns floated over the water."),
    ("Museum restores a ship's brass lantern", "The lantern hung on a whaling ship for forty years."),
)


def store_lantern_news() -> None:
    store = Store(app_paths().ensure().database)
    sample = sample_articles()[5]
    store.save_articles(
        [
            replace(
                sample, title=title, summary=summary, link=f"https://news.example.org/lantern/{n}", guid=""
            )
            for n, (title, summary) in enumerate(LANTERN_NEWS)
        ]
    )
    store.close()


def test_distilling_from_a_service_shows_what_was_kept_and_why_not(
    make_window, qtbot, installed_starter, scripted_gguf
):
    seed_history(3)
    store_lantern_news()
    page = tune_page(make_window, qtbot)
    before = page.data.counts().get("distilled", 0)
    with llama_server(scripted_gguf, n_ctx=4096) as base_url:
        page.distill_limit = 5
        page.teacher.setEditText(f"{base_url}#riddler")
        assert page.teacher_spec() == f"{base_url}#riddler"
        page.distill_button.click()
        assert page.cancel_button.isEnabled() and not page.distill_button.isEnabled()
        qtbot.waitUntil(lambda: page.op.done, timeout=240_000)
        assert "kept" in page.distilled_summary.text(), page.status.text()
    saved = distilled_examples(app_paths())
    summary = page.distilled_summary.text()
    assert f"riddler: kept {len(saved)} of 5 riddles" in summary and installed_starter.name in summary
    assert "answer not in the story" in summary  # the stories that are not about a lantern
    if len(saved) < len(LANTERN_NEWS):
        assert "the solver picked another headline" in summary
    assert page.progress.value() == 5 and page.distill_button.isEnabled()
    # The scripted teacher writes the same riddle every time: one copy joins the data, the rest are
    # duplicates (riddle texts are deduplicated across every source).
    distinct = len({e.riddle for e in saved})
    qtbot.waitUntil(
        lambda: page.op.done and page.data.counts().get("distilled", 0) == before + distinct, timeout=20_000
    )
    assert f"({len(saved)} saved)" in page.use_distilled.text()
    page.use_distilled.setChecked(False)  # leave them out: the shown data follows
    qtbot.waitUntil(lambda: page.op.done and page.data.counts().get("distilled", 0) == 0, timeout=20_000)


def test_distilling_can_be_cancelled(make_window, qtbot, installed_starter, scripted_gguf):
    page = tune_page(make_window, qtbot)
    with llama_server(scripted_gguf, n_ctx=4096) as base_url:
        page.teacher.setEditText(f"{base_url}#riddler")
        page.distill_button.click()
        page.cancel_button.click()
        qtbot.waitUntil(lambda: page.op.done, timeout=120_000)
    assert "Distillation stopped" in page.status.text() and page.distill_button.isEnabled()
    assert distilled_examples(app_paths()) == []

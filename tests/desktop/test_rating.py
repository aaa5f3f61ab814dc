"""Blind rating from the Evaluate page (pytest-qt, a real database): the arm is never shown while
rating, keys record the marks, and once all is rated the report names the arms with intervals and
the page leads with good riddles per minute."""

from PySide6.QtCore import Qt

from engine.evaluate import ratings
from engine.evaluate.ratings import NewItem, wilson
from engine.paths import app_paths
from engine.store import Store

ARMS = ("hidden-arm-north", "hidden-arm-south")


def _queue() -> None:
    options = ("Comet lights the sky", "Dam opens", "Bees return", "Rates rise")
    items = [
        NewItem(
            arm,
            f"{arm}-{i}",
            "science",
            "Comet lights the sky",
            "A comet is bright.",
            options,
            0,
            riddle=f"I sweep the sky, tale {i}.",
            answer="comet",
            hints=("It has a tail.", "Ice and dust."),
            model="m.gguf",
            seconds=3.0,
        )
        for arm in ARMS
        for i in range(2)
    ]
    store = Store(app_paths().ensure().database)
    ratings.add_items(store, "blind-test", items)
    store.close()


def _shown(dialog) -> str:  # noqa: ANN001
    return " ".join(label.text() for label in (dialog.left, dialog.headlines, dialog.riddle, dialog.status))


def test_rating_keys_record_marks_with_the_arm_hidden_then_the_report_names_the_arms(make_window, qtbot):
    _queue()
    page = make_window().page("evaluate")
    qtbot.waitUntil(lambda: page.op is None or page.op.done, timeout=10_000)
    assert page.headline.text().startswith("No blind ratings yet")
    qtbot.mouseClick(page.rate_button, Qt.MouseButton.LeftButton)
    dialog = page.rating
    qtbot.waitUntil(lambda: dialog.item is not None, timeout=10_000)
    rated = []
    while dialog.item is not None:
        assert not any(arm in _shown(dialog) for arm in ARMS) and "m.gguf" not in _shown(dialog)
        assert "A. Comet lights the sky" in dialog.headlines.text() and "Hint 2:" in dialog.riddle.text()
        assert dialog.reveal_label.text() == ""
        qtbot.keyClick(dialog, Qt.Key.Key_R)
        assert "Answer: comet" in dialog.reveal_label.text()
        item = dialog.item
        qtbot.keyClick(dialog, Qt.Key.Key_A)
        if len(rated) % 2 == 0:
            qtbot.keyClick(dialog, Qt.Key.Key_G)
            qtbot.keyClick(dialog, Qt.Key.Key_S)
        rated.append(item.id)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda i=item: dialog.item is not i, timeout=10_000)
    assert len(rated) == 4
    qtbot.waitUntil(lambda: "95% CI" in dialog.status.text(), timeout=10_000)
    assert all(arm in dialog.status.text() for arm in ARMS)  # named only now
    store = Store(app_paths().ensure().database)
    marks = store.db.execute("SELECT item_id, answer, story, good FROM ratings ORDER BY rated_at").fetchall()
    reports = {r.arm: r for r in ratings.report(store, "blind-test")}
    store.close()
    assert sorted(m[0] for m in marks) == sorted(rated) and all(m[1] == 1 for m in marks)
    assert sum(m[3] for m in marks) == 2 and sum(m[2] for m in marks) == 2
    assert sum(r.good.hits for r in reports.values()) == 2
    for r in reports.values():
        assert r.good.interval == wilson(r.good.hits, 2) and r.riddles_per_min == 20.0
    dialog.close()
    qtbot.waitUntil(lambda: "Good riddles per minute" in page.headline.text(), timeout=10_000)
    assert "95% CI" in page.headline.text() and "answer names the story 100%" in page.headline.text()

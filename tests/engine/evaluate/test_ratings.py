"""Blind ratings: the queue hides the arm, marks are kept, the report gives Wilson intervals; and the
arms generator plus the non-interactive CLI, end to end on the scripted model."""

import json

import pytest

from engine.cli import main
from engine.errors import EngineError
from engine.evaluate import ratings
from engine.evaluate.ratings import NewItem, wilson
from engine.paths import app_paths
from engine.settings import Settings, save_settings
from engine.store import Store


def test_wilson_intervals_match_the_textbook_values():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson(0, 0) == (0.0, 1.0)


def _items(arm: str, count: int, failed: int = 0) -> list[NewItem]:
    options = ("Comet lights the sky", "Dam opens", "Bees return", "Rates rise")
    return [
        NewItem(
            arm,
            f"{arm}-{i}",
            "science",
            "Comet lights the sky",
            "A comet is bright.",
            options,
            0,
            riddle="" if i < failed else f"I sweep the sky ({arm[-3:]} way {i}).",
            answer="" if i < failed else "comet",
            hints=() if i < failed else ("It has a tail.", "Ice and dust."),
            model="m.gguf",
            seconds=6.0,
            failure="could not" if i < failed else "",
        )
        for i in range(count)
    ]


def test_the_queue_hides_the_arm_and_the_report_gives_each_arms_rates():
    store = Store(app_paths().ensure().database)
    ratings.add_items(store, "b1", _items("secret-arm-one", 4) + _items("secret-arm-two", 4, failed=1))
    seen = []
    while (item := ratings.next_item(store, "b1")) is not None:
        assert "secret-arm" not in item.text() and not hasattr(item, "arm")
        assert "Which headline" in item.text() and item.text().index("Riddle:") < item.text().index("Answer:")
        seen.append(item.id)
        first_arm = "(one way" in item.riddle
        ratings.mark(store, item.id, answer=True, story=first_arm, good=first_arm)
    assert len(seen) == 7  # the failed riddle is never shown
    arms = {"secret-arm-one", "secret-arm-two"}
    by_arm = {r.arm: r for r in ratings.report(store, "b1")}
    assert set(by_arm) == arms
    one, two = by_arm["secret-arm-one"], by_arm["secret-arm-two"]
    assert (one.good.hits, one.good.n, two.good.hits, two.good.n) == (4, 4, 0, 3)
    assert two.failed == 1 and two.made == 3 and one.answer.share == 1.0
    assert one.good.interval == wilson(4, 4) and one.riddles_per_min == pytest.approx(10.0)
    assert one.good_per_min == pytest.approx(10.0) and two.good_per_min == 0.0
    with pytest.raises(EngineError, match="no riddle to rate"):
        failed_id = store.db.execute("SELECT id FROM rating_items WHERE failure != ''").fetchone()[0]
        ratings.mark(store, failed_id, True, True, True)
    store.close()


@pytest.mark.timeout(600)  # two arms on a loaded 2-core machine, then the whole queue through the CLI
def test_arms_are_riddled_on_the_readers_road_and_rated_from_the_command_line(
    scripted_gguf, tmp_path, capsys
):
    paths = app_paths().ensure()
    # The scripted model's byte-sized tokens need a longer context than the default.
    save_settings(Settings().with_value("inference.context_length", 8192), paths.settings_file)
    stories = tmp_path / "stories.jsonl"
    news = [
        ("Comet brightens the night sky", "Astronomers say the comet will be visible next week."),
        ("River dam opens after ten years", "The Tellin dam releases water to farms downstream."),
        ("Honeybee colonies recover in valley", "Beekeepers report healthy hives after wildflowers."),
        ("Central bank raises interest rates", "The bank lifted rates to slow rising prices."),
        ("Lighthouse lamp shines again", "Volunteers restored the lighthouse on Gannet Point."),
    ]
    stories.write_text(
        "".join(json.dumps({"title": t, "summary": s, "section": "science"}) + "\n" for t, s in news)
    )
    code = main(
        [
            "eval",
            "arms",
            "--stories",
            str(stories),
            "--per-arm",
            "3",
            "--arms",
            "guided,parse-and-retry",
            "--model",
            str(scripted_gguf),
            "--batch",
            "t",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "guided: " in out and "parse-and-retry: " in out and "--batch t --next" in out
    store = Store(paths.database)
    rows = store.db.execute("SELECT arm, road, failure FROM rating_items WHERE batch = 't'").fetchall()
    store.close()
    assert len(rows) == 6 and {r[0] for r in rows} == {"guided", "parse-and-retry"}
    assert {r[1] for r in rows if r[0] == "guided" and not r[2]} <= {"guided"}
    # A run stopped part way (or asked for more stories) continues: only the new story is riddled.
    more = ["eval", "arms", "--stories", str(stories), "--per-arm", "4", "--arms", "guided"]
    assert main([*more, "--model", str(scripted_gguf), "--batch", "t"]) == 0
    assert "guided: 1 of 1 stories riddled" in capsys.readouterr().out
    store = Store(paths.database)
    rows = store.db.execute("SELECT arm, road, failure FROM rating_items WHERE batch = 't'").fetchall()
    keys = store.db.execute("SELECT story_key FROM rating_items WHERE batch = 't' AND arm = 'guided'")
    assert len({k[0] for k in keys}) == 4
    store.close()
    made = sum(1 for r in rows if not r[2])
    assert made >= 4  # guided, the scripted model names each story's subject
    marked = 0
    while True:
        assert main(["eval", "rate", "--batch", "t", "--next"]) == 0
        shown = capsys.readouterr().out
        if shown.startswith("Everything queued"):
            break
        assert "guided" not in shown and "parse-and-retry" not in shown and "scripted" not in shown
        item_id = shown.split()[1]
        good = "y" if marked % 2 == 0 else "n"
        mark = ["eval", "rate", "--mark", item_id, "--answer", "y", "--story", "n", "--good", good]
        assert main(mark) == 0
        assert capsys.readouterr().out.strip() == f"Item {item_id} marked."
        marked += 1
    assert marked == made
    assert main(["eval", "rate", "--mark", "1", "--answer", "y"]) == 1  # all three marks are needed
    assert main(["eval", "rate", "--batch", "t", "--report"]) == 0
    report = capsys.readouterr().out
    assert "good riddles/min" in report and "95% CI" in report and "guided:" in report
    assert main(["eval", "rate", "--batch", "t", "--export", str(tmp_path / "r.jsonl")]) == 0
    exported = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(exported) == 7 and {e["arm"] for e in exported} == {"guided", "parse-and-retry"}
    assert sum(e["mark_good"] or 0 for e in exported) == (marked + 1) // 2


def test_the_eval_report_leads_with_good_riddles_per_minute(scripted_gguf, tmp_path, capsys):
    store = Store(app_paths().ensure().database)
    ratings.add_items(store, "lead", _items("arm-x", 2))
    for (item_id,) in store.db.execute("SELECT id FROM rating_items").fetchall():
        ratings.mark(store, item_id, True, True, item_id % 2 == 1)
    store.close()
    args = ["eval", "--models", str(scripted_gguf), "--no-solve", "--articles", "4", "--n-ctx", "8192"]
    assert main([*args, "--report", str(tmp_path / "report")]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0] == "Good riddles per minute on this machine (blind ratings, lead):"
    assert first[1].startswith("arm-x: 5.00 good riddles/min") and "95% CI" in first[1]

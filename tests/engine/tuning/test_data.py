"""Training data: checks, dedupe, the held-out wall, the split, the history, and the JSONL format."""

import json

from engine.datasets import check_file
from engine.riddles import Riddle
from engine.samples import sample_articles
from engine.store import Store
from engine.tuning.data import (
    HeldOutItem,
    TrainingExample,
    assemble,
    heldout_items,
    shipped_examples,
    write_jsonl,
)
from engine.tuning.format import adapter_pipeline, article_for, training_pair, training_prompt
from engine.tuning.history import history_examples
from tests.engine.test_store import provenance


def example(
    title: str, answer: str = "lantern", source: str = "shipped", riddle: str = ""
) -> TrainingExample:
    return TrainingExample(
        title,
        "A summary.",
        riddle or f"I glow for {title}.",
        answer,
        ("It holds a flame.", "Sailors hang one."),
        "easy",
        source,
    )


def test_shipped_and_heldout_sets_are_big_enough_and_disjoint():
    shipped, heldout = shipped_examples(), heldout_items()
    assert len(shipped) >= 200 and len(heldout) >= 50
    data = assemble(shipped, heldout)
    held_titles = {h.title.casefold() for h in heldout}
    assert not held_titles & {e.title.casefold() for e in (*data.train, *data.validation)}
    assert len(data.train) + len(data.validation) + len(data.excluded) == len(shipped)


def test_leaks_duplicates_and_heldout_stories_are_left_out_with_a_reason():
    data = assemble(
        [
            example("Lamp story"),
            example("Lamp  STORY", riddle="Another riddle"),
            example("Leaky", answer="glow"),
            example("Held out story", answer="kite"),
            example("Same riddle", riddle="I glow for Lamp story."),
        ],
        [HeldOutItem("Held out story", "", "kite")],
    )
    assert dict(data.excluded) == {
        "Lamp  STORY": "duplicate",
        "Leaky": "answer leaked into the riddle",
        "Held out story": "the story is in the held-out set",
        "Same riddle": "duplicate",
    }
    assert [e.title for e in (*data.train, *data.validation)] == ["Lamp story"]


def test_a_distilled_riddle_may_add_to_a_written_story_but_not_copy_one():
    data = assemble(
        [
            example("Lamp story"),
            example("Lamp story", source="distilled", riddle="A teacher's own lamp riddle."),
            example("Lamp story", source="distilled", riddle="A second teacher riddle."),
            example("Copy", source="distilled", riddle="I glow for Lamp story."),
        ]
    )
    kept = [(e.title, e.source) for e in (*data.train, *data.validation)]
    assert kept == [("Lamp story", "shipped"), ("Lamp story", "distilled")]
    assert dict(data.excluded) == {"Lamp story": "duplicate", "Copy": "duplicate"}
    # both riddles of one story fall on the same side of the split
    assert len({e.title for e in data.validation} & {e.title for e in data.train}) == 0


def test_history_wins_a_duplicate_and_the_split_is_stable_as_the_set_grows():
    first = assemble([example(f"Story {i}") for i in range(40)])
    grown = assemble([example(f"Story {i}") for i in range(80)] + [example("Story 3", source="history")])
    assert 1 <= len(first.validation) < 20
    assert {e.title for e in first.validation} <= {e.title for e in grown.validation}
    assert next(e for e in (*grown.train, *grown.validation) if e.title == "Story 3").source == "history"


def test_history_gives_liked_and_solved_riddles_and_counts_rated_down(tmp_path):
    store = Store(tmp_path / "h.db")
    articles = store.save_articles(sample_articles()[:4])
    ids = [
        store.save_riddle(a, Riddle(f"I am riddle {i}.", f"thing{i}", ("one", "two")), provenance()).id
        for i, a in enumerate(articles)
    ]
    store.db.execute("UPDATE riddles SET rating = 1 WHERE id = ?", [ids[0]])
    store.set_status(ids[1], "solved")
    store.db.execute("UPDATE riddles SET rating = -1 WHERE id = ?", [ids[2]])
    store.db.conn.commit()
    examples, rated_down = history_examples(store)
    assert sorted(e.answer for e in examples) == ["thing0", "thing1"] and rated_down == 1
    assert {e.source for e in examples} == {"history"} and examples[0].title in {a.title for a in articles}


def test_export_is_the_evaluation_completion_format_and_matches_the_inference_prompt(tmp_path):
    data = assemble(shipped_examples()[:10])
    path = write_jsonl(data.train, tmp_path / "train-completion.jsonl")
    assert check_file(path, "completion") == len(data.train)
    record = json.loads(path.read_text().splitlines()[0])
    first = data.train[0]
    prompt, completion = training_pair(first, adapter_pipeline())
    assert (
        training_prompt(record["prompt"])
        == prompt
        == adapter_pipeline().prompt(article_for(first.title, first.summary)).text
    )
    assert completion == record["completion"] and completion.endswith("\n###")
    assert completion.startswith(f" {first.answer}\nRiddle: {first.riddle}\n")  # answer first, as prompted


def test_an_example_without_two_hints_is_refused_when_read():
    import pytest

    from engine.tuning.data import from_record

    with pytest.raises(ValueError):
        from_record({"title": "t", "riddle": "r", "answer": "a", "hints": ["only one"]})

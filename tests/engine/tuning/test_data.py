"""Training data: checks, dedupe, the held-out wall, the split, the history, and the JSONL format."""

import json

from engine.datasets import check_file
from engine.riddles import Riddle
from engine.samples import sample_articles
from engine.store import Store
from engine.tuning.data import (
    SECTIONS,
    HeldOutItem,
    TrainingExample,
    assemble,
    heldout_items,
    news_files,
    rejection,
    shipped_examples,
    write_jsonl,
    written_examples,
    written_problems,
)
from engine.tuning.format import adapter_pipeline, article_for, training_pair, training_prompt
from engine.tuning.history import history_examples
from tests.engine.test_store import provenance


def example(
    title: str, answer: str = "lantern", source: str = "shipped", riddle: str = ""
) -> TrainingExample:
    return TrainingExample(
        title,
        f"A story about the {answer}.",  # the rubric: the answer is a word of the story
        riddle or f"I glow for {title}.",
        answer,
        ("It holds a flame.", "Sailors hang one."),
        "easy",
        source,
    )


def _words(text: str) -> str:
    return " ".join(text.casefold().split())


def test_the_training_set_passes_the_checks_and_never_overlaps_the_heldout_sets():
    """The shipped set as the trainer gets it: the team's news set (and the older riddles that pass),
    each example passing the rubric's checks, no held-out story (by headline or summary) in it."""
    heldout = heldout_items()
    data = assemble(shipped_examples(), heldout)
    kept = (*data.train, *data.validation)
    news = [e for e in kept if e.section]
    assert len(news) >= 40 and {e.section for e in news} <= set(SECTIONS)
    for e in kept:
        assert rejection(e) is None, e.title
        # read the rubric's central rule again here, not through the loader: the answer is in the story
        assert _words(e.answer) in _words(f"{e.title} {e.summary}"), e.title
        assert len(e.riddle) <= 300 and len(e.hints) == 2 and e.difficulty in ("easy", "medium", "hard")
    held_titles = {_words(h.title) for h in heldout}
    held_summaries = {_words(h.summary) for h in heldout}
    assert not held_titles & {_words(e.title) for e in kept}
    assert not held_summaries & {_words(e.summary) for e in kept}
    # one example per story: no headline twice
    assert len({_words(e.title) for e in kept}) == len(kept)


def test_most_written_news_rows_pass_and_every_one_left_out_is_named():
    rows = sum(len([x for x in p.read_text().splitlines() if x.strip()]) for p in news_files())
    problems = written_problems()
    # engine.quality is stricter than a writer's eye (three content words of the headline make a copy):
    # most rows still pass; every row left out is named with its file, line and reason
    assert rows >= 40 and len(problems) <= rows // 4, problems[:10]
    assert len(written_examples(older=None)) + sum("unreadable" in why for _, why in problems) == rows


def test_the_loader_leaves_out_rows_that_break_the_rubric(tmp_path):
    good = {
        "section": "science",
        "title": "Volcano on Pellara island erupts after a century of silence",
        "summary": "Mount Orsal sent ash four kilometres high on Tuesday. "
        "Thousands of islanders left by ferry.",
        "answer": "Mount Orsal",
        "riddle": "I slept for a hundred years, then coughed grey smoke into the sky and emptied a harbour.",
        "hints": ["Islanders fled by ferry", "It sits on Pellara"],
        "difficulty": "medium",
    }
    bad = [
        {**good, "title": "A", "answer": "crater"},  # the answer is not in the story
        {**good, "title": "B", "answer": "Mount Orsal on"},  # ends on a function word
        {**good, "title": "C", "hints": ["only one"]},
        {**good, "riddle": "Volcano on Pellara island erupts, I say, after a long nap."},  # a headline copy
        {**good, "title": "E", "section": "weather"},
        {**good, "title": "F", "riddle": "A mountain with Orsal in my name."},  # a leak
    ]
    folder = tmp_path / "news"
    folder.mkdir()
    lines = [json.dumps(r) for r in (good, *bad)] + ["{not json"]
    (folder / "science.jsonl").write_text("\n".join(lines) + "\n")
    kept = shipped_examples(folder, older=None)
    assert [e.title for e in kept] == [good["title"]] and kept[0].section == "science"
    problems = dict(written_problems(folder))
    assert len(problems) == 7 and "unreadable" in problems["science.jsonl:8"]
    assert problems["science.jsonl:2"] == "answer not in the story"
    assert problems["science.jsonl:3"] == "cut-off answer"
    assert problems["science.jsonl:5"] == "headline copy"
    assert problems["science.jsonl:6"] == '"weather" is not a section'
    assert problems["science.jsonl:7"] == "answer leaked into the riddle"


def test_a_heldout_story_under_another_headline_is_left_out_by_its_summary():
    summary = "Mount Orsal sent ash four kilometres high on Tuesday and thousands of islanders left by ferry."
    mine = TrainingExample(
        "Pellara volcano wakes", summary, "I slept a century.", "Orsal", ("Ash", "Ferries"), "easy", "shipped"
    )
    data = assemble([mine], [HeldOutItem("Mount Orsal erupts on Pellara", summary, "Mount Orsal")])
    assert dict(data.excluded) == {"Pellara volcano wakes": "the story is in the held-out set"}


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


def test_the_starter_s_clean_hints_set_leaves_out_riddles_whose_hints_repeat_the_headline():
    """The raters' reading of a copy (riddle and hints together, three headline content words) is
    stricter than the checks' stored flag; the clean set drops exactly what it catches."""
    from engine.quality import copies_headline
    from engine.tuning.starter_adapter import training_data

    def copied(e) -> bool:  # noqa: ANN001
        return copies_headline(" ".join((e.riddle, *e.hints)), e.title, e.answer)

    every, clean = training_data(), training_data(clean_hints=True)
    assert any(copied(e) for e in every.train)
    assert not any(copied(e) for e in (*clean.train, *clean.validation))
    kept = {e.title for e in every.train if not copied(e)}
    assert kept <= {e.title for e in (*clean.train, *clean.validation)}
    assert 0 < len(clean.train) < len(every.train)

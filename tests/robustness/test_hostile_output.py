"""Hostile model output: real llama.cpp running synthetic models that "speak" exactly the bad output
under test (empty, endless, wrong format, answer leaks, control characters, huge lines, markup), and a
property test of the parser. Expect: bounded retries, a clear sentence, nothing broken stored, and
markup shown as text in the reader."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import Qt  # QtGui.Qt has mightBeRichText too

from engine.articles import Article
from engine.inference import Completion, Sampling
from engine.inference.local import LocalModel, LocalSettings
from engine.pipelines import FewShotPipeline
from engine.riddles import MAX_RIDDLE_CHARS, Provenance, Riddle, RiddleRejected, leaks, parse_riddle
from engine.riddling import ModelIdentity, Riddler, riddle_articles
from engine.store import Store
from tests.desktop.conftest import make_window  # noqa: F401 - the fixture, for the reader check
from tests.robustness.expect import assert_sentence, bounded
from tests.robustness.scorecard import SOAK, scaled, tally
from tests.support.synthetic_gguf import write_scripted_model

SUITE = "Hostile model output"
GREEDY = Sampling(temperature=0.0, max_tokens=120)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LONG = tuple(f" w{i:03d} goes on and on and on" for i in range(140))

# What each synthetic model says after "Riddle:", and the reason the output must be refused.
REFUSED = {
    "empty": (("\n###",), "empty output"),
    "wrong format": ((" Once upon a time", " a lamp was lit.", "\n###"), "no riddle text"),
    "answer leaked": (
        (
            " A lantern glows",
            " in the dark.",
            "\nAnswer: lantern",
            "\nHint 1: It holds a flame.",
            "\nHint 2: Sailors hang one.",
            "\nDifficulty: easy",
            "\n###",
        ),
        "leaked",
    ),
    "answer leaked into a hint": (
        (
            " I glow at night.",
            "\nAnswer: lantern",
            "\nHint 1: A lantern!",
            "\nHint 2: Sailors hang one.",
            "\nDifficulty: easy",
            "\n###",
        ),
        "leaked",
    ),
    "no hints": ((" I glow at night.", "\nAnswer: lantern", "\nDifficulty: easy", "\n###"), "two hints"),
    "huge line": (_LONG, "runaway output"),
    "huge answer": (
        (
            " I glow at night.",
            "\nAnswer: one two three",
            " four five six seven",
            " eight nine ten",
            "\nHint 1: It holds a flame.",
            "\nHint 2: Sailors hang one.",
            "\n###",
        ),
        "answer too long",
    ),
    # Markup in a riddle or a hint is refused, not cleaned up (issue 16: players saw stray tags).
    "markup": (
        (
            " I <b>glow</b> <img src=x>",
            " by doors at night.",
            "\nAnswer: lantern",
            "\nHint 1: It <script>",
            "holds</script>",
            " a flame.",
            "\nHint 2:",
            " <a href='javascript:x'>",
            "Sailors</a> hang one.",
            "\nDifficulty: easy",
            "\n###",
        ),
        "markup",
    ),
}
ACCEPTED = {
    "control characters": (
        " I glow\x1b[2J\x07 at",
        " night\x7f by doors.",
        "\nAnswer: lantern",
        "\nHint 1: It holds\x1b[31m a flame.",
        "\nHint 2: Sailors hang one.",
        "\nDifficulty: easy",
        "\n###",
    ),
}
ARTICLE = Article(
    "Harbour lights return to the old port",
    "https://port.example.org/lights",
    "Port News",
    datetime(2026, 11, 26, tzinfo=UTC),
    "The old port lit its lanterns again after ten years.",  # the scripted answer is in its story
)


class CountingBackend:
    """The real LocalModel, with every completion counted (how many retries really happened)."""

    def __init__(self, model: LocalModel):
        self.model, self.completions = model, []

    def complete(self, prompt, sampling, on_text=None, cancel=None) -> Completion:  # noqa: ANN001
        done = self.model.complete(prompt, sampling, on_text, cancel)
        self.completions.append(done)
        return done

    def close(self) -> None:
        self.model.close()


def riddle_with(path: Path, store: Store) -> tuple[object, CountingBackend]:
    # One example, not six: the prompt is ~1,000 byte tokens for these tiny vocabularies, not ~4,500.
    backend = CountingBackend(LocalModel(path, LocalSettings(n_ctx=4096, idle_unload_s=None)))
    riddler = Riddler(
        backend, FewShotPipeline(shots=1), ModelIdentity(path.name, "", "tiny"), GREEDY, max_attempts=3
    )
    try:
        with bounded(SUITE, "hostile output to a verdict", 60):
            run = riddle_articles(store, [ARTICLE], riddler)
    finally:
        backend.close()
    return run, backend


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_unusable_output_is_retried_a_bounded_number_of_times_then_refused_in_words(
    tmp_path: Path, name: str
):
    script, reason = REFUSED[name]
    store = Store(tmp_path / "history.sqlite3")
    try:
        run, backend = riddle_with(write_scripted_model(tmp_path / "says.gguf", script), store)
        tally(SUITE, inputs=1, iterations=len(backend.completions))
        assert len(backend.completions) == 3  # exactly max_attempts, never more
        assert all(c.completion_tokens <= GREEDY.max_tokens for c in backend.completions)
        assert not run.stored and len(run.failed) == 1
        sentence = run.failed[0][1]
        assert_sentence(sentence)
        assert "after 3 tries" in sentence and reason in sentence, sentence
        assert store.count_riddles() == 0 and store.integrity_ok()
    finally:
        store.close()


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_usable_output_is_stored_as_clean_plain_text(tmp_path: Path, name: str):
    store = Store(tmp_path / "history.sqlite3")
    try:
        run, backend = riddle_with(write_scripted_model(tmp_path / "says.gguf", ACCEPTED[name]), store)
        tally(SUITE, inputs=1, iterations=len(backend.completions))
        assert len(run.stored) == 1, run.failed
        kept = store.riddle(run.stored[0].id).riddle
        for text in (kept.text, kept.answer, *kept.hints):
            assert not _CONTROL.search(text), repr(text)
        assert kept.answer == "lantern" and len(kept.hints) == 2
    finally:
        store.close()


def test_endless_output_is_cut_at_the_token_limit_every_time(tmp_path: Path, random_gguf: Path):
    """A model that never stops (random weights never write the separator)."""
    store = Store(tmp_path / "history.sqlite3")
    try:
        run, backend = riddle_with(random_gguf, store)
        tally(SUITE, inputs=1, iterations=len(backend.completions))
        assert len(backend.completions) == 3
        assert all(c.finish_reason == "length" and c.completion_tokens <= 121 for c in backend.completions)
        assert "runaway output" in run.failed[0][1] and store.count_riddles() == 0
    finally:
        store.close()


_LABELS = st.sampled_from(
    ["Riddle:", "Answer:", "Hint 1:", "Hint 2:", "Hint:", "Difficulty:", "ANSWER：", "riddle :"]
)
_JUNK = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_LINE = st.one_of(st.tuples(_LABELS, _JUNK).map(" ".join), _JUNK, st.just("x" * 5000), st.just("\x00\x1b[2J"))


@settings(max_examples=scaled(300), derandomize=not SOAK, deadline=1000)
@given(lines=st.lists(_LINE, max_size=12), primer=st.booleans())
def test_any_output_is_a_valid_riddle_or_a_named_rejection(lines: list[str], primer: bool):
    text = ("Riddle: " if primer else "") + "\n".join(lines)
    tally(SUITE, inputs=1)
    try:
        riddle = parse_riddle(text)
    except RiddleRejected as rejected:
        assert rejected.reason and len(rejected.reason) < 60
        return
    assert riddle.text and riddle.answer and len(riddle.hints) == 2
    assert len(riddle.text) <= MAX_RIDDLE_CHARS and riddle.difficulty in ("easy", "medium", "hard")
    assert not leaks(riddle.answer, riddle.text) and not any(leaks(riddle.answer, h) for h in riddle.hints)
    assert not any(_CONTROL.search(t) for t in (riddle.text, riddle.answer, *riddle.hints))


def test_a_megabyte_of_output_is_parsed_in_bounded_time():
    text = "Riddle: " + "a" * 1_000_000 + "\nAnswer: " + "b " * 200_000 + "\n" * 100_000
    tally(SUITE, inputs=1)
    with pytest.raises(RiddleRejected), bounded(SUITE, "1 MB of output parsed", 1.0):
        parse_riddle(text)


def test_markup_in_a_stored_riddle_is_shown_as_text_in_the_reader(
    make_window,  # noqa: F811
    qtbot,
    tmp_path: Path,
    scripted_gguf: Path,
    riddlewire_home: Path,
):
    """A riddle, hint or headline with HTML must not be rendered as rich text (an <img> would be loaded
    from disk, a <table> could stall the window): the card shows it as it was written."""
    from engine.paths import app_paths

    # The riddler refuses markup now, but a riddle stored by an older version, or imported, may hold it.
    store = Store(app_paths().ensure().database)
    try:
        article = store.save_articles([replace(ARTICLE, title="Harbour <i>lights</i> <img src=x> return")])[0]
        riddle = Riddle(
            "I <b>glow</b> <img src=x> by doors at night.",
            "lantern",
            ("It <script>holds</script> a flame.", "<a href='javascript:x'>Sailors</a> hang one."),
        )
        made = datetime.now(UTC).isoformat()
        provenance = Provenance("m.gguf", "", "tiny", "few-shot", "{}", 1, 1, 1.0, 0.1, 1.0, made)
        store.save_riddle(article, riddle, provenance)
    finally:
        store.close()
    window = make_window(scripted_gguf)
    reader = window.page("reader")
    reader.load_history(then_riddle_if_empty=False)
    card = reader.card
    qtbot.waitUntil(lambda: "<b>glow</b>" in card.riddle_text.text(), timeout=15_000)
    tally(SUITE, inputs=1)
    for label in (card.riddle_text, card.hints, card.headline, card.summary, card.answer):
        assert label.textFormat() == Qt.TextFormat.PlainText or not Qt.mightBeRichText(label.text()), (
            f"{label.objectName()} renders {label.text()!r} as rich text"
        )

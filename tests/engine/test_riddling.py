from engine.active_model import ModelChoice, open_riddler
from engine.batching import riddle_pending_batched as riddle_pending
from engine.inference import Sampling
from engine.inference.local import LocalSettings
from engine.progress import CancelToken
from engine.store import Store
from engine.subjects import candidates
from tests.support.synthetic_gguf import SCRIPT_ANSWER


def test_first_run_riddles_the_bundled_sample_news_into_the_store(scripted_gguf, tmp_path):
    choice = ModelChoice(scripted_gguf, "00" * 32, "scripted", "tiny", "base")
    riddler, model = open_riddler(
        choice, LocalSettings(n_ctx=8192, idle_unload_s=None), Sampling(temperature=0.0)
    )
    store = Store(tmp_path / "h.db")
    seen = []
    try:
        run = riddle_pending(store, riddler, limit=4, progress=seen.append)
    finally:
        model.close()
    assert len(run.stored) == 4 and not run.failed
    assert store.count_articles() == 20 and store.count_riddles() == 4
    assert [p.item.id for p in seen if p.item] == [s.id for s in run.stored]
    first = store.riddle(run.stored[0].id)
    # The scripted model would say "lantern"; guided, its answer can only be one of the story's subjects.
    assert first.riddle.answer != SCRIPT_ANSWER and len(first.riddle.hints) == 2
    assert first.riddle.answer in candidates(first.article.title, first.article.summary)
    assert first.provenance.road == "guided" and first.provenance.quality in ("", "headline copy")
    assert first.provenance.pipeline == "few-shot" and first.provenance.model_file == "scripted.gguf"
    assert first.provenance.completion_tokens > 0


def test_unusable_output_is_retried_then_reported_not_stored(random_gguf, tmp_path):
    choice = ModelChoice(random_gguf, "", "random", "tiny", "base")
    riddler, model = open_riddler(
        choice, LocalSettings(n_ctx=8192, idle_unload_s=None), Sampling(max_tokens=8)
    )
    store = Store(tmp_path / "h.db")
    try:
        run = riddle_pending(store, riddler, limit=2)
    finally:
        model.close()
    assert not run.stored and len(run.failed) == 2
    assert "after 3 tries" in run.failed[0][1]
    assert store.count_riddles() == 0


def test_cancel_before_start_stores_nothing(scripted_gguf, tmp_path):
    import pytest

    from engine.errors import Cancelled

    choice = ModelChoice(scripted_gguf, "", "scripted", "tiny", "base")
    riddler, model = open_riddler(choice, LocalSettings(n_ctx=8192, idle_unload_s=None))
    token = CancelToken()
    token.cancel()
    store = Store(tmp_path / "h.db")
    try:
        with pytest.raises(Cancelled):
            riddle_pending(store, riddler, cancel=token)
    finally:
        model.close()
    assert store.count_riddles() == 0


def test_the_primer_is_added_only_where_the_model_left_it_out():
    from engine.riddling import labelled

    assert labelled("Riddle:", " I glow.\nAnswer: x") == "Riddle: I glow.\nAnswer: x"
    assert labelled("Riddle:", "\nRiddle: I glow.\nAnswer: x") == "Riddle: I glow.\nAnswer: x"
    assert labelled("Riddle:", "Answer: x") == "Answer: x"  # no riddle: stays rejected
    assert labelled("Answer:", " lamp\nRiddle: I glow.") == "Answer: lamp\nRiddle: I glow."
    assert labelled("Answer:", "Riddle: I glow.\nAnswer: lamp") == "Riddle: I glow.\nAnswer: lamp"
    # A reply in the older riddle-first order without its first label is still read as it was meant.
    assert labelled("Answer:", " I glow.\nAnswer: lamp") == "Riddle: I glow.\nAnswer: lamp"


def test_empty_and_runaway_output_are_named_in_the_final_sentence(tmp_path):
    import pytest

    from engine.errors import GenerationError
    from engine.inference import Completion
    from engine.pipelines import FewShotPipeline
    from engine.riddling import ModelIdentity, Riddler
    from engine.samples import sample_articles

    class Canned:
        """A backend that replays fixed completions: here the point is the retry rule, not a model."""

        def __init__(self, *texts):
            self.texts, self.calls = list(texts), 0

        def complete(self, prompt, sampling, on_text=None, cancel=None):
            self.calls += 1
            text, finish = self.texts.pop(0)
            return Completion(text, 10, 120 if finish == "length" else 3, 0.1, 0.01, finish)

    article = sample_articles()[0]
    empty = Canned(("", "stop"), ("  ", "stop"))
    with pytest.raises(GenerationError, match="empty output"):
        Riddler(empty, FewShotPipeline(), ModelIdentity("m", "", "t"), max_attempts=2).riddle(article)
    assert empty.calls == 2
    # The answer must be in the story (engine.quality): sample article 0 is about a comet.
    runaway = Canned((" a a a a", "length"), (" comet\nRiddle: I glow.\nHint 1: a\nHint 2: b", "stop"))
    riddle, provenance = Riddler(runaway, FewShotPipeline(), ModelIdentity("m", "", "t")).riddle(article)
    assert riddle.answer == "comet" and provenance.attempts == 2 and provenance.road == "parse-and-retry"
    stuck = Canned(*[(" a a a a", "length")] * 3)
    with pytest.raises(GenerationError, match="runaway output cut at 120 tokens"):
        Riddler(stuck, FewShotPipeline(), ModelIdentity("m", "", "t")).riddle(article)


def test_the_riddler_keeps_its_last_attempt_guided_or_not_accepted_or_not(tmp_path, random_gguf):
    """`Riddler.last` is what the evaluation measures: the attempt itself, even one the validator refused."""
    from datetime import UTC, datetime

    import pytest

    from engine.articles import Article
    from engine.errors import GenerationError
    from tests.support.synthetic_gguf import FALLBACKS, SCRIPT, write_scripted_model

    # Free, the model writes the answer into the riddle; guided, that piece is refused.
    leaky = write_scripted_model(
        tmp_path / "leaky.gguf",
        (*SCRIPT[:3], " like a lantern", *SCRIPT[3:]),
        fallbacks={**FALLBACKS, " I glow in the window": (" when the nights grow long.",)},
    )
    article = Article(
        title="Harbour lights restored",
        link="https://example.org/lights",
        source="Example",
        published=datetime(2026, 11, 26, 10, tzinfo=UTC),
        summary="The old harbour lantern shines again.",
    )
    settings = LocalSettings(n_ctx=8192, idle_unload_s=None)
    riddler, model = open_riddler(
        ModelChoice(leaky, "", "leaky", "tiny", "base"), settings, Sampling(temperature=0.0)
    )
    riddler.max_attempts = 1
    riddler.subjects = False  # the leak guard alone: the scripted model's own answer, "lantern"
    try:
        riddle, provenance = riddler.riddle(article)
        assert riddler.last_guided and riddle.answer == SCRIPT_ANSWER
        assert riddler.last.completion_tokens == provenance.completion_tokens > 0
        assert "like a lantern" not in riddler.last.text
        riddler.guided = False
        with pytest.raises(GenerationError):
            riddler.riddle(article)
        assert not riddler.last_guided and "like a lantern" in riddler.last.text
    finally:
        model.close()
    riddler, model = open_riddler(
        ModelChoice(random_gguf, "", "random", "tiny", "base"), settings, Sampling(max_tokens=8)
    )
    riddler.max_attempts = 1
    try:
        with pytest.raises(GenerationError):
            riddler.riddle(article)
        assert riddler.last_guided and riddler.last is not None and riddler.last.completion_tokens > 0
    finally:
        model.close()

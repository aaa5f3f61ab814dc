from engine.articles import Article
from engine.prompts import few_shot_prefix, few_shot_prompt, load_examples
from engine.riddles import leaks
from engine.samples import sample_articles


def test_examples_are_many_varied_and_never_leak():
    examples = load_examples()
    assert len(examples) >= 12
    assert len({e.answer for e in examples}) == len(examples)
    for e in examples:
        assert not leaks(e.answer, e.riddle), e.answer
        assert len(e.hints) == 2 and e.difficulty in ("easy", "medium", "hard")


def test_prefix_is_shared_and_article_comes_last():
    prefix = few_shot_prefix(load_examples())
    first, second = sample_articles()[:2]
    p1, p2 = few_shot_prompt(first, prefix), few_shot_prompt(second, prefix)
    assert p1.prefix == p2.prefix
    assert p1.text.startswith(prefix) and p1.text.endswith("\nAnswer:")
    assert first.title.rstrip(".") in p1.suffix and first.title not in p1.prefix


def test_long_summaries_are_cut_at_a_word():
    from datetime import UTC, datetime

    article = Article("T", "", "S", datetime.now(UTC), "word " * 400)
    prompt = few_shot_prompt(article, "P\n")
    assert len(prompt.suffix) < 600 and prompt.suffix.rstrip().endswith("Answer:")


def test_examples_show_the_answer_first_then_the_riddle_in_the_order_guided_generation_writes():
    from engine.prompts import FIELDS, format_example

    block = format_example(load_examples()[0])
    labels = [line.split(":", 1)[0] for line in block.splitlines()[1:-1]]
    assert labels == list(FIELDS)
    assert few_shot_prompt(sample_articles()[0], "P\n").primer == "Answer:"


def test_each_example_answer_is_a_subject_candidate_of_its_own_story():
    """The examples teach the model what an answer is: the story's subject, as guided generation will
    allow it (engine.subjects), and nothing the app's checks refuse. Six of them once answered with
    words their story never used ("penguins" for "emperor penguin chicks")."""
    from engine.quality import Story, fold, judge
    from engine.subjects import candidates

    for e in load_examples():
        assert judge(e.answer, e.riddle, e.hints, Story(e.title, e.summary)).refused == (), e.answer
        assert fold(e.answer) in {fold(c) for c in candidates(e.title, e.summary)}, e.answer

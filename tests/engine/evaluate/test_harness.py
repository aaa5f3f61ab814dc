"""Evaluation runs on real synthetic GGUF models through the real worker process: rows stored and in
range, a report written, reruns identical with a fixed seed, cancel then resume, and A/B from the CLI.
The scripted model (tests/support) always says the same valid riddle about a lantern; as a solver it
cannot tell digits apart, so it is a chance-level solver."""

import csv

import pytest

from engine.cli import main
from engine.errors import Cancelled
from engine.evaluate import runs
from engine.evaluate.candidates import Candidate
from engine.evaluate.harness import RunSpec, evaluate
from engine.evaluate.report import write_report
from engine.evaluate.summary import recommend, summarize
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.progress import CancelToken
from engine.store import Store
from engine.subjects import candidates
from tests.support.synthetic_gguf import FALLBACKS, SCRIPT, SCRIPT_ANSWER, write_scripted_model

SETTINGS = LocalSettings(n_ctx=8192, idle_unload_s=None)  # byte-level vocabulary: long prompts


def _spec(model, solver, articles=3, **changes) -> RunSpec:
    return RunSpec(
        (Candidate(str(model), "few-shot"),),
        articles=articles,
        seed=11,
        solver=str(solver),
        solver_rotations=2,
        settings=SETTINGS,
        **changes,
    )


def test_a_run_on_the_synthetic_model_is_stored_measured_reported_and_reproducible(scripted_gguf, tmp_path):
    paths = app_paths().ensure()
    store = Store(paths.database)
    record = evaluate(store, _spec(scripted_gguf, scripted_gguf), paths)
    assert record.status == "done" and len(record.articles) == 3
    (candidate,) = record.candidates
    assert candidate.status == "done" and candidate.model_file == "scripted.gguf"
    assert len(candidate.rows) == 3
    for row in candidate.rows:
        # As the reader riddles: the scripted model would say "lantern", guided it names the story.
        article = record.articles[row.position]
        assert row.valid and row.answer in candidates(article.title, article.summary) and not row.leaked
        assert row.choice in range(4) and row.solved == (
            row.choice == record.articles[row.position].answer_index
        )
        assert row.completion_tokens > 0 and row.generation_s > 0
    (summary,) = summarize(record)
    assert summary.validity == 1.0 and summary.leakage == 0.0
    assert 0 <= summary.solvability <= 1 and summary.chance == 0.25
    assert summary.riddles_per_min > 0 and summary.tokens_per_s > 0 and 0 < summary.first_token_s < 60
    assert summary.load_s > 0 and summary.peak_rss_mb > 10 and summary.file_mb > 1
    assert "scripted · few-shot" in recommend([summary])

    report = write_report(record, [summary], tmp_path / "html")
    assert report.read_text().count("<svg") == 2 and "scripted · few-shot" in report.read_text()
    md = write_report(record, [summary], tmp_path / "md", fmt="md")
    assert (tmp_path / "md" / "quality-vs-speed.svg").read_text().startswith("<svg")
    assert "| candidate |" in md.read_text()
    with (tmp_path / "md" / "rows.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 and {r["answer"] for r in rows} == {r.answer for r in candidate.rows}

    again = evaluate(store, _spec(scripted_gguf, scripted_gguf), paths)
    assert again.id != record.id and again.articles == record.articles
    assert [(r.riddle, r.choice) for r in again.candidates[0].rows] == [
        (r.riddle, r.choice) for r in candidate.rows
    ]
    store.close()


# The scripted riddle with the answer inside it: free, the model writes "… like a lantern …" (a leak);
# guided, the leaking piece is refused and its next choice goes straight on.
LEAKY_SCRIPT = (*SCRIPT[:3], " like a lantern", *SCRIPT[3:])
LEAKY_FALLBACKS = {**FALLBACKS, " I glow in the window": (" when the nights grow long.",)}


def test_a_local_candidate_is_measured_guided_as_the_reader_riddles(tmp_path):
    leaky = write_scripted_model(tmp_path / "leaky.gguf", LEAKY_SCRIPT, fallbacks=LEAKY_FALLBACKS)
    paths = app_paths().ensure()
    store = Store(paths.database)
    said = []
    record = evaluate(
        store, _spec(leaky, leaky, articles=2, solve=False), paths, progress=lambda p: said.append(p.message)
    )
    store.close()
    rows = record.candidates[0].rows
    # Measured the unguided way, every row leaked the answer and was invalid.
    assert len(rows) == 2 and all(r.valid and not r.leaked for r in rows), [r.reason for r in rows]
    assert all(r.answer != SCRIPT_ANSWER for r in rows)  # a story's subject, not the model's "lantern"
    # What the harness keeps per row still comes from the guided attempt.
    assert all(
        r.completion_tokens > 0 and r.prompt_tokens > 0 and 0 < r.first_token_s <= r.generation_s
        for r in rows
    )
    assert any("riddled 2 of 2 (guided)" in m for m in said)


def test_a_cancelled_run_resumes_where_it_stopped(scripted_gguf):
    paths = app_paths().ensure()
    store = Store(paths.database)
    cancel = CancelToken()

    def stop_after_first(progress):
        if progress.done >= 1:
            cancel.cancel()

    with pytest.raises(Cancelled):
        evaluate(
            store,
            _spec(scripted_gguf, scripted_gguf, solve=False),
            paths,
            progress=stop_after_first,
            cancel=cancel,
        )
    run_id = runs.latest_run_id(store)
    stopped = runs.load_run(store, run_id)
    assert stopped.status == "cancelled" and len(stopped.candidates[0].rows) == 1
    first = stopped.candidates[0].rows[0]
    resumed = evaluate(store, _spec(scripted_gguf, scripted_gguf, solve=False), paths, run_id=run_id)
    assert resumed.status == "done" and len(resumed.candidates[0].rows) == 3
    assert resumed.candidates[0].rows[0] == first  # kept, not made again
    assert all(r.solved is None for r in resumed.candidates[0].rows)
    store.close()


def test_ab_from_the_cli_reports_a_difference_with_an_interval(scripted_gguf, random_gguf, tmp_path, capsys):
    code = main(
        [
            "eval",
            "--ab",
            str(random_gguf),
            str(scripted_gguf),
            "--articles",
            "4",
            "--solver",
            str(scripted_gguf),
            "--rotations",
            "1",
            "--n-ctx",
            "8192",
            "--report",
            str(tmp_path),
            "--format",
            "md",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "scripted.gguf solved" in out and "interval" in out and "random.gguf" in out
    assert "A/B:" in (tmp_path / "report.md").read_text()
    store = Store(app_paths().database)
    record = runs.load_run(store, runs.latest_run_id(store))
    random_rows = next(c for c in record.candidates if c.model_file == "random.gguf").rows
    assert not any(r.valid for r in random_rows)  # random weights never write the labelled format
    store.close()


def test_an_unknown_model_is_refused_with_a_sentence(capsys):
    assert main(["eval", "--models", "no-such-model", "--no-solve"]) == 1
    assert 'There is no model "no-such-model"' in capsys.readouterr().err


def test_an_unknown_pipeline_is_refused_before_any_work(scripted_gguf, capsys):
    assert (
        main(["eval", "--models", str(scripted_gguf), "--pipelines", "few-shot,telepathy", "--no-solve"]) == 1
    )
    assert "Unknown pipeline telepathy" in capsys.readouterr().err
    store = Store(app_paths().database)
    assert runs.latest_run_id(store) is None
    store.close()


def test_the_evaluation_and_the_reader_make_the_same_riddle_for_an_article_model_and_seed(
    starter_gguf, tmp_path
):
    """One road: the reader's batched, guided riddle and the evaluation's row are the same riddle
    when the article, the model and the seed are (the real starter model, sampled, not greedy)."""
    from dataclasses import replace

    from engine.active_model import ModelChoice, open_riddler
    from engine.batching import riddle_articles_batched
    from engine.evaluate.articleset import freeze
    from engine.evaluate.candidates import ResolvedModel
    from engine.evaluate.harness import _riddler, measure_article
    from engine.inference.local import LocalModel
    from engine.riddling import DEFAULT_SAMPLING
    from engine.samples import sample_articles

    (article,) = freeze(sample_articles(), 1, seed=3)
    run_seed = 5
    sampling = replace(DEFAULT_SAMPLING, seed=run_seed * 1000 + article.position)  # the harness's seed
    choice = ModelChoice(starter_gguf, "", starter_gguf.name, "tiny", "base")
    reader, model = open_riddler(choice, SETTINGS, sampling)
    try:
        stored = riddle_articles_batched(Store(tmp_path / "reader.db"), [article.article()], reader).stored
    finally:
        model.close()
    local = LocalModel(starter_gguf, SETTINGS)
    try:
        resolved = ResolvedModel(starter_gguf, "", "tiny")
        evaluation = _riddler(Candidate(str(starter_gguf), "few-shot"), resolved, local, DEFAULT_SAMPLING)
        row = measure_article(evaluation, article, run_seed, None, None)
    finally:
        local.close()
    assert len(stored) == 1 and row.valid and row.road == stored[0].provenance.road == "guided"
    assert (row.riddle, row.answer, row.hints) == (
        stored[0].riddle.text,
        stored[0].riddle.answer,
        stored[0].riddle.hints,
    )

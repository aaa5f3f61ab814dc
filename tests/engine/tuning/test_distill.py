"""Distillation for real: a teacher served by llama-cpp-python's own OpenAI-compatible server on
127.0.0.1 (the scripted GGUF, which writes the same lantern riddle for any news) and the real
starter model as the solver. The riddle is valid everywhere, but only for the lantern story does the
solver find the right headline, so that is the one riddle kept; held-out stories are never asked."""

import pytest

from engine import model_registry
from engine.inference.local import LocalSettings
from engine.paths import app_paths
from engine.tuning import TuningError
from engine.tuning.data import HeldOutItem, write_jsonl
from engine.tuning.distill import (
    NOT_SOLVED,
    NewsItem,
    distill,
    distilled_examples,
    news_to_distil,
    resolve_teacher,
    teachers,
)
from engine.tuning.workflow import training_set
from tests.support.llama_server import llama_server
from tests.support.synthetic_gguf import SCRIPT_ANSWER

NEWS = [
    NewsItem(
        "Lantern festival fills the old town with paper lights",
        "Hundreds of paper lanterns glowed in windows and along the river for the winter festival.",
        "history",
    ),
    NewsItem("Council raises parking charges in the city centre", "Hourly fees rise by a fifth.", "history"),
    NewsItem("Striker signs a record transfer deal", "The club paid a fee never seen before.", "history"),
    NewsItem("Bank holds interest rates steady", "Borrowing costs stay where they were.", "history"),
    NewsItem("New vaccine trial enrols thousands", "Volunteers join a large medical study.", "history"),
]


def test_only_riddles_that_pass_every_check_are_kept_and_saved(installed_starter, scripted_gguf):
    paths = app_paths().ensure()
    held = HeldOutItem("Held-out story about a kite", "", "kite")
    news = news_to_distil([*NEWS, NewsItem(held.title, "", "history")], [], [held])
    assert [n.title for n in news] == [n.title for n in NEWS]  # the held-out story is never sent
    with llama_server(scripted_gguf, n_ctx=4096) as base_url:
        teacher = resolve_teacher(paths, f"{base_url}#riddler")
        result = distill(paths, teacher, news, solver_path=installed_starter)
    assert result.tried == 5 and result.solver == installed_starter.name
    assert [(e.title, e.answer, e.source) for e in result.kept] == [
        (NEWS[0].title, SCRIPT_ANSWER, "distilled")
    ]
    # The scripted teacher answers "lantern" for every story: the four that are not about a lantern
    # are refused by the checks (the answer is not in the story) before the solver is asked.
    assert len(result.rejected) == 4 and NOT_SOLVED not in result.reasons()
    assert all("answer not in the story" in reason for reason in result.reasons()), result.reasons()
    saved = distilled_examples(paths)
    assert saved == list(result.kept)
    data = training_set([], distilled=saved)
    assert data.counts()["distilled"] == 1
    exported = write_jsonl(data.train + data.validation, paths.data / "export" / "all.jsonl").read_text()
    assert "I glow in the window" in exported  # the distilled riddle is in the JSONL export


def test_a_teacher_with_invalid_riddles_gives_reasons_and_the_base_cannot_teach_itself(tmp_path, random_gguf):
    paths = app_paths().ensure()
    base_key = model_registry.load(paths).active_key
    random_model = model_registry.import_gguf(paths, random_gguf)
    assert [t.spec for t in teachers(paths)] == [random_model.key]
    with pytest.raises(TuningError, match="cannot teach"):
        resolve_teacher(paths, base_key)
    result = distill(
        paths,
        resolve_teacher(paths, random_model.name),
        NEWS[:4],
        solver_path=random_gguf,
        settings=LocalSettings(n_ctx=8192, idle_unload_s=None),
    )
    assert result.tried == 4 and not result.kept and len(result.rejected) == 4
    assert NOT_SOLVED not in result.reasons()  # nothing valid reached the solver
    assert distilled_examples(paths) == []

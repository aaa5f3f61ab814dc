"""`riddlewire riddle` takes the reader's road: batched in the worker, guided, with --batch N."""

import json

from engine.cli import main
from engine.paths import app_paths
from engine.samples import SAMPLE_FEED
from engine.settings import Settings, save_settings
from engine.store import Store
from engine.subjects import candidates


def test_the_riddle_command_batches_and_guides_like_the_reader(scripted_gguf, capsys):
    paths = app_paths().ensure()
    save_settings(Settings().with_value("inference.context_length", 8192), paths.settings_file)
    args = ["riddle", "--feed", str(SAMPLE_FEED), "--limit", "3", "--model", str(scripted_gguf)]
    assert main([*args, "--json", "--seed", "4", "--batch", "2"]) == 0
    captured = capsys.readouterr()
    printed = [json.loads(line) for line in captured.out.splitlines()]
    assert len(printed) == 3 and "2 articles at a time" not in captured.out
    store = Store(paths.database)
    try:
        for row in printed:
            stored = store.riddle(row["id"])
            assert row["provenance"]["road"] == "guided"
            assert stored.riddle.answer in candidates(stored.article.title, stored.article.summary)
    finally:
        store.close()


def test_best_of_comes_from_the_setting_and_the_flag_overrides_it(scripted_gguf, capsys):
    paths = app_paths().ensure()
    settings = Settings().with_value("inference.context_length", 8192).with_value("sampling.best_of", 2)
    save_settings(settings, paths.settings_file)
    args = ["riddle", "--feed", str(SAMPLE_FEED), "--limit", "2", "--model", str(scripted_gguf), "--json"]
    assert main([*args, "--seed", "5"]) == 0
    roads = [json.loads(line)["provenance"]["road"] for line in capsys.readouterr().out.splitlines()]
    assert roads == ["guided, best of 2"] * 2
    assert main([*args, "--seed", "6", "--best-of", "3"]) == 0
    roads = [json.loads(line)["provenance"]["road"] for line in capsys.readouterr().out.splitlines()]
    assert roads == ["guided, best of 3"] * 2
